#include "markup/pdf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "markup/fake_translator_testing.h"
#include "markup/formats.h"
#include "markup/pdf_testing.h"

namespace dolmetsch::markup {
namespace {

using testing::AddParagraph;
using testing::MakePdf;
using testing::PdfPage;
using testing::UpperCaseTranslator;

std::vector<PdfBlock> Extract(const std::string& pdf, const Limits& limits = {}) {
  auto blocks = ExtractPdfBlocks(pdf, limits);
  EXPECT_TRUE(blocks.ok()) << blocks.status().ToString();
  return blocks.ok() ? *blocks : std::vector<PdfBlock>{};
}

std::vector<std::string> Texts(const std::vector<PdfBlock>& blocks) {
  std::vector<std::string> out;
  for (const auto& b : blocks) out.push_back(b.text);
  return out;
}

TEST(PdfTest, JoinLinesUndoesHyphenationAndKeepsRealHyphens) {
  EXPECT_EQ(JoinPdfLines({"Die Überset-", "zung ist gut."}), "Die Übersetzung ist gut.");
  EXPECT_EQ(JoinPdfLines({"Die Nord-", "Süd-Verbindung"}), "Die Nord-Süd-Verbindung");
  EXPECT_EQ(JoinPdfLines({"Der Ein-", "und Ausgang"}), "Der Ein- und Ausgang");
  EXPECT_EQ(JoinPdfLines({"Seite 3-", "5 lesen"}), "Seite 3- 5 lesen");  // no letter before the hyphen
  EXPECT_EQ(JoinPdfLines({"eine Zeile", "  und die nächste  "}), "eine Zeile und die nächste");
  EXPECT_EQ(JoinPdfLines({"Silben\xC2\xAD", "trennung"}), "Silbentrennung");   // soft hyphen
  EXPECT_EQ(JoinPdfLines({"Wort \xE2\x80\x90", "x"}), "Wort \xE2\x80\x90 x");  // hyphen after a space
  EXPECT_EQ(JoinPdfLines({"Über\xE2\x80\x90", "setzung"}), "Übersetzung");     // U+2010
  EXPECT_EQ(JoinPdfLines({}), "");
}

TEST(PdfTest, HeadingParagraphsSoftWrapsAndHyphenation) {
  PdfPage page;
  double y = 720;
  page.push_back({72, y, 20, "Ein kurzer Bericht"});
  y -= 40;
  AddParagraph(&page,
               {"Das ist der erste Absatz mit einer Überset-", "zung am Zeilenende und einer", "Nord-",
                "Süd-Verbindung."},
               &y);
  y -= 14;  // blank line between paragraphs
  AddParagraph(&page, {"Der zweite Absatz beginnt hier", "und endet hier."}, &y);
  const auto blocks = Extract(MakePdf({page}));
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_TRUE(blocks[0].heading);
  EXPECT_EQ(blocks[0].level, 1);
  EXPECT_EQ(blocks[0].text, "Ein kurzer Bericht");
  EXPECT_FALSE(blocks[1].heading);
  EXPECT_EQ(blocks[1].text,
            "Das ist der erste Absatz mit einer Übersetzung am Zeilenende und einer Nord-Süd-Verbindung.");
  EXPECT_EQ(blocks[2].text, "Der zweite Absatz beginnt hier und endet hier.");
  EXPECT_EQ(RenderPdfBlocks(blocks, PdfOutput::kMarkdown),
            "# Ein kurzer Bericht\n\nDas ist der erste Absatz mit einer Übersetzung am Zeilenende und einer "
            "Nord-Süd-Verbindung.\n\nDer zweite Absatz beginnt hier und endet hier.\n");
  EXPECT_EQ(RenderPdfBlocks(blocks, PdfOutput::kText).substr(0, 20), "Ein kurzer Bericht\n\n");
}

TEST(PdfTest, FirstLineIndentStartsAParagraphWithoutAGap) {
  PdfPage page;
  double y = 720;
  AddParagraph(&page, {"Erster Absatz, erste Zeile", "und zweite Zeile."}, &y, 11, 72, 13.5, 20);
  AddParagraph(&page, {"Zweiter Absatz, erste Zeile", "und seine zweite Zeile."}, &y, 11, 72, 13.5, 20);
  EXPECT_EQ(Texts(Extract(MakePdf({page}))),
            (std::vector<std::string>{"Erster Absatz, erste Zeile und zweite Zeile.",
                                      "Zweiter Absatz, erste Zeile und seine zweite Zeile."}));
}

TEST(PdfTest, BulletsStartListItems) {
  PdfPage page;
  double y = 720;
  AddParagraph(&page,
               {"Die Liste:", "\xE2\x80\xA2 erster Punkt,", "der weitergeht", "\xE2\x80\x93 zweiter Punkt"},
               &y);
  EXPECT_EQ(Texts(Extract(MakePdf({page}))),
            (std::vector<std::string>{"Die Liste:", "\xE2\x80\xA2 erster Punkt, der weitergeht",
                                      "\xE2\x80\x93 zweiter Punkt"}));
}

TEST(PdfTest, HeadingLevelsBySize) {
  PdfPage page;
  double y = 740;
  page.push_back({72, y, 24, "Titel"});
  y -= 40;
  page.push_back({72, y, 16, "Kapitel eins"});
  y -= 30;
  AddParagraph(
      &page, {"Text des Kapitels, der lang genug ist, um die Grundschrift zu sein,", "mit mehr Zeilen."}, &y);
  y -= 20;
  page.push_back({72, y, 14, "Abschnitt"});
  y -= 30;
  AddParagraph(&page, {"Noch mehr Text in der Grundschrift für den Abschnitt hier."}, &y);
  const auto blocks = Extract(MakePdf({page}));
  ASSERT_EQ(blocks.size(), 5u);
  EXPECT_EQ(blocks[0].level, 1);
  EXPECT_EQ(blocks[1].level, 2);
  EXPECT_FALSE(blocks[2].heading);
  EXPECT_EQ(blocks[3].level, 3);
  EXPECT_EQ(RenderPdfBlocks(blocks, PdfOutput::kMarkdown).substr(0, 25), "# Titel\n\n## Kapitel eins\n");
}

TEST(PdfTest, RunningHeaderKeptOnceAndPageNumbersDropped) {
  std::vector<PdfPage> pages;
  for (int p = 1; p <= 4; ++p) {
    PdfPage page;
    page.push_back({72, 760, 9, "Jahresbericht der Gemeinde"});
    double y = 700;
    AddParagraph(&page, {"Inhalt der Seite " + std::to_string(p) + "."}, &y);
    page.push_back({300, 40, 9, "Seite " + std::to_string(p) + " von 4"});
    pages.push_back(page);
  }
  EXPECT_EQ(Texts(Extract(MakePdf(pages))),
            (std::vector<std::string>{"Jahresbericht der Gemeinde", "Inhalt der Seite 1.",
                                      "Inhalt der Seite 2.", "Inhalt der Seite 3.", "Inhalt der Seite 4."}));
}

TEST(PdfTest, ParagraphAcrossAPageBreakIsJoined) {
  PdfPage one, two;
  double y = 720;
  AddParagraph(&one, {"Der Satz beginnt auf der ersten Seite"}, &y);
  y = 720;
  AddParagraph(&two, {"und endet auf der zweiten.", ""}, &y);
  y -= 14;
  AddParagraph(&two, {"Neuer Absatz."}, &y);
  const auto blocks = Extract(MakePdf({one, two}));
  EXPECT_EQ(Texts(blocks),
            (std::vector<std::string>{"Der Satz beginnt auf der ersten Seite und endet auf der zweiten.",
                                      "Neuer Absatz."}));
  EXPECT_EQ(blocks[0].page, 0);
  EXPECT_EQ(blocks[1].page, 1);
}

TEST(PdfTest, TwoColumnsAreReadOneAfterTheOther) {
  PdfPage page;
  double y = 720;
  AddParagraph(&page, {"Links steht die erste", "Spalte mit ihrem Text", "bis zum Ende hier."}, &y, 11, 72);
  y = 720;
  AddParagraph(&page, {"Rechts steht die zweite", "Spalte mit anderem Text", "bis zum Schluss."}, &y, 11,
               330);
  EXPECT_EQ(Texts(Extract(MakePdf({page}))),
            (std::vector<std::string>{"Links steht die erste Spalte mit ihrem Text bis zum Ende hier.",
                                      "Rechts steht die zweite Spalte mit anderem Text bis zum Schluss."}));
}

TEST(PdfTest, TranslatesWholeSentencesAcrossLineWraps) {
  PdfPage page;
  double y = 720;
  page.push_back({72, y, 20, "Bericht"});
  y -= 40;
  AddParagraph(&page, {"Das ist ein Satz, der um-", "gebrochen ist. Siehe www.example.org/x", "für mehr."},
               &y);
  UpperCaseTranslator fake;
  DocumentTranslationOptions options;
  options.pdf_output = PdfOutput::kMarkdown;
  TranslateBlocksStats stats;
  auto out = TranslateFormatted(MakePdf({page}), Format::kPdf, fake.fn(), options, &stats);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "# BERICHT\n\nDAS IST EIN SATZ, DER UMGEBROCHEN IST. SIEHE www.example.org/x FüR MEHR.\n");
  EXPECT_EQ(fake.seen, (std::vector<std::string>{"Bericht", "Das ist ein Satz, der umgebrochen ist.",
                                                 "Siehe für mehr."}));
  EXPECT_EQ(stats.blocks, 2u);
}

TEST(PdfTest, MarkdownOutputEscapesMarkup) {
  std::vector<PdfBlock> blocks = {{false, 0, 0, "1. Mai: *nicht* fett [x] <b>"},
                                  {false, 0, 0, "# kein Titel"}};
  EXPECT_EQ(RenderPdfBlocks(blocks, PdfOutput::kMarkdown),
            "1\\. Mai: \\*nicht\\* fett \\[x\\] \\<b>\n\n\\# kein Titel\n");
}

TEST(PdfTest, DetectedByExtensionAndContent) {
  EXPECT_EQ(*DetectFormat("a.PDF", ""), Format::kPdf);
  EXPECT_EQ(*DetectFormat("upload", MakePdf({{}})), Format::kPdf);
  EXPECT_EQ(*ParseFormatName("pdf"), Format::kPdf);
}

TEST(PdfTest, EncryptedMalformedAndOversizedAreRefused) {
  auto s = ExtractPdfBlocks(MakePdf({{{72, 700, 11, "Geheim."}}}, /*encrypt=*/true));
  EXPECT_EQ(s.status().code(), Status::Code::kUnsupported) << s.status().ToString();
  EXPECT_NE(s.status().message().find("password"), std::string::npos);

  s = ExtractPdfBlocks("Das ist kein PDF.");
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
  s = ExtractPdfBlocks("%PDF-1.4\n garbage garbage \n%%EOF\n");
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << s.status().ToString();
  s = ExtractPdfBlocks("");
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);

