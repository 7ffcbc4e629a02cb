#include "markup/pdf.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dolmetsch::markup {
namespace {

// Poppler reports syntax errors of damaged files on stderr; a damaged upload is the caller's to report.
void SilencePoppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

struct Word {
  std::string text;
  double left, top, right, bottom, font_size;
  bool space_after;
};

struct Line {
  std::vector<Word> words;
  double left = 0, top = 0, right = 0, bottom = 0;
  double font_size = 0;  // the largest in the line
  std::string text;      // words joined by single spaces
  double height() const { return bottom - top; }
};

struct PageLines {
  std::vector<Line> lines;
  double height = 0;
};

// The first and last code point of a string (0 when empty).
UChar32 FirstCodePoint(std::string_view s) {
  if (s.empty()) return 0;
  int32_t i = 0;
  UChar32 c = 0;
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), i, static_cast<int32_t>(s.size()), c);
  return c;
}

UChar32 LastCodePoint(std::string_view s, int32_t* start = nullptr) {
  if (s.empty()) return 0;
  int32_t i = static_cast<int32_t>(s.size());
  UChar32 c = 0;
  U8_PREV(reinterpret_cast<const uint8_t*>(s.data()), 0, i, c);
  if (start) *start = i;
  return c;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

void FinishLine(Line* line) {
  line->left = line->top = 1e300;
  line->right = line->bottom = -1e300;
  line->text.clear();
  for (std::size_t i = 0; i < line->words.size(); ++i) {
    const Word& w = line->words[i];
    line->left = std::min(line->left, w.left);
    line->top = std::min(line->top, w.top);
    line->right = std::max(line->right, w.right);
    line->bottom = std::max(line->bottom, w.bottom);
    line->font_size = std::max(line->font_size, w.font_size);
    line->text += w.text;
    // A gap between boxes wider than a fifth of the font size is a space even where poppler says none.
    if (i + 1 < line->words.size() &&
        (w.space_after || line->words[i + 1].left - w.right > 0.2 * std::max(1.0, w.font_size)))
      line->text += ' ';
  }
  line->text = Trim(line->text);
}

// Words in poppler's order -> lines: a word starts a new line when its vertical middle is outside the
// current line's band or it starts left of the previous word's end (poppler moved on to the next line).
std::vector<Line> GroupLines(std::vector<Word> words) {
  std::vector<Line> lines;
  Line current;
  for (Word& w : words) {
    if (!current.words.empty()) {
      const Word& prev = current.words.back();
      const double middle = (w.top + w.bottom) / 2;
      const double prev_h = std::max(1.0, prev.bottom - prev.top);
      const bool same_band = middle > prev.top - 0.2 * prev_h && middle < prev.bottom + 0.2 * prev_h;
      if (!same_band || w.left < prev.right - 0.5 * prev_h) {
        FinishLine(&current);
        if (!current.text.empty()) lines.push_back(std::move(current));
        current = Line();
      }
    }
    current.words.push_back(std::move(w));
  }
  if (!current.words.empty()) {
    FinishLine(&current);
    if (!current.text.empty()) lines.push_back(std::move(current));
  }
  return lines;
}

// The text of a margin line with digits folded, so "Seite 3" and "Seite 4" compare equal.
std::string MarginKey(const std::string& text) {
  std::string key;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (key.empty() || key.back() != '#') key += '#';
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      key += c;
    }
  }
  return key;
}

bool IsPageNumber(const std::string& text) {
  std::string key = MarginKey(text);
  for (const char* word : {"Seite", "seite", "Page", "page", "S.", "von", "of", "/", "-", "\xE2\x80\x93"}) {
    for (std::size_t p; (p = key.find(word)) != std::string::npos;) key.erase(p, std::string(word).size());
  }
  return key == "#" || key == "##";
}

bool InMargin(const Line& line, double page_height) {
  if (page_height <= 0) return false;
  return line.bottom < 0.08 * page_height || line.top > 0.92 * page_height;
}

