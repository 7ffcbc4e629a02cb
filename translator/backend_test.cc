// EngineBackend with the real engine (tests/fixtures/tiny-de-en) behind the Scheduler and RequestTranslation,
// as the translator service runs them: a text gets the same translation one request at a time, from many
// concurrent clients, and together in one request (float32 and int8, greedy and beam); a cancelled request's
// sentences stop while the other requests' sentences in the same batches are translated unharmed.
#include "translator/backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "engine/translator.h"
#include "translator/request_translation.h"
#include "translator/scheduler.h"

namespace dolmetsch::translator {
namespace {

const std::string kModel = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

// 40 texts of mixed lengths; a few make the fixture model repeat itself up to its output bound.
std::vector<std::string> MixedTexts() {
  std::ifstream in(std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/text/faust_500.txt");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (line.size() >= 12) lines.push_back(line);
  }
  std::vector<std::string> texts;
  for (size_t i = 80; texts.size() < 30 && i < lines.size(); i += 5) texts.push_back(lines[i]);
  for (size_t k = 0; k < 4; ++k)
    texts.push_back(lines[300 + k] + " " + lines[301 + k] + " " + lines[302 + k]);
  for (const char* s : {"3 + 4 = 7 ist richtig", "Ich \u2764\ufe0f Berlin \U0001F600",
                        "ja ja ja ja ja ja ja ja", "Ja.", "So", "Wer?"}) {
    texts.push_back(s);
  }
  return texts;
}

struct Service {
  explicit Service(engine::ComputeType type) {
    engine::LoadOptions load;
    load.compute_type = type;
    auto loaded = engine::Translator::Load(kModel, load);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    model = std::move(loaded).value();
    backend = std::make_unique<EngineBackend>(model.get());
    scheduler = std::make_unique<Scheduler>(backend.get(), Scheduler::Options{.workers = 2});
  }
  // The text's translation through the document pipeline and the scheduler (no cache).
  StatusOr<std::vector<std::string>> Translate(const std::vector<std::string>& texts, int beam) {
    RequestOptions options;
    options.search.beam_size = beam;
    DOLMETSCH_ASSIGN_OR_RETURN(std::unique_ptr<RequestTranslation> request,
                               RequestTranslation::Start(*scheduler, *backend, texts, options));
    std::vector<std::string> out;
    for (size_t t = 0; t < texts.size(); ++t) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string text, request->Assemble(t, 0, nullptr));
      out.push_back(std::move(text));
    }
    return out;
  }
  std::unique_ptr<engine::Translator> model;
  std::unique_ptr<EngineBackend> backend;
  std::unique_ptr<Scheduler> scheduler;
};

struct Case {
  engine::ComputeType type;
  int beam;
};

class SameAnswerTest : public ::testing::TestWithParam<Case> {};

