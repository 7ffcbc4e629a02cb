#include "markup/translate_blocks.h"

#include <gtest/gtest.h>

#include "markup/fake_translator_testing.h"

namespace dolmetsch::markup {
namespace {

using testing::ReversingTranslator;
using testing::UpperCaseTranslator;

InlineSpan Span(SpanKind kind, std::size_t b, std::size_t e, int parent = -1, int id = 0) {
  InlineSpan s;
  s.kind = kind;
  s.begin = b;
  s.end = e;
  s.parent = parent;
  s.id = id;
  return s;
}
InlineSpan Atom(SpanKind kind, std::size_t p, int parent = -1, int id = 0) {
  InlineSpan s = Span(kind, p, p, parent, id);
  s.atom = true;
  return s;
}

// Renders a block as text with [ ] around spans and | for atoms.
std::string Show(const Block& b) {
  std::string out;
  RenderCallbacks cb;
  cb.text = [&](std::string_view t) { out += t; };
  cb.open = [&](const InlineSpan&) { out += "["; };
  cb.close = [&](const InlineSpan&) { out += "]"; };
  cb.atom = [&](const InlineSpan& s) { out += s.id < 0 ? "{" + s.verbatim + "}" : "|"; };
  RenderBlock(b, cb);
  return out;
}

TEST(TranslateBlocksTest, SentenceWithBoldWordIsOneSentenceAndSpanStaysOnItsWord) {
  Block b;
  b.text = "Das ist sehr gut. Und hier der zweite Satz.";
  b.spans = {Span(SpanKind::kBold, 8, 12)};
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(fake.seen, (std::vector<std::string>{"Das ist sehr gut.", "Und hier der zweite Satz."}));
  EXPECT_EQ(Show((*out)[0]), "DAS IST [SEHR] GUT. UND HIER DER ZWEITE SATZ.");
}

TEST(TranslateBlocksTest, AlignmentMovesSpansWithTheirWords) {
  Block b;
  b.text = "eins zwei drei vier";
  b.spans = {Span(SpanKind::kBold, 5, 9), Span(SpanKind::kItalic, 15, 19)};
  auto out = TranslateBlocks({b}, ReversingTranslator());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Show((*out)[0]), "[VIER] DREI [ZWEI] EINS");
}

TEST(TranslateBlocksTest, NestedSpansStayNestedUnderReordering) {
  Block b;
  b.text = "eins zwei drei vier";
  // [eins [zwei] drei] vier: with reversal the child's word lies inside the parent's target range.
  b.spans = {Span(SpanKind::kBold, 0, 14), Span(SpanKind::kItalic, 5, 9, 0)};
  auto out = TranslateBlocks({b}, ReversingTranslator());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Show((*out)[0]), "VIER [DREI [ZWEI] EINS]");
  EXPECT_TRUE(ValidateBlock((*out)[0]).ok());
}

TEST(TranslateBlocksTest, SpanAcrossTwoSentences) {
  Block b;
  b.text = "Erster Satz hier. Zweiter Satz dort.";
  b.spans = {Span(SpanKind::kItalic, 7, 25)};  // "Satz hier. Zweiter"
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Show((*out)[0]), "ERSTER [SATZ HIER. ZWEITER] SATZ DORT.");
}

TEST(TranslateBlocksTest, FallbackScalesPositionsWhenLengthsDiffer) {
  Block b;
  b.text = "a b c d";
  b.spans = {Span(SpanKind::kBold, 4, 7)};  // "c d": the second half
  TranslateFn doubling = [](const std::vector<std::string>& s) -> StatusOr<std::vector<SentenceTranslation>> {
    std::vector<SentenceTranslation> out;
    for (size_t i = 0; i < s.size(); ++i) out.push_back({"w1 w2 w3 w4 w5 w6 w7 w8", {}});
    return out;
  };
  auto out = TranslateBlocks({b}, doubling);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Show((*out)[0]), "w1 w2 w3 w4 [w5 w6 w7 w8]");
}

TEST(TranslateBlocksTest, UrlsAndEmailAddressesNeverReachTheModel) {
  Block b;
  b.text = "Siehe https://beispiel.de/a?b=1 oder schreibe an info@beispiel.de.";
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(fake.seen.size(), 1u);
  EXPECT_EQ(fake.seen[0].find("beispiel"), std::string::npos) << fake.seen[0];
  EXPECT_EQ(Show((*out)[0]), "SIEHE {https://beispiel.de/a?b=1 }ODER SCHREIBE AN {info@beispiel.de}.");
}

TEST(TranslateBlocksTest, NumbersOnlySentencesAreCopied) {
  Block b;
  b.text = "1.234,56 €";
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(fake.seen.empty());
  EXPECT_EQ((*out)[0].text, "1.234,56 €");
}

TEST(TranslateBlocksTest, AtomsKeepSourceOrderWhenAsked) {
  Block b;
  b.text = "eins zwei drei vier";
  b.keep_order = true;
  b.spans = {Atom(SpanKind::kVerbatim, 5, -1, 1), Atom(SpanKind::kLineBreak, 15, -1, 2)};
  auto out = TranslateBlocks({b}, ReversingTranslator());
  ASSERT_TRUE(out.ok());
  const auto& spans = (*out)[0].spans;
  EXPECT_LE(spans[0].begin, spans[1].begin);
}

