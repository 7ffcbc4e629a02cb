// ParseMultipart: the parts of a multipart/form-data body (RFC 7578), for endpoints that accept forms sent
// as multipart (LibreTranslate clients do). Each part's name (and filename, content type) and its bytes.
// Errors (InvalidArgument) name what is malformed. Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::http {

struct FormPart {
  std::string name;
  std::string filename;  // "" when the part is not a file
  std::string content_type;
  std::string value;
};

// `content_type` is the request's Content-Type header (its boundary parameter is used).
StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view content_type);

}  // namespace dolmetsch::http
