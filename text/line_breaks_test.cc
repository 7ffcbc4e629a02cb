#include "text/line_breaks.h"

#include <gtest/gtest.h>

#include <string>

namespace dolmetsch::text {
namespace {

// A paragraph as a mail client wraps it at 72 columns.
constexpr const char* kWrappedMail =
    "ich wollte dir nur kurz Bescheid geben, dass das Treffen am kommenden\n"
    "Dienstag leider ausfallen muss, weil der Raum im Erdgeschoss renoviert\n"
    "wird und wir so kurzfristig keinen anderen Raum bekommen haben.";

TEST(LineBreaksTest, LinesFilledToACommonWidthAreHardWrapped) { EXPECT_FALSE(KeepsLines(kWrappedMail)); }

TEST(LineBreaksTest, SoftLineEndsMarkHardWrappedText) {
  // format=flowed: a space before the break, even on short lines.
  EXPECT_FALSE(KeepsLines("Das ist ein \nkurzer Satz."));
  EXPECT_FALSE(KeepsLines("Das ist ein\t\nkurzer Satz."));
  EXPECT_FALSE(KeepsLines("Das ist \nein \nkurzer\nSatz."));
  // One soft line among verse (a stray space) does not make the block prose.
  EXPECT_TRUE(
      KeepsLines("Habe nun, ach! \nJuristerei und Medizin,\nUnd leider auch Theologie!\nDurchaus studiert"));
}

TEST(LineBreaksTest, VerseLetterClosingsAndAddressesKeepTheirLines) {
  EXPECT_TRUE(
      KeepsLines("  Habe nun, ach! Philosophie,\n  Juristerei und Medizin,\n  Und leider auch Theologie!"));
  EXPECT_TRUE(KeepsLines("Mit freundlichen Grüßen\nIhr Kundenservice"));
  EXPECT_TRUE(KeepsLines("Frau Anna Schmidt\nHauptstraße 5\n12345 Berlin"));
  EXPECT_TRUE(KeepsLines("Mit freundlichen Grüßen\r\nIhr Kundenservice"));
}

TEST(LineBreaksTest, RaggedLongLinesKeepTheirLines) {
  // The widest line is long but the others are not filled to it: not a wrap width.
  EXPECT_TRUE(
      KeepsLines("Die Sonne tönt nach alter Weise in Brudersphären Wettgesang,\nUnd ihre vorgeschriebne "
                 "Reise\nVollendet sie mit Donnergang."));
}

TEST(LineBreaksTest, OneLineIsNotKept) {
  EXPECT_FALSE(KeepsLines("Ein Satz."));
  EXPECT_FALSE(KeepsLines(""));
}

TEST(LineBreaksTest, BlocksAreSeparatedByBlankLines) {
  const std::string text = std::string("Hallo Anna,\n\n") + kWrappedMail + "\n \nViele Grüße\nMax\n";
  const std::vector<LineBlock> blocks = FindLineBlocks(text);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(text.substr(blocks[0].begin, blocks[0].end - blocks[0].begin), "Hallo Anna,");
  EXPECT_FALSE(blocks[0].keep_lines);
  EXPECT_EQ(text.substr(blocks[1].begin, blocks[1].end - blocks[1].begin), kWrappedMail);
  EXPECT_FALSE(blocks[1].keep_lines);
  EXPECT_EQ(text.substr(blocks[2].begin, blocks[2].end - blocks[2].begin), "Viele Grüße\nMax");
  EXPECT_TRUE(blocks[2].keep_lines);
}

TEST(LineBreaksTest, ParagraphSeparatorEndsABlock) {
  const std::string text = "Erste Zeile\nzweite\u2029Dritte Zeile\nvierte";
  const std::vector<LineBlock> blocks = FindLineBlocks(text);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(text.substr(blocks[1].begin, blocks[1].end - blocks[1].begin), "Dritte Zeile\nvierte");
}

TEST(LineBreaksTest, TextWithoutBreaksIsOneBlock) {
  const std::vector<LineBlock> blocks = FindLineBlocks("Ein Satz. Noch einer.");
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_FALSE(blocks[0].keep_lines);
  EXPECT_TRUE(FindLineBlocks("").empty());
  EXPECT_TRUE(FindLineBlocks("\n\n  \n").empty());
}

TEST(LineBreaksTest, BreakFollowsTheSamePunctuationMark) {
  EXPECT_EQ(ProjectLineBreaks("Habe nun, ach! Philosophie,\r\n  Juristerei und Medizin.",
                              "Now, alas, I have studied philosophy, law and medicine."),
            "Now, alas, I have studied philosophy,\r\n  law and medicine.");
}

TEST(LineBreaksTest, BreakGoesToTheProportionalPlaceWithoutPunctuation) {
  EXPECT_EQ(
      ProjectLineBreaks("Mit freundlichen Grüßen\nIhr Kundenservice", "Kind regards your customer service"),
      "Kind regards your\ncustomer service");
}

TEST(LineBreaksTest, EveryBreakIsKeptInOrderWhileTheTranslationHasGaps) {
  const std::string out = ProjectLineBreaks("a\nb\nc\nd", "w x y z");
  EXPECT_EQ(out, "w\nx\ny\nz");
  // Fewer gaps than breaks: one break per gap, nothing else changes.
  EXPECT_EQ(ProjectLineBreaks("a\nb\nc", "wx y"), "wx\ny");
  EXPECT_EQ(ProjectLineBreaks("a\nb", "wxy"), "wxy");
}

TEST(LineBreaksTest, NoBreakNoChange) {
  EXPECT_EQ(ProjectLineBreaks("Ein  Satz\tohne Zeilen.", "A sentence without lines."),
            "A sentence without lines.");
  EXPECT_EQ(ProjectLineBreaks("a\nb", ""), "");
  EXPECT_EQ(ProjectLineBreaks("", "x y"), "x y");
}

TEST(LineBreaksTest, MalformedBytesAreCharacters) {
  const std::string out = ProjectLineBreaks("\xff\xfe abc\nde\xc3", "x\xff y z");
  EXPECT_NE(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.size(), std::string("x\xff y z").size());
}

}  // namespace
}  // namespace dolmetsch::text
