// For fuzz targets and tests of the segmenters: whether spans keep SegmentSentences' contract on `text`
// (ordered, non-empty, within bounds, only whitespace outside them, none longer than `max_bytes` when it
// is not 0). Header-only; not part of the library.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "text/sentence_segmenter.h"
#include "text/unicode.h"

namespace dolmetsch::text::testing {

inline bool OnlySpace(std::string_view text, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end;) {
    const DecodedChar c = DecodeUtf8(text, i);
    if (!IsSpace(c.cp)) return false;
    i += c.len;
  }
  return true;
}

inline bool KeepsSpanContract(std::string_view text, const std::vector<Span>& spans, std::size_t max_bytes) {
  std::size_t pos = 0;
  for (const Span& s : spans) {
    if (s.begin < pos || s.end <= s.begin || s.end > text.size()) return false;
    if (max_bytes > 0 && s.size() > max_bytes) return false;
    if (!OnlySpace(text, pos, s.begin)) return false;
    pos = s.end;
  }
  return OnlySpace(text, pos, text.size());
}

}  // namespace dolmetsch::text::testing
