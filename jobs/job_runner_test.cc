#include "jobs/job_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "store/translation_store.h"

namespace dolmetsch::jobs {
namespace {

using namespace std::chrono_literals;

// Segments are the text's words; a piece is " WORD" upper-cased (the first without the space). Records
// the `skip` of every call; can be slowed down, made to fail, or made to wait until cancelled.
class FakeTranslator : public PieceTranslator {
 public:
  Status Translate(const std::string& text, const std::string& source, const std::string& target,
                   int64_t skip, const std::atomic<bool>& cancelled, const OnPiece& on_piece) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      pairs.push_back(source + "-" + target);
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      skips.push_back(skip);
    }
    if (unavailable_calls > 0) {
      --unavailable_calls;
      return Status::Unavailable("translator is down");
    }
    if (!fail_with.ok()) return fail_with;
    std::vector<std::string> words;
    for (std::size_t pos = 0; pos < text.size();) {
      std::size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      words.push_back(text.substr(pos, end - pos));
      pos = end + 1;
    }
    for (std::size_t i = static_cast<std::size_t>(skip); i < words.size(); ++i) {
      std::this_thread::sleep_for(piece_delay);
      if (cancelled) return Status::Cancelled("cancelled");
      if (static_cast<int64_t>(i) == stop_after) {
        while (!cancelled) std::this_thread::sleep_for(1ms);
        return Status::Cancelled("cancelled");
      }
      std::string upper = words[i];
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ++pieces_translated;
      on_piece(static_cast<int64_t>(i), static_cast<int64_t>(words.size()), (i == 0 ? "" : " ") + upper);
    }
    return Status::Ok();
  }

  // A file: its pieces are the content's lines (their printable ASCII), upper-cased; the result is the
  // content reversed (binary). Fails with kUnavailable while unavailable_calls > 0, after sending the first
  // pieces, so that the retry shows what a resumed file job does.
  StatusOr<store::JobFile> TranslateFile(const store::JobFile& input, const std::string&, const std::string&,
                                         int64_t skip, const std::atomic<bool>& cancelled,
                                         const OnPiece& on_piece) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      skips.push_back(skip);
      files.push_back(input.name);
    }
    std::vector<std::string> lines;
    for (std::size_t pos = 0; pos <= input.content.size();) {
      std::size_t end = input.content.find('\n', pos);
      if (end == std::string::npos) end = input.content.size();
      lines.push_back(input.content.substr(pos, end - pos));
      pos = end + 1;
    }
    for (std::size_t i = static_cast<std::size_t>(skip); i < lines.size(); ++i) {
      if (cancelled) return Status::Cancelled("cancelled");
      if (i == 1 && unavailable_calls > 0) {
        --unavailable_calls;
        return Status::Unavailable("translator restarted");
      }
      std::string upper;  // the line's text: its printable ASCII, upper-cased
      for (char c : lines[i]) {
        if (c >= ' ' && c < 0x7f) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      on_piece(static_cast<int64_t>(i), static_cast<int64_t>(lines.size()), (i == 0 ? "" : "\n") + upper);
    }
    if (!fail_with.ok()) return fail_with;
    return store::JobFile{"out-" + input.name, std::string(input.content.rbegin(), input.content.rend())};
  }

  std::mutex mu;
  std::vector<std::string> files;
  std::vector<int64_t> skips;
  std::vector<std::string> pairs;  // "source-target" of every call
  std::atomic<int> unavailable_calls{0};
  std::atomic<int64_t> pieces_translated{0};
  Status fail_with;
  std::chrono::milliseconds piece_delay{0};
  int64_t stop_after = -1;  // at this index, wait until cancelled
};

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dolmetsch-jobs-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<store::TranslationStore> Open() {
    store::StoreOptions o;
    o.url = "sqlite://" + (dir_ / "history.db").string();
    auto s = store::OpenStore(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  RunnerOptions Fast(int workers = 1) {
    RunnerOptions o;
    o.workers = workers;
    o.worker_prefix = "test-" + std::to_string(::getpid());
    o.lease = 300ms;
    o.checkpoint_interval = 0ms;
    o.idle_poll = 20ms;
    o.retry_backoff = 20ms;
    return o;
  }

  int64_t Create(const std::string& text, const std::string& owner = "alice") {
    auto job = store_->jobs()->CreateJob(store::NewJob{owner, text, "fake"});
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    return job.ok() ? job->id : 0;
  }

  store::JobRecord WaitFor(int64_t id, store::JobState state, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    store::JobRecord job;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = store_->jobs()->GetJob(id, std::nullopt, false);
      if (got.ok()) {
        job = *got;
        if (job.state == state) return job;
      }
      std::this_thread::sleep_for(5ms);
    }
    ADD_FAILURE() << "job " << id << " did not become " << store::JobStateName(state) << ", is "
                  << store::JobStateName(job.state);
    return job;
  }

  int64_t HistoryRows() { return *store_->Count(store::Query{}); }

  std::filesystem::path dir_;
  std::unique_ptr<store::TranslationStore> store_;
  FakeTranslator translator_;
};

