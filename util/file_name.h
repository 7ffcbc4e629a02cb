// SanitizeFileName: a file name from a client (an upload's filename) made safe to store, to put in a
// Content-Disposition header and, percent-encoded, in a URL path segment: the last path component of `name`
// (after '/' or '\\'), control characters, '"', ':' and '%' removed, leading dots and spaces dropped (no
// "..", no hidden file), trailing dots and spaces dropped, at most 120 bytes (cut on a UTF-8 boundary, the
// extension kept); "file" when nothing is left.
// Thread-safety: a pure function.
#pragma once

#include <string>

namespace dolmetsch {

std::string SanitizeFileName(const std::string& name);

}  // namespace dolmetsch
