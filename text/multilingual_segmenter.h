// Sentence segmentation for any source language. German keeps its own rules (SegmentSentences); every
// other language uses ICU's sentence break iterator for its locale with CLDR's abbreviation suppressions
// ("<lang>@ss=standard": "Mr.", "p.m.", "Sr." do not end a sentence), plus the layout rules our pipeline
// relies on:
//   - a blank line always ends a sentence; a single line break is a space (hard-wrapped text) unless the
//     line ends with ':' or is 100 characters or longer (a text with one paragraph per line), or the next
//     line opens a list item ("- ", "• ", "1. ", "## ") — then it ends the sentence;
//   - a sentence continues (within a paragraph) where ICU's next span opens with a closing quote or
//     bracket (French "« Bonjour ! » dit-il") or a lower-case letter ("\"Stop!\" she shouted."), or where
//     it ended in an abbreviation of our short per-language lists that CLDR lacks ("Dr.", "sig.", "EE.");
//   - spans are trimmed of whitespace and bounded by max_segment_bytes (SplitLongSpan), as in German.
// The result has SegmentSentences' contract: ordered, non-overlapping, non-empty spans with only
// whitespace between them. docs/text.md has the measured cases per language.
// Thread-safety: pure functions (a break iterator is created per call).
#pragma once

#include <string_view>
#include <vector>

#include "text/sentence_segmenter.h"

namespace dolmetsch::text {

// `language` is an ISO 639-1/-3 code ("de", "en", "fr", "nld"); case-insensitive; unknown codes get ICU's
// root rules.
std::vector<Span> SegmentSentencesFor(std::string_view language, std::string_view text,
                                      const SegmenterOptions& options = {});

// True for languages with rules of their own (German); false where ICU's rules apply.
bool HasOwnSegmentationRules(std::string_view language);

}  // namespace dolmetsch::text
