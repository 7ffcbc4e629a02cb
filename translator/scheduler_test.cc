#include "translator/scheduler.h"

#include <gtest/gtest.h>

#include <thread>

#include "translator/fake_backend_test_util.h"
#include "translator/metrics.h"

namespace dolmetsch::translator {
namespace {

using Clock = std::chrono::steady_clock;
Clock::time_point Soon() { return Clock::now() + std::chrono::seconds(20); }

std::vector<std::string> Numbered(const std::string& prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + " " + std::to_string(i));
  return v;
}

TEST(SchedulerTest, TranslatesEverySentenceInOrder) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {});
  auto job = scheduler.Submit({"eins zwei", "", "drei"}, SentenceOptions{.beam_size = 2});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  ASSERT_TRUE((*job)->WaitUntil(Soon()).ok());
  EXPECT_EQ((*job)->result(0).hypotheses[0], "2:EINS ZWEI");
  EXPECT_EQ((*job)->result(1).hypotheses[0], "");  // empty input: empty output, no decode
  EXPECT_EQ((*job)->result(2).hypotheses[0], "2:DREI");
  ASSERT_EQ(backend.batches().size(), 1u);
  EXPECT_EQ(backend.batches()[0].size(), 2u);
}

TEST(SchedulerTest, SentencesOfConcurrentRequestsShareOneBatch) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1});
  backend.Close();
  auto first = scheduler.Submit({"erster"}, {});
  ASSERT_TRUE(first.ok());
  backend.WaitEntered(1);  // the worker is busy with `first`
  std::vector<std::shared_ptr<Job>> jobs;
  for (int i = 0; i < 10; ++i) {
    auto job = scheduler.Submit({"satz " + std::to_string(i)}, {});
    ASSERT_TRUE(job.ok());
    jobs.push_back(*job);
  }
  backend.Open();
  for (auto& job : jobs) ASSERT_TRUE(job->WaitUntil(Soon()).ok());
  // Ten one-sentence requests cost one decode, not ten.
  ASSERT_EQ(backend.batches().size(), 2u);
  EXPECT_EQ(backend.batches()[1].size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(jobs[i]->result(0).hypotheses[0], "0:SATZ " + std::to_string(i));
}

// Several models behind one scheduler: each batch holds one model's sentences, the models take turns, and
// the metrics count each model under its label.
TEST(SchedulerTest, BatchesPerModelTakingTurnsAcrossModels) {
  FakeBackend german, french, blocker;
  Metrics metrics;
  Scheduler scheduler(nullptr, {.workers = 1, .max_batch_sentences = 4}, &metrics);
  german.Open();
  french.Open();
  blocker.Close();
  auto first = scheduler.Submit({"halt"}, {}, &blocker, "xx-en");
  ASSERT_TRUE(first.ok());
  blocker.WaitEntered(1);  // the worker is busy: the rest piles up
  auto de = scheduler.Submit(Numbered("de", 12), {}, &german, "de-en");
  auto fr = scheduler.Submit(Numbered("fr", 12), {}, &french, "fr-en");
  ASSERT_TRUE(de.ok() && fr.ok());
  blocker.Open();
  ASSERT_TRUE((*de)->WaitUntil(Soon()).ok());
  ASSERT_TRUE((*fr)->WaitUntil(Soon()).ok());
  // Each backend saw only its own sentences, in batches of at most 4.
  for (const auto& batch : german.batches()) {
    for (const std::string& s : batch) EXPECT_EQ(s.rfind("de ", 0), 0u) << s;
  }
  for (const auto& batch : french.batches()) {
    for (const std::string& s : batch) EXPECT_EQ(s.rfind("fr ", 0), 0u) << s;
  }
  EXPECT_EQ(german.batches().size(), 3u);
  EXPECT_EQ(french.batches().size(), 3u);
  EXPECT_EQ((*fr)->result(11).hypotheses[0], "0:FR 11");
  std::string rendered = metrics.RenderPrometheus();
  EXPECT_NE(rendered.find("dolmetsch_model_sentences_total{model=\"de-en\"} 12"), std::string::npos)
      << rendered;
  EXPECT_NE(rendered.find("dolmetsch_model_sentences_total{model=\"fr-en\"} 12"), std::string::npos);
  EXPECT_NE(rendered.find("dolmetsch_model_batches_total{model=\"fr-en\"} 3"), std::string::npos);
}

