#include "langid/language_detector.h"

#include <cstdio>  // compact_lang_det.h uses FILE without including it
// clang-format off
#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
// clang-format on

#include <algorithm>
#include <climits>

#include "text/unicode.h"

namespace dolmetsch::langid {
namespace {

// Bytes CLD2 looks at: its answer is stable long before this, and the cost stays bounded for 10 MB texts.
constexpr std::size_t kMaxScanBytes = 64 * 1024;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// CLD2's code as a served code, or "" when it is not among the candidates (empty candidates: any).
std::string ToServedCode(const std::string& cld2_code, const std::vector<std::string>& candidates) {
  std::string code = cld2_code;
  if (code == "iw") code = "he";
  if (code == "jw") code = "jv";
  if (code == "no" && Contains(candidates, "nb")) code = "nb";
  if (code == "zh-Hant" && Contains(candidates, "zt")) code = "zt";
  if (candidates.empty() || Contains(candidates, code)) return code;
  return "";
}

}  // namespace

std::vector<LanguageGuess> DetectLanguages(std::string_view text,
                                           const std::vector<std::string>& candidates) {
  std::string valid = text::ToValidUtf8(text.substr(0, kMaxScanBytes));
  // Do not end inside a character after cutting (ToValidUtf8 turned a cut sequence into U+FFFD already).
  CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language languages[3];
  int percents[3] = {0, 0, 0};
  double scores[3] = {0, 0, 0};
  int text_bytes = 0;
  bool reliable = false;
  int valid_prefix = 0;
  CLD2::ExtDetectLanguageSummaryCheckUTF8(valid.data(),
                                          static_cast<int>(std::min<std::size_t>(valid.size(), INT_MAX)),
                                          /*is_plain_text=*/true, &hints, /*flags=*/0, languages, percents,
                                          scores, nullptr, &text_bytes, &reliable, &valid_prefix);
  std::vector<LanguageGuess> guesses;
  for (int i = 0; i < 3; ++i) {
    if (languages[i] == CLD2::UNKNOWN_LANGUAGE || percents[i] <= 0) continue;
    const std::string code = ToServedCode(CLD2::LanguageCode(languages[i]), candidates);
    if (code.empty()) continue;
    const bool seen = std::any_of(guesses.begin(), guesses.end(),
                                  [&](const LanguageGuess& g) { return g.language == code; });
    if (seen) continue;
    guesses.push_back({code, reliable ? percents[i] : percents[i] / 2.0});
  }
  if (guesses.empty() && !candidates.empty()) guesses.push_back({candidates.front(), 0.0});
  return guesses;
}

}  // namespace dolmetsch::langid
