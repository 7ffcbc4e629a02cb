// German sentence segmentation: rule-based, no model, linear time.
//
// SegmentSentences(text) returns the sentences of `text` as byte spans into it, in order, non-overlapping,
// each non-empty and free of leading/trailing whitespace (Python's str.isspace set, U+00A0 included). What
// lies between two spans (and before the first / after the last) is whitespace only, so the source is
// exactly: gap0 span0 gap1 span1 ... gapN. A span may contain single line breaks (a sentence wrapped over
// lines, verse that runs on); a blank line always ends a sentence.
//
// The rules (docs/text.md lists them with examples): sentence punctuation (. ! ? … and runs such as ?! or
// !!!) ends a sentence unless the context says otherwise: known abbreviations (z. B., Dr., bzw., usw. ...),
// initials, ordinals and dates ("am 3. Oktober", "im 19. Jh.", "3.10."), roman numerals, numbers, URLs,
// e-mail addresses and file names; closing quotes, brackets, footnote marks and emoji after the punctuation
// stay with the sentence; a line that starts a list item, a heading line and a line ending in ':' end a
// sentence even without punctuation. No span is longer than `max_segment_bytes`: longer runs are split at
// clause boundaries (; : – , conjunctions), else at whitespace, else at a character boundary.
//
// Any byte sequence is accepted (malformed UTF-8 counts as single characters). Thread-safety: pure
// functions, safe to call from several threads.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

namespace dolmetsch::text {

// A half-open byte range [begin, end) into a source text.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
  bool operator==(const Span& other) const = default;
};

struct SegmenterOptions {
  // Upper bound on a span's length in bytes (>= 16; smaller values are raised to 16). 0: no bound.
  std::size_t max_segment_bytes = 1500;
};

std::vector<Span> SegmentSentences(std::string_view text, const SegmenterOptions& options = {});

// Splits `span` into consecutive pieces for which `fits` holds (whitespace between pieces is left out),
// preferring, in this order: after ';', after ':' or around a dash, after ',', before a conjunction, at
// whitespace, and finally between any two characters. Among the candidates of the best kind, the one
// nearest the middle is taken and both halves are split again as needed. A piece of one character is
// returned even if it does not fit. The pieces cover every non-whitespace byte of `span`.
std::vector<Span> SplitLongSpan(std::string_view text, Span span, const std::function<bool(Span)>& fits);

// Length in bytes of a list or heading marker that opens `sentence` ("• ", "- ", "1. ", "a) ", "(iv) ",
// "## "), including the whitespace after it; 0 when there is none or nothing follows it. The pipeline
// copies the marker and translates the rest.
std::size_t ListMarkerLength(std::string_view sentence);

}  // namespace dolmetsch::text
