// Language detection for `source: "auto"` and LibreTranslate's POST /detect: which of the languages we
// serve a text is written in, with a confidence.
//
// DetectLanguages runs CLD2 (Compact Language Detector 2, Debian's libcld2: 83 languages, n-gram tables,
// no model to load) on the text (malformed UTF-8 replaced by U+FFFD first) and returns up to three guesses,
// best first, each a served language: CLD2's top three languages that are among `candidates` (all three
// when `candidates` is empty), with confidence = the share of the text's letters CLD2 attributes to that
// language (0..100), halved when CLD2 calls its answer unreliable (short or mixed texts). Codes are
// ISO 639-1 as OPUS-MT folder names use them; CLD2's older codes are mapped (iw -> he, jw -> jv,
// no -> nb when "nb" is a candidate, zh-Hant -> zt when "zt" is a candidate).
// When no candidate is among CLD2's guesses (a text too short, or in a language we do not serve), the
// answer is the first candidate with confidence 0, so that a caller always has a language to try and can
// show how sure we are. With no candidates and nothing detected, the list is empty.
// Thread-safety: pure function (CLD2's tables are read-only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dolmetsch::langid {

struct LanguageGuess {
  std::string language;
  double confidence = 0;  // 0..100
  bool operator==(const LanguageGuess&) const = default;
};

std::vector<LanguageGuess> DetectLanguages(std::string_view text, const std::vector<std::string>& candidates);

}  // namespace dolmetsch::langid
