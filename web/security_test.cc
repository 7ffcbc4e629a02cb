#include "web/security.h"

#include <gtest/gtest.h>

namespace dolmetsch::web {
namespace {

TEST(RandomHexTest, IsWellFormedAndDiffers) {
  std::string a = RandomHex(16), b = RandomHex(16);
  EXPECT_TRUE(IsWellFormedSessionId(a));
  EXPECT_NE(a, b);
  EXPECT_FALSE(IsWellFormedSessionId(a.substr(1)));
  EXPECT_FALSE(IsWellFormedSessionId("ABCDEF0123456789ABCDEF0123456789"));
  EXPECT_FALSE(IsWellFormedSessionId("0123456789abcdef0123456789abcde;"));
}

TEST(CsrfTest, TokenIsBoundToSessionAndSecret) {
  CsrfTokens tokens("a secret of sufficient length");
  std::string session = RandomHex(16);
  std::string token = tokens.TokenFor(session);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_TRUE(tokens.Verify(session, token));
  EXPECT_FALSE(tokens.Verify(RandomHex(16), token));
  EXPECT_FALSE(tokens.Verify(session, ""));
  EXPECT_FALSE(tokens.Verify("", token));
  std::string tampered = token;
  tampered[0] = tampered[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(tokens.Verify(session, tampered));
  EXPECT_FALSE(CsrfTokens("another secret entirely!").Verify(session, token));
}

TEST(CookieTest, HasSecurityAttributes) {
  std::string cookie = BuildSetCookie({"sid", "abc", 3600, false});
  EXPECT_EQ(cookie, "sid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
  EXPECT_NE(BuildSetCookie({"sid", "abc", 0, true}).find("; Secure"), std::string::npos);
}

TEST(SecurityHeadersTest, ForbidInlineScriptsAndFraming) {
  auto headers = SecurityHeaders(false);
  auto find = [&](const std::string& name) {
    for (auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return std::string();
  };
  std::string csp = find("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(find("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(find("Referrer-Policy").empty());
  EXPECT_TRUE(find("Strict-Transport-Security").empty());
  bool hsts = false;
  for (auto& [key, value] : SecurityHeaders(true)) hsts |= key == "Strict-Transport-Security";
  EXPECT_TRUE(hsts);
}

TEST(BasicAuthTest, ParsesHeader) {
  auto parsed = ParseBasicAuthorization("Basic " + Base64Encode("anna:se:cret"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->first, "anna");
  EXPECT_EQ(parsed->second, "se:cret");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic ").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + Base64Encode("nocolon")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic " + Base64Encode(":pw")).has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
}

// Hashes of "correct horse" made with `openssl passwd -6 -salt abcdefgh`, libxcrypt bcrypt (cost 5), and
// `htpasswd -s` ({SHA}).
constexpr char kUsers[] =
    "# users\n"
    "anna:$6$abcdefgh$yIZAF3gQPvtKZO/9qOJKffAKKbtS3ef3qmwyugk4uWVjX8YZf/"
    "GV3A8SkFxEPY0T56CcilGrHKLffBsp6dLMG.\n"
    "\n"
    "ben:$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2\r\n"
    "carl:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\n";

TEST(HtpasswdTest, VerifiesSupportedHashes) {
  auto users = Htpasswd::Parse(kUsers, "users");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  EXPECT_EQ(users->size(), 3u);
  for (const char* user : {"anna", "ben", "carl"}) {
    EXPECT_TRUE(users->Verify(user, "correct horse")) << user;
    EXPECT_TRUE(users->Verify(user, "correct horse")) << user << " (cached)";
    EXPECT_FALSE(users->Verify(user, "correct horse ")) << user;
    EXPECT_FALSE(users->Verify(user, "")) << user;
  }
  EXPECT_FALSE(users->Verify("dora", "correct horse"));
}

TEST(HtpasswdTest, RejectsUnsupportedOrMalformedLines) {
  auto apr1 = Htpasswd::Parse("x:$apr1$abc$def\n", "f");
  ASSERT_FALSE(apr1.ok());
  EXPECT_NE(apr1.status().message().find("f:1"), std::string::npos);
  EXPECT_FALSE(Htpasswd::Parse("ok:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\nplain:secret\n", "f").ok());
  EXPECT_FALSE(Htpasswd::Parse("nocolon\n", "f").ok());
  EXPECT_FALSE(Htpasswd::Parse(":$6$x$y\n", "f").ok());
  EXPECT_FALSE(Htpasswd::Parse("a:{SHA}abc\n", "f").ok());
  EXPECT_FALSE(
      Htpasswd::Parse("a:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\na:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\n", "f")
          .ok());
  EXPECT_EQ(Htpasswd::Load("/nonexistent/users").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace dolmetsch::web
