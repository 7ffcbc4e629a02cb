// Splitting request texts into sentences for the scheduler and joining the translations back.
//
// SplitDocument cuts a text with text::SegmentSentences into sentences and the gaps between them
// (whitespace, plus list or heading markers such as "• " or "1. ", which are copied, not translated).
// Join puts translated sentences back between the same gaps, so paragraphs, line breaks and indentation
// survive: Join(SplitDocument(t), SplitDocument(t).sentences) == t for every t.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace dolmetsch::translator {

struct SplitText {
  std::vector<std::string> sentences;
  std::vector<std::string> gaps;  // gaps.size() == sentences.size() + 1; gaps[i] comes before sentences[i]
};

SplitText SplitDocument(const std::string& text, size_t max_segment_bytes);

// `translations` must have one entry per sentence.
std::string Join(const SplitText& split, const std::vector<std::string>& translations);

}  // namespace dolmetsch::translator
