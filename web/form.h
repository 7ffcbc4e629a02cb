// Strict parsing of what browsers send: application/x-www-form-urlencoded bodies and query strings, and
// the Cookie header.
//
// ParseForm: fields separated by '&', name and value separated by the first '=', '+' is a space, %XX is a
// byte. A bad escape (%G1, a truncated %4), a name or value that is not valid UTF-8, more than
// `max_fields` fields, or a NUL byte is kInvalidArgument naming the field; nothing is silently dropped.
// Empty pieces ("a=1&&b=2") are skipped. Repeated names are kept in order.
// ParseCookies: "a=1; b=2" -> pairs; lenient like browsers (malformed pieces are skipped, never an error),
// because a cookie another app on the same host set must not break our pages.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace dolmetsch::web {

class FormFields {
 public:
  FormFields() = default;
  explicit FormFields(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  // The first value of `name`, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  // The first value of `name`, or `fallback`.
  std::string GetOr(std::string_view name, std::string fallback) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

StatusOr<FormFields> ParseForm(std::string_view body, size_t max_fields = 100);

// Decodes one form-encoded name or value: '+' is a space, %XX a byte (util's PercentDecode);
// kInvalidArgument on a malformed escape.
StatusOr<std::string> FormDecode(std::string_view text);

std::vector<std::pair<std::string, std::string>> ParseCookies(std::string_view header);
std::optional<std::string> FindCookie(std::string_view header, std::string_view name);

// Parses a decimal integer in [min, max]; nullopt for anything else (signs, spaces, overflow).
std::optional<int64_t> ParseBoundedInt(std::string_view text, int64_t min, int64_t max);

// A form's text with CRLF and lone CR line ends turned into LF (browsers send CRLF from textareas).
std::string NormalizeNewlines(const std::string& text);
// True when the text has nothing but ASCII whitespace.
bool IsBlank(const std::string& text);

}  // namespace dolmetsch::web
