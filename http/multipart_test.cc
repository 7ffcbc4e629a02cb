#include "http/multipart.h"

#include <gtest/gtest.h>

namespace dolmetsch::http {
namespace {

TEST(MultipartTest, PartsWithNamesFilesAndBinaryValues) {
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nGuten Morgen.\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: "
      "text/plain\r\n\r\n"
      "line1\r\nline2\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=empty\r\n\r\n\r\n"
      "--XyZ--\r\n";
  auto parts = ParseMultipart(body, "multipart/form-data; boundary=XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "q");
  EXPECT_EQ((*parts)[0].value, "Guten Morgen.");
  EXPECT_EQ((*parts)[1].filename, "a.txt");
  EXPECT_EQ((*parts)[1].content_type, "text/plain");
  EXPECT_EQ((*parts)[1].value, "line1\r\nline2");
  EXPECT_EQ((*parts)[2].name, "empty");
  EXPECT_EQ((*parts)[2].value, "");
  auto quoted = ParseMultipart("--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--a b--",
                               "multipart/form-data; boundary=\"a b\"");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ((*quoted)[0].value, "1");
}

TEST(MultipartTest, MalformedBodiesAreErrors) {
  EXPECT_FALSE(ParseMultipart("x", "multipart/form-data").ok());
  EXPECT_FALSE(ParseMultipart("no boundary here", "multipart/form-data; boundary=B").ok());
  EXPECT_FALSE(ParseMultipart("--B\r\nContent-Disposition: form-data; name=q\r\n\r\ntruncated",
                              "multipart/form-data; boundary=B")
                   .ok());
  EXPECT_FALSE(ParseMultipart("--B\r\nX: y\r\n\r\nv\r\n--B--", "multipart/form-data; boundary=B").ok());
}

}  // namespace
}  // namespace dolmetsch::http
