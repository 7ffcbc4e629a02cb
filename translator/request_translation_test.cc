#include "translator/request_translation.h"

#include <gtest/gtest.h>

#include <thread>

#include "translator/fake_backend_test_util.h"

namespace dolmetsch::translator {
namespace {

using Clock = std::chrono::steady_clock;

class RequestTranslationTest : public ::testing::Test {
 protected:
  std::unique_ptr<RequestTranslation> Start(std::vector<std::string> texts, RequestOptions options = {}) {
    auto started = RequestTranslation::Start(scheduler_, backend_, std::move(texts), options);
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    return started.ok() ? std::move(started).value() : nullptr;
  }
  std::string AssembleOrDie(RequestTranslation& r, size_t t, size_t k = 0) {
    auto out = r.Assemble(t, k, nullptr);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : "";
  }

  FakeBackend backend_;
  Scheduler scheduler_{&backend_, {.workers = 1}};
};

TEST_F(RequestTranslationTest, KeepsStructureAndLinesCopiesMarkersAndNumbers) {
  auto r = Start({"Der erste Satz\ngeht hier weiter. Zweiter.\n\n\u2022 Punkt eins\n\n2026\n"});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(AssembleOrDie(*r, 0),
            "0:DER ERSTE SATZ\nGEHT HIER WEITER. 0:ZWEITER.\n\n\u2022 0:PUNKT EINS\n\n2026\n");
  // One job for the whole request; the sentence over two short lines reached the model on one line and
  // its line break was put back (text/line_breaks.h).
  ASSERT_EQ(backend_.batches().size(), 1u);
  EXPECT_EQ(backend_.batches()[0],
            (std::vector<std::string>{"Zweiter.", "Punkt eins", "Der erste Satz geht hier weiter."}));
  EXPECT_EQ(r->stats().segments, 4u);
  EXPECT_EQ(r->stats().decoded, 3u);
}

TEST_F(RequestTranslationTest, IdenticalSentencesAreDecodedOnceAcrossTexts) {
  auto r = Start({"Ja. Nein. Ja.", "Nein. Vielleicht."});
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(AssembleOrDie(*r, 0), "0:JA. 0:NEIN. 0:JA.");
  EXPECT_EQ(AssembleOrDie(*r, 1), "0:NEIN. 0:VIELLEICHT.");
  EXPECT_EQ(r->stats().units, 5u);
  EXPECT_EQ(r->stats().duplicates, 2u);
  EXPECT_EQ(r->stats().decoded, 3u);
  ASSERT_EQ(backend_.batches().size(), 1u);
  EXPECT_EQ(backend_.batches()[0].size(), 3u);
  EXPECT_GT(r->source_tokens(), 0);
}

TEST_F(RequestTranslationTest, CacheServesLaterRequestsWithTheSameOptions) {
  text::TranslationCache cache(100);
  RequestOptions options;
  options.cache = &cache;
  options.cache_key = "fake";
  auto first = Start({"Hallo Welt. Bis bald."}, options);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(AssembleOrDie(*first, 0), "0:HALLO WELT. 0:BIS BALD.");
  EXPECT_EQ(cache.size(), 2u);
  auto second = Start({"Bis bald. Neu."}, options);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(AssembleOrDie(*second, 0), "0:BIS BALD. 0:NEU.");
  EXPECT_EQ(second->stats().cache_hits, 1u);
  EXPECT_EQ(second->stats().decoded, 1u);
  ASSERT_EQ(backend_.batches().size(), 2u);
  EXPECT_EQ(backend_.batches()[1], std::vector<std::string>{"Neu."});
  // Other search options are other translations.
  options.search.beam_size = 3;
  auto third = Start({"Bis bald."}, options);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(AssembleOrDie(*third, 0), "3:BIS BALD.");
  EXPECT_EQ(third->stats().cache_hits, 0u);
  // Everything cached: nothing is submitted, so a full queue does not matter.
  options.search.beam_size = 0;
  auto fourth = Start({"Hallo Welt.", ""}, options);
  ASSERT_NE(fourth, nullptr);
  EXPECT_EQ(AssembleOrDie(*fourth, 0), "0:HALLO WELT.");
  EXPECT_EQ(AssembleOrDie(*fourth, 1), "");
  EXPECT_EQ(fourth->stats().decoded, 0u);
  EXPECT_EQ(backend_.batches().size(), 3u);
}

TEST_F(RequestTranslationTest, AlternativesAreBuiltFromHypothesisKAndBypassTheCache) {
  text::TranslationCache cache(100);
  cache.Insert("anything", "x");
  RequestOptions options;
  options.cache = &cache;
  options.search.n_best = 2;
  auto r = Start({"Eins. Zwei.\n"}, options);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(AssembleOrDie(*r, 0, 0), "0:EINS. 0:ZWEI.\n");
  EXPECT_EQ(AssembleOrDie(*r, 0, 1), "0:EINS.#1 0:ZWEI.#1\n");
  EXPECT_EQ(AssembleOrDie(*r, 0, 5), "0:EINS. 0:ZWEI.\n");  // fewer hypotheses: the best
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(RequestTranslationTest, LongSentencesAreSplitUnderTheModelsLimit) {
  backend_.set_max_source_tokens(8);
  std::string sentence;
  for (int i = 0; i < 30; ++i) sentence += "wort" + std::to_string(i) + (i % 5 == 4 ? ", " : " ");
  sentence += "ende.";
  auto r = Start({sentence});
  ASSERT_NE(r, nullptr);
  std::string out = AssembleOrDie(*r, 0);
  EXPECT_EQ(r->stats().split_segments, 1u);
  const auto batches = backend_.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_GT(batches[0].size(), 3u);
  for (const std::string& piece : batches[0]) EXPECT_LE(backend_.CountTokens(piece), 8) << piece;
  for (int i = 0; i < 30; ++i) EXPECT_NE(out.find("WORT" + std::to_string(i)), std::string::npos) << out;
}

TEST_F(RequestTranslationTest, SegmentsArriveInDocumentOrderAndAddUpToTheText) {
  auto r = Start({"  Eins. Zwei.\n\nDrei.  ", "", "Vier."});
  ASSERT_NE(r, nullptr);
  std::vector<SegmentOutput> segments;
  auto collect = [&](const SegmentOutput& s) { segments.push_back(s); };
  std::vector<std::string> texts;
  for (size_t t = 0; t < 3; ++t) {
    auto out = r->Assemble(t, 0, nullptr, collect);
    ASSERT_TRUE(out.ok());
    texts.push_back(*out);
  }
  ASSERT_EQ(segments.size(), 4u);
  std::string first_text;
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i].index, i);
    EXPECT_EQ(segments[i].total, 4u);
    if (segments[i].text_index == 0) first_text += segments[i].piece;
  }
  EXPECT_EQ(first_text, texts[0]);
  EXPECT_EQ(texts[0], "  0:EINS. 0:ZWEI.\n\n0:DREI.  ");
  EXPECT_EQ(segments[1].piece, " 0:ZWEI.");
  EXPECT_EQ(segments[1].translation, "0:ZWEI.");
  EXPECT_EQ(segments[2].piece, "\n\n0:DREI.  ");
  EXPECT_EQ(segments[3].text_index, 2u);
  EXPECT_EQ(texts[1], "");
}

