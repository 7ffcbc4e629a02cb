#include "util/base64.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace dolmetsch {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, BinaryBytes) {
  EXPECT_EQ(Base64Encode(std::string("\x00\xff\xfe\x80", 4)), "AP/+gA==");
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(Base64Test, RoundTripsAndRejectsMalformed) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "user:pässword"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), std::optional<std::string>(s)) << s;
  }
  EXPECT_EQ(Base64Encode("user:pw"), "dXNlcjpwdw==");
  for (const char* bad : {"dXNlcjpwdw", "dXNlcjpwdw=", "dX=lcjpw", "dXNl*jpw", "====", "d==="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace dolmetsch