TEST(SchedulerTest, ModelsAlternateBatchByBatch) {
  // One FakeBackend records the order of every batch across both "models" (two backends sharing a log).
  struct Logged : FakeBackend {
    Logged(std::vector<std::string>* log, std::mutex* mu, std::string name)
        : log_(log), mu_(mu), name_(name) {}
    StatusOr<std::vector<SentenceResult>> TranslateBatch(
        const std::vector<std::string>& sentences, const SentenceOptions& options,
        const std::vector<const engine::CancelToken*>& cancel) override {
      {
        std::lock_guard<std::mutex> lock(*mu_);
        log_->push_back(name_);
      }
      return FakeBackend::TranslateBatch(sentences, options, cancel);
    }
    std::vector<std::string>* log_;
    std::mutex* mu_;
    std::string name_;
  };
  std::vector<std::string> log;
  std::mutex mu;
  Logged a(&log, &mu, "a"), b(&log, &mu, "b"), blocker(&log, &mu, "blocker");
  a.Open();
  b.Open();
  blocker.Close();
  Scheduler scheduler(nullptr, {.workers = 1, .max_batch_sentences = 2});
  auto first = scheduler.Submit({"halt"}, {}, &blocker, "x");
  ASSERT_TRUE(first.ok());
  blocker.WaitEntered(1);
  auto ja = scheduler.Submit(Numbered("a", 6), {}, &a, "a");
  auto jb = scheduler.Submit(Numbered("b", 6), {}, &b, "b");
  ASSERT_TRUE(ja.ok() && jb.ok());
  blocker.Open();
  ASSERT_TRUE((*ja)->WaitUntil(Soon()).ok());
  ASSERT_TRUE((*jb)->WaitUntil(Soon()).ok());
  EXPECT_EQ(log, (std::vector<std::string>{"blocker", "a", "b", "a", "b", "a", "b"}));
}

TEST(SchedulerTest, ShortRequestIsNotStarvedByHugeDocument) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 4});
  backend.Close();
  auto huge = scheduler.Submit(Numbered("lang", 400), {});
  ASSERT_TRUE(huge.ok());
  backend.WaitEntered(1);
  auto small = scheduler.Submit({"kurz"}, {});
  ASSERT_TRUE(small.ok());
  backend.Open();
  ASSERT_TRUE((*small)->WaitUntil(Soon()).ok());
  ASSERT_TRUE((*huge)->WaitUntil(Soon()).ok());
  auto batches = backend.batches();
  size_t small_batch = batches.size();
  for (size_t b = 0; b < batches.size(); ++b) {
    for (const auto& s : batches[b]) {
      if (s == "kurz") small_batch = b;
    }
  }
  EXPECT_EQ(small_batch, 1u) << "the short request should ride in the very next batch";
  EXPECT_EQ(batches.size(), 101u);  // 400 sentences / 4 + the one slot the short request took
  for (int i = 0; i < 400; ++i) EXPECT_EQ((*huge)->result(i).hypotheses[0], "0:LANG " + std::to_string(i));
}

TEST(SchedulerTest, RespectsTokenBudgetAndSortsByLength) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_tokens = 5});
  auto job = scheduler.Submit({"a b c", "d", "e f", "g h i j k l m"}, {});
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE((*job)->WaitUntil(Soon()).ok());
  auto batches = backend.batches();
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0], (std::vector<std::string>{"d", "a b c"}));     // 3 + 1 tokens, sorted by length
  EXPECT_EQ(batches[1], (std::vector<std::string>{"e f"}));            // 2 + 7 would exceed 5
  EXPECT_EQ(batches[2], (std::vector<std::string>{"g h i j k l m"}));  // alone even though over budget
}

TEST(SchedulerTest, DifferentOptionsNeverShareABatch) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1});
  backend.Close();
  auto blocker = scheduler.Submit({"x"}, {});
  backend.WaitEntered(1);
  auto a = scheduler.Submit({"a1", "a2"}, SentenceOptions{.beam_size = 1});
  auto b = scheduler.Submit({"b1"}, SentenceOptions{.beam_size = 4});
  auto c = scheduler.Submit({"c1"}, SentenceOptions{.beam_size = 1});
  backend.Open();
  for (auto* j : {&a, &b, &c}) ASSERT_TRUE((*j)->get()->WaitUntil(Soon()).ok());
  auto batches = backend.batches();
  auto options = backend.batch_options();
  ASSERT_EQ(batches.size(), 3u);
  for (size_t i = 1; i < batches.size(); ++i) {
    for (const auto& s : batches[i]) EXPECT_EQ(s[0] == 'b', options[i].beam_size == 4) << s;
  }
  EXPECT_EQ((*b)->result(0).hypotheses[0], "4:B1");
}

