#include "web/form.h"

#include <gtest/gtest.h>

namespace dolmetsch::web {
namespace {

TEST(ParseFormTest, DecodesFields) {
  auto form = ParseForm("text=Gr%C3%BC%C3%9Fe+Welt&csrf_token=abc&empty=&flag");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(form->GetOr("text", ""), "Grüße Welt");
  EXPECT_EQ(form->GetOr("csrf_token", ""), "abc");
  EXPECT_EQ(form->Get("empty"), std::optional<std::string>(""));
  EXPECT_EQ(form->Get("flag"), std::optional<std::string>(""));
  EXPECT_FALSE(form->Get("missing").has_value());
}

TEST(ParseFormTest, KeepsRepeatedNamesInOrderAndSkipsEmptyPieces) {
  auto form = ParseForm("&&a=1&&a=2&");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->fields().size(), 2u);
  EXPECT_EQ(form->GetOr("a", ""), "1");
  EXPECT_EQ(form->fields()[1].second, "2");
}

TEST(ParseFormTest, ValueMayContainEqualsSigns) {
  auto form = ParseForm("q=a%3Db=c");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->GetOr("q", ""), "a=b=c");
}

TEST(ParseFormTest, RejectsMalformedEscapes) {
  for (const char* body : {"text=%", "text=%4", "text=%G1", "te%xt=1", "text=abc%"}) {
    auto form = ParseForm(body);
    EXPECT_FALSE(form.ok()) << body;
    EXPECT_EQ(form.status().code(), Status::Code::kInvalidArgument) << body;
  }
}

TEST(ParseFormTest, RejectsInvalidUtf8AndNul) {
  auto bad = ParseForm("text=%C3%28");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("text"), std::string::npos);
  EXPECT_FALSE(ParseForm("text=a%00b").ok());
  EXPECT_FALSE(ParseForm("%FF=1").ok());
}

TEST(ParseFormTest, LimitsTheNumberOfFields) {
  std::string body;
  for (int i = 0; i < 101; ++i) body += "f" + std::to_string(i) + "=1&";
  EXPECT_FALSE(ParseForm(body).ok());
  EXPECT_TRUE(ParseForm(body, 200).ok());
}

TEST(ParseFormTest, KeepsSqlAndMarkupVerbatim) {
  auto form = ParseForm("text=%27%3B+DROP+TABLE+translations%3B+--+%3Cscript%3E");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->GetOr("text", ""), "'; DROP TABLE translations; -- <script>");
}

TEST(CookieTest, ParsesHeaderLeniently) {
  auto cookies = ParseCookies("a=1; dolmetsch_session=abc ;junk; =x; b=\"quoted\"");
  ASSERT_EQ(cookies.size(), 3u);
  EXPECT_EQ(FindCookie("a=1; dolmetsch_session=abc ;junk", "dolmetsch_session"),
            std::optional<std::string>("abc"));
  EXPECT_EQ(cookies[2].second, "quoted");
  EXPECT_FALSE(FindCookie("", "a").has_value());
  EXPECT_FALSE(FindCookie(";;;=;", "a").has_value());
}

TEST(ParseBoundedIntTest, AcceptsOnlyPlainDecimalsInRange) {
  EXPECT_EQ(ParseBoundedInt("42", 1, 100), std::optional<int64_t>(42));
  for (const char* bad : {"", "0", "101", "-1", "+1", " 1", "1 ", "1e3", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(ParseBoundedInt(bad, 1, 100).has_value()) << bad;
  }
  EXPECT_EQ(ParseBoundedInt("9223372036854775807", 1, INT64_MAX), std::optional<int64_t>(INT64_MAX));
}

}  // namespace
}  // namespace dolmetsch::web
