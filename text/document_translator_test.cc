#include "text/document_translator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/translator.h"
#include "text/line_breaks.h"
#include "text/unicode.h"

namespace dolmetsch::text {
namespace {

// A translator that wraps each sentence in brackets (or returns it unchanged) and records its calls.
// Tokens: one per whitespace-separated word, plus </s>.
class FakeTranslator : public SentenceTranslator {
 public:
  int CountTokens(std::string_view sentence) const override {
    int words = 0;
    bool in_word = false;
    for (char c : sentence) {
      const bool space = c == ' ';
      if (!space && !in_word) ++words;
      in_word = !space;
    }
    return words + 1;
  }
  int max_source_tokens() const override { return max_source; }
  StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& sentences,
                                                    const BatchOptions& options) override {
    ++calls;
    if (fail_on_call == calls) return Status::Unavailable("fake translator is down");
    batches.push_back(sentences);
    max_new_tokens.push_back(options.max_new_tokens);
    std::vector<std::string> out;
    for (const std::string& s : sentences) {
      EXPECT_FALSE(s.empty());
      EXPECT_EQ(s, CollapseWhitespace(s)) << "sentences reach the translator with collapsed whitespace";
      out.push_back(identity ? s : "[" + s + "]");
    }
    return out;
  }
  std::string cache_key() const override { return identity ? "identity" : "brackets"; }

  int max_source = 512;
  bool identity = false;
  int calls = 0;
  int fail_on_call = -1;
  std::vector<std::vector<std::string>> batches;
  std::vector<int> max_new_tokens;
};

std::string Translate(std::string_view text, FakeTranslator& fake, const DocumentOptions& options = {},
                      TranslationCache* cache = nullptr, DocumentStats* stats = nullptr) {
  std::string out;
  StatusOr<DocumentStats> result = TranslateDocument(text, fake, options, cache, {}, &out);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (stats != nullptr && result.ok()) *stats = *result;
  return out;
}

std::string WithoutWhitespace(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const DecodedChar c = DecodeUtf8(s, i);
    if (!IsSpace(c.cp)) out.append(s.substr(i, c.len));
    i += c.len;
  }
  return out;
}

// Structure: each kind of text from docs/text.md keeps its gaps.
TEST(DocumentTranslatorTest, HardWrappedEmailKeepsParagraphsAndJoinsWrappedLines) {
  FakeTranslator fake;
  const std::string in =
      "Hallo Anna,\n\nich wollte dir nur kurz Bescheid geben, dass das Treffen am kommenden\n"
      "Dienstag leider ausfallen muss. Wir verschieben es auf nächste Woche, weil\n"
      "der Raum renoviert wird.\n\nViele Grüße\nMax\n";
  EXPECT_EQ(Translate(in, fake),
            "[Hallo Anna,]\n\n[ich wollte dir nur kurz Bescheid geben, dass das Treffen am kommenden "
            "Dienstag leider ausfallen muss.] [Wir verschieben es auf nächste Woche, weil der Raum renoviert "
            "wird.]\n\n[Viele Grüße]\n[Max]\n");
}

TEST(DocumentTranslatorTest, LetterClosingKeepsItsLines) {
  FakeTranslator fake;
  const std::string in = "Wir danken Ihnen.\n\nMit freundlichen Grüßen\nIhr Kundenservice\n";
  EXPECT_EQ(Translate(in, fake), "[Wir danken Ihnen.]\n\n[Mit freundlichen Grüßen\nIhr Kundenservice]\n");
}

TEST(DocumentTranslatorTest, VerseKeepsEveryLine) {
  // Faust's first 500 lines: verse whose sentences run over several lines, and Project Gutenberg's
  // hard-wrapped notes, all in one block. Every line survives.
  std::ifstream file(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/text/faust_500.txt");
  ASSERT_TRUE(file) << "tests/fixtures/text/faust_500.txt";
  const std::string in((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  FakeTranslator fake;
  const std::string out = Translate(in, fake);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), std::count(in.begin(), in.end(), '\n'));
  auto letters = [](std::string s) {
    s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == '[' || c == ']'; }), s.end());
    return WithoutWhitespace(s);
  };
  EXPECT_EQ(letters(out), letters(in));
  EXPECT_NE(out.find("[Habe nun, ach! Philosophie,\n  Juristerei und Medizin,"), std::string::npos) << out;
}

TEST(DocumentTranslatorTest, NumberedListKeepsMarkersAndLines) {
  FakeTranslator fake;
  const std::string in = "Einkauf:\n1. Milch holen\n2. Eier kaufen\n   3) Brot backen\n\n• erledigt";
  EXPECT_EQ(Translate(in, fake),
            "[Einkauf:]\n1. [Milch holen]\n2. [Eier kaufen]\n   3) [Brot backen]\n\n• [erledigt]");
}

