#include "markup/formats.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "markup/pdf.h"

namespace dolmetsch::markup {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

StatusOr<Format> ParseFormatName(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "html" || n == "htm" || n == "xhtml") return Format::kHtml;
  if (n == "markdown" || n == "md") return Format::kMarkdown;
  if (n == "srt" || n == "subrip") return Format::kSrt;
  if (n == "vtt" || n == "webvtt") return Format::kVtt;
  if (n == "text" || n == "txt") return Format::kText;
  if (n == "docx") return Format::kDocx;
  if (n == "pptx") return Format::kPptx;
  if (n == "odt") return Format::kOdt;
  if (n == "odp") return Format::kOdp;
  if (n == "epub") return Format::kEpub;
  if (n == "pdf") return Format::kPdf;
  return Status::InvalidArgument(
      "unknown format \"" + std::string(name) +
      "\" (known: html, markdown, srt, vtt, text, docx, pptx, odt, odp, epub, pdf)");
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kHtml:
      return "html";
    case Format::kMarkdown:
      return "markdown";
    case Format::kSrt:
      return "srt";
    case Format::kVtt:
      return "vtt";
    case Format::kText:
      return "text";
    case Format::kDocx:
      return "docx";
    case Format::kPptx:
      return "pptx";
    case Format::kOdt:
      return "odt";
    case Format::kOdp:
      return "odp";
    case Format::kEpub:
      return "epub";
    case Format::kPdf:
      return "pdf";
  }
  return "?";
}

StatusOr<Format> DetectFormat(std::string_view file_name, std::string_view content) {
  const std::size_t dot = file_name.rfind('.');
  const std::size_t slash = file_name.find_last_of("/\\");
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    const std::string ext = Lower(file_name.substr(dot + 1));
    if (ext == "html" || ext == "htm" || ext == "xhtml") return Format::kHtml;
    if (ext == "md" || ext == "markdown" || ext == "mdown" || ext == "mkd") return Format::kMarkdown;
    if (ext == "srt") return Format::kSrt;
    if (ext == "vtt") return Format::kVtt;
    if (ext == "txt" || ext == "text") return Format::kText;
    if (ext == "docx") return Format::kDocx;
    if (ext == "pptx") return Format::kPptx;
    if (ext == "odt") return Format::kOdt;
    if (ext == "odp") return Format::kOdp;
    if (ext == "epub") return Format::kEpub;
    if (ext == "pdf") return Format::kPdf;
    if (ext == "doc" || ext == "ppt" || ext == "xlsx" || ext == "ods")
      return Status::Unsupported("." + ext +
                                 " files are not supported yet (docs/documents.md lists the formats)");
  }
  if (content.substr(0, 4) == std::string_view("PK\x03\x04", 4)) return DetectPackageFormat(content);
  if (content.substr(0, 5) == "%PDF-") return Format::kPdf;
  std::string_view c = content;
  if (c.substr(0, 3) == "\xEF\xBB\xBF") c.remove_prefix(3);
  while (!c.empty() && std::isspace(static_cast<unsigned char>(c.front()))) c.remove_prefix(1);
  if (c.substr(0, 6) == "WEBVTT") return Format::kVtt;
  {
    std::size_t i = 0;
    while (i < c.size() && std::isdigit(static_cast<unsigned char>(c[i]))) ++i;
    const std::size_t nl = c.find('\n');
    if (i > 0 && nl != std::string_view::npos && (i == nl || (i + 1 == nl && c[i] == '\r')) &&
        c.substr(nl + 1, 80).find("-->") != std::string_view::npos)
      return Format::kSrt;
  }
  if (!c.empty() && c.front() == '<') {
    const std::string head = Lower(c.substr(0, 64));
    if (head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0 || head.rfind("<!--", 0) == 0 ||
        (head.size() > 1 && std::isalpha(static_cast<unsigned char>(head[1]))))
      return Format::kHtml;
  }
  if (file_name.empty() || dot == std::string_view::npos)
    return Status::InvalidArgument(
        "cannot tell the format of the input; give --format "
        "html|markdown|srt|vtt|text|docx|pptx|odt|odp|epub|pdf");
  return Status::Unsupported("unknown file type \"" + std::string(file_name.substr(dot)) +
                             "\"; give --format html|markdown|srt|vtt|text|docx|pptx|odt|odp|epub|pdf");
}

