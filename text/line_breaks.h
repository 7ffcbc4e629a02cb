// Line breaks inside a sentence: keep them (verse, addresses, letter closings, lists without markers) or
// unwrap them (hard-wrapped prose), decided per block, and put kept ones back into a translation.
//
// A block is a maximal run of non-blank lines. It counts as hard-wrapped, so its inner line breaks become
// spaces, when it has at least two lines and either at least half of its lines but the last end in a
// space or tab before their break (format=flowed e-mail, PDF extraction), or its widest line has at least
// kMinWrapWidth characters and every line but the last is at least kWrapFill of that width (lines filled
// up to a common width). Every other block keeps its lines: short lines, ragged lines, verse.
//
// A sentence of a kept block is still translated as one unit (the model needs the whole sentence); its
// line breaks are then put back at the matching places of the translation by a proportional rule:
// a break that follows k of the sentence's n characters goes to the word boundary of the translation
// nearest to k/n of its length, preferring, within a small window, a boundary after the same
// punctuation mark the source line ended with (a comma after a comma). Breaks stay in order, and each
// is copied byte for byte (CR LF and the next line's indentation included). Word alignment from the
// engine can replace this rule later; ProjectLineBreaks is the one place that would change.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace dolmetsch::text {

inline constexpr std::size_t kMinWrapWidth = 50;  // characters
inline constexpr double kWrapFill = 0.75;

// A block of lines: [begin, end) byte offsets into the text, ending before its last line's break.
struct LineBlock {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool keep_lines = false;  // false: hard-wrapped, inner breaks become spaces
};

// The blocks of `text` in order (blank lines and text without line breaks give no block of more than
// one line; single-line blocks are listed too, with keep_lines false). Linear in the text's size.
std::vector<LineBlock> FindLineBlocks(std::string_view text);

// True when the lines of `block` (no blank line inside) should be kept: see above.
bool KeepsLines(std::string_view block);

// `source` is a sentence as it stands in the text (inner whitespace not collapsed), `translation` its
// translation on one line. Returns the translation with the source's inner line breaks put back (each
// whitespace run of the source that holds a line break, copied as it is). Without inner line breaks,
// returns `translation` unchanged.
std::string ProjectLineBreaks(std::string_view source, std::string_view translation);

}  // namespace dolmetsch::text
