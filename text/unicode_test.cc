#include "text/unicode.h"

#include <gtest/gtest.h>

namespace dolmetsch::text {
namespace {

TEST(UnicodeTest, DecodesWellFormedSequences) {
  EXPECT_EQ(DecodeUtf8("A", 0).cp, U'A');
  const std::string s = "ä€😀";
  DecodedChar c = DecodeUtf8(s, 0);
  EXPECT_EQ(c.cp, U'ä');
  EXPECT_EQ(c.len, 2u);
  c = DecodeUtf8(s, 2);
  EXPECT_EQ(c.cp, U'€');
  EXPECT_EQ(c.len, 3u);
  c = DecodeUtf8(s, 5);
  EXPECT_EQ(c.cp, U'😀');
  EXPECT_EQ(c.len, 4u);
  EXPECT_EQ(PrevCharStart(s, s.size()), 5u);
  EXPECT_EQ(PrevCharStart(s, 5), 2u);
  EXPECT_EQ(PrevCharStart(s, 2), 0u);
}

TEST(UnicodeTest, MalformedBytesAreSingleReplacementCharacters) {
  for (const std::string bad :
       {"\x80", "\xC3", "\xC0\xAF", "\xE2\x82", "\xED\xA0\x80", "\xF5\x80\x80\x80", "\xF0\x9F\x98", "\xFF"}) {
    const DecodedChar c = DecodeUtf8(bad, 0);
    EXPECT_EQ(c.cp, 0xFFFDu) << bad.size();
    EXPECT_EQ(c.len, 1u);
  }
  const std::string mixed =
      "a\xC3"
      "b";
  EXPECT_EQ(PrevCharStart(mixed, 2), 1u);
  EXPECT_EQ(ToValidUtf8(mixed),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToValidUtf8("ok ä"), "ok ä");
}

TEST(UnicodeTest, CharacterClasses) {
  EXPECT_TRUE(IsSpace(0xA0));
  EXPECT_TRUE(IsSpace(0x2009));
  EXPECT_FALSE(IsSpace(0x200B));  // zero width space is not whitespace for str.isspace()
  EXPECT_TRUE(IsUpper(U'Ä'));
  EXPECT_TRUE(IsLower(U'ß'));
  EXPECT_FALSE(IsUpper(U'×'));
  EXPECT_TRUE(IsLetter(U'中'));
  EXPECT_TRUE(IsEmoji(U'👍'));
  EXPECT_FALSE(IsEmoji(U'A'));
  EXPECT_TRUE(IsSuperscriptDigit(U'¹'));
}

TEST(UnicodeTest, CountsLineBreaks) {
  EXPECT_EQ(CountLineBreaks(" "), 0);
  EXPECT_EQ(CountLineBreaks("\r\n"), 1);
  EXPECT_EQ(CountLineBreaks("\r\n \r\n"), 2);
  EXPECT_EQ(CountLineBreaks("\n\n\n"), 3);
  EXPECT_EQ(CountLineBreaks("\r"), 1);
  EXPECT_EQ(CountLineBreaks("\xE2\x80\xA9"), 2);  // paragraph separator
}

TEST(UnicodeTest, CollapsesWhitespace) {
  EXPECT_EQ(CollapseWhitespace("  a \r\n b\xC2\xA0\xC2\xA0"
                               "c  "),
            "a b c");
  EXPECT_EQ(CollapseWhitespace(""), "");
  EXPECT_EQ(CollapseWhitespace(" \n "), "");
}

}  // namespace
}  // namespace dolmetsch::text
