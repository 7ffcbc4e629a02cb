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

}  // namespace
}  // namespace dolmetsch
