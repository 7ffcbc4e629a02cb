// libFuzzer target: any bytes -> SegmentSentencesFor (ICU path) never crashes, and its spans reconstruct the
// input (ordered, non-empty, within bounds, only whitespace outside them, no span longer than the bound).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "text/multilingual_segmenter.h"
#include "text/unicode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* language : {"en", "fr", "ru"}) {
    for (std::size_t max_bytes : {std::size_t{0}, std::size_t{16}, std::size_t{200}}) {
      dolmetsch::text::SegmenterOptions options;
      options.max_segment_bytes = max_bytes;
      std::size_t pos = 0;
      for (const dolmetsch::text::Span& s : dolmetsch::text::SegmentSentencesFor(language, text, options)) {
        if (s.begin < pos || s.end <= s.begin || s.end > text.size()) std::abort();
        if (max_bytes > 0 && s.size() > max_bytes) std::abort();
        for (std::size_t i = pos; i < s.begin;) {
          const auto c = dolmetsch::text::DecodeUtf8(text, i);
          if (!dolmetsch::text::IsSpace(c.cp)) std::abort();
          i += c.len;
        }
        pos = s.end;
      }
      for (std::size_t i = pos; i < text.size();) {
        const auto c = dolmetsch::text::DecodeUtf8(text, i);
        if (!dolmetsch::text::IsSpace(c.cp)) std::abort();
        i += c.len;
      }
    }
  }
  return 0;
}