// Drops running headers and footers (rules in pdf.h).
void DropHeadersAndFooters(std::vector<PageLines>* pages) {
  std::unordered_map<std::string, std::size_t> pages_with;
  for (const PageLines& page : *pages) {
    std::vector<std::string> seen;
    for (const Line& line : page.lines) {
      if (!InMargin(line, page.height)) continue;
      std::string key = MarginKey(line.text);
      if (std::find(seen.begin(), seen.end(), key) == seen.end()) seen.push_back(std::move(key));
    }
    for (std::string& key : seen) ++pages_with[key];
  }
  const std::size_t n = pages->size();
  std::unordered_map<std::string, bool> kept_once;
  for (PageLines& page : *pages) {
    std::vector<Line> kept;
    for (Line& line : page.lines) {
      if (InMargin(line, page.height)) {
        if (IsPageNumber(line.text)) continue;
        const std::string key = MarginKey(line.text);
        const std::size_t count = pages_with[key];
        if (count >= 3 && 2 * count >= n) {
          bool& done = kept_once[key];
          if (done) continue;
          done = true;
        }
      }
      kept.push_back(std::move(line));
    }
    page.lines = std::move(kept);
  }
}

bool EndsSentence(std::string_view text) {
  while (!text.empty() && (text.back() == '"' || text.back() == ')' || text.back() == '\''))
    text.remove_suffix(1);
  if (text.size() >= 3 &&
      (text.substr(text.size() - 3) == "\xE2\x80\x9C" || text.substr(text.size() - 3) == "\xC2\xAB"))
    text.remove_suffix(3);
  return !text.empty() &&
         (text.back() == '.' || text.back() == '!' || text.back() == '?' || text.back() == ':');
}

// A list item's bullet (•, ◦, ▪, ‣, ·, –) followed by a space starts a line of its own block.
bool StartsWithBullet(std::string_view text) {
  const UChar32 c = FirstCodePoint(text);
  const std::size_t len = c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  const bool bullet = c == 0x2022 || c == 0x25E6 || c == 0x25AA || c == 0x2023 || c == 0x00B7 || c == 0x2013;
  return bullet && text.size() > len && text[len] == ' ';
}

bool SameSize(double a, double b) { return std::fabs(a - b) <= 0.75; }

struct RawBlock {
  std::vector<std::string> lines;
  double font_size = 0;
  std::size_t chars = 0;
  int page = 0;
};

// Lines of one page -> blocks (rules in pdf.h).
void GroupBlocks(const PageLines& page, int page_index, std::vector<RawBlock>* blocks) {
  const Line* prev = nullptr;
  double block_left = 0;
  bool page_started = false;
  for (const Line& line : page.lines) {
    bool new_block = prev == nullptr;
    if (prev) {
      const double h = std::max({1.0, prev->height(), line.height()});
      const double gap = line.top - prev->bottom;
      const bool indented =
          line.left > block_left + 1.2 * line.font_size && line.left - prev->left > 1.2 * line.font_size;
      new_block = gap > 0.9 * h ||                // more than a normal line distance apart
                  StartsWithBullet(line.text) ||  // a list item
                  line.bottom < prev->top ||      // above the previous line: a new column or box
                  !SameSize(line.font_size, prev->font_size) ||    // another font size
                  (indented && prev->left <= block_left + 0.5) ||  // a first-line indent
                  (prev->left > block_left + 1.2 * line.font_size && line.left < prev->left &&
                   EndsSentence(prev->text));  // an indented paragraph ended, the next one starts flush
    }
    if (new_block) {
      // A paragraph cut by the page break: the page's first block continues the last one.
      const bool continues =
          !page_started && prev == nullptr && !blocks->empty() && blocks->back().page == page_index - 1 &&
          !blocks->back().lines.empty() && !EndsSentence(blocks->back().lines.back()) &&
          SameSize(blocks->back().font_size, line.font_size) && u_islower(FirstCodePoint(line.text));
      if (!continues) {
        blocks->push_back(RawBlock());
        blocks->back().font_size = line.font_size;
        blocks->back().page = page_index;
      }
      block_left = line.left;
    }
    page_started = true;
    RawBlock& block = blocks->back();
    block.lines.push_back(line.text);
    block.chars += line.text.size();
    block_left = std::min(block_left, line.left);
    prev = &line;
  }
}

