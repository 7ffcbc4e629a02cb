#include "http/multipart.h"

#include <cctype>

#include "http/message.h"

namespace dolmetsch::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of parameter `name` in a header value such as `form-data; name="q"; filename="a.txt"`.
std::string Parameter(std::string_view header, std::string_view name) {
  std::string lower = Lower(header);
  size_t pos = 0;
  while ((pos = lower.find(Lower(name) + "=", pos)) != std::string::npos) {
    bool at_start = pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ' || lower[pos - 1] == '\t';
    size_t value = pos + name.size() + 1;
    if (!at_start) {
      pos = value;
      continue;
    }
    if (value < header.size() && header[value] == '"') {
      std::string out;
      for (size_t i = value + 1; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        out += header[i];
      }
      return out;
    }
    size_t end = header.find(';', value);
    std::string_view raw =
        header.substr(value, end == std::string_view::npos ? std::string_view::npos : end - value);
    while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
    return std::string(raw);
  }
  return "";
}

}  // namespace

StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view content_type) {
  std::string boundary = Parameter(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return Status::InvalidArgument("multipart/form-data without a usable boundary parameter");
  }
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) return Status::InvalidArgument("multipart body without its boundary");
  std::vector<FormPart> parts;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return Status::InvalidArgument("malformed multipart delimiter line");
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos)
      return Status::InvalidArgument("multipart part without headers");
    FormPart part;
    bool has_disposition = false;
    std::string_view headers = body.substr(pos, headers_end - pos);
    size_t line_start = 0;
    while (line_start <= headers.size()) {
      size_t line_end = headers.find("\r\n", line_start);
      std::string_view line = headers.substr(
          line_start, line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view name = line.substr(0, colon);
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        if (EqualsIgnoreCase(name, "Content-Disposition")) {
          has_disposition = true;
          part.name = Parameter(value, "name");
          part.filename = Parameter(value, "filename");
        } else if (EqualsIgnoreCase(name, "Content-Type")) {
          part.content_type = std::string(value);
        }
      }
      if (line_end == std::string_view::npos) break;
      line_start = line_end + 2;
    }
    if (!has_disposition) return Status::InvalidArgument("multipart part without Content-Disposition");
    size_t content = headers_end + 4;
    size_t next = body.find("\r\n" + delimiter, content);
    if (next == std::string_view::npos) return Status::InvalidArgument("multipart body is truncated");
    part.value = std::string(body.substr(content, next - content));
    parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace dolmetsch::http
