#include "web/form.h"

#include <algorithm>
#include <charconv>

#include "util/percent_encoding.h"
#include "web/html.h"

namespace dolmetsch::web {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> FormFields::Get(std::string_view name) const {
  for (const auto& [key, value] : fields_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string FormFields::GetOr(std::string_view name, std::string fallback) const {
  auto value = Get(name);
  return value ? *value : std::move(fallback);
}

StatusOr<std::string> FormDecode(std::string_view text) {
  // '+' is a space in form encoding (an encoded '+' is %2B, so replacing first is exact).
  std::string spaced(text);
  std::replace(spaced.begin(), spaced.end(), '+', ' ');
  return dolmetsch::PercentDecode(spaced);
}

StatusOr<FormFields> ParseForm(std::string_view body, size_t max_fields) {
  std::vector<std::pair<std::string, std::string>> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view piece = body.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    if (fields.size() >= max_fields) {
      return Status::InvalidArgument("the form has more than " + std::to_string(max_fields) + " fields");
    }
    size_t eq = piece.find('=');
    std::string_view raw_name = piece.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    auto name = FormDecode(raw_name);
    if (!name.ok()) return name.status().WithContext("form field name");
    auto value = FormDecode(raw_value);
    std::string shown = IsValidUtf8(*name) ? name->substr(0, 40) : std::string("?");
    if (!value.ok()) return value.status().WithContext("form field '" + shown + "'");
    if (!IsValidUtf8(*name) || !IsValidUtf8(*value)) {
      return Status::InvalidArgument("form field '" + shown + "' is not valid UTF-8");
    }
    if (name->find('\0') != std::string::npos || value->find('\0') != std::string::npos) {
      return Status::InvalidArgument("form field '" + shown + "' contains a NUL byte");
    }
    fields.emplace_back(std::move(*name), std::move(*value));
  }
  return FormFields(std::move(fields));
}

std::vector<std::pair<std::string, std::string>> ParseCookies(std::string_view header) {
  std::vector<std::pair<std::string, std::string>> cookies;
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view piece = Trim(header.substr(start, end - start));
    start = end + 1;
    size_t eq = piece.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = Trim(piece.substr(0, eq));
    std::string_view value = Trim(piece.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (name.empty()) continue;
    cookies.emplace_back(std::string(name), std::string(value));
  }
  return cookies;
}

std::optional<std::string> FindCookie(std::string_view header, std::string_view name) {
  for (auto& [key, value] : ParseCookies(header)) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::optional<int64_t> ParseBoundedInt(std::string_view text, int64_t min, int64_t max) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::string NormalizeNewlines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsBlank(const std::string& text) { return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

}  // namespace dolmetsch::web