TEST(SchedulerTest, BoundsOutputLengthUnlessTheRequestDoes) {
  FakeBackend backend;
  Scheduler scheduler(&backend,
                      {.workers = 1, .max_batch_sentences = 1, .output_factor = 1.5, .output_slack = 3});
  auto job = scheduler.Submit({"a b c d", "e"}, {});  // 4 and 1 tokens (the fake counts words)
  ASSERT_TRUE(job.ok() && (*job)->WaitUntil(Soon()).ok());
  auto bounded = scheduler.Submit({"f g"}, SentenceOptions{.max_length = 40});
  ASSERT_TRUE(bounded.ok() && (*bounded)->WaitUntil(Soon()).ok());
  auto options = backend.batch_options();
  ASSERT_EQ(options.size(), 3u);
  // The per-sentence rule (the engine applies it to each sentence's own length), never a batch's bound.
  for (int i : {0, 1}) {
    EXPECT_EQ(options[i].output_factor, 1.5);
    EXPECT_EQ(options[i].output_slack, 3);
    EXPECT_EQ(options[i].max_new_tokens, 0);
  }
  EXPECT_EQ(options[2].output_factor, 0.0);  // the request set max_length: left alone
  EXPECT_EQ(options[2].max_length, 40);
}

TEST(SchedulerTest, RefusesWhenTooManyRequestsAreActive) {
  FakeBackend backend;
  Metrics metrics;
  Scheduler scheduler(&backend, {.workers = 1, .max_active_jobs = 2}, &metrics);
  backend.Close();
  auto a = scheduler.Submit({"a"}, {});
  auto b = scheduler.Submit({"b"}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = scheduler.Submit({"c"}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(scheduler.active_jobs(), 2);
  EXPECT_NE(metrics.RenderPrometheus().find("dolmetsch_active_requests 2"), std::string::npos);
  backend.Open();
  ASSERT_TRUE((*a)->WaitUntil(Soon()).ok());
  ASSERT_TRUE((*b)->WaitUntil(Soon()).ok());
  EXPECT_TRUE(scheduler.Submit({"c"}, {}).ok());
}

TEST(SchedulerTest, RefusesWhenQueuedSentencesWouldExceedLimitButAdmitsAnyJobIntoEmptyQueue) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 1, .max_queued_sentences = 5});
  backend.Close();
  auto big = scheduler.Submit(Numbered("s", 20), {});  // bigger than the limit, but the queue is empty
  ASSERT_TRUE(big.ok());
  backend.WaitEntered(1);
  auto more = scheduler.Submit({"x"}, {});
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), Status::Code::kResourceExhausted);
  backend.Open();
  EXPECT_TRUE((*big)->WaitUntil(Soon()).ok());
}

TEST(SchedulerTest, CancelDropsRemainingWork) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 2});
  backend.Close();
  auto job = scheduler.Submit(Numbered("s", 50), {});
  ASSERT_TRUE(job.ok());
  backend.WaitEntered(1);
  (*job)->Cancel();
  EXPECT_EQ(scheduler.queued_sentences(), 0);
  backend.Open();
  Status s = (*job)->WaitUntil(Soon());
  EXPECT_EQ(s.code(), Status::Code::kCancelled);
  EXPECT_EQ(backend.batches().size(), 1u);
  EXPECT_EQ(scheduler.active_jobs(), 0);
}

// A cancelled job ends at once, even while its sentences are in a running batch; its sentences there get a
// cancelled token (the engine stops them within a step); the other job's sentences in the batch do not.
TEST(SchedulerTest, CancelStopsTheJobsRunningSentencesOnly) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1});
  backend.Close();
  auto first = scheduler.Submit({"warm up"}, {});  // holds the worker so that a and b share the next batch
  ASSERT_TRUE(first.ok());
  backend.WaitEntered(1);
  auto a = scheduler.Submit({"a1", "a2 lang"}, {});
  auto b = scheduler.Submit({"b1", "b2 lang"}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  backend.LetOneThrough();
  ASSERT_TRUE((*first)->WaitUntil(Soon()).ok());
  backend.WaitEntered(2);  // the batch of a and b, held
  (*a)->Cancel();
  // Ends before the held batch is released.
  EXPECT_EQ((*a)->WaitUntil(Clock::now() + std::chrono::seconds(5)).code(), Status::Code::kCancelled);
  EXPECT_TRUE((*a)->finished());
  backend.Open();
  ASSERT_TRUE((*b)->WaitUntil(Soon()).ok());
  EXPECT_EQ((*b)->result(0).hypotheses[0], "0:B1");
  EXPECT_EQ((*b)->result(1).hypotheses[0], "0:B2 LANG");
  const auto batches = backend.batches();
  const auto cancel = backend.batch_cancel();
  ASSERT_GE(batches.size(), 2u);
  ASSERT_EQ(cancel[1].size(), batches[1].size());
  int a_rows = 0;
  for (size_t i = 0; i < batches[1].size(); ++i) {
    const bool of_a = batches[1][i][0] == 'a';
    a_rows += of_a;
    ASSERT_NE(cancel[1][i], nullptr);
    EXPECT_EQ(cancel[1][i]->cancelled(), of_a) << batches[1][i];
  }
  EXPECT_EQ(a_rows, 2);
  EXPECT_EQ(scheduler.active_jobs(), 0);
}

// The shutdown deadline: CancelAll ends every job in flight at once and stops their running sentences; the
// scheduler still takes new work afterwards.
TEST(SchedulerTest, CancelAllEndsEveryJobInFlight) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 2});
  backend.Close();
  auto a = scheduler.Submit(Numbered("a", 5), {});
  auto b = scheduler.Submit(Numbered("b", 5), {});
  ASSERT_TRUE(a.ok() && b.ok());
  backend.WaitEntered(1);
  scheduler.CancelAll();
  for (auto* job : {&a, &b}) {
    Status s = (**job)->WaitUntil(Clock::now() + std::chrono::seconds(5));
    EXPECT_EQ(s.code(), Status::Code::kCancelled);
    EXPECT_NE(s.message().find("shutting down"), std::string::npos) << s.message();
  }
  EXPECT_EQ(scheduler.active_jobs(), 0);
  EXPECT_EQ(scheduler.queued_sentences(), 0);
  const auto cancel = backend.batch_cancel();
  ASSERT_EQ(cancel.size(), 1u);
  for (const engine::CancelToken* token : cancel[0]) EXPECT_TRUE(token->cancelled());
  backend.Open();
  auto next = scheduler.Submit({"danach"}, {});
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE((*next)->WaitUntil(Soon()).ok());
  EXPECT_EQ((*next)->result(0).hypotheses[0], "0:DANACH");
}

TEST(SchedulerTest, WaitReportsDeadlineAndProgress) {
  FakeBackend backend;
  Scheduler scheduler(&backend, {.workers = 1, .max_batch_sentences = 1});
  backend.Close();
  auto job = scheduler.Submit({"a", "b", "c"}, {});
  ASSERT_TRUE(job.ok());
  EXPECT_EQ((*job)->WaitUntil(Clock::now() + std::chrono::milliseconds(20)).code(),
            Status::Code::kDeadlineExceeded);
  EXPECT_EQ((*job)->WaitForProgress(0, Clock::now() + std::chrono::milliseconds(20)), 0u);
  backend.Open();
  size_t seen = 0;
  std::vector<size_t> steps;
  while (seen < 3) {
    size_t now = (*job)->WaitForProgress(seen, Soon());
    ASSERT_GT(now, seen);
    steps.push_back(now);
    seen = now;
  }
  EXPECT_EQ(steps.back(), 3u);
  EXPECT_TRUE((*job)->WaitUntil(Soon()).ok());
}

TEST(SchedulerTest, BackendErrorFailsTheJobsOfThatBatch) {
  FakeBackend backend;
  Metrics metrics;
  Scheduler scheduler(&backend, {.workers = 2}, &metrics);
  backend.FailWith(Status::Internal("kaputt"));
  auto job = scheduler.Submit(Numbered("s", 3), {});
  ASSERT_TRUE(job.ok());
  Status s = (*job)->WaitUntil(Soon());
  EXPECT_EQ(s.code(), Status::Code::kInternal);
  EXPECT_EQ(s.message(), "kaputt");
  EXPECT_EQ(scheduler.active_jobs(), 0);
  backend.FailWith(Status::Ok());
  auto next = scheduler.Submit({"wieder"}, {});
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE((*next)->WaitUntil(Soon()).ok());
}

TEST(SchedulerTest, ManyThreadsGetTheirOwnResults) {
  FakeBackend backend;
  Metrics metrics;
  Scheduler scheduler(&backend, {.workers = 2, .max_batch_sentences = 7}, &metrics);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < 10; ++r) {
        std::string prefix = "t" + std::to_string(t) + "r" + std::to_string(r);
        auto job = scheduler.Submit(Numbered(prefix, 1 + (t + r) % 5), SentenceOptions{.beam_size = t % 2});
        if (!job.ok() || !(*job)->WaitUntil(Soon()).ok()) {
          ++wrong;
          continue;
        }
        for (size_t i = 0; i < (*job)->size(); ++i) {
          std::string expect = std::to_string(t % 2) + ":" + prefix + " " + std::to_string(i);
          for (char& c : expect) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          if ((*job)->result(i).hypotheses[0] != expect) ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(scheduler.active_jobs(), 0);
  EXPECT_EQ(metrics.sentences_translated(), 8 * 10 * 3);  // sum over (t+r)%5+1 is 3 per request on average
}

}  // namespace
}  // namespace dolmetsch::translator