TEST(TranslateBlocksTest, RejectsOverlappingSpans) {
  Block b;
  b.text = "eins zwei drei";
  b.spans = {Span(SpanKind::kBold, 0, 9), Span(SpanKind::kItalic, 5, 14)};
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  EXPECT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("overlap"), std::string::npos);
}

TEST(TranslateBlocksTest, WrongNumberOfTranslationsIsAnError) {
  Block b;
  b.text = "Ein Satz.";
  TranslateFn none = [](const std::vector<std::string>&) -> StatusOr<std::vector<SentenceTranslation>> {
    return std::vector<SentenceTranslation>{};
  };
  EXPECT_EQ(TranslateBlocks({b}, none).status().code(), Status::Code::kInternal);
}

TEST(TranslateBlocksTest, TranslatorErrorIsPassedOn) {
  Block b;
  b.text = "Ein Satz.";
  TranslateFn failing = [](const std::vector<std::string>&) -> StatusOr<std::vector<SentenceTranslation>> {
    return Status::Unavailable("model down");
  };
  EXPECT_EQ(TranslateBlocks({b}, failing).status().code(), Status::Code::kUnavailable);
}

TEST(TranslateBlocksTest, LineBreakAtomEatsTheSpacesAroundIt) {
  Block b;
  b.text = "eins zwei drei vier";
  b.spans = {Atom(SpanKind::kLineBreak, 10)};
  UpperCaseTranslator fake;
  auto out = TranslateBlocks({b}, fake.fn());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Show((*out)[0]), "EINS ZWEI|DREI VIER");
}

TEST(TranslateBlocksTest, ManySentencesAreSentInBoundedCalls) {
  Block b;
  for (int i = 0; i < 1000; ++i) b.text += "Das ist Satz Nummer " + std::to_string(i) + ". ";
  b.text.pop_back();
  b.spans = {Span(SpanKind::kBold, 8, 12)};
  UpperCaseTranslator fake;
  TranslateBlocksOptions options;
  options.max_sentences_per_call = 100;
  TranslateBlocksStats stats;
  auto out = TranslateBlocks({b}, fake.fn(), options, &stats);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(stats.sentences, 1000u);
  EXPECT_EQ(stats.calls, 10u);
  EXPECT_EQ((*out)[0].text, testing::Upper(b.text));
}

TEST(TranslateBlocksTest, OnBlockReportsEachBlockAndItsSentencesBeforeTranslating) {
  Block first;
  first.text = "Das ist fett und  hier. Noch einer.";
  first.spans = {Span(SpanKind::kBold, 8, 12), Atom(SpanKind::kCode, 17)};
  Block numbers;
  numbers.text = "12 34";
  Block mail;
  mail.text = "Mail an a@b.de bitte.";
  std::vector<std::pair<std::string, std::vector<std::string>>> reported;
  std::size_t calls_when_reported = 0;
  UpperCaseTranslator upper;
  TranslateBlocksOptions options;
  options.on_block = [&](const Block& block, const std::vector<std::string>& sentences) {
    reported.emplace_back(block.text, sentences);
    calls_when_reported = upper.seen.size();
  };
  TranslateBlocksStats stats;
  auto out = TranslateBlocks({first, numbers, mail}, upper.fn(), options, &stats);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(reported.size(), 3u);
  EXPECT_EQ(calls_when_reported, 0u);        // all reported before the first sentence was translated
  EXPECT_EQ(reported[0].first, first.text);  // the block as given
  EXPECT_EQ(reported[0].second, (std::vector<std::string>{"Das ist fett und hier.", "Noch einer."}));
  EXPECT_TRUE(reported[1].second.empty());
  EXPECT_EQ(reported[2].second, (std::vector<std::string>{"Mail an bitte."}));
  // Exactly the sentences `translate` got, in the same order.
  std::vector<std::string> all;
  for (const auto& [text, sentences] : reported) all.insert(all.end(), sentences.begin(), sentences.end());
  EXPECT_EQ(all, upper.seen);

  EXPECT_EQ(PlainBlockText(first), "Das ist fett und hier. Noch einer.");
  EXPECT_EQ(PlainBlockText((*out)[0]), "DAS IST FETT UND HIER. NOCH EINER.");
  EXPECT_EQ(PlainBlockText(mail), "Mail an a@b.de bitte.");
  EXPECT_EQ(PlainBlockText((*out)[2]), "MAIL AN a@b.de BITTE.");
}

TEST(TranslateBlocksTest, PlainBlockTextLineBreaksAndTrim) {
  Block lines;
  lines.text = "  Erste Zeile zweite Zeile ";
  lines.spans = {Span(SpanKind::kItalic, 2, 13), Atom(SpanKind::kLineBreak, 13),
                 Atom(SpanKind::kVerbatim, 26)};
  EXPECT_EQ(PlainBlockText(lines), "Erste Zeile\nzweite Zeile");
  lines.kind = BlockKind::kCues;
  EXPECT_EQ(PlainBlockText(lines), "Erste Zeile zweite Zeile");
  EXPECT_EQ(PlainBlockText(Block{}), "");
}

}  // namespace
}  // namespace dolmetsch::markup