TEST(DocumentTranslatorTest, PoemWithWindowsLineEndsKeepsIndentationAndStanzas) {
  FakeTranslator fake;
  const std::string in =
      "  FAUST:\r\n  Habe nun, ach! Philosophie,\r\n  Juristerei und Medizin.\r\n\r\n  Da steh ich nun!\r\n";
  EXPECT_EQ(
      Translate(in, fake),
      "  [FAUST:]\r\n  [Habe nun, ach! Philosophie,\r\n  Juristerei und Medizin.]\r\n\r\n  [Da steh ich "
      "nun!]\r\n");
}

TEST(DocumentTranslatorTest, HeadingsAndSegmentsWithoutLettersAreCopied) {
  FakeTranslator fake;
  DocumentStats stats;
  const std::string in = "# Bericht\n\nDer Umsatz stieg.\n\n2023 – 2024\n\n😀\n";
  EXPECT_EQ(Translate(in, fake, {}, nullptr, &stats),
            "# [Bericht]\n\n[Der Umsatz stieg.]\n\n2023 – 2024\n\n😀\n");
  EXPECT_EQ(stats.segments, 4u);
  EXPECT_EQ(stats.copied_segments, 2u);
}

TEST(DocumentTranslatorTest, EmptyAndWhitespaceOnlyTextsAreCopied) {
  FakeTranslator fake;
  EXPECT_EQ(Translate("", fake), "");
  EXPECT_EQ(Translate(" \r\n\t\n", fake), " \r\n\t\n");
  EXPECT_EQ(fake.calls, 0);
}

TEST(DocumentTranslatorTest, LongSentenceIsSplitAtClausesAndReassembled) {
  FakeTranslator fake;
  DocumentOptions options;
  options.max_segment_tokens = 8;
  DocumentStats stats;
  const std::string in =
      "Er kam spät nach Hause, weil der Zug ausgefallen war; seine Frau wartete schon lange, "
      "und die Kinder schliefen bereits tief und fest.";
  const std::string out = Translate(in, fake, options, nullptr, &stats);
  EXPECT_EQ(stats.split_segments, 1u);
  EXPECT_GT(stats.pieces, 2u);
  EXPECT_LE(stats.max_piece_tokens, 8);
  for (const auto& batch : fake.batches) {
    for (const std::string& s : batch) EXPECT_LE(fake.CountTokens(s), 8) << s;
  }
  EXPECT_EQ(out.find("[Er kam spät nach Hause,] "), 0u) << out;
  EXPECT_NE(out.find("ausgefallen war;]"), std::string::npos) << out;
  // Nothing lost: the brackets removed, the words are the source's.
  std::string stripped;
  for (char c : out) {
    if (c != '[' && c != ']') stripped.push_back(c);
  }
  EXPECT_EQ(stripped, in);
}

TEST(DocumentTranslatorTest, ModelLimitCapsPiecesBelowTheConfiguredCap) {
  FakeTranslator fake;
  fake.max_source = 5;
  DocumentOptions options;
  options.max_segment_tokens = 256;
  std::string in;
  for (int i = 0; i < 200; ++i) in += "wort ";
  DocumentStats stats;
  Translate(in, fake, options, nullptr, &stats);
  EXPECT_LE(stats.max_piece_tokens, 5);
  EXPECT_GE(stats.pieces, 50u);
}

TEST(DocumentTranslatorTest, EveryCharacterIsTranslatedOrCopied) {
  FakeTranslator fake;
  fake.identity = true;
  DocumentOptions options;
  options.max_segment_tokens = 4;
  options.segmenter.max_segment_bytes = 40;
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"Der",
                                           "Hund",
                                           "bellt.",
                                           "z.",
                                           "B.",
                                           " ",
                                           " ",
                                           "\n",
                                           "\r\n\r\n",
                                           "1.",
                                           "•",
                                           "!",
                                           "?",
                                           "😀",
                                           "\xC2\xA0",
                                           "\xFF",
                                           "Langeswortohneende",
                                           "42"};
  for (int iter = 0; iter < 300; ++iter) {
    std::string in;
    const int n = static_cast<int>(rng() % 80);
    for (int k = 0; k < n; ++k) in += pieces[rng() % pieces.size()];
    std::string out;
    ASSERT_TRUE(TranslateDocument(in, fake, options, nullptr, {}, &out).ok());
    ASSERT_EQ(WithoutWhitespace(out), WithoutWhitespace(in)) << "input: " << in;
  }
}