TEST_P(SameAnswerTest, OneAtATimeConcurrentlyAndInOneRequest) {
  Service service(GetParam().type);
  const int beam = GetParam().beam;
  const std::vector<std::string> texts = MixedTexts();
  std::vector<std::string> alone;
  for (const std::string& text : texts) {
    auto r = service.Translate({text}, beam);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    alone.push_back((*r)[0]);
  }

  auto together = service.Translate(texts, beam);
  ASSERT_TRUE(together.ok()) << together.status().ToString();
  for (size_t t = 0; t < texts.size(); ++t)
    EXPECT_EQ((*together)[t], alone[t]) << "one request: " << texts[t];

  // One client per text, all at once (twice over), so the scheduler batches them across requests.
  std::vector<std::string> concurrent(2 * texts.size());
  std::atomic<int> failed{0};
  std::vector<std::thread> clients;
  for (size_t c = 0; c < concurrent.size(); ++c) {
    clients.emplace_back([&, c] {
      auto r = service.Translate({texts[c % texts.size()]}, beam);
      if (r.ok()) {
        concurrent[c] = (*r)[0];
      } else {
        ++failed;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failed.load(), 0);
  for (size_t c = 0; c < concurrent.size(); ++c) {
    EXPECT_EQ(concurrent[c], alone[c % texts.size()]) << "concurrent: " << texts[c % texts.size()];
  }
}

INSTANTIATE_TEST_SUITE_P(ComputeTypesAndSearches, SameAnswerTest,
                         ::testing::Values(Case{engine::ComputeType::kFloat32, 1},
                                           Case{engine::ComputeType::kFloat32, 4},
                                           Case{engine::ComputeType::kInt8, 1},
                                           Case{engine::ComputeType::kInt8, 4}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(engine::ComputeTypeName(info.param.type)) + "_beam" +
                                  std::to_string(info.param.beam);
                         });

// A long request is cancelled while its sentences decode next to a short request's: the long one ends with
// Cancelled at once, the short one gets exactly what it gets alone.
TEST(EngineBackendCancelTest, CancelledRequestLeavesTheOthersInItsBatchesUnharmed) {
  Service service(engine::ComputeType::kFloat32);
  const std::vector<std::string> texts = MixedTexts();
  const std::vector<std::string> other(texts.begin(), texts.begin() + 8);
  auto alone = service.Translate(other, 4);
  ASSERT_TRUE(alone.ok());
  for (int round = 0; round < 3; ++round) {
    // 512 distinct sentences of ~50 tokens that make the model repeat itself (several batches of long beam
    // searches).
    std::vector<std::string> long_texts;
    for (int i = 0; i < 512; ++i) {
      std::string text = "Runde " + std::to_string(round) + " Nummer " + std::to_string(i);
      for (int k = 0; k < 20; ++k) text += " ja";
      long_texts.push_back(text);
    }
    RequestOptions options;
    options.search.beam_size = 4;
    auto doomed = RequestTranslation::Start(*service.scheduler, *service.backend, long_texts, options);
    ASSERT_TRUE(doomed.ok());
    std::vector<std::string> got;
    std::thread client([&] {
      auto r = service.Translate(other, 4);
      if (r.ok()) got = *r;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 20 * round));
    (*doomed)->Cancel();
    auto status = (*doomed)->Assemble(0, 0, nullptr);
    client.join();
    EXPECT_EQ(status.status().code(), Status::Code::kCancelled) << "round " << round;
    EXPECT_EQ(got, *alone) << "round " << round;
  }
  EXPECT_EQ(service.scheduler->active_jobs(), 0);
}

// SentenceOptions::alignment through the scheduler: every sentence's result carries the word alignment of
// its translation as byte ranges of the sentence and of the translation, the same batched with others as
// alone; without the option there is none.
TEST(EngineBackendAlignmentTest, AlignmentsComeThroughTheSchedulerAndDoNotDependOnTheBatch) {
  for (const engine::ComputeType type : {engine::ComputeType::kFloat32, engine::ComputeType::kInt8}) {
    Service service(type);
    const std::vector<std::string> texts = MixedTexts();
    for (int beam : {1, 4}) {
      SentenceOptions options;
      options.beam_size = beam;
      options.max_new_tokens =
          40;  // the scheduler then adds no bound of its own: `alone` below is comparable
      options.alignment = true;
      auto job = service.scheduler->Submit(texts, options);
      ASSERT_TRUE(job.ok()) << job.status().ToString();
      ASSERT_TRUE((*job)->WaitUntil(Job::Clock::now() + std::chrono::minutes(2)).ok());
      for (size_t i = 0; i < texts.size(); ++i) {
        const SentenceResult& r = (*job)->result(i);
        ASSERT_FALSE(r.hypotheses.empty());
        EXPECT_FALSE(r.alignment.empty()) << texts[i];
        for (const engine::AlignedBytes& a : r.alignment) {
          ASSERT_LE(a.source.end, texts[i].size());
          ASSERT_LT(a.source.begin, a.source.end);
          ASSERT_LE(a.target.end, r.hypotheses[0].size());
          ASSERT_LT(a.target.begin, a.target.end);
        }
        auto alone = service.backend->TranslateBatch({texts[i]}, options, {});
        ASSERT_TRUE(alone.ok());
        EXPECT_EQ((*alone)[0].hypotheses, r.hypotheses) << texts[i];
        ASSERT_EQ((*alone)[0].alignment.size(), r.alignment.size()) << texts[i];
        for (size_t k = 0; k < r.alignment.size(); ++k) {
          EXPECT_EQ((*alone)[0].alignment[k].source, r.alignment[k].source) << texts[i] << " " << k;
          EXPECT_EQ((*alone)[0].alignment[k].target, r.alignment[k].target) << texts[i] << " " << k;
        }
      }
      options.alignment = false;
      auto plain = service.backend->TranslateBatch({texts[0]}, options, {});
      ASSERT_TRUE(plain.ok());
      EXPECT_TRUE((*plain)[0].alignment.empty());
    }
  }
}

}  // namespace
}  // namespace dolmetsch::translator
