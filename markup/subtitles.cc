#include "markup/subtitles.h"

#include <cctype>

#include "markup/formats.h"

namespace dolmetsch::markup {
namespace {

struct Line {
  std::string_view text;    // without the line ending
  std::string_view ending;  // "\n", "\r\n" or "" at the end of the file
};

std::vector<Line> SplitLines(std::string_view s) {
  std::vector<Line> lines;
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t nl = s.find('\n', i);
    if (nl == std::string_view::npos) {
      lines.push_back({s.substr(i), ""});
      break;
    }
    const bool cr = nl > i && s[nl - 1] == '\r';
    lines.push_back({s.substr(i, nl - i - (cr ? 1 : 0)), s.substr(nl - (cr ? 1 : 0), cr ? 2 : 1)});
    i = nl + 1;
  }
  return lines;
}

// Whether the cue flow so far ends a sentence: its last character (after closing quotes and brackets) is
// . ! ? or …. A cue ending so is where the flow may start a new block.
bool EndsSentence(std::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  for (bool stripped = true; stripped && !text.empty();) {
    stripped = false;
    for (std::string_view closer : {"\"", "'", ")", "]", "\xC2\xBB", "\xC2\xAB", "\xE2\x80\x9C",
                                    "\xE2\x80\x9D", "\xE2\x80\x98", "\xE2\x80\x99"}) {
      if (text.size() >= closer.size() && text.substr(text.size() - closer.size()) == closer) {
        text.remove_suffix(closer.size());
        stripped = true;
        break;
      }
    }
  }
  if (text.empty()) return false;
  const char last = text.back();
  return last == '.' || last == '!' || last == '?' ||
         (text.size() >= 3 && text.substr(text.size() - 3) == "\xE2\x80\xA6");
}

bool IsBlank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t') return false;
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Reads a timestamp at s[*i]: SubRip HH:MM:SS,mmm (',' or, leniently, '.'), WebVTT [HH:]MM:SS.mmm.
bool ReadTimestamp(std::string_view s, std::size_t* i, bool webvtt) {
  std::vector<std::size_t> groups;  // digit counts of the colon-separated fields
  std::size_t p = *i;
  while (true) {
    std::size_t n = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p, ++n;
    if (n == 0) return false;
    groups.push_back(n);
    if (p < s.size() && s[p] == ':' && groups.size() < 3) {
      ++p;
      continue;
    }
    break;
  }
  if (p >= s.size() || (s[p] != ',' && s[p] != '.')) return false;
  if (webvtt && s[p] != '.') return false;
  ++p;
  std::size_t ms = 0;
  while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) ++p, ++ms;
  if (ms != 3) return false;
  if (webvtt) {
    if (groups.size() < 2 || groups[groups.size() - 1] != 2 || groups[groups.size() - 2] != 2) return false;
  } else {
    if (groups.size() != 3 || groups[1] != 2 || groups[2] != 2) return false;
  }
  *i = p;
  return true;
}

bool IsTimingLine(std::string_view line, bool webvtt) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (!ReadTimestamp(line, &i, webvtt)) return false;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (line.compare(i, 3, "-->") != 0) return false;
  i += 3;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (!ReadTimestamp(line, &i, webvtt)) return false;
  return i == line.size() || line[i] == ' ' || line[i] == '\t';
}

bool StartsWithWord(std::string_view line, std::string_view word) {
  return line.substr(0, word.size()) == word &&
         (line.size() == word.size() || line[word.size()] == ' ' || line[word.size()] == '\t');
}

}  // namespace