TEST(DocumentTranslatorTest, OutputLengthIsBoundedByTheSourceLength) {
  FakeTranslator fake;
  DocumentOptions options;
  options.max_output_factor = 1.5;
  options.output_slack_tokens = 4;
  options.max_batch_sentences = 1;
  Translate("Kurz. Das ist ein etwas längerer Satz mit vielen Wörtern.", fake, options);
  ASSERT_EQ(fake.max_new_tokens.size(), 2u);
  EXPECT_EQ(fake.max_new_tokens[0], 3 + 4);   // "Kurz." = 2 tokens -> ceil(3) + 4
  EXPECT_EQ(fake.max_new_tokens[1], 15 + 4);  // 10 tokens -> 15 + 4
  fake.max_source = 10;
  fake.max_new_tokens.clear();
  Translate("Das ist ein etwas längerer Satz mit Wörtern.", fake, options);
  EXPECT_EQ(fake.max_new_tokens[0], 10);  // never beyond the model's positions
}

TEST(DocumentTranslatorTest, IdenticalSentencesAreTranslatedOnce) {
  FakeTranslator fake;
  DocumentStats stats;
  const std::string out = Translate("Ja. Nein. Ja.\n\nJa. Nein.", fake, {}, nullptr, &stats);
  EXPECT_EQ(out, "[Ja.] [Nein.] [Ja.]\n\n[Ja.] [Nein.]");
  EXPECT_EQ(stats.translated, 2u);
  EXPECT_EQ(stats.duplicates, 3u);
}

TEST(DocumentTranslatorTest, CacheServesRepeatsAcrossCallsAndWindows) {
  FakeTranslator fake;
  TranslationCache cache(100);
  DocumentOptions options;
  options.window_sentences = 1;  // every sentence its own window: only the cache can dedup
  DocumentStats stats;
  EXPECT_EQ(Translate("Eins. Zwei. Eins.", fake, options, &cache, &stats), "[Eins.] [Zwei.] [Eins.]");
  EXPECT_EQ(stats.translated, 2u);
  EXPECT_EQ(stats.cache_hits, 1u);
  const int calls = fake.calls;
  EXPECT_EQ(Translate("Zwei. Eins.", fake, options, &cache, &stats), "[Zwei.] [Eins.]");
  EXPECT_EQ(fake.calls, calls);
  EXPECT_EQ(stats.cache_hits, 2u);
  // Another translator (cache key) does not see these entries.
  FakeTranslator identity;
  identity.identity = true;
  EXPECT_EQ(Translate("Zwei.", identity, options, &cache), "Zwei.");
  EXPECT_EQ(identity.calls, 1);
}

TEST(DocumentTranslatorTest, BatchesAreSortedByLengthWithinATokenBudget) {
  FakeTranslator fake;
  DocumentOptions options;
  options.batch_token_budget = 24;
  options.max_batch_sentences = 100;
  std::string in;
  std::mt19937 rng(3);
  for (int i = 0; i < 40; ++i) {
    const int words = 1 + static_cast<int>(rng() % 9);
    for (int w = 0; w < words; ++w) in += "w" + std::to_string(i) + "x" + std::to_string(w) + " ";
    in += "Ende.\n\n";
  }
  DocumentStats stats;
  Translate(in, fake, options, nullptr, &stats);
  EXPECT_EQ(stats.translated, 40u);
  int previous_longest = 0;
  for (const auto& batch : fake.batches) {
    int longest = 0;
    int last = 0;
    for (const std::string& s : batch) {
      const int t = fake.CountTokens(s);
      EXPECT_GE(t, last) << "batch not sorted by length";
      last = t;
      longest = std::max(longest, t);
    }
    if (batch.size() > 1) {
      EXPECT_LE(longest * static_cast<int>(batch.size()), 24);
    }
    EXPECT_GE(longest, previous_longest);
    previous_longest = longest;
  }
  EXPECT_GT(fake.batches.size(), 3u);
}

TEST(DocumentTranslatorTest, WindowsStreamOutputAndReportProgress) {
  FakeTranslator fake;
  DocumentOptions options;
  options.window_sentences = 2;
  std::vector<std::string> chunks;
  std::vector<DocumentProgress> progress;
  DocumentCallbacks callbacks;
  callbacks.on_output = [&](std::string_view s) { chunks.emplace_back(s); };
  callbacks.on_progress = [&](const DocumentProgress& p) { progress.push_back(p); };
  StatusOr<DocumentStats> stats = TranslateDocument("A eins. B zwei. C drei. D vier. E fünf.", fake, options,
                                                    nullptr, callbacks, nullptr);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  std::string joined;
  for (const auto& c : chunks) joined += c;
  EXPECT_EQ(joined, "[A eins.] [B zwei.] [C drei.] [D vier.] [E fünf.]");
  EXPECT_EQ(fake.batches.size(), 3u);
  ASSERT_FALSE(progress.empty());
  for (std::size_t i = 1; i < progress.size(); ++i) {
    EXPECT_GE(progress[i].sentences_done, progress[i - 1].sentences_done);
    EXPECT_EQ(progress[i].sentences_total, 5u);
  }
  EXPECT_EQ(progress.front().sentences_done, 0u);
  EXPECT_EQ(progress.back().sentences_done, 5u);
}