bool IsGroupingWord(std::string_view next) {
  for (const char* w : {"und", "oder", "bis", "sowie", "bzw.", "and", "or", "to"}) {
    const std::string_view word(w);
    if (next.substr(0, word.size()) == word &&
        (next.size() == word.size() || std::isspace(static_cast<unsigned char>(next[word.size()])) ||
         next[word.size()] == ','))
      return true;
  }
  return false;
}

std::string MarkdownEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' || c == '~' ||
        c == '|')
      out += '\\';
    out += c;
  }
  // A leading character that would start a block construct.
  if (!out.empty() && (out[0] == '#' || out[0] == '>' || out[0] == '-' || out[0] == '+' || out[0] == '='))
    out.insert(0, "\\");
  std::size_t digits = 0;
  while (digits < out.size() && std::isdigit(static_cast<unsigned char>(out[digits]))) ++digits;
  if (digits > 0 && digits < out.size() && (out[digits] == '.' || out[digits] == ')'))
    out.insert(digits, "\\");
  return out;
}

}  // namespace

std::string JoinPdfLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& raw : lines) {
    const std::string line = Trim(raw);
    if (line.empty()) continue;
    if (out.empty()) {
      out = line;
      continue;
    }
    int32_t hyphen_at = 0;
    const UChar32 last = LastCodePoint(out, &hyphen_at);
    if (last == 0x00AD) {  // soft hyphen: a break point the typesetter used
      out.resize(static_cast<std::size_t>(hyphen_at));
      out += line;
      continue;
    }
    if ((last == '-' || last == 0x2010) && hyphen_at > 0) {
      const UChar32 before =
          LastCodePoint(std::string_view(out).substr(0, static_cast<std::size_t>(hyphen_at)));
      const UChar32 next = FirstCodePoint(line);
      if (u_isalpha(before)) {
        if (IsGroupingWord(line)) {
          out += ' ';  // "Ein- und Ausgang"
        } else if (u_islower(next)) {
          out.resize(static_cast<std::size_t>(hyphen_at));  // "Überset-" + "zung"
        }
        // else: a real hyphen ("Nord-" + "Süd", "E-" + "Mail", "3-" ...): joined as it is.
        out += line;
        continue;
      }
    }
    out += ' ';
    out += line;
  }
  return out;
}

