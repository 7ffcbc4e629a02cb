// Word alignment from the decoder's cross-attention: for each generated token, the source token it
// translates. Used to carry inline markup (bold, links, cue boundaries) onto a translation
// (markup/translate_blocks.h); docs/engine.md ("Word alignment") has the method and its sources.
//
// The method has two replaceable parts:
//   1. Soft alignment: which cross-attention is read. AlignmentMethod names one decoder layer and the heads
//      whose attention probabilities are averaged. The default, GuidedHead(), is head 0 of the last decoder
//      layer: the head that Marian's guided alignment trains against word alignments
//      (--transformer-guided-alignment-layer "last", head 0 in Marian's collectOneHead), which the OPUS-MT
//      "transformer-align" models (opus-mt-de-en among them) were trained with, and which Marian's
//      --alignment and Bergamot read. AverageOfHeads() is the unsupervised choice of Garg et al. (2019):
//      the mean over all heads of the penultimate layer, for models trained without guided alignment.
//   2. Hard alignment: HardAlignment() takes, per target token, the source position of highest weight,
//      leaving out the source's special tokens (</s>, <pad>, a >>xx<< language code), as Marian's hard
//      alignment and Bergamot's HTML projection do. A caller may instead keep the soft weights
//      (AlignmentOptions::keep_weights) and extract its own.
// The weights are taken in the decoding steps that produce each token, from the attention the decoder
// computes anyway: no extra forward pass. They are only kept when asked for (TranslateOptions::alignment).
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dolmetsch::engine {

struct AlignmentMethod {
  // Decoder layer whose cross-attention is read: >= 0 counts from the first layer, < 0 from the last
  // (-1: the last, -2: the penultimate; clamped to the first layer for shallow models).
  int layer = -1;
  // Heads whose probabilities are averaged; empty: all heads of the layer.
  std::vector<int> heads = {0};

  static AlignmentMethod GuidedHead() { return {-1, {0}}; }
  static AlignmentMethod AverageOfHeads() { return {-2, {}}; }
  bool operator==(const AlignmentMethod&) const = default;
};

struct AlignmentOptions {
  bool enabled = false;  // off: no attention probability is kept, no cost
  AlignmentMethod method;
  bool keep_weights = false;  // also return the soft weights (Hypothesis::alignment_weights)
  bool operator==(const AlignmentOptions&) const = default;
};

// A byte range [begin, end) in a text; begin == end: no place (a special token, or a piece not found).
struct ByteRange {
  std::size_t begin = 0, end = 0;
  bool empty() const { return begin >= end; }
  bool operator==(const ByteRange&) const = default;
};

// A target token's bytes in the translation and the bytes of the source token it is aligned to.
struct AlignedBytes {
  ByteRange target, source;
};

// weights: [target_len][source_len] (row t: the attention of target token t over the source).
// excluded_source[j]: position j is never chosen (special tokens), unless every position is excluded.
// target_is_special[t]: target token t (</s>, <pad>) is aligned to the last source position.
// Returns one source position per target token, each in [0, source_len); ties go to the lower position.
std::vector<int> HardAlignment(const std::vector<float>& weights, int target_len, int source_len,
                               const std::vector<bool>& excluded_source,
                               const std::vector<bool>& target_is_special);

// Where each sentencepiece piece lies in `text`: pieces are matched left to right (a leading "▁" stands for
// the whitespace before a word and is not part of the range; whitespace in the text is skipped). A piece
// that does not appear as it is (text changed by normalization or decoding clean-up) is looked for a few
// bytes ahead; when it is not found there it gets an empty range and the next piece goes on from where the
// last one ended. A piece that is a bare "▁" gets the bytes of the piece after it (the word it starts).
// Never fails; the ranges are in the text, in order (a bare "▁" shares its range with the next piece).
std::vector<ByteRange> LocatePieces(const std::vector<std::string>& pieces, std::string_view text);

// Pairs of (target token bytes, source token bytes) for every target token whose bytes and whose aligned
// source token's bytes are both known. alignment: source position per target token.
std::vector<AlignedBytes> AlignedByteRanges(const std::vector<int>& alignment,
                                            const std::vector<ByteRange>& target_bytes,
                                            const std::vector<ByteRange>& source_bytes);

}  // namespace dolmetsch::engine
