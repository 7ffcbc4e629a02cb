#include "text/multilingual_segmenter.h"

#include <unicode/brkiter.h>
#include <unicode/utext.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "text/unicode.h"

namespace dolmetsch::text {
namespace {

constexpr std::size_t kLongLine = 100;  // characters: longer lines are paragraphs of their own

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsOpeningCloser(char32_t cp) {
  switch (cp) {
    case U'»':  // French closing guillemet (German opens with it, but German has its own rules)
    case U'”':
    case U'’':
    case U'›':
    case U')':
    case U']':
      return true;
    default:
      return false;
  }
}

// Length in characters of [begin, end), trailing whitespace excluded.
std::size_t LineWidth(std::string_view text, std::size_t begin, std::size_t end) {
  std::size_t width = 0, trailing = 0;
  for (std::size_t i = begin; i < end;) {
    const DecodedChar c = DecodeUtf8(text, i);
    ++width;
    trailing = IsSpace(c.cp) ? trailing + 1 : 0;
    i += c.len;
  }
  return width - trailing;
}

// A copy of `text` in which each single line break that does not end a sentence (see the header) is
// replaced by spaces of the same byte length, so that ICU sees hard-wrapped lines as one and offsets stay.
std::string JoinWrappedLines(std::string_view text) {
  std::string copy(text);
  std::size_t line_begin = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    std::size_t break_end = i + 1;
    if (text[i] == '\r' && break_end < text.size() && text[break_end] == '\n') ++break_end;
    // The next line: blank (a paragraph break) or not.
    std::size_t next = break_end;
    while (next < text.size() && (text[next] == ' ' || text[next] == '\t')) ++next;
    const bool blank_next = next >= text.size() || text[next] == '\n' || text[next] == '\r';
    std::size_t last = i;  // last non-space character of this line
    while (last > line_begin && (text[last - 1] == ' ' || text[last - 1] == '\t')) --last;
    const bool blank_this = last == line_begin;
    const bool ends_colon = last > line_begin && text[last - 1] == ':';
    const bool long_line = LineWidth(text, line_begin, i) >= kLongLine;
    const bool list_next = !blank_next && ListMarkerLength(text.substr(next)) > 0;
    if (!blank_next && !blank_this && !ends_colon && !long_line && !list_next) {
      for (std::size_t k = i; k < break_end; ++k) copy[k] = ' ';
    }
    line_begin = break_end;
    i = break_end - 1;
  }
  return copy;
}

// Trims whitespace off [begin, end) of `text`; empty when only whitespace.
Span Trim(std::string_view text, std::size_t begin, std::size_t end) {
  while (begin < end) {
    const DecodedChar c = DecodeUtf8(text, begin);
    if (!IsSpace(c.cp)) break;
    begin += c.len;
  }
  while (end > begin) {
    const std::size_t start = PrevCharStart(text, end);
    if (!IsSpace(DecodeUtf8(text, start).cp)) break;
    end = start;
  }
  return Span{begin, end};
}

// Byte offsets where ICU ends a sentence in `text` (the end of the text included).
std::vector<std::size_t> IcuBoundaries(std::string_view language, std::string_view text) {
  std::vector<std::size_t> out;
  UErrorCode status = U_ZERO_ERROR;
  const std::string locale = Lower(language) + "@ss=standard";
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createSentenceInstance(icu::Locale(locale.c_str()), status));
  UText* utext = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
  if (U_SUCCESS(status) && it != nullptr) it->setText(utext, status);
  if (U_FAILURE(status) || it == nullptr) {
    utext_close(utext);
    out.push_back(text.size());  // no ICU data: one span, bounded by the caller's length limit
    return out;
  }
  for (int32_t b = it->next(); b != icu::BreakIterator::DONE; b = it->next()) {
    out.push_back(std::min<std::size_t>(static_cast<std::size_t>(b), text.size()));
  }
  utext_close(utext);
  if (out.empty() || out.back() != text.size()) out.push_back(text.size());
  return out;
}

