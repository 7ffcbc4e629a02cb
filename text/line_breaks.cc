#include "text/line_breaks.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "text/unicode.h"

namespace dolmetsch::text {
namespace {

constexpr char32_t kParagraphSeparator = 0x2029;
constexpr double kPunctuationBonus = 0.1;  // of the translation's length: how far a matching mark may pull

struct Line {
  std::size_t begin = 0;
  std::size_t end = 0;    // before the break
  std::size_t width = 0;  // characters, trailing spaces and tabs not counted
  bool soft = false;      // ends with a space or tab before its break
  bool blank = true;
  bool paragraph_after = false;  // ended by U+2029
};

// Splits `text` into lines at every line break (CR LF counts once).
std::vector<Line> SplitLines(std::string_view text) {
  std::vector<Line> lines;
  Line line;
  std::size_t trailing_ws = 0;
  auto finish = [&](std::size_t end) {
    line.end = end;
    line.width -= trailing_ws;
    lines.push_back(line);
    line = Line{};
    trailing_ws = 0;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const DecodedChar c = DecodeUtf8(text, i);
    if (IsLineBreak(c.cp)) {
      const bool paragraph = c.cp == kParagraphSeparator;
      finish(i);
      lines.back().paragraph_after = paragraph;
      i += c.len;
      if (c.cp == U'\r' && i < text.size() && text[i] == '\n') ++i;
      line.begin = i;
      continue;
    }
    ++line.width;
    if (IsSpace(c.cp)) {
      ++trailing_ws;
      line.soft = c.cp == U' ' || c.cp == U'\t';
    } else {
      trailing_ws = 0;
      line.soft = false;
      line.blank = false;
    }
    i += c.len;
  }
  line.soft = false;  // the last line has no break after it
  finish(text.size());
  return lines;
}

bool KeepsLines(const std::vector<Line>& lines, std::size_t first, std::size_t last) {
  if (last - first < 1) return false;  // one line: nothing to keep
  std::size_t widest = 0;
  for (std::size_t k = first; k <= last; ++k) widest = std::max(widest, lines[k].width);
  bool filled = widest >= kMinWrapWidth;
  std::size_t soft = 0;
  for (std::size_t k = first; k < last; ++k) {
    if (lines[k].soft) ++soft;
    if (static_cast<double>(lines[k].width) < kWrapFill * static_cast<double>(widest)) filled = false;
  }
  return !filled && 2 * soft < last - first;
}

bool IsClosingPunctuation(char32_t cp) {
  return cp == U',' || cp == U';' || cp == U':' || cp == U'.' || cp == U'!' || cp == U'?';
}

// The last non-space character before byte `pos` of `s` that is a punctuation mark, or 0.
char32_t PunctuationBefore(std::string_view s, std::size_t pos) {
  if (pos == 0) return 0;
  const std::size_t start = PrevCharStart(s, pos);
  const char32_t cp = DecodeUtf8(s, start).cp;
  return IsClosingPunctuation(cp) ? cp : 0;
}

// A whitespace run of a text: [begin, end) bytes, `chars` characters of the text before it.
struct Gap {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t chars_before = 0;
  char32_t punctuation = 0;
  bool has_break = false;
};

// The inner whitespace runs of `s` and its length in characters with each run counted as one.
std::vector<Gap> InnerGaps(std::string_view s, std::size_t* collapsed_chars) {
  std::vector<Gap> gaps;
  std::size_t chars = 0;
  std::size_t i = 0;
  bool seen_text = false;
  while (i < s.size()) {
    DecodedChar c = DecodeUtf8(s, i);
    if (!IsSpace(c.cp)) {
      ++chars;
      seen_text = true;
      i += c.len;
      continue;
    }
    Gap gap;
    gap.begin = i;
    gap.chars_before = chars;
    gap.punctuation = PunctuationBefore(s, i);
    while (i < s.size()) {
      c = DecodeUtf8(s, i);
      if (!IsSpace(c.cp)) break;
      if (IsLineBreak(c.cp)) gap.has_break = true;
      i += c.len;
    }
    gap.end = i;
    if (seen_text && i < s.size()) {
      gaps.push_back(gap);
      ++chars;  // the run counts as one space
    }
  }
  *collapsed_chars = chars;
  return gaps;
}

}  // namespace

bool KeepsLines(std::string_view block) {
  const std::vector<Line> lines = SplitLines(block);
  return KeepsLines(lines, 0, lines.size() - 1);
}

std::vector<LineBlock> FindLineBlocks(std::string_view text) {
  const std::vector<Line> lines = SplitLines(text);
  std::vector<LineBlock> blocks;
  std::size_t k = 0;
  while (k < lines.size()) {
    if (lines[k].blank) {
      ++k;
      continue;
    }
    const std::size_t first = k;
    while (k + 1 < lines.size() && !lines[k + 1].blank && !lines[k].paragraph_after) ++k;
    blocks.push_back(LineBlock{lines[first].begin, lines[k].end, KeepsLines(lines, first, k)});
    ++k;
  }
  return blocks;
}

std::string ProjectLineBreaks(std::string_view source, std::string_view translation) {
  std::size_t source_chars = 0;
  std::vector<Gap> breaks = InnerGaps(source, &source_chars);
  breaks.erase(std::remove_if(breaks.begin(), breaks.end(), [](const Gap& g) { return !g.has_break; }),
               breaks.end());
  if (breaks.empty() || source_chars == 0) return std::string(translation);

  std::size_t target_chars = 0;
  const std::vector<Gap> candidates = InnerGaps(translation, &target_chars);
  if (candidates.empty()) return std::string(translation);

  // chosen[b]: the candidate gap that takes break b (in order, each candidate at most once). A
  // translation with fewer gaps than the source has breaks gets one break per gap.
  const std::size_t placed = std::min(breaks.size(), candidates.size());
  std::vector<std::size_t> chosen;
  std::size_t next = 0;
  for (std::size_t b = 0; b < placed; ++b) {
    const double want = static_cast<double>(breaks[b].chars_before) / static_cast<double>(source_chars) *
                        static_cast<double>(target_chars);
    const std::size_t last_allowed = candidates.size() - (placed - b);  // leave one per later break
    std::size_t best = next;
    double best_cost = std::numeric_limits<double>::infinity();
    for (std::size_t c = next; c <= last_allowed; ++c) {
      double cost = std::abs(static_cast<double>(candidates[c].chars_before) - want) /
                    static_cast<double>(target_chars);
      if (breaks[b].punctuation != 0 && candidates[c].punctuation == breaks[b].punctuation) {
        cost -= kPunctuationBonus;
      }
      if (cost < best_cost) {
        best_cost = cost;
        best = c;
      }
    }
    chosen.push_back(best);
    next = best + 1;
  }

  std::string out;
  out.reserve(translation.size() + 8 * placed);
  std::size_t copied = 0;
  for (std::size_t b = 0; b < placed; ++b) {
    const Gap& gap = candidates[chosen[b]];
    out.append(translation.substr(copied, gap.begin - copied));
    out.append(source.substr(breaks[b].begin, breaks[b].end - breaks[b].begin));
    copied = gap.end;
  }
  out.append(translation.substr(copied));
  return out;
}

}  // namespace dolmetsch::text
