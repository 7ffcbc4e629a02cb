#include "markup/xml_document.h"

#include <gtest/gtest.h>

namespace dolmetsch::markup {
namespace {

TEST(XmlDocumentTest, ParsesAndSerializesKeepingStandalone) {
  auto doc = XmlDocument::Parse(
      "<?xml version=\"1.0\" standalone=\"yes\"?>\n<a xmlns=\"urn:x\" k=\"&amp;\">T&lt;</a>", "part.xml");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_TRUE(Is((*doc)->root(), "urn:x", "a"));
  EXPECT_EQ(AttributeValue((*doc)->root(), nullptr, "k"), "&");
  auto out = (*doc)->Serialize();
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<a xmlns=\"urn:x\" "
            "k=\"&amp;\">T&lt;</a>\n");
}

TEST(XmlDocumentTest, EntityDeclarationsAreRefusedBeforeExpansion) {
  const std::string xxe =
      "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>";
  auto s = XmlDocument::Parse(xxe, "part.xml").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("part.xml: declares the entity \"x\""), std::string::npos) << s.message();
  const std::string param = "<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\"> %p;]><a/>";
  EXPECT_FALSE(XmlDocument::Parse(param, "p.xml").ok());
  const std::string unparsed =
      "<!DOCTYPE a [<!NOTATION n SYSTEM \"x\"><!ENTITY u SYSTEM \"y\" NDATA n>]><a/>";
  EXPECT_FALSE(XmlDocument::Parse(unparsed, "u.xml").ok());
  std::string laughs = "<!DOCTYPE a [<!ENTITY a0 \"lol\">";
  for (int i = 1; i < 12; ++i) {
    laughs += "<!ENTITY a" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) laughs += "&a" + std::to_string(i - 1) + ";";
    laughs += "\">";
  }
  laughs += "]><a>&a11;</a>";
  s = XmlDocument::Parse(laughs, "bomb.xml").status();
  EXPECT_NE(s.message().find("declares the entity \"a0\""), std::string::npos) << s.message();
  // A DOCTYPE without declarations (XHTML) is fine and nothing external is loaded.
  EXPECT_TRUE(XmlDocument::Parse("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.1//EN\" "
                                 "\"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd\"><html/>",
                                 "x.xhtml")
                  .ok());
}

TEST(XmlDocumentTest, MalformedTooLargeAndTooDeep) {
  auto s = XmlDocument::Parse("<a>\n<b></a>", "m.xml").status();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("m.xml: not well-formed XML (line 2"), std::string::npos) << s.message();
  EXPECT_EQ(XmlDocument::Parse("<a/>", "big.xml", 3).status().code(), Status::Code::kResourceExhausted);
  EXPECT_FALSE(XmlDocument::Parse("", "empty.xml").ok());
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<a>";
  EXPECT_FALSE(XmlDocument::Parse(deep, "deep.xml").ok());  // libxml2's depth limit, no stack overflow
}

}  // namespace
}  // namespace dolmetsch::markup
