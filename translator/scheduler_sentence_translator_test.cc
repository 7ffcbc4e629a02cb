#include "translator/scheduler_sentence_translator.h"

#include <gtest/gtest.h>

#include <thread>

#include "translator/fake_backend_test_util.h"

namespace dolmetsch::translator {
namespace {

using Clock = std::chrono::steady_clock;

TEST(SchedulerSentenceTranslatorTest, RunsTheDocumentPipelineThroughTheScheduler) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {});
  SchedulerSentenceTranslator translator(&scheduler, &backend, SentenceOptions{.beam_size = 2}, 512, "fake",
                                         Clock::now() + std::chrono::seconds(20));
  std::string out;
  auto stats = text::TranslateDocument("Hallo Welt. Wie geht es?\n\nGut.", translator,
                                       text::DocumentOptions{}, nullptr, text::DocumentCallbacks{}, &out);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(out, "2:HALLO WELT. 2:WIE GEHT ES?\n\n2:GUT.");
  ASSERT_FALSE(backend.batch_options().empty());
  EXPECT_GT(backend.batch_options()[0].max_new_tokens, 0);  // the pipeline's output bound reaches the engine
}

TEST(SchedulerSentenceTranslatorTest, ConcurrentDocumentsShareDecodes) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1});
  backend.Close();
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(6);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      SchedulerSentenceTranslator translator(&scheduler, &backend, {}, 512, "fake",
                                             Clock::now() + std::chrono::seconds(20));
      std::string text = "Dokument " + std::to_string(t) + " hat einen Satz.";
      auto stats =
          text::TranslateDocument(text, translator, text::DocumentOptions{}, nullptr, {}, &outputs[t]);
      EXPECT_TRUE(stats.ok());
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let all six submit while the gate is shut
  backend.Open();
  for (auto& t : threads) t.join();
  for (int t = 0; t < 6; ++t) EXPECT_EQ(outputs[t], "0:DOKUMENT " + std::to_string(t) + " HAT EINEN SATZ.");
  EXPECT_LE(backend.batches().size(), 2u);  // the first alone, the other five together
}

TEST(SchedulerSentenceTranslatorTest, DeadlineAndCancellation) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {});
  backend.Close();
  SchedulerSentenceTranslator late(&scheduler, &backend, {}, 512, "fake",
                                   Clock::now() + std::chrono::milliseconds(50));
  EXPECT_EQ(late.TranslateBatch({"a"}, {}).status().code(), Status::Code::kDeadlineExceeded);
  SchedulerSentenceTranslator cancelled(&scheduler, &backend, {}, 512, "fake",
                                        Clock::now() + std::chrono::seconds(20), [] { return true; });
  EXPECT_EQ(cancelled.TranslateBatch({"b"}, {}).status().code(), Status::Code::kCancelled);
  backend.Open();
}

}  // namespace
}  // namespace dolmetsch::translator
