// Percent-encoding (RFC 3986) for URL paths and query-string values.
// Contract: every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex);
// '/' is kept as well when keep_slash (path segments joined by slashes). Accepts arbitrary bytes.
// PercentDecode is its inverse for URL paths: every %XX becomes its byte ('+' stays '+'); a '%' not
// followed by two hex digits is InvalidArgument naming its byte offset.
// Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace dolmetsch {

std::string PercentEncode(std::string_view text, bool keep_slash = false);
StatusOr<std::string> PercentDecode(std::string_view text);

}  // namespace dolmetsch