TEST_F(JobRunnerTest, TranslatesCheckpointsAndWritesOneHistoryRow) {
  const int64_t id = Create("eins zwei drei vier");
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  const store::JobRecord done = WaitFor(id, store::JobState::kDone);
  runner.Stop();
  EXPECT_EQ(done.total_units, 4);
  EXPECT_EQ(done.done_units, 4);
  auto row = store_->Get(done.history_id, std::string("alice"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->text_en, "EINS ZWEI DREI VIER");
  EXPECT_EQ(row->text_de, "eins zwei drei vier");
  EXPECT_EQ(HistoryRows(), 1);
  EXPECT_EQ(runner.completed(), 1);
}

TEST_F(JobRunnerTest, AFileJobStoresTheTranslatedFileAndResumesAfterAnOutage) {
  store::NewJob file_job;
  file_job.owner = "alice";
  file_job.text_de = "kopf\nmitte\nende";
  file_job.model = "fake";
  const std::string bytes = std::string("kopf\nmitte\nende\x00\xff", 17);
  file_job.file = store::JobFile{"brief.docx", bytes};
  auto created = store_->jobs()->CreateJob(file_job);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  translator_.unavailable_calls = 1;  // the first attempt breaks off after its first piece
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  const store::JobRecord done = WaitFor(created->id, store::JobState::kDone);
  runner.Stop();
  EXPECT_EQ(done.total_units, 3);
  EXPECT_EQ(done.file_name, "brief.docx");
  EXPECT_EQ(done.output_file_name, "out-brief.docx");
  {
    std::lock_guard<std::mutex> lock(translator_.mu);
    // The retry asks only for the pieces not saved yet; the file is sent whole both times.
    EXPECT_EQ(translator_.skips, (std::vector<int64_t>{0, 1}));
    EXPECT_EQ(translator_.files, (std::vector<std::string>{"brief.docx", "brief.docx"}));
  }
  auto output = store_->jobs()->GetJobFile(created->id, std::string("alice"), /*output=*/true);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  EXPECT_EQ(output->name, "out-brief.docx");
  EXPECT_EQ(output->content, std::string(bytes.rbegin(), bytes.rend()));
  auto row = store_->Get(done.history_id, std::string("alice"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->text_en, "KOPF\nMITTE\nENDE");
  EXPECT_EQ(row->text_de, "kopf\nmitte\nende");
  EXPECT_EQ(row->file_name, "brief.docx");
  EXPECT_EQ(HistoryRows(), 1);
}

TEST_F(JobRunnerTest, AFileJobTheTranslatorRefusesFailsWithItsMessage) {
  store::NewJob file_job;
  file_job.owner = "alice";
  file_job.text_de = "a";
  file_job.file = store::JobFile{"a.md", "a"};
  auto created = store_->jobs()->CreateJob(file_job);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  translator_.fail_with = Status::InvalidArgument("the file is broken");
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  const store::JobRecord failed = WaitFor(created->id, store::JobState::kFailed);
  runner.Stop();
  EXPECT_EQ(failed.error, "the file is broken");
  EXPECT_FALSE(store_->jobs()->GetJobFile(created->id, std::nullopt, /*output=*/true).ok());
  EXPECT_EQ(HistoryRows(), 0);
}

TEST_F(JobRunnerTest, TheJobsLanguagePairReachesTheTranslatorAndTheHistory) {
  auto job = store_->jobs()->CreateJob(store::NewJob{"alice", "un deux", "fake", "fr", "de"});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  const store::JobRecord done = WaitFor(job->id, store::JobState::kDone);
  runner.Stop();
  {
    std::lock_guard<std::mutex> lock(translator_.mu);
    ASSERT_FALSE(translator_.pairs.empty());
    EXPECT_EQ(translator_.pairs.back(), "fr-de");
  }
  auto row = store_->Get(done.history_id, std::string("alice"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->source_lang, "fr");
  EXPECT_EQ(row->target_lang, "de");
}

TEST_F(JobRunnerTest, ARestartedRunnerResumesFromTheCheckpoint) {
  const int64_t id = Create("a b c d e f g h");
  translator_.stop_after = 5;  // the first process translates a..e, then hangs in f
  {
    JobRunner first(store_->jobs(), &translator_, Fast());
    first.Start();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (store_->jobs()->GetJob(id, std::nullopt, false)->done_units < 5 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    first.Stop();  // the process goes away mid-job (its lease is left to expire)
  }
  EXPECT_EQ(store_->jobs()->GetJob(id, std::nullopt, false)->state, store::JobState::kRunning);
  translator_.stop_after = -1;
  const int64_t before = translator_.pieces_translated;
  auto second_store = Open();  // a new process on the same database
  JobRunner second(second_store->jobs(), &translator_, Fast());
  second.Start();
  const store::JobRecord done = WaitFor(id, store::JobState::kDone);
  second.Stop();
  EXPECT_EQ(translator_.skips.back(), 5) << "the second run starts after the five saved pieces";
  EXPECT_EQ(translator_.pieces_translated - before, 3) << "finished pieces are never translated again";
  EXPECT_EQ(store_->Get(done.history_id, std::nullopt)->text_en, "A B C D E F G H");
  EXPECT_EQ(HistoryRows(), 1);
}

TEST_F(JobRunnerTest, CancelStopsTheTranslationWithinAPieceAndWritesNoHistory) {
  translator_.piece_delay = 20ms;
  std::string text;
  for (int i = 0; i < 500; ++i) text += (i ? " w" : "w") + std::to_string(i);
  const int64_t id = Create(text);
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (store_->jobs()->GetJob(id, std::nullopt, false)->done_units < 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(store_->jobs()->CancelJob(id, std::string("alice")).ok());
  const auto cancelled_at = std::chrono::steady_clock::now();
  while (runner.abandoned() == 0 && std::chrono::steady_clock::now() < cancelled_at + 5s) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(runner.abandoned(), 1);
  EXPECT_LT(translator_.pieces_translated.load(), 100) << "the translation stopped soon after the cancel";
  runner.Stop();
  EXPECT_EQ(HistoryRows(), 0);
  EXPECT_EQ(store_->jobs()->GetJob(id, std::nullopt, false)->state, store::JobState::kCancelled);
}

TEST_F(JobRunnerTest, TranslatorErrorsFailTheJobWhileOutagesAreRetried) {
  translator_.unavailable_calls = 2;
  const int64_t retried = Create("x y");
  JobRunner runner(store_->jobs(), &translator_, Fast());
  runner.Start();
  WaitFor(retried, store::JobState::kDone);
  translator_.fail_with = Status::InvalidArgument("the text is not valid UTF-8");
  const int64_t broken = Create("z");
  const store::JobRecord failed = WaitFor(broken, store::JobState::kFailed);
  runner.Stop();
  EXPECT_EQ(failed.error, "the text is not valid UTF-8");
  EXPECT_EQ(runner.failed(), 1);
  EXPECT_EQ(HistoryRows(), 1);
}

TEST_F(JobRunnerTest, SeveralWorkersShareTheQueueFairly) {
  translator_.piece_delay = 2ms;
  std::string big;
  for (int i = 0; i < 300; ++i) big += (i ? " big" : "big") + std::to_string(i);
  const int64_t large = Create(big, "alice");
  const int64_t large2 = Create(big, "alice");
  const int64_t small = Create("kurz und klein", "bob");
  JobRunner runner(store_->jobs(), &translator_, Fast(/*workers=*/2));
  runner.Start();
  // bob's paragraph does not wait for both of alice's long texts.
  WaitFor(small, store::JobState::kDone, 5s);
  auto second = store_->jobs()->GetJob(large2, std::nullopt, false);
  EXPECT_NE(second->state, store::JobState::kDone) << "bob was served before alice's second text finished";
  WaitFor(large, store::JobState::kDone);
  WaitFor(large2, store::JobState::kDone);
  runner.Stop();
  EXPECT_EQ(HistoryRows(), 3);
}

}  // namespace
}  // namespace dolmetsch::jobs
