// Document formats: translate a whole file, its structure kept (docs/documents.md).
//
//   HTML (gumbo): fragments and documents. Text between block elements is one block; inline elements (b, i,
//     em, strong, a, span, sub, sup, ...) are spans; br is a line-break atom; img, code, kbd, samp, var, and
//     any element with translate="no" or class "notranslate" are atoms kept verbatim; script, style, pre,
//     template, textarea and such elements are copied. The attributes title, alt, placeholder and aria-label
//     are translated (each its own block). Every byte outside translated text and attributes is copied from
//     the source as the parser saw it (tags, comments, entities in untranslated text); tags the parser
//     implies are not written, and an element whose end tag was missing gets one, so the output is well
//     formed. Translated text is escaped (& < >, and " in attributes).
//   Markdown (cmark-gfm, CommonMark + GFM tables, strikethrough, autolinks, task lists): see markdown.cc.
//   SubRip and WebVTT: see subtitles.h.
//   Office packages (zip_package.h + xml_document.h): .docx (main document, headers, footers, footnotes,
//     endnotes, comments, with their tables and text boxes), .pptx (slides and notes), .odt and .odp
//     (content.xml and styles.xml), .epub (XHTML chapters through the HTML path, dc:title, the NCX labels).
//     A paragraph is a block, its formatted runs are spans (each keeps its run properties), tabs, breaks,
//     fields, bookmarks, drawings and notes are atoms kept as they are; every entry not translated is copied
//     raw. See office.cc and docs/documents.md.
//   PDF (poppler-cpp), input only: text in reading order, paragraphs and headings rebuilt, hyphenation at
//     line ends undone, translated to plain text or Markdown. See pdf.h.
//
// Hostile input: input over Limits::max_input_bytes, invalid UTF-8, HTML nested deeper than
// Limits::max_html_depth (an estimate made before parsing: the parser's time grows with depth times tags)
// are refused with InvalidArgument / ResourceExhausted naming what is wrong. Packages: the zip limits of
// zip_package.h (entry count, unpacked size, compression ratio, entry names) and XML without entities
// (xml_document.h). No input crashes (fuzzed: markup/*_fuzz.cc).
// Thread-safety: no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "markup/translate_blocks.h"
#include "markup/zip_package.h"
#include "util/status.h"

namespace dolmetsch::markup {

enum class Format { kHtml, kMarkdown, kSrt, kVtt, kText, kDocx, kPptx, kOdt, kOdp, kEpub, kPdf };

// What a PDF becomes (a PDF is never written): plain text or Markdown (pdf.h).
enum class PdfOutput { kText, kMarkdown };

struct Limits {
  std::size_t max_input_bytes = 32u << 20;  // the file as given (for a package: the zip)
  std::size_t max_html_depth = 512;
  ZipLimits zip;                          // packages: what the zip may unpack to
  std::size_t max_xml_bytes = 64u << 20;  // one XML part of a package
  std::size_t max_pdf_pages = 2000;
  std::size_t max_pdf_text_bytes = 16u << 20;  // text extracted from a PDF
};

struct DocumentTranslationOptions {
  TranslateBlocksOptions blocks;
  Limits limits;
  PdfOutput pdf_output = PdfOutput::kText;  // for Format::kPdf
};

// "html", "markdown" (or "md"), "srt", "vtt", "text" (or "txt"), "docx", "pptx", "odt", "odp", "epub", "pdf".
StatusOr<Format> ParseFormatName(std::string_view name);
const char* FormatName(Format format);
// From the file name's extension (.html .htm .xhtml .md .markdown .srt .vtt .txt .docx .pptx .odt .odp
// .epub .pdf), else from the content (a zip: its `mimetype` entry or [Content_Types].xml; `%PDF-`; WEBVTT
// header; a first cue "1" + timing line; a leading '<' tag or doctype); else Unsupported.
StatusOr<Format> DetectFormat(std::string_view file_name, std::string_view content);

// Translates `input` in `format`. kText is not handled here (the plain-text pipeline in text/ does it).
// For a package format the result is the package's bytes; for kPdf, text or Markdown (options.pdf_output).
StatusOr<std::string> TranslateFormatted(std::string_view input, Format format, const TranslateFn& translate,
                                         const DocumentTranslationOptions& options = {},
                                         TranslateBlocksStats* stats = nullptr);

StatusOr<std::string> TranslateHtml(std::string_view input, const TranslateFn& translate,
                                    const DocumentTranslationOptions& options = {},
                                    TranslateBlocksStats* stats = nullptr);
StatusOr<std::string> TranslateMarkdown(std::string_view input, const TranslateFn& translate,
                                        const DocumentTranslationOptions& options = {},
                                        TranslateBlocksStats* stats = nullptr);
// `webvtt` false: SubRip.
StatusOr<std::string> TranslateSubtitles(std::string_view input, bool webvtt, const TranslateFn& translate,
                                         const DocumentTranslationOptions& options = {},
                                         TranslateBlocksStats* stats = nullptr);

// Office packages: `input` is the zip. Errors name the entry and what is wrong (see zip_package.h,
// xml_document.h): a missing main part, a malformed part, a limit.
StatusOr<std::string> TranslatePackage(std::string_view input, Format format, const TranslateFn& translate,
                                       const DocumentTranslationOptions& options = {},
                                       TranslateBlocksStats* stats = nullptr);
bool IsPackageFormat(Format format);
// Which office format a zip holds (its `mimetype` entry, else [Content_Types].xml).
StatusOr<Format> DetectPackageFormat(std::string_view content, const Limits& limits = {});

// The file name extensions of the formats above, lower case with the dot (".docx", ...), as upload forms
// and LibreTranslate's supportedFilesFormat list them.
const std::vector<std::string>& FileExtensions();
// The media type of a file named `file_name` in one of these formats (by its extension, any case);
// "application/octet-stream" for an unknown extension. A PDF is never written, so ".pdf" is octet-stream.
std::string ContentTypeForFileName(std::string_view file_name);

// The plain source text of each translatable block of `input`, in document order: the units that
// /v1/translate_file reports progress for (docs/api.md), parsed as TranslateFormatted parses them (same
// errors). A block is translatable when at least one of its sentences goes to the model (it has a letter
// once URLs and e-mail addresses are taken out); its text is PlainBlockText (translate_blocks.h).
// kText: the paragraphs of the plain-text pipeline (TextParagraphs below, with options.blocks.segmenter) that
// hold a letter, each its source bytes from its first to its last sentence (inner line breaks kept).
// kPdf: the blocks of the text extracted from it. Nothing is translated.
StatusOr<std::vector<std::string>> ExtractBlocks(std::string_view input, Format format,
                                                 const DocumentTranslationOptions& options = {});

// A paragraph of a plain text as the document pipeline (text/document_translator.h) sees it: consecutive
// sentences (text::SegmentSentences) with no blank line between them. [begin, end) are the source bytes from
// its first sentence's start to its last one's end; [first_segment, end_segment) index SegmentSentences'
// spans. `translated`: some sentence of it has a letter (the pipeline translates it; else it is copied).
struct TextParagraph {
  std::size_t begin = 0, end = 0;
  std::size_t first_segment = 0, end_segment = 0;
  bool translated = false;
};
std::vector<TextParagraph> TextParagraphs(std::string_view text, const text::SegmenterOptions& segmenter);

// Checks size and UTF-8 (shared by the formats).
Status CheckInput(std::string_view input, const Limits& limits, const char* what);

}  // namespace dolmetsch::markup