  // Truncated anywhere: a Status or (poppler repairs what it can) some text, never a crash.
  const std::string whole = MakePdf({{{72, 700, 11, "Ein Satz."}}, {{72, 700, 11, "Noch einer."}}});
  for (std::size_t cut = 0; cut < whole.size(); cut += 7) (void)ExtractPdfBlocks(whole.substr(0, cut));

  Limits limits;
  limits.max_pdf_pages = 2;
  s = ExtractPdfBlocks(MakePdf({{}, {}, {}}), limits);
  EXPECT_EQ(s.status().code(), Status::Code::kResourceExhausted);
  EXPECT_NE(s.status().message().find("3 pages"), std::string::npos) << s.status().message();

  limits = Limits();
  limits.max_pdf_text_bytes = 20;
  s = ExtractPdfBlocks(MakePdf({{{72, 700, 11, "Ein ziemlich langer Satz mit vielen Wörtern."}}}), limits);
  EXPECT_EQ(s.status().code(), Status::Code::kResourceExhausted);

  limits = Limits();
  limits.max_input_bytes = 100;
  s = ExtractPdfBlocks(MakePdf({{{72, 700, 11, "Ein Satz."}}}), limits);
  EXPECT_EQ(s.status().code(), Status::Code::kResourceExhausted);
}