StatusOr<std::string> TranslateFormatted(std::string_view input, Format format, const TranslateFn& translate,
                                         const DocumentTranslationOptions& options,
                                         TranslateBlocksStats* stats) {
  switch (format) {
    case Format::kHtml:
      return TranslateHtml(input, translate, options, stats);
    case Format::kMarkdown:
      return TranslateMarkdown(input, translate, options, stats);
    case Format::kSrt:
      return TranslateSubtitles(input, false, translate, options, stats);
    case Format::kVtt:
      return TranslateSubtitles(input, true, translate, options, stats);
    case Format::kDocx:
    case Format::kPptx:
    case Format::kOdt:
    case Format::kOdp:
    case Format::kEpub:
      return TranslatePackage(input, format, translate, options, stats);
    case Format::kPdf:
      return TranslatePdf(input, options.pdf_output, translate, options, stats);
    case Format::kText:
      break;
  }
  return Status::InvalidArgument("plain text goes through the document pipeline (text/), not markup/");
}

const std::vector<std::string>& FileExtensions() {
  static const auto* extensions =
      new std::vector<std::string>{".txt", ".html", ".htm", ".xhtml", ".md",  ".markdown", ".srt",
                                   ".vtt", ".docx", ".odt", ".pptx",  ".odp", ".epub",     ".pdf"};
  return *extensions;
}

std::string ContentTypeForFileName(std::string_view file_name) {
  static const auto* types = new std::map<std::string, std::string, std::less<>>{
      {".txt", "text/plain; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".xhtml", "application/xhtml+xml"},
      {".md", "text/markdown; charset=utf-8"},
      {".markdown", "text/markdown; charset=utf-8"},
      {".srt", "application/x-subrip"},
      {".vtt", "text/vtt; charset=utf-8"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {".odt", "application/vnd.oasis.opendocument.text"},
      {".odp", "application/vnd.oasis.opendocument.presentation"},
      {".epub", "application/epub+zip"}};
  const size_t dot = file_name.rfind('.');
  const std::string ext = dot == std::string_view::npos ? "" : Lower(file_name.substr(dot));
  auto it = types->find(ext);
  return it == types->end() ? "application/octet-stream" : it->second;
}

std::vector<TextParagraph> TextParagraphs(std::string_view text, const text::SegmenterOptions& segmenter) {
  const std::vector<text::Span> spans = text::SegmentSentences(text, segmenter);
  std::vector<TextParagraph> paragraphs;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const std::size_t gap_begin = i == 0 ? 0 : spans[i - 1].end;
    const std::string_view gap = text.substr(gap_begin, spans[i].begin - gap_begin);
    // Gaps are whitespace only: two line breaks in one make a blank line.
    const bool blank_line = std::count(gap.begin(), gap.end(), '\n') >= 2;
    if (paragraphs.empty() || blank_line) {
      paragraphs.push_back({spans[i].begin, spans[i].end, i, i + 1, false});
    } else {
      paragraphs.back().end = spans[i].end;
      paragraphs.back().end_segment = i + 1;
    }
    if (HasLetter(text.substr(spans[i].begin, spans[i].size()))) paragraphs.back().translated = true;
  }
  return paragraphs;
}

StatusOr<std::vector<std::string>> ExtractBlocks(std::string_view input, Format format,
                                                 const DocumentTranslationOptions& options) {
  std::vector<std::string> blocks;
  if (format == Format::kText) {
    DOLMETSCH_RETURN_IF_ERROR(CheckInput(input, options.limits, "text"));
    for (const TextParagraph& p : TextParagraphs(input, options.blocks.segmenter)) {
      if (p.translated) blocks.emplace_back(input.substr(p.begin, p.end - p.begin));
    }
    return blocks;
  }
  DocumentTranslationOptions extract = options;
  extract.blocks.on_block = [&](const Block& block, const std::vector<std::string>& sentences) {
    if (options.blocks.on_block) options.blocks.on_block(block, sentences);
    if (!sentences.empty()) blocks.push_back(PlainBlockText(block));
  };
  // Every sentence "translated" into itself: the format's own parser and writer run, nothing else.
  const TranslateFn identity =
      [](const std::vector<std::string>& sentences) -> StatusOr<std::vector<SentenceTranslation>> {
    std::vector<SentenceTranslation> out(sentences.size());
    for (std::size_t i = 0; i < sentences.size(); ++i) out[i].text = sentences[i];
    return out;
  };
  StatusOr<std::string> written = TranslateFormatted(input, format, identity, extract);
  if (!written.ok()) return written.status();
  return blocks;
}

}  // namespace dolmetsch::markup
