#include "text/unicode.h"

namespace dolmetsch::text {

DecodedChar DecodeUtf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1};
  std::size_t need = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {0xFFFD, 1};
  }
  if (pos + need >= text.size()) return {0xFFFD, 1};  // truncated sequence
  for (std::size_t i = 1; i <= need; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {0xFFFD, 1};
  return {cp, need + 1};
}

std::size_t PrevCharStart(std::string_view text, std::size_t pos) {
  // A well-formed character is at most 4 bytes: try the candidates from the farthest.
  for (std::size_t back = 4; back >= 2; --back) {
    if (pos < back) continue;
    const std::size_t start = pos - back;
    if (DecodeUtf8(text, start).len == back) return start;
  }
  return pos - 1;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsSpace(char32_t cp) {
  if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F)) return true;
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool IsLineBreak(char32_t cp) {
  return (cp >= 0x0A && cp <= 0x0D) || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool IsUpper(char32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
  if (cp == 0x1E9E) return true;  // capital sharp s
  if (cp >= 0x100 && cp <= 0x137) return cp % 2 == 0;
  if (cp >= 0x139 && cp <= 0x148) return cp % 2 == 1;
  if (cp >= 0x14A && cp <= 0x177) return cp % 2 == 0;
  if (cp == 0x178 || cp == 0x179 || cp == 0x17B || cp == 0x17D) return true;
  if (cp >= 0x391 && cp <= 0x3A9) return true;  // Greek
  if (cp >= 0x400 && cp <= 0x42F) return true;  // Cyrillic
  return false;
}

bool IsLower(char32_t cp) {
  if (cp < 0x80) return cp >= 'a' && cp <= 'z';
  if (cp == 0xB5) return true;
  if (cp >= 0xDF && cp <= 0xFF) return cp != 0xF7;
  if (cp >= 0x100 && cp <= 0x137) return cp % 2 == 1;
  if (cp == 0x138) return true;
  if (cp >= 0x139 && cp <= 0x148) return cp % 2 == 0;
  if (cp == 0x149) return true;
  if (cp >= 0x14A && cp <= 0x177) return cp % 2 == 1;
  if (cp == 0x17A || cp == 0x17C || cp == 0x17E || cp == 0x17F) return true;
  if (cp >= 0x180 && cp <= 0x24F) return true;  // Latin Extended-B: treat as lower (rare in German)
  if (cp >= 0x3AC && cp <= 0x3CE) return true;  // Greek
  if (cp >= 0x430 && cp <= 0x45F) return true;  // Cyrillic
  return false;
}

bool IsLetter(char32_t cp) {
  if (IsUpper(cp) || IsLower(cp)) return true;
  if (cp < 0x250) return cp == 0xAA || cp == 0xBA;
  // Other alphabets and syllabaries: Greek/Cyrillic remainders, Hebrew, Arabic, Indic, CJK, Hangul.
  return (cp >= 0x370 && cp <= 0x52F) || (cp >= 0x5D0 && cp <= 0x6FF) || (cp >= 0x900 && cp <= 0xDFF) ||
         (cp >= 0x1E00 && cp <= 0x1FFF) || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
         (cp >= 0xAC00 && cp <= 0xD7AF);
}

bool IsDigit(char32_t cp) { return cp >= '0' && cp <= '9'; }

bool IsEmoji(char32_t cp) {
  return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) ||
         (cp >= 0x2B00 && cp <= 0x2BFF) || (cp >= 0x2300 && cp <= 0x23FF) || (cp >= 0x2190 && cp <= 0x21FF) ||
         cp == 0xFE0F || cp == 0x200D || cp == 0x20E3 || cp == 0x3030 || cp == 0x303D || cp == 0x3297 ||
         cp == 0x3299 || (cp >= 0xE0020 && cp <= 0xE007F);
}

bool IsSuperscriptDigit(char32_t cp) {
  return cp == 0xB9 || cp == 0xB2 || cp == 0xB3 ||
         (cp >= 0x2070 && cp <= 0x2079 && cp != 0x2071 && cp != 0x2072 && cp != 0x2073);
}

int CountLineBreaks(std::string_view ws) {
  int breaks = 0;
  for (std::size_t i = 0; i < ws.size();) {
    const DecodedChar c = DecodeUtf8(ws, i);
    if (c.cp == '\r' && i + 1 < ws.size() && ws[i + 1] == '\n') {
      ++breaks;
      i += 2;
      continue;
    }
    if (c.cp == 0x2029) {
      breaks += 2;
    } else if (c.cp != 0x0B && c.cp != 0x0C && IsLineBreak(c.cp)) {
      ++breaks;
    }
    i += c.len;
  }
  return breaks;
}

std::string CollapseWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const DecodedChar c = DecodeUtf8(text, i);
    if (IsSpace(c.cp)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(text.substr(i, c.len));
    }
    i += c.len;
  }
  return out;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const DecodedChar c = DecodeUtf8(text, i);
    if (c.cp == 0xFFFD && c.len == 1) {
      AppendUtf8(0xFFFD, &out);
    } else {
      out.append(text.substr(i, c.len));
    }
    i += c.len;
  }
  return out;
}

}  // namespace dolmetsch::text