// Abbreviations that ICU's CLDR suppressions miss (measured on the cases of the test): a sentence that
// ends in one of them ("Dr.", "sig.", "EE.") continues. Lower case, without the final period.
bool IsKnownAbbreviation(const std::string& language, const std::string& word) {
  static const std::map<std::string, std::set<std::string>> kAbbreviations = {
      {"en", {"mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs", "etc", "e.g", "i.e", "no", "fig"}},
      {"fr", {"m", "mme", "mlle", "dr", "pr", "p", "etc", "cf", "av", "bd"}},
      {"es", {"sr", "sra", "srta", "dr", "dra", "d", "dña", "ee", "uu", "p", "pág", "etc", "av", "núm"}},
      {"it", {"sig", "sig.ra", "sigg", "dott", "dott.ssa", "prof", "pag", "ecc", "avv", "ing", "p"}},
      {"nl", {"dhr", "mevr", "mw", "dr", "prof", "blz", "bijv", "bv", "enz", "nr", "o.a", "d.w.z"}},
      {"pt", {"sr", "sra", "dr", "dra", "prof", "p", "pág", "etc", "av"}},
      {"ru", {"г", "т", "т.е", "ул", "им", "др", "см", "стр"}},
      {"pl", {"p", "pan", "dr", "prof", "ul", "np", "itd", "tzn", "nr"}},
  };
  const auto it = kAbbreviations.find(language);
  return it != kAbbreviations.end() && it->second.count(word) > 0;
}

// The word before the final period of `sentence`, lower-cased (ASCII), or "" when it does not end in '.'.
std::string WordBeforeFinalPeriod(std::string_view sentence) {
  if (sentence.empty() || sentence.back() != '.') return "";
  std::size_t begin = sentence.size() - 1;
  while (begin > 0) {
    const std::size_t start = PrevCharStart(sentence, begin);
    const char32_t cp = DecodeUtf8(sentence, start).cp;
    if (IsSpace(cp) || cp == U'(' || cp == U'"' || cp == U'«' || cp == U'“') break;
    begin = start;
  }
  return Lower(sentence.substr(begin, sentence.size() - 1 - begin));
}

// Whether the span starts with a lower-case letter (a sentence never does in these languages).
bool StartsLowerCase(std::string_view text, const Span& span) {
  return IsLower(DecodeUtf8(text, span.begin).cp);
}

}  // namespace

bool HasOwnSegmentationRules(std::string_view language) {
  const std::string code = Lower(language);
  return code == "de" || code == "deu" || code == "ger";
}

std::vector<Span> SegmentSentencesFor(std::string_view language, std::string_view text,
                                      const SegmenterOptions& options) {
  if (HasOwnSegmentationRules(language)) return SegmentSentences(text, options);
  if (text.size() > static_cast<std::size_t>(INT32_MAX))
    return SegmentSentences(text, options);  // ICU's limit
  const std::string code = Lower(language);
  const std::string joined = JoinWrappedLines(text);
  std::vector<Span> spans;
  std::size_t prev = 0;
  for (std::size_t boundary : IcuBoundaries(language, joined)) {
    if (boundary <= prev) continue;
    const Span span = Trim(text, prev, boundary);
    prev = boundary;
    if (span.size() == 0) continue;
    // Continue the sentence before (in the same paragraph) when this span opens with a closing quote or
    // bracket or a lower-case letter, or the one before ended in an abbreviation ICU does not know.
    if (!spans.empty() && CountLineBreaks(text.substr(spans.back().end, span.begin - spans.back().end)) < 2) {
      const std::string_view before = text.substr(spans.back().begin, spans.back().size());
      if (IsOpeningCloser(DecodeUtf8(text, span.begin).cp) || StartsLowerCase(text, span) ||
          IsKnownAbbreviation(code, WordBeforeFinalPeriod(before))) {
        spans.back().end = span.end;
        continue;
      }
    }
    spans.push_back(span);
  }
  if (options.max_segment_bytes == 0) return spans;
  const std::size_t bound = std::max<std::size_t>(16, options.max_segment_bytes);
  std::vector<Span> bounded;
  for (const Span& span : spans) {
    if (span.size() <= bound) {
      bounded.push_back(span);
      continue;
    }
    for (const Span& piece : SplitLongSpan(text, span, [bound](Span s) { return s.size() <= bound; })) {
      bounded.push_back(piece);
    }
  }
  return bounded;
}

}  // namespace dolmetsch::text
