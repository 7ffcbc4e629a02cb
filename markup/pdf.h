// PDF in, text or Markdown out (poppler-cpp). A PDF has no markup to keep: its text is extracted in reading
// order, put back together into paragraphs and headings, translated, and written as plain text or Markdown
// (docs/documents.md, "PDF").
//
// Extraction, per page in page order, from poppler's word boxes (which come in poppler's reading order:
// its text flows, so columns are read one after the other):
//   - lines: consecutive words on the same baseline band;
//   - blocks: a new block starts where the gap to the previous line is larger than 0.9 x the line height
//     (a blank line), the font size changes, the line starts above the previous one (a new column), or the
//     line is indented while the previous one is not (a first-line indent), or it starts with a bullet
//     (• ◦ ▪ ‣ · – and a space: a list item);
//   - running headers and footers: a line in the top or bottom 8% of the page whose text (digits ignored)
//     comes back on at least 3 pages and on half the pages or more is dropped, except its first occurrence
//     when it has letters (a running title is kept once); page numbers ("7", "- 7 -", "Seite 7 von 9") are
//     dropped everywhere;
//   - inside a block, lines are joined with a space (soft wraps undone); a line ending in a hyphen after a
//     letter is joined without it when the next line starts with a lower-case letter ("Überset-" +
//     "zung" -> "Übersetzung"), with it kept when the next starts upper case or with a digit
//     ("Nord-" + "Süd" -> "Nord-Süd"), and with hyphen and space kept before "und", "oder", "bis", "sowie"
//     ("Ein-" + "und Ausgang"); a soft hyphen (U+00AD) at a line end is removed;
//   - a paragraph cut by a page break (the page's last block ends without . ! ? : and the next page's first
//     block has the same font size and starts lower case) is joined;
//   - headings: a short block (at most 3 lines, 200 bytes) whose font is at least 1.2 x the body size (the
//     size of most characters) is a heading; the largest such size is level 1, the next 2, any smaller 3.
// Output: text (blocks separated by a blank line) or Markdown (headings `#`/`##`/`###`, text escaped).
//
// Hostile input: over Limits::max_input_bytes, more than Limits::max_pdf_pages pages, or more than
// Limits::max_pdf_text_bytes of text -> ResourceExhausted; encrypted with a password -> Unsupported;
// not a PDF or damaged beyond poppler's repair -> InvalidArgument. Poppler's own messages are not printed.
// Thread-safety: no shared state of ours; poppler's error callback is set process-wide once (to silence it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "markup/formats.h"
#include "markup/translate_blocks.h"
#include "util/status.h"

namespace dolmetsch::markup {

struct PdfBlock {
  bool heading = false;
  int level = 0;  // 1..3 for a heading
  int page = 0;   // 0-based page where the block starts
  std::string text;
};

// The text of a PDF as blocks, in reading order (rules above).
StatusOr<std::vector<PdfBlock>> ExtractPdfBlocks(std::string_view input, const Limits& limits = {});

// Writes blocks as text or Markdown (headings `#` .. `###`, text escaped).
std::string RenderPdfBlocks(const std::vector<PdfBlock>& blocks, PdfOutput output);

// Extracts, translates block by block (sentences as in TranslateBlocks) and renders.
StatusOr<std::string> TranslatePdf(std::string_view input, PdfOutput output, const TranslateFn& translate,
                                   const DocumentTranslationOptions& options = {},
                                   TranslateBlocksStats* stats = nullptr);

// Joins the lines of one block: soft wraps become spaces, hyphenation at line ends is undone (rules above).
std::string JoinPdfLines(const std::vector<std::string>& lines);

}  // namespace dolmetsch::markup
