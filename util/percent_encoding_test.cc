#include "util/percent_encoding.h"

#include <gtest/gtest.h>

namespace dolmetsch {
namespace {

TEST(PercentEncodeTest, KeepsUnreservedAndOptionallySlash) {
  EXPECT_EQ(PercentEncode("refs/pr/1"), "refs%2Fpr%2F1");
  EXPECT_EQ(PercentEncode("sub dir/model.bin", true), "sub%20dir/model.bin");
  EXPECT_EQ(PercentEncode("a~b-c_d.e"), "a~b-c_d.e");
  EXPECT_EQ(PercentEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(PercentEncode("\xc3\xa4?#%"), "%C3%A4%3F%23%25");
}

TEST(PercentEncodeTest, EncodesQueryStringValues) {
  EXPECT_EQ(PercentEncode("a b&c=d/\xc3\xa4"), "a%20b%26c%3Dd%2F%C3%A4");
  EXPECT_EQ(PercentEncode("\"><script>"), "%22%3E%3Cscript%3E");
  EXPECT_EQ(PercentEncode(std::string_view("\0\xff", 2)), "%00%FF");
}

TEST(PercentDecodeTest, InvertsEncodeAndRefusesMalformedEscapes) {
  const std::string bytes("a b/\xc3\xa4~%+\0\xff", 11);
  ASSERT_TRUE(PercentDecode(PercentEncode(bytes)).ok());
  EXPECT_EQ(*PercentDecode(PercentEncode(bytes)), bytes);
  EXPECT_EQ(*PercentDecode("Bericht%20%c3%a4.docx"), "Bericht \xc3\xa4.docx");
  EXPECT_EQ(*PercentDecode("a+b"), "a+b");
  for (const char* bad : {"%", "%4", "a%g1", "%%41"}) {
    StatusOr<std::string> decoded = PercentDecode(bad);
    EXPECT_EQ(decoded.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  EXPECT_NE(PercentDecode("ab%4").status().message().find("byte 2"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch
