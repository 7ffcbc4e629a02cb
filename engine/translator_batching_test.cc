// Batch independence and cancellation of engine::Translator: a sentence translates the same alone and in
// batches of every size and composition (short with long), float32 and int8, greedy and beam, with the
// per-sentence output bound the service uses; cancelled sentences end, their batch neighbours do not change.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/golden_testing.h"
#include "engine/model_config.h"
#include "engine/search.h"
#include "engine/translator.h"

namespace dolmetsch::engine {
namespace {

// 64 sentences of mixed lengths: lines of the Faust fixture, a few lines joined into long sentences (50-120
// tokens), and very short ones.
std::vector<std::string> MixedSentences() {
  std::ifstream in(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/text/faust_500.txt");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.size() >= 12) lines.push_back(line);
  }
  std::vector<std::string> out;
  for (size_t i = 60; out.size() < 48 && i < lines.size(); i += 3) out.push_back(lines[i]);
  for (size_t k = 0; k < 8; ++k) {
    std::string joined;
    for (size_t j = 0; j < 3 + k; ++j) joined += (j ? " " : "") + lines[200 + 10 * k + j];
    out.push_back(joined);
  }
  for (const char* s : {"Ja.", "Nein!", "Hallo", "Wer?", "Gut.", "So", "Ach!", "Heute."}) out.push_back(s);
  return out;
}

// The bound the translator service and the document pipeline use: 2 x source tokens + 8.
TranslateOptions ServiceOptions(int beam) {
  TranslateOptions o;
  o.beam_size = beam;
  o.output_factor = 2.0;
  o.output_slack = 8;
  return o;
}

struct Case {
  ComputeType type;
  int beam;
};

class BatchIndependenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(BatchIndependenceTest, EverySentenceTranslatesAsAloneInEveryBatch) {
  const Case c = GetParam();
  LoadOptions load;
  load.compute_type = c.type;
  auto t = Translator::Load(testing::FixtureModelDir(), load);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::vector<std::string> sentences = MixedSentences();
  ASSERT_EQ(sentences.size(), 64u);
  const TranslateOptions options = ServiceOptions(c.beam);

  std::vector<TranslationResult> alone;
  int hit_bound = 0;
  for (const std::string& s : sentences) {
    auto r = (*t)->Translate({s}, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const TranslationResult& one = (*r)[0];
    ASSERT_FALSE(one.hypotheses.empty());
    const size_t bound = 2 * one.source_ids.size() + 8;
    EXPECT_LE(one.hypotheses[0].target_ids.size(), bound) << s;
    if (one.hypotheses[0].target_ids.size() == bound) ++hit_bound;
    alone.push_back(std::move(*r)[0]);
  }
  // The fixture model loops on some inputs: those end at their own bound, which is what batching changed.
  EXPECT_GT(hit_bound, 0);

  // Batches of every size 1..64, each from another starting point of a shuffled order, so that short
  // and long sentences meet in many combinations.
  std::vector<size_t> order(sentences.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(14);
  std::shuffle(order.begin(), order.end(), rng);
  const int step = c.beam == 1 ? 1 : 3;  // beam search: every third size, to keep the test short
  for (int size = 1; size <= 64; size += (size < 8 ? 1 : step)) {
    std::vector<size_t> members;
    for (int k = 0; k < size; ++k)
      members.push_back(order[(static_cast<size_t>(size) * 7 + k) % order.size()]);
    std::vector<std::string> batch;
    for (size_t m : members) batch.push_back(sentences[m]);
    auto r = (*t)->Translate(batch, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), batch.size());
    for (size_t k = 0; k < members.size(); ++k) {
      const TranslationResult& want = alone[members[k]];
      const TranslationResult& got = (*r)[k];
      SCOPED_TRACE("batch of " + std::to_string(size) + ", sentence " + std::to_string(members[k]) + ": " +
                   sentences[members[k]]);
      ASSERT_EQ(got.hypotheses.size(), want.hypotheses.size());
      EXPECT_EQ(got.hypotheses[0].target_ids, want.hypotheses[0].target_ids);
      EXPECT_EQ(got.hypotheses[0].text, want.hypotheses[0].text);
      EXPECT_NEAR(got.hypotheses[0].score, want.hypotheses[0].score, 1e-4f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ComputeTypesAndSearches, BatchIndependenceTest,
                         ::testing::Values(Case{ComputeType::kFloat32, 1}, Case{ComputeType::kFloat32, 4},
                                           Case{ComputeType::kInt8, 1}, Case{ComputeType::kInt8, 4}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(ComputeTypeName(info.param.type)) + "_beam" +
                                  std::to_string(info.param.beam);
                         });

// The bound is the sentence's own: a short sentence batched with a long one stops where it stops alone.
TEST(OutputBoundTest, EachSentenceHasItsOwnBound) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  // Golden case inputs that the fixture model translates into endless repetitions.
  TranslateOptions o = ServiceOptions(1);
  const std::string loops = "3 + 4 = 7";  // 11 tokens; greedy alone runs to 162 tokens unbounded
  auto alone = (*t)->Translate({loops}, o);
  ASSERT_TRUE(alone.ok());
  std::string long_text;
  for (int i = 0; i < 12; ++i) long_text += "Die Sitzung beginnt morgen um neun Uhr im großen Saal. ";
  auto mixed = (*t)->Translate({loops, long_text}, o);
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ((*mixed)[0].hypotheses[0].target_ids, (*alone)[0].hypotheses[0].target_ids);
  EXPECT_EQ((*mixed)[0].hypotheses[0].target_ids.size(), 2 * (*alone)[0].source_ids.size() + 8);

  // max_new_tokens still caps the bound; forced_new_tokens ignores it.
  o.max_new_tokens = 3;
  auto capped = (*t)->Translate({long_text}, o);
  ASSERT_TRUE(capped.ok());
  EXPECT_LE((*capped)[0].hypotheses[0].target_ids.size(), 3u);
  o.max_new_tokens = 0;
  o.forced_new_tokens = 100;
  auto forced = (*t)->Translate({"Ja."}, o);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ((*forced)[0].hypotheses[0].target_ids.size(), 100u);

  TranslateOptions bad = ServiceOptions(1);
  bad.output_factor = -1;
  EXPECT_EQ((*t)->Translate({"Ja."}, bad).status().code(), Status::Code::kInvalidArgument);
}

TEST(CancellationTest, ACancelledCallReturnsCancelled) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  CancelToken token;
  token.Cancel();
  for (int beam : {1, 4}) {
    TranslateOptions o = ServiceOptions(beam);
    o.cancel = &token;
    auto r = (*t)->Translate({"Ich bin ein kleiner Frosch.", "Ja."}, o);
    EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << "beam " << beam;
  }
}

// Cancelled from another thread while decoding: the call ends early (long before the bound) and says so.
TEST(CancellationTest, CancelDuringDecodingEndsTheCallEarly) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  for (int beam : {1, 4}) {
    TranslateOptions o;
    o.beam_size = beam;
    o.forced_new_tokens = 500;  // a long decode: ~500 steps for 64 rows
    CancelToken token;
    o.cancel = &token;
    std::vector<std::string> texts(64, "Ich bin ein kleiner Frosch.");
    std::thread canceller([&token] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      token.Cancel();
    });
    auto r = (*t)->Translate(texts, o);
    canceller.join();
    EXPECT_EQ(r.status().code(), Status::Code::kCancelled) << "beam " << beam;
  }
}

// Sentences cancelled one by one (as the scheduler does for one request's rows) end without hypotheses;
// the other sentences of the batch are translated exactly as without the cancellation.
TEST(CancellationTest, CancelledSentencesLeaveTheOthersUnharmed) {
  for (ComputeType type : {ComputeType::kFloat32, ComputeType::kInt8}) {
    LoadOptions load;
    load.compute_type = type;
    auto t = Translator::Load(testing::FixtureModelDir(), load);
    ASSERT_TRUE(t.ok());
    const std::vector<std::string> sentences = MixedSentences();
    const std::vector<std::string> batch(sentences.begin(), sentences.begin() + 12);
    for (int beam : {1, 4}) {
      const TranslateOptions options = ServiceOptions(beam);
      auto plain = (*t)->Translate(batch, options);
      ASSERT_TRUE(plain.ok());
      // Every other sentence cancelled: before the call, or from a step observer-free thread mid-way.
      CancelToken early, late;
      early.Cancel();
      TranslateOptions o = options;
      o.sentence_cancel.assign(batch.size(), nullptr);
      for (size_t i = 0; i < batch.size(); i += 4) o.sentence_cancel[i] = &early;
      for (size_t i = 2; i < batch.size(); i += 4) o.sentence_cancel[i] = &late;
      std::thread canceller([&late] {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        late.Cancel();
      });
      auto r = (*t)->Translate(batch, o);
      canceller.join();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (size_t i = 0; i < batch.size(); ++i) {
        SCOPED_TRACE(std::string(ComputeTypeName(type)) + " beam " + std::to_string(beam) + " sentence " +
                     std::to_string(i));
        if (i % 4 == 0) {
          EXPECT_TRUE((*r)[i].cancelled);
          EXPECT_TRUE((*r)[i].hypotheses.empty());
        } else if (i % 4 == 2) {
          // Cancelled while running, or finished before: never a partial translation.
          if ((*r)[i].cancelled) {
            EXPECT_TRUE((*r)[i].hypotheses.empty());
          } else {
            EXPECT_EQ((*r)[i].hypotheses[0].target_ids, (*plain)[i].hypotheses[0].target_ids);
          }
        } else {
          EXPECT_FALSE((*r)[i].cancelled);
          ASSERT_FALSE((*r)[i].hypotheses.empty());
          EXPECT_EQ((*r)[i].hypotheses[0].target_ids, (*plain)[i].hypotheses[0].target_ids);
          EXPECT_EQ((*r)[i].hypotheses[0].text, (*plain)[i].hypotheses[0].text);
        }
      }
    }
  }
}

TEST(CancellationTest, EveryoneCancelledStopsTheEncoder) {
  auto t = Translator::Load(testing::FixtureModelDir());
  ASSERT_TRUE(t.ok());
  CancelToken token;
  token.Cancel();
  TranslateOptions o;
  o.sentence_cancel = {&token, &token};
  auto r = (*t)->Translate({"Ja.", "Nein."}, o);
  ASSERT_TRUE(r.ok());
  for (const auto& res : *r) {
    EXPECT_TRUE(res.cancelled);
    EXPECT_TRUE(res.hypotheses.empty());
  }
  o.sentence_cancel = {&token};  // not one per sentence
  EXPECT_EQ((*t)->Translate({"Ja.", "Nein."}, o).status().code(), Status::Code::kInvalidArgument);
}

// Deterministic mid-search cancellation: the observer cancels input 1 after its third step; input 1 then
// returns nothing and leaves the batch, the others are what they are without it.
TEST(CancellationTest, InputCancelledMidSearchLeavesTheBatch) {
  auto config = ModelConfig::Load(testing::FixtureModelDir());
  ASSERT_TRUE(config.ok());
  auto model = MarianModel::Load(testing::FixtureModelDir(), *config);
  ASSERT_TRUE(model.ok());
  std::vector<std::vector<int>> ids;
  for (const auto& c : testing::Golden()["cases"]) {
    ids.push_back(testing::Ids(c["input_ids"]));
    if (ids.size() == 4) break;
  }
  EncoderOutput enc;
  ASSERT_TRUE((*model)->Encode(ids, &enc));
  SearchOptions o = SearchOptions::FromConfig(*config);
  o.num_beams = 1;
  // With an observer the scores are normalized in place (search.cc): both runs take that path.
  const auto plain = Search(**model, enc, o, [](int, int, const float*) {});
  CancelToken token;
  o.input_cancel = {nullptr, &token, nullptr, nullptr};
  int steps_of_input_1 = 0;
  const auto r = Search(**model, enc, o, [&](int step, int b, const float*) {
    if (b != 1) return;
    ++steps_of_input_1;
    if (step == 2) token.Cancel();
  });
  ASSERT_EQ(r.size(), 4u);
  EXPECT_TRUE(r[1].empty());
  EXPECT_EQ(steps_of_input_1, 3);  // no step after the one during which it was cancelled
  for (int b : {0, 2, 3}) {
    ASSERT_EQ(r[b].size(), 1u);
    EXPECT_EQ(r[b][0].ids, plain[b][0].ids) << b;
    EXPECT_EQ(r[b][0].score, plain[b][0].score) << b;
  }
}

}  // namespace
}  // namespace dolmetsch::engine
