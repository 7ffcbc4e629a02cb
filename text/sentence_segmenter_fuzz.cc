// libFuzzer target: any bytes -> SegmentSentences never crashes, and its spans reconstruct the input
// (ordered, non-empty, within bounds, only whitespace outside them, no span longer than the bound).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "text/sentence_segmenter.h"
#include "text/testing/span_contract.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (std::size_t max_bytes : {std::size_t{0}, std::size_t{16}, std::size_t{200}}) {
    dolmetsch::text::SegmenterOptions options;
    options.max_segment_bytes = max_bytes;
    if (!dolmetsch::text::testing::KeepsSpanContract(text, dolmetsch::text::SegmentSentences(text, options),
                                                     max_bytes)) {
      std::abort();
    }
  }
  return 0;
}
