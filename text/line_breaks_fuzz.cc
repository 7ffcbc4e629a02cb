// libFuzzer target: any bytes -> FindLineBlocks and ProjectLineBreaks never crash; blocks are ordered and
// inside the text; projecting a source's breaks into a translation keeps every non-space byte of the
// translation in order (only whitespace runs are replaced).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "text/line_breaks.h"
#include "text/unicode.h"

namespace {

std::string NonSpace(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto c = dolmetsch::text::DecodeUtf8(s, i);
    if (!dolmetsch::text::IsSpace(c.cp)) out.append(s.substr(i, c.len));
    i += c.len;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t pos = 0;
  for (const auto& block : dolmetsch::text::FindLineBlocks(input)) {
    if (block.begin < pos || block.end < block.begin || block.end > input.size()) std::abort();
    pos = block.end;
  }
  // First half: a source sentence; second half: its "translation".
  const std::string_view source = input.substr(0, size / 2), translation = input.substr(size / 2);
  const std::string projected = dolmetsch::text::ProjectLineBreaks(source, translation);
  if (NonSpace(projected) != NonSpace(translation) + NonSpace(std::string_view())) {
    // Only whitespace may change, and only by copying the source's whitespace runs.
    std::abort();
  }
  return 0;
}