StatusOr<SubtitleDocument> SubtitleDocument::Parse(std::string_view input, bool webvtt) {
  const char* what = webvtt ? "WebVTT" : "SubRip";
  SubtitleDocument doc;
  doc.webvtt_ = webvtt;
  std::string bom;
  if (input.substr(0, 3) == "\xEF\xBB\xBF") {
    bom = "\xEF\xBB\xBF";
    input.remove_prefix(3);
  }
  const std::vector<Line> lines = SplitLines(input);
  auto error = [&](std::size_t index, const std::string& msg) {
    return Status::InvalidArgument(std::string(what) + ": line " + std::to_string(index + 1) + ": " + msg);
  };
  std::string verbatim = bom;
  auto copy = [&](const Line& l) {
    verbatim.append(l.text);
    verbatim.append(l.ending);
  };
  Block block;
  block.kind = BlockKind::kCues;
  block.keep_order = true;
  auto add_atom = [&](AtomType type, std::string text, SpanKind kind) {
    InlineSpan span;
    span.kind = kind;
    span.atom = true;
    span.begin = span.end = block.text.size();
    span.id = static_cast<int>(doc.atoms_.size());
    doc.atoms_.emplace_back(type, std::move(text));
    block.spans.push_back(span);
  };
  auto add_space = [&] {
    if (!block.text.empty() && block.text.back() != ' ') block.text.push_back(' ');
  };
  // One line of cue text: tags become atoms, WebVTT entities are decoded.
  auto add_text = [&](std::string_view t) {
    std::size_t i = 0;
    while (i < t.size()) {
      const bool tag =
          webvtt ? t[i] == '<' : (t[i] == '<' || (t[i] == '{' && i + 1 < t.size() && t[i + 1] == '\\'));
      if (tag) {
        const char close = t[i] == '{' ? '}' : '>';
        const std::size_t end = t.find(close, i);
        if (end != std::string_view::npos) {
          add_atom(AtomType::kTag, std::string(t.substr(i, end + 1 - i)), SpanKind::kVerbatim);
          i = end + 1;
          continue;
        }
      }
      if (webvtt && t[i] == '&') {
        static const std::pair<const char*, const char*> kEntities[] = {{"&amp;", "&"},
                                                                        {"&lt;", "<"},
                                                                        {"&gt;", ">"},
                                                                        {"&nbsp;", "\xC2\xA0"},
                                                                        {"&lrm;", "\xE2\x80\x8E"},
                                                                        {"&rlm;", "\xE2\x80\x8F"}};
        bool decoded = false;
        for (const auto& [name, value] : kEntities) {
          const std::string_view n(name);
          if (t.substr(i, n.size()) == n) {
            block.text += value;
            i += n.size();
            decoded = true;
            break;
          }
        }
        if (decoded) continue;
      }
      block.text.push_back(t[i] == '\t' ? ' ' : t[i]);
      ++i;
    }
  };

  std::size_t i = 0;
  if (webvtt) {
    if (lines.empty() || !(lines[0].text == "WEBVTT" || StartsWithWord(lines[0].text, "WEBVTT")))
      return error(0, "a WebVTT file starts with the line \"WEBVTT\"");
    while (i < lines.size() && !IsBlank(lines[i].text)) copy(lines[i++]);
  }
  while (i < lines.size()) {
    if (IsBlank(lines[i].text)) {
      copy(lines[i++]);
      continue;
    }
    const std::size_t start = i;
    if (webvtt && (StartsWithWord(lines[i].text, "NOTE") || StartsWithWord(lines[i].text, "STYLE") ||
                   StartsWithWord(lines[i].text, "REGION"))) {
      while (i < lines.size() && !IsBlank(lines[i].text)) copy(lines[i++]);
      continue;
    }
    // Cue: [number or identifier] timing text...
    if (!IsTimingLine(lines[i].text, webvtt)) {
      if (!webvtt && !AllDigits(lines[i].text))
        return error(i, "expected a cue number or a timing line, found \"" +
                            std::string(lines[i].text.substr(0, 40)) + "\"");
      if (webvtt && lines[i].text.find("-->") != std::string_view::npos)
        return error(i, "malformed timing line (expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm)");
      copy(lines[i++]);
      if (i >= lines.size() || !IsTimingLine(lines[i].text, webvtt))
        return error(i < lines.size() ? i : start,
                     webvtt
                         ? "expected a timing line like 00:01.000 --> 00:04.000 after the cue identifier"
                         : "expected a timing line like 00:00:01,000 --> 00:00:04,000 after the cue number");
    }
    copy(lines[i++]);
    std::vector<std::string_view> text_lines;
    std::string_view ending = "\n";
    while (i < lines.size() && !IsBlank(lines[i].text)) {
      if (text_lines.empty() && !lines[i].ending.empty()) ending = lines[i].ending;
      text_lines.push_back(lines[i].text);
      ++i;
    }
    doc.pieces_.push_back({std::move(verbatim), -1});
    verbatim.clear();
    const int cue = static_cast<int>(doc.cue_count_++);
    doc.pieces_.push_back({"", cue});
    doc.cue_line_endings_.emplace_back(ending);
    if (!text_lines.empty()) verbatim.append(lines[i - 1].ending);
    if (cue > 0 && EndsSentence(block.text)) {  // the flow's next block starts with this cue
      while (!block.text.empty() && block.text.back() == ' ') block.text.pop_back();
      for (auto& s : block.spans) s.begin = s.end = std::min(s.begin, block.text.size());
      doc.blocks_.push_back(std::move(block));
      block = Block();
      block.kind = BlockKind::kCues;
      block.keep_order = true;
      doc.block_first_cue_.push_back(static_cast<std::size_t>(cue));
    } else if (cue > 0) {
      add_space();
      add_atom(AtomType::kCueBoundary, "", SpanKind::kVerbatim);
    } else {
      doc.block_first_cue_.push_back(0);
    }
    for (std::size_t k = 0; k < text_lines.size(); ++k) {
      if (k > 0) {
        add_space();
        add_atom(AtomType::kLineBreak, "", SpanKind::kLineBreak);
      }
      add_text(text_lines[k]);
    }
  }
  doc.pieces_.push_back({std::move(verbatim), -1});
  if (doc.cue_count_ > 0) {
    // The atoms were placed while text was appended; nothing to clamp, but trailing space is trimmed.
    while (!block.text.empty() && block.text.back() == ' ') block.text.pop_back();
    for (auto& s : block.spans) s.begin = s.end = std::min(s.begin, block.text.size());
    doc.blocks_.push_back(std::move(block));
  }
  return doc;
}

