#include "hub/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dolmetsch::hub {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int DefaultPort(const std::string& scheme) { return scheme == "https" ? 443 : 80; }

bool ValidHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// Removes "." and ".." segments (RFC 3986 section 5.2.4) so "/a/b/../c" becomes "/a/c".
std::string RemoveDotSegments(std::string_view path) {
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    size_t next = path.find('/', i + 1);
    if (next == std::string_view::npos) next = path.size();
    std::string_view segment = path.substr(i, next - i);  // includes the leading '/'
    if (segment == "/.") {
      if (next == path.size()) out += '/';
    } else if (segment == "/..") {
      size_t cut = out.rfind('/');
      out.erase(cut == std::string::npos ? 0 : cut);
      if (next == path.size()) out += '/';
    } else {
      out += segment;
    }
    i = next;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

std::string Url::Origin() const {
  std::string out = scheme + "://" + host;
  if (port != DefaultPort(scheme)) out += ":" + std::to_string(port);
  return out;
}

StatusOr<Url> ParseUrl(std::string_view text) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("URL '" + std::string(text) + "': " + why);
  };
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return bad("contains a space or control character");
  }
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) return bad("is not absolute (expected http:// or https://)");
  Url url;
  url.scheme = Lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return bad("scheme must be http or https");
  std::string_view rest = text.substr(colon + 3);
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return bad("user information is not supported");
  if (authority.empty()) return bad("has no host");
  if (authority.front() == '[') return bad("IPv6 literals are not supported");
  url.port = DefaultPort(url.scheme);
  size_t port_colon = authority.rfind(':');
  std::string_view host = authority;
  if (port_colon != std::string_view::npos) {
    std::string_view port_text = authority.substr(port_colon + 1);
    host = authority.substr(0, port_colon);
    if (!port_text.empty()) {
      int port = 0;
      auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
      if (ec != std::errc() || end != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
        return bad("has an invalid port");
      }
      url.port = port;
    }
  }
  if (host.empty()) return bad("has no host");
  if (!std::all_of(host.begin(), host.end(), ValidHostChar)) return bad("host contains invalid characters");
  url.host = Lower(host);
  size_t fragment = target.find('#');
  if (fragment != std::string_view::npos) target = target.substr(0, fragment);
  if (target.empty() || target.front() == '?') {
    url.target = "/" + std::string(target);
  } else {
    url.target = std::string(target);
  }
  return url;
}

StatusOr<Url> ResolveLocation(const Url& base, std::string_view location) {
  if (location.empty())
    return Status::InvalidArgument("redirect from " + base.ToString() + " has an empty Location");
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?#")) {
    return ParseUrl(location);
  }
  if (location.substr(0, 2) == "//") return ParseUrl(base.scheme + ":" + std::string(location));
  for (char c : location) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Status::InvalidArgument("redirect Location '" + std::string(location) +
                                     "' contains a space or control character");
    }
  }
  size_t fragment = location.find('#');
  if (fragment != std::string_view::npos) location = location.substr(0, fragment);
  Url url = base;
  std::string base_path = base.target.substr(0, base.target.find('?'));
  if (location.empty()) return url;
  if (location.front() == '?') {
    url.target = base_path + std::string(location);
    return url;
  }
  std::string_view path = location.substr(0, location.find('?'));
  std::string_view query = location.substr(path.size());
  std::string merged;
  if (!path.empty() && path.front() == '/') {
    merged = std::string(path);
  } else {
    merged = base_path.substr(0, base_path.rfind('/') + 1) + std::string(path);
  }
  url.target = RemoveDotSegments(merged) + std::string(query);
  return url;
}

}  // namespace dolmetsch::hub