TEST(PdfTest, ManyPagesInOrder) {
  // 120 pages, 30 lines each (over 100 KB of text): every paragraph comes back once, in page order.
  std::vector<PdfPage> pages;
  for (int p = 0; p < 120; ++p) {
    PdfPage page;
    double y = 700;  // below the header band (the first line repeats on every page but for its digits)
    for (int k = 0; k < 6; ++k) {
      const std::string tag = "P" + std::to_string(p) + "A" + std::to_string(k);
      AddParagraph(&page,
                   {"Absatz " + tag + " erzählt von der Überset-", "zung langer deutscher Texte auf",
                    "vielen Seiten, die hier folgen,", "ohne dass etwas verloren geht,", "bis hierher."},
                   &y);
      y -= 14;
    }
    pages.push_back(page);
  }
  const auto blocks = Extract(MakePdf(pages));
  ASSERT_EQ(blocks.size(), 720u);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const std::string tag = "P" + std::to_string(i / 6) + "A" + std::to_string(i % 6);
    EXPECT_EQ(blocks[i].text,
              "Absatz " + tag +
                  " erzählt von der Übersetzung langer deutscher Texte auf vielen Seiten, die "
                  "hier folgen, ohne dass etwas verloren geht, bis hierher.");
    bytes += blocks[i].text.size();
  }
  EXPECT_GT(bytes, 100000u);
}

}  // namespace
}  // namespace dolmetsch::markup
