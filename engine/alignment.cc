#include "engine/alignment.h"

#include <algorithm>

namespace dolmetsch::engine {
namespace {

constexpr std::string_view kWordStart = "\xE2\x96\x81";  // U+2581, sentencepiece's whitespace mark
constexpr std::size_t kLookAhead = 64;                   // bytes searched past a mismatch

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::vector<int> HardAlignment(const std::vector<float>& weights, int target_len, int source_len,
                               const std::vector<bool>& excluded_source,
                               const std::vector<bool>& target_is_special) {
  std::vector<int> out(std::max(0, target_len), 0);
  if (source_len <= 0) return out;
  bool any_allowed = false;
  for (int j = 0; j < source_len; ++j)
    any_allowed = any_allowed || j >= static_cast<int>(excluded_source.size()) || !excluded_source[j];
  for (int t = 0; t < target_len; ++t) {
    if (t < static_cast<int>(target_is_special.size()) && target_is_special[t]) {
      out[t] = source_len - 1;
      continue;
    }
    const float* row = weights.data() + static_cast<std::size_t>(t) * source_len;
    int best = -1;
    for (int j = 0; j < source_len; ++j) {
      const bool excluded = j < static_cast<int>(excluded_source.size()) && excluded_source[j];
      if (any_allowed && excluded) continue;
      if (best < 0 || row[j] > row[best]) best = j;
    }
    out[t] = std::max(best, 0);
  }
  return out;
}

std::vector<ByteRange> LocatePieces(const std::vector<std::string>& pieces, std::string_view text) {
  std::vector<ByteRange> out(pieces.size());
  std::vector<bool> bare_word_start(pieces.size(), false);
  std::size_t cursor = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    std::string_view piece = pieces[i];
    while (piece.substr(0, kWordStart.size()) == kWordStart) piece.remove_prefix(kWordStart.size());
    std::size_t at = cursor;
    while (at < text.size() && IsSpace(text[at])) ++at;
    if (piece.empty()) {
      out[i] = {at, at};
      bare_word_start[i] = !pieces[i].empty();
      continue;
    }
    if (text.compare(at, piece.size(), piece) == 0) {
      out[i] = {at, at + piece.size()};
      cursor = at + piece.size();
      continue;
    }
    const std::string_view window = text.substr(at, kLookAhead + piece.size());
    const std::size_t found = window.find(piece);
    if (found != std::string_view::npos) {
      out[i] = {at + found, at + found + piece.size()};
      cursor = at + found + piece.size();
    } else {
      out[i] = {cursor, cursor};
    }
  }
  // A bare "▁" (sentencepiece splits "▁s" into "▁" + "s" when the vocabulary lacks "▁s") starts the word of
  // the piece after it: it gets that piece's bytes, so a token aligned to it is not lost.
  for (std::size_t i = pieces.size(); i-- > 1;)
    if (bare_word_start[i - 1] && !out[i].empty()) out[i - 1] = out[i];
  return out;
}

std::vector<AlignedBytes> AlignedByteRanges(const std::vector<int>& alignment,
                                            const std::vector<ByteRange>& target_bytes,
                                            const std::vector<ByteRange>& source_bytes) {
  std::vector<AlignedBytes> out;
  const std::size_t n = std::min(alignment.size(), target_bytes.size());
  for (std::size_t t = 0; t < n; ++t) {
    const int j = alignment[t];
    if (target_bytes[t].empty() || j < 0 || j >= static_cast<int>(source_bytes.size())) continue;
    if (source_bytes[j].empty()) continue;
    out.push_back({target_bytes[t], source_bytes[j]});
  }
  return out;
}

}  // namespace dolmetsch::engine
