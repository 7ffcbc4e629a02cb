// The web app's security primitives: random ids, CSRF tokens, cookies, response headers, HTTP basic auth
// against an htpasswd-style file.
//
// CSRF: a token is HMAC-SHA256(secret, "csrf:" + session id) in hex, where the session id is the value
// of the browser's HttpOnly owner cookie. Every state-changing request (POST) must carry it in the form
// field `csrf_token` or the X-CSRF-Token header; a page from another site can neither read the cookie
// nor compute the token. Verify compares in constant time. The secret is random per process unless the
// operator sets one (needed when several replicas serve the same users).
// Htpasswd: lines "user:hash"; '#' comments and blank lines are skipped. Hashes understood: bcrypt
// ($2y$/$2b$/$2a$, `htpasswd -B`), SHA-512/SHA-256 crypt ($6$/$5$, `openssl passwd -6`), and {SHA}
// (`htpasswd -s`, base64 SHA-1; weak, accepted for compatibility). Anything else (apr1 MD5, plain DES crypt,
// plain text) is rejected when loading, with the line number.
// Thread-safety: CsrfTokens and Htpasswd are immutable after construction (Htpasswd::Verify keeps a
// mutex-protected cache of recent successes so that bcrypt runs once per user and password, not per request).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/base64.h"  // Base64Decode for basic auth, Base64Encode for {SHA} hashes
#include "util/status.h"

namespace dolmetsch::web {

// `bytes` random bytes from the OS CSPRNG, hex encoded (2*bytes characters).
std::string RandomHex(size_t bytes);

// True for a value RandomHex(16) could have produced: exactly 32 lower-case hex digits.
bool IsWellFormedSessionId(std::string_view id);

bool ConstantTimeEquals(std::string_view a, std::string_view b);

class CsrfTokens {
 public:
  explicit CsrfTokens(std::string secret) : secret_(std::move(secret)) {}
  std::string TokenFor(std::string_view session_id) const;
  bool Verify(std::string_view session_id, std::string_view token) const;

 private:
  std::string secret_;
};

struct CookieSpec {
  std::string name;
  std::string value;            // must be a cookie-octet string (we only store hex ids)
  int64_t max_age_seconds = 0;  // 0: session cookie
  bool secure = false;          // only sent over HTTPS
};
// "name=value; Path=/; Max-Age=N; HttpOnly; SameSite=Lax[; Secure]"
std::string BuildSetCookie(const CookieSpec& spec);

// Headers every response carries. `https`: the browser talks HTTPS to us (adds Strict-Transport-Security).
std::vector<std::pair<std::string, std::string>> SecurityHeaders(bool https);

// "Basic base64(user:password)" -> (user, password); nullopt when malformed.
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

class Htpasswd {
 public:
  static StatusOr<Htpasswd> Load(const std::string& path);
  static StatusOr<Htpasswd> Parse(std::string_view content, const std::string& source_name);

  Htpasswd(const Htpasswd& other) : users_(other.users_) {}
  Htpasswd& operator=(const Htpasswd&) = delete;
  Htpasswd(Htpasswd&& other) noexcept : users_(std::move(other.users_)) {}

  bool Verify(const std::string& user, const std::string& password) const;
  size_t size() const { return users_.size(); }

 private:
  Htpasswd() = default;
  std::map<std::string, std::string> users_;  // user -> hash
  mutable std::mutex cache_mu_;
  mutable std::map<std::string, std::chrono::steady_clock::time_point> verified_;  // sha256(user:pw)
};

// SHA-256 of `data`, hex.
std::string Sha256Hex(std::string_view data);

}  // namespace dolmetsch::web