// The beginning of a text is decoded first: units go to the scheduler window by window (32 segments),
// not sorted by length over the whole text, so a long first sentence does not wait for the whole text.
TEST(RequestTranslationOrderTest, TheFirstSentencesAreDecodedEarly) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 8});
  std::string text = "Der erste Satz ist viel laenger als alle anderen Saetze danach.";
  for (int i = 0; i < 99; ++i) {  // distinct short sentences ("Satz 3." would read as an ordinal)
    text +=
        std::string(" Satz ") + static_cast<char>('a' + i / 26) + static_cast<char>('a' + i % 26) + " jetzt.";
  }
  auto started = RequestTranslation::Start(scheduler, backend, {text}, RequestOptions{});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  ASSERT_TRUE((*started)->Assemble(0, 0, nullptr).ok());
  auto batches = backend.batches();
  ASSERT_GE(batches.size(), 12u);  // 100 units in batches of 8
  size_t found = batches.size();
  for (size_t b = 0; b < batches.size(); ++b) {
    for (const std::string& s : batches[b]) {
      if (s.rfind("Der erste Satz", 0) == 0) found = b;
    }
  }
  // Sorted over the whole text it would come last (it is the longest unit).
  EXPECT_LT(found, batches.size() / 2)
      << "the first sentence was decoded in batch " << found << " of " << batches.size();
}

TEST_F(RequestTranslationTest, PollStopsWaitingAndCancelsTheJob) {
  backend_.Close();
  auto r = Start({"Eins. Zwei. Drei."});
  ASSERT_NE(r, nullptr);
  int polls = 0;
  auto out =
      r->Assemble(0, 0, [&] { return ++polls < 3 ? Status::Ok() : Status::DeadlineExceeded("too late"); });
  EXPECT_EQ(out.status().code(), Status::Code::kDeadlineExceeded);
  EXPECT_EQ(polls, 3);
  backend_.Open();
  for (int i = 0; i < 100 && scheduler_.active_jobs() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(scheduler_.active_jobs(), 0);
}

TEST(RequestTranslationAdmissionTest, AFullQueueRefusesTheWholeRequestAtStart) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_active_jobs = 1});
  backend.Close();
  auto first = RequestTranslation::Start(scheduler, backend, {"Eins."}, {});
  ASSERT_TRUE(first.ok());
  auto second = RequestTranslation::Start(scheduler, backend, {"Zwei."}, {});
  EXPECT_EQ(second.status().code(), Status::Code::kResourceExhausted);
  backend.Open();
  auto out = (*first)->Assemble(0, 0, nullptr);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "0:EINS.");
}

TEST(RequestTranslationAdmissionTest, JobFailureIsReturned) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1});
  backend.FailWith(Status::Internal("engine broke"));
  auto r = RequestTranslation::Start(scheduler, backend, {"Eins."}, {});
  ASSERT_TRUE(r.ok());
  auto out = (*r)->Assemble(0, 0, nullptr);
  EXPECT_EQ(out.status().code(), Status::Code::kInternal);
  EXPECT_NE(out.status().message().find("engine broke"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::translator
