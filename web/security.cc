#include "web/security.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace dolmetsch::web {
namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

constexpr auto kVerifiedCacheLifetime = std::chrono::minutes(10);
constexpr size_t kVerifiedCacheMaxEntries = 1000;

}  // namespace

std::string RandomHex(size_t bytes) {
  std::string buffer(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()), static_cast<int>(bytes)) != 1) {
    // RAND_bytes only fails when the OS has no entropy source at all; an id we cannot make unguessable
    // must not be handed out, and there is no sensible way to continue serving.
    std::abort();
  }
  return Hex(reinterpret_cast<const unsigned char*>(buffer.data()), bytes);
}

bool IsWellFormedSessionId(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string CsrfTokens::TokenFor(std::string_view session_id) const {
  std::string message = "csrf:" + std::string(session_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return Hex(digest, length);
}

bool CsrfTokens::Verify(std::string_view session_id, std::string_view token) const {
  if (session_id.empty() || token.empty()) return false;
  return ConstantTimeEquals(TokenFor(session_id), token);
}

std::string BuildSetCookie(const CookieSpec& spec) {
  std::string out = spec.name + "=" + spec.value + "; Path=/";
  if (spec.max_age_seconds > 0) out += "; Max-Age=" + std::to_string(spec.max_age_seconds);
  out += "; HttpOnly; SameSite=Lax";
  if (spec.secure) out += "; Secure";
  return out;
}

std::vector<std::pair<std::string, std::string>> SecurityHeaders(bool https) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "same-origin"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
  if (https) headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  return headers;
}

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kPrefix = "Basic ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  auto decoded = Base64Decode(header.substr(kPrefix.size()));
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

StatusOr<Htpasswd> Htpasswd::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open the users file " + path);
  std::stringstream content;
  content << in.rdbuf();
  return Parse(content.str(), path);
}

StatusOr<Htpasswd> Htpasswd::Parse(std::string_view content, const std::string& source_name) {
  Htpasswd result;
  size_t line_number = 0;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = source_name + ":" + std::to_string(line_number);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::InvalidArgument(where + ": expected 'user:hash'");
    }
    std::string user(line.substr(0, colon));
    std::string hash(line.substr(colon + 1));
    bool known = hash.rfind("$2y$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2a$", 0) == 0 ||
                 hash.rfind("$6$", 0) == 0 || hash.rfind("$5$", 0) == 0 ||
                 (hash.rfind("{SHA}", 0) == 0 && Base64Decode(hash.substr(5)).has_value() &&
                  Base64Decode(hash.substr(5))->size() == 20);
    if (!known) {
      return Status::Unsupported(where + ": user '" + user +
                                 "' has a hash format we do not accept; use bcrypt (htpasswd -B) or "
                                 "SHA-512 crypt (openssl passwd -6)");
    }
    if (result.users_.count(user) != 0)
      return Status::InvalidArgument(where + ": user '" + user + "' repeated");
    result.users_[user] = hash;
  }
  return result;
}

bool Htpasswd::Verify(const std::string& user, const std::string& password) const {
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  const std::string cache_key = Sha256Hex(it->second + "\n" + user + ":" + password);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto cached = verified_.find(cache_key);
    if (cached != verified_.end() && now - cached->second < kVerifiedCacheLifetime) return true;
  }
  const std::string& hash = it->second;
  bool ok = false;
  if (hash.rfind("{SHA}", 0) == 0) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
    ok = ConstantTimeEquals(Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest)),
                            std::string_view(hash).substr(5));
  } else {
    crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char* computed = crypt_r(password.c_str(), hash.c_str(), &data);
    ok = computed != nullptr && computed[0] != '*' && ConstantTimeEquals(computed, hash);
  }
  if (ok) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (verified_.size() >= kVerifiedCacheMaxEntries) verified_.clear();
    verified_[cache_key] = now;
  }
  return ok;
}

}  // namespace dolmetsch::web
