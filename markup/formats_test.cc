#include "markup/formats.h"

#include <gtest/gtest.h>

#include "markup/fake_translator_testing.h"
#include "markup/office_testing.h"

namespace dolmetsch::markup {
namespace {

TEST(FormatsTest, FormatFromExtensionThenContent) {
  EXPECT_EQ(*DetectFormat("a/b.HTML", ""), Format::kHtml);
  EXPECT_EQ(*DetectFormat("notes.md", "<p>"), Format::kMarkdown);
  EXPECT_EQ(*DetectFormat("film.srt", ""), Format::kSrt);
  EXPECT_EQ(*DetectFormat("film.vtt", ""), Format::kVtt);
  EXPECT_EQ(*DetectFormat("x.txt", "<p>"), Format::kText);
  EXPECT_EQ(*DetectFormat("", "\xEF\xBB\xBFWEBVTT\n"), Format::kVtt);
  EXPECT_EQ(*DetectFormat("upload", "1\r\n00:00:01,000 --> 00:00:02,000\r\nHallo\r\n"), Format::kSrt);
  EXPECT_EQ(*DetectFormat("upload", "  <!DOCTYPE html><p>x"), Format::kHtml);
  EXPECT_EQ(DetectFormat("upload", "Hallo Welt").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*DetectFormat("brief.docx", "PK"), Format::kDocx);  // the package reader judges the content
  EXPECT_EQ(*DetectFormat("scan.pdf", ""), Format::kPdf);
  EXPECT_EQ(*DetectFormat("upload", "%PDF-1.7\n"), Format::kPdf);
  EXPECT_EQ(DetectFormat("scan.ods", "").status().code(), Status::Code::kUnsupported);
  EXPECT_EQ(DetectFormat("upload", std::string("PK\x03\x04 broken", 11)).status().code(),
            Status::Code::kInvalidArgument);
}

TEST(FormatsTest, FormatNames) {
  EXPECT_EQ(*ParseFormatName("Markdown"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormatName("md"), Format::kMarkdown);
  EXPECT_EQ(*ParseFormatName("webvtt"), Format::kVtt);
  EXPECT_EQ(*ParseFormatName("docx"), Format::kDocx);
  EXPECT_EQ(*ParseFormatName("pdf"), Format::kPdf);
  EXPECT_FALSE(ParseFormatName("xlsx").ok());
  EXPECT_STREQ(FormatName(Format::kSrt), "srt");
}

TEST(FormatsTest, EveryExtensionIsDetectedAndHasAMediaType) {
  for (const std::string& ext : FileExtensions()) {
    StatusOr<Format> format = DetectFormat("a" + ext, "");
    EXPECT_TRUE(format.ok()) << ext << ": " << format.status().message();
    const std::string type = ContentTypeForFileName("Name" + ext);
    if (ext == ".pdf") {
      EXPECT_EQ(type, "application/octet-stream");
    } else {
      EXPECT_NE(type, "application/octet-stream") << ext;
    }
  }
  EXPECT_EQ(ContentTypeForFileName("BRIEF.DOCX"), ContentTypeForFileName("brief.docx"));
  EXPECT_EQ(ContentTypeForFileName("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForFileName("x.exe"), "application/octet-stream");
}

using Blocks = std::vector<std::string>;

// ExtractBlocks must name the blocks TranslateFormatted translates: as many as the on_block reports with
// sentences, each the plain text of one, in the same order.
void ExpectSameBlocksAsTranslation(const std::string& input, Format format) {
  SCOPED_TRACE(FormatName(format));
  std::vector<std::string> reported;
  DocumentTranslationOptions options;
  options.blocks.on_block = [&](const Block& block, const std::vector<std::string>& sentences) {
    if (!sentences.empty()) reported.push_back(PlainBlockText(block));
  };
  testing::UpperCaseTranslator upper;
  ASSERT_TRUE(TranslateFormatted(input, format, upper.fn(), options).ok());
  auto blocks = ExtractBlocks(input, format);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(*blocks, reported);
}

TEST(ExtractBlocksTest, Html) {
  const std::string html =
      "<!DOCTYPE html><html><head><title>Der Titel</title><style>p{}</style></head><body>"
      "<h1>Eine &Uuml;berschrift</h1>"
      "<p>Das ist <b>fett</b> und <code>x()</code> hier. Zweiter Satz.</p>"
      "<p>42</p>"
      "<p>Siehe https://example.org/x f\u00fcr mehr.</p>"
      "<p><img src=\"a.png\" alt=\"Ein Bild\"></p>"
      "<ul><li>Erster Punkt</li><li>Zweiter <i>Punkt</i></li></ul>"
      "<pre>Nicht \u00fcbersetzt</pre><script>var x = 'Text';</script>"
      "<table><tr><td>Zelle eins</td><td>2024</td></tr></table>"
      "</body></html>";
  auto blocks = ExtractBlocks(html, Format::kHtml);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(*blocks, (Blocks{"Der Titel", "Eine \u00dcberschrift", "Das ist fett und hier. Zweiter Satz.",
                             "Siehe https://example.org/x f\u00fcr mehr.", "Ein Bild", "Erster Punkt",
                             "Zweiter Punkt", "Zelle eins"}));
  ExpectSameBlocksAsTranslation(html, Format::kHtml);
}

TEST(ExtractBlocksTest, Markdown) {
  const std::string md =
      "---\ntitle: Vorspann\n---\n"
      "# Titel\n\n"
      "Ein **fetter** Absatz mit `code` und [einem Link](http://x.de).\nUmbruch im Absatz.\n\n"
      "- Punkt eins\n- Punkt zwei\n\n"
      "| Spalte | Zahl |\n|---|---|\n| Zelle | 7 |\n\n"
      "```\ncode block bleibt\n```\n\n"
      "![Ein Bild](b.png)\n";
  auto blocks = ExtractBlocks(md, Format::kMarkdown);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(*blocks, (Blocks{"Titel", "Ein fetter Absatz mit und einem Link. Umbruch im Absatz.",
                             "Punkt eins", "Punkt zwei", "Spalte", "Zahl", "Zelle", "Ein Bild"}));
  ExpectSameBlocksAsTranslation(md, Format::kMarkdown);
}

TEST(ExtractBlocksTest, SubtitlesFlowAcrossCues) {
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:02,000\nDas ist ein Satz,\n\n"
      "2\n00:00:02,500 --> 00:00:04,000\nder \u00fcber zwei Cues geht.\n\n"
      "3\n00:00:10,000 --> 00:00:12,000\n<i>Neue</i> Szene.\nZweite Zeile.\n";
  auto blocks = ExtractBlocks(srt, Format::kSrt);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  // Cue 2 ends a sentence, so cue 3 starts the flow's next block.
  EXPECT_EQ(*blocks,
            (Blocks{"Das ist ein Satz, der \u00fcber zwei Cues geht.", "Neue Szene. Zweite Zeile."}));
  ExpectSameBlocksAsTranslation(srt, Format::kSrt);
}

TEST(ExtractBlocksTest, DocxBodyHeaderAndFootnotes) {
  const std::string docx = testing::Docx(
      "<w:p><w:r><w:t>Hallo Welt.</w:t></w:r></w:p>"
      "<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Fett</w:t></w:r><w:r><w:t xml:space=\"preserve\"> und "
      "normal.</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>3.14</w:t></w:r></w:p>"
      "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>In der Tabelle</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
      {{"header1", "<w:p><w:r><w:t>Kopfzeile</w:t></w:r></w:p>"}});
  auto blocks = ExtractBlocks(docx, Format::kDocx);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(*blocks, (Blocks{"Hallo Welt.", "Fett und normal.", "In der Tabelle", "Kopfzeile"}));
  ExpectSameBlocksAsTranslation(docx, Format::kDocx);
}

TEST(ExtractBlocksTest, PlainTextParagraphs) {
  const std::string text =
      "  Erster Satz. Zweiter Satz.\nUmbruch hier.\n\n12345\n\r\n\r\nDritter Absatz.\n \nVierter.";
  auto blocks = ExtractBlocks(text, Format::kText);
  ASSERT_TRUE(blocks.ok()) << blocks.status().message();
  EXPECT_EQ(*blocks, (Blocks{"Erster Satz. Zweiter Satz.\nUmbruch hier.", "Dritter Absatz.", "Vierter."}));
  const std::vector<TextParagraph> paragraphs = TextParagraphs(text, {});
  ASSERT_EQ(paragraphs.size(), 4u);
  EXPECT_EQ(paragraphs[0].first_segment, 0u);
  EXPECT_EQ(paragraphs[0].end_segment, 3u);
  EXPECT_FALSE(paragraphs[1].translated);
  EXPECT_EQ(paragraphs[1].first_segment, 3u);
  EXPECT_EQ(paragraphs[3].end_segment, text::SegmentSentences(text).size());
  EXPECT_TRUE(ExtractBlocks("", Format::kText)->empty());
}

TEST(ExtractBlocksTest, ErrorsAsTranslation) {
  for (const auto& [input, format] : std::vector<std::pair<std::string, Format>>{
           {std::string("PK\x03\x04 broken", 11), Format::kDocx},
           {"<p>kaputt \xff</p>", Format::kHtml},
           {"Text \xc3", Format::kText},
           {"WEBVTT\n\n00:01.000 --> nonsense\nHallo\n", Format::kVtt}}) {
    testing::UpperCaseTranslator upper;
    auto translated = format == Format::kText ? StatusOr<std::string>(Status::InvalidArgument("x"))
                                              : TranslateFormatted(input, format, upper.fn());
    auto blocks = ExtractBlocks(input, format);
    EXPECT_EQ(blocks.ok(), translated.ok()) << FormatName(format);
    if (!blocks.ok()) {
      EXPECT_EQ(blocks.status().code(), translated.status().code()) << FormatName(format);
      if (format != Format::kText) {
        EXPECT_EQ(blocks.status().message(), translated.status().message());
      }
    }
  }
  DocumentTranslationOptions small;
  small.limits.max_input_bytes = 10;
  EXPECT_EQ(ExtractBlocks("<p>Ein zu langer Text</p>", Format::kHtml, small).status().code(),
            Status::Code::kResourceExhausted);
  EXPECT_EQ(ExtractBlocks("Ein zu langer Text", Format::kText, small).status().code(),
            Status::Code::kResourceExhausted);
}

}  // namespace
}  // namespace dolmetsch::markup