StatusOr<std::string> SubtitleDocument::Write(const std::vector<TranslatedBlock>& translated) const {
  if (translated.size() != blocks_.size())
    return Status::Internal("subtitles: " + std::to_string(translated.size()) + " translated blocks for " +
                            std::to_string(blocks_.size()));
  std::vector<std::string> cue_text(cue_count_);
  {
    std::size_t cue = 0;
    RenderCallbacks cb;
    cb.text = [&](std::string_view t) {
      if (cue >= cue_count_) return;
      for (char c : t) {
        if (webvtt_ && c == '&') {
          cue_text[cue] += "&amp;";
        } else if (webvtt_ && c == '<') {
          cue_text[cue] += "&lt;";
        } else if (webvtt_ && c == '>') {
          cue_text[cue] += "&gt;";
        } else if (c == '\n' || c == '\r') {
          cue_text[cue] += ' ';  // a blank line would end the cue
        } else {
          cue_text[cue] += c;
        }
      }
    };
    cb.atom = [&](const InlineSpan& s) {
      if (s.id < 0) return cb.text(s.verbatim);
      const auto& [type, text] = atoms_[s.id];
      if (type == AtomType::kCueBoundary) {
        if (cue + 1 < cue_count_) ++cue;
      } else if (type == AtomType::kLineBreak) {
        cue_text[cue] += cue_line_endings_[cue];
      } else {
        cue_text[cue] += text;
      }
    };
    for (std::size_t b = 0; b < translated.size(); ++b) {
      cue = block_first_cue_[b];
      RenderBlock(translated[b], cb);
    }
  }
  std::string out;
  for (const Piece& p : pieces_) {
    if (p.cue >= 0) {
      std::string& t = cue_text[p.cue];
      // Spaces at the cue's edges and at its line ends come from the joined flow, not from the source.
      std::string trimmed;
      const std::string& eol = cue_line_endings_[p.cue];
      std::size_t i = 0;
      while (i <= t.size()) {
        std::size_t e = t.find(eol, i);
        if (e == std::string::npos) e = t.size();
        std::string_view line(t.data() + i, e - i);
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        while (!line.empty() && line.back() == ' ') line.remove_suffix(1);
        if (!line.empty()) {  // an empty line would end the cue
          if (!trimmed.empty()) trimmed += eol;
          trimmed += line;
        }
        if (e == t.size()) break;
        i = e + eol.size();
      }
      out += trimmed;
    }
    out += p.verbatim;
  }
  return out;
}

StatusOr<std::string> TranslateSubtitles(std::string_view input, bool webvtt, const TranslateFn& translate,
                                         const DocumentTranslationOptions& options,
                                         TranslateBlocksStats* stats) {
  DOLMETSCH_RETURN_IF_ERROR(CheckInput(input, options.limits, webvtt ? "WebVTT" : "SubRip"));
  DOLMETSCH_ASSIGN_OR_RETURN(SubtitleDocument doc, SubtitleDocument::Parse(input, webvtt));
  DOLMETSCH_ASSIGN_OR_RETURN(auto translated,
                             TranslateBlocks(doc.blocks(), translate, options.blocks, stats));
  return doc.Write(translated);
}

}  // namespace dolmetsch::markup