TEST(DocumentTranslatorTest, CancellationStopsBeforeTheNextBatch) {
  FakeTranslator fake;
  DocumentOptions options;
  options.max_batch_sentences = 1;
  DocumentCallbacks callbacks;
  callbacks.is_cancelled = [&] { return fake.calls >= 2; };
  std::string out;
  StatusOr<DocumentStats> stats =
      TranslateDocument("Eins. Zwei. Drei. Vier.", fake, options, nullptr, callbacks, &out);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kCancelled);
  EXPECT_EQ(fake.calls, 2);
}

TEST(DocumentTranslatorTest, TranslatorErrorsPropagate) {
  FakeTranslator fake;
  fake.fail_on_call = 1;
  std::string out;
  StatusOr<DocumentStats> stats = TranslateDocument("Eins. Zwei.", fake, {}, nullptr, {}, &out);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(stats.status().message().find("batch of 2"), std::string::npos) << stats.status().ToString();
}

TEST(DocumentTranslatorTest, RejectsInvalidOptions) {
  FakeTranslator fake;
  std::string out;
  DocumentOptions options;
  options.max_segment_tokens = 1;
  EXPECT_EQ(TranslateDocument("x", fake, options, nullptr, {}, &out).status().code(),
            Status::Code::kInvalidArgument);
  options = {};
  options.max_output_factor = 0;
  EXPECT_EQ(TranslateDocument("x", fake, options, nullptr, {}, &out).status().code(),
            Status::Code::kInvalidArgument);
  options = {};
  options.batch_token_budget = 0;
  EXPECT_EQ(TranslateDocument("x", fake, options, nullptr, {}, &out).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(TranslateDocument("x", fake, {}, nullptr, {}, nullptr).status().code(),
            Status::Code::kInvalidArgument);
}

// The real engine on the tiny fixture model: the pipeline's translation of each sentence equals what the
// engine gives for that sentence alone with the same output bound.
TEST(DocumentTranslatorEngineTest, MatchesDirectEngineTranslations) {
  StatusOr<std::unique_ptr<engine::Translator>> loaded =
      engine::Translator::Load(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const engine::Translator& engine = **loaded;
  engine::TranslateOptions search;
  search.beam_size = 1;
  EngineSentenceTranslator translator(&engine, search, "tiny-de-en");
  EXPECT_EQ(translator.max_source_tokens(), engine.config().max_position_embeddings);
  DocumentOptions options;
  options.max_batch_sentences = 1;
  const std::string in =
      "Das Haus ist groß.\n\nDer große braune Hund des Nachbarn\r\nbellt laut. Die Katze schläft.\n";
  std::string out;
  StatusOr<DocumentStats> stats = TranslateDocument(in, translator, options, nullptr, {}, &out);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->translated, 3u);
  std::string expected;
  const std::vector<std::pair<std::string, std::string>> parts = {
      {"", "Das Haus ist groß."},
      {"\n\n", "Der große braune Hund des Nachbarn bellt laut."},
      {" ", "Die Katze schläft."}};
  for (const auto& [gap, sentence] : parts) {
    engine::TranslateOptions direct = search;
    const int tokens = static_cast<int>(engine.tokenizer().Encode(sentence).size());
    direct.max_new_tokens = 2 * tokens + 8;
    StatusOr<std::vector<engine::TranslationResult>> r = engine.Translate({sentence}, direct);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    // The two short lines of the second sentence are kept (line_breaks.h).
    const std::string& text = r->at(0).hypotheses.at(0).text;
    expected += gap + (sentence.find("Hund") != std::string::npos
                           ? ProjectLineBreaks("Der große braune Hund des Nachbarn\r\nbellt laut.", text)
                           : text);
  }
  expected += "\n";
  EXPECT_EQ(out, expected);
}

TEST(DocumentTranslatorEngineTest, UnlimitedTextStaysWithinTheModelLimit) {
  StatusOr<std::unique_ptr<engine::Translator>> loaded =
      engine::Translator::Load(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  engine::TranslateOptions search;
  search.beam_size = 1;
  search.forced_new_tokens = 2;  // keep the random model's output short
  EngineSentenceTranslator translator(loaded->get(), search, "tiny-de-en");
  DocumentOptions options;
  options.max_segment_tokens = 32;
  std::string in;
  for (int i = 0; i < 300; ++i) in += "und das Haus ist groß, ";  // one sentence, no final period
  std::string out;
  StatusOr<DocumentStats> stats = TranslateDocument(in, translator, options, nullptr, {}, &out);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GT(stats->split_segments, 0u);
  EXPECT_LE(stats->max_piece_tokens, 32);
  EXPECT_FALSE(out.empty());
}

}  // namespace
}  // namespace dolmetsch::text