StatusOr<std::vector<PdfBlock>> ExtractPdfBlocks(std::string_view input, const Limits& limits) {
  if (input.size() > limits.max_input_bytes)
    return Status::ResourceExhausted("the PDF has " + std::to_string(input.size()) +
                                     " bytes, more than the limit " + std::to_string(limits.max_input_bytes));
  if (input.size() > static_cast<std::size_t>(INT_MAX))
    return Status::ResourceExhausted("the PDF is too large");
  if (input.substr(0, std::min<std::size_t>(input.size(), 1024)).find("%PDF-") == std::string_view::npos)
    return Status::InvalidArgument("not a PDF file (no \"%PDF-\" header)");
  SilencePoppler();
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(input.data(), static_cast<int>(input.size())));
  if (!doc) return Status::InvalidArgument("the PDF is damaged or encrypted and cannot be read");
  if (doc->is_locked())
    return Status::Unsupported("the PDF is encrypted with a password; remove the password and try again");
  const int page_count = doc->pages();
  if (page_count < 0) return Status::InvalidArgument("the PDF has no readable page tree");
  if (static_cast<std::size_t>(page_count) > limits.max_pdf_pages)
    return Status::ResourceExhausted("the PDF has " + std::to_string(page_count) +
                                     " pages, more than the limit " + std::to_string(limits.max_pdf_pages));

  std::vector<PageLines> pages;
  std::size_t text_bytes = 0;
  for (int i = 0; i < page_count; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    PageLines lines;
    if (!page) {
      pages.push_back(std::move(lines));
      continue;
    }
    lines.height = page->page_rect().height();
    std::vector<Word> words;
    for (const poppler::text_box& box : page->text_list(poppler::page::text_list_include_font)) {
      const poppler::byte_array utf8 = box.text().to_utf8();
      std::string text(utf8.begin(), utf8.end());
      if (text.empty()) continue;
      text_bytes += text.size() + 1;
      if (text_bytes > limits.max_pdf_text_bytes)
        return Status::ResourceExhausted("the PDF holds more than " +
                                         std::to_string(limits.max_pdf_text_bytes) +
                                         " bytes of text (the limit)");
      const poppler::rectf r = box.bbox();
      const double size = box.get_font_size();
      words.push_back({std::move(text), r.left(), r.top(), r.right(), r.bottom(),
                       std::isfinite(size) && size > 0 ? size : r.height(), box.has_space_after()});
    }
    lines.lines = GroupLines(std::move(words));
    pages.push_back(std::move(lines));
  }
  DropHeadersAndFooters(&pages);

  std::vector<RawBlock> raw;
  for (std::size_t i = 0; i < pages.size(); ++i) GroupBlocks(pages[i], static_cast<int>(i), &raw);

  // Body size: the font size of most characters; larger sizes of short blocks are heading levels.
  std::map<double, std::size_t> chars_by_size;
  for (const RawBlock& b : raw) chars_by_size[std::round(b.font_size * 2) / 2] += b.chars;
  double body = 0;
  std::size_t most = 0;
  for (const auto& [size, chars] : chars_by_size) {
    if (chars > most) most = chars, body = size;
  }
  auto is_heading = [&](const RawBlock& b) {
    return body > 0 && b.font_size >= 1.2 * body && b.lines.size() <= 3 && b.chars <= 200;
  };
  std::vector<double> heading_sizes;
  for (const RawBlock& b : raw) {
    if (!is_heading(b)) continue;
    const double size = std::round(b.font_size * 2) / 2;
    if (std::find(heading_sizes.begin(), heading_sizes.end(), size) == heading_sizes.end())
      heading_sizes.push_back(size);
  }
  std::sort(heading_sizes.rbegin(), heading_sizes.rend());

  std::vector<PdfBlock> blocks;
  for (const RawBlock& b : raw) {
    PdfBlock block;
    block.page = b.page;
    block.text = JoinPdfLines(b.lines);
    if (block.text.empty()) continue;
    if (is_heading(b)) {
      block.heading = true;
      const double size = std::round(b.font_size * 2) / 2;
      const auto at = std::find(heading_sizes.begin(), heading_sizes.end(), size) - heading_sizes.begin();
      block.level = static_cast<int>(std::min<std::ptrdiff_t>(at + 1, 3));
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

std::string RenderPdfBlocks(const std::vector<PdfBlock>& blocks, PdfOutput output) {
  std::string out;
  for (const PdfBlock& b : blocks) {
    if (!out.empty()) out += '\n';
    if (output == PdfOutput::kMarkdown) {
      if (b.heading) out += std::string(static_cast<std::size_t>(b.level), '#') + ' ';
      out += MarkdownEscape(b.text);
    } else {
      out += b.text;
    }
    out += '\n';
  }
  return out;
}

StatusOr<std::string> TranslatePdf(std::string_view input, PdfOutput output, const TranslateFn& translate,
                                   const DocumentTranslationOptions& options, TranslateBlocksStats* stats) {
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<PdfBlock> blocks, ExtractPdfBlocks(input, options.limits));
  std::vector<Block> source;
  source.reserve(blocks.size());
  for (const PdfBlock& b : blocks) {
    Block block;
    block.kind = b.heading ? BlockKind::kHeading : BlockKind::kParagraph;
    block.text = b.text;
    source.push_back(std::move(block));
  }
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<TranslatedBlock> translated,
                             TranslateBlocks(source, translate, options.blocks, stats));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    // URLs and e-mail addresses were taken out as atoms; render puts them back.
    std::string text;
    RenderCallbacks render;
    render.text = [&](std::string_view t) { text += t; };
    render.open = [](const InlineSpan&) {};
    render.close = [](const InlineSpan&) {};
    render.atom = [&](const InlineSpan& span) { text += span.verbatim; };  // spacing is RenderBlock's
    RenderBlock(translated[i], render);
    blocks[i].text = Trim(text);
  }
  return RenderPdfBlocks(blocks, output);
}

}  // namespace dolmetsch::markup
