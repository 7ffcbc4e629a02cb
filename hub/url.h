// Absolute http(s) URLs as the hub client needs them: parsing, resolving a redirect's Location against
// the URL that answered, and percent-encoding the parts of a resolve URL.
//
// Contract: ParseUrl accepts only absolute "http://" or "https://" URLs with a host; anything else is an
// InvalidArgument naming the URL. No user-info, no IPv6 literals (the hub and its CDNs use names).
// `target` is the path plus query exactly as it appeared (already percent-encoded), never empty ("/").
// Thread-safety: values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace dolmetsch::hub {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case
  int port = 0;        // explicit or the scheme's default
  std::string target;  // "/path?query", starts with '/'

  // "https://host" or "http://host:8080": the part httplib::Client wants; omits default ports.
  std::string Origin() const;
  std::string ToString() const { return Origin() + target; }
  // Same scheme, host and port: credentials may be sent to both.
  bool SameOrigin(const Url& other) const {
    return scheme == other.scheme && host == other.host && port == other.port;
  }
};

StatusOr<Url> ParseUrl(std::string_view text);

// The URL a redirect's Location header points to, relative to `base` (RFC 3986 reference resolution
// for the forms servers send: absolute URL, "//host/path", "/path", "path", "?query").
StatusOr<Url> ResolveLocation(const Url& base, std::string_view location);

}  // namespace dolmetsch::hub
