// Deterministic fake translators for the markup tests (no model): they keep one output word per input word
// so a test can check where spans land.
#pragma once

#include <cctype>
#include <string>
#include <vector>

#include "markup/translate_blocks.h"

namespace dolmetsch::markup::testing {

inline std::vector<std::pair<std::size_t, std::size_t>> WordRanges(const std::string& s) {
  std::vector<std::pair<std::size_t, std::size_t>> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const std::size_t b = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > b) words.emplace_back(b, i);
  }
  return words;
}

inline std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "Das ist gut." -> "DAS IST GUT." (ASCII upper case, words and spacing kept); records what it was given.
struct UpperCaseTranslator {
  std::vector<std::string> seen;
  TranslateFn fn() {
    return [this](const std::vector<std::string>& sentences) -> StatusOr<std::vector<SentenceTranslation>> {
      std::vector<SentenceTranslation> out;
      for (const auto& s : sentences) {
        seen.push_back(s);
        out.push_back({Upper(s), {}});
      }
      return out;
    };
  }
};

// Words in reverse order, upper case, joined by one space, with the word alignment (target word i <- source
// word n-1-i): checks that spans follow the alignment rather than the position.
inline TranslateFn ReversingTranslator() {
  return [](const std::vector<std::string>& sentences) -> StatusOr<std::vector<SentenceTranslation>> {
    std::vector<SentenceTranslation> out;
    for (const auto& s : sentences) {
      const auto words = WordRanges(s);
      SentenceTranslation t;
      for (std::size_t k = words.size(); k-- > 0;) {
        if (!t.text.empty()) t.text += ' ';
        const std::size_t tb = t.text.size();
        t.text += Upper(s.substr(words[k].first, words[k].second - words[k].first));
        t.alignment.push_back({tb, t.text.size(), words[k].first, words[k].second});
      }
      out.push_back(std::move(t));
    }
    return out;
  };
}

}  // namespace dolmetsch::markup::testing
