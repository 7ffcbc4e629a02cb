#include "util/file_name.h"

#include <cstddef>

namespace dolmetsch {

std::string SanitizeFileName(const std::string& name) {
  std::string base = name;
  const std::size_t slash = base.find_last_of("/\\");
  if (slash != std::string::npos) base = base.substr(slash + 1);
  std::string clean;
  for (char c : base) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == ':' || c == '%') continue;
    clean += c;
  }
  std::size_t start = clean.find_first_not_of(". ");
  clean = start == std::string::npos ? std::string() : clean.substr(start);
  while (!clean.empty() && (clean.back() == ' ' || clean.back() == '.')) clean.pop_back();
  constexpr std::size_t kMax = 120;
  if (clean.size() > kMax) {
    const std::size_t dot = clean.rfind('.');
    std::string ext = dot != std::string::npos && clean.size() - dot <= 10 ? clean.substr(dot) : "";
    std::size_t cut = kMax - ext.size();
    while (cut > 0 && (static_cast<unsigned char>(clean[cut]) & 0xC0) == 0x80) --cut;  // a UTF-8 boundary
    clean = clean.substr(0, cut) + ext;
  }
  return clean.empty() ? "file" : clean;
}

}  // namespace dolmetsch
