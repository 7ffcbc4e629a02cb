// JobStore on both backends (SQLite always; MariaDB when DOLMETSCH_TEST_MYSQL_URL is set, as in CI):
// lifecycle, checkpoints, exactly-once history, leases and takeover, cancel, fairness, schema both ways.
#include "store/job_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store_test_helpers.h"
#include "store/translation_store.h"

namespace dolmetsch::store {
namespace {

using testing::ScratchDatabase;
using testing::TempDir;

class JobStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  bool mysql() const { return GetParam() == "mysql"; }

  void SetUp() override {
    if (mysql()) {
      auto cfg = testing::TestMysqlConfig();
      if (!cfg) GTEST_SKIP() << testing::kNoMysqlMessage;
      db_ = std::make_unique<ScratchDatabase>(*cfg);
      ASSERT_EQ(db_->error(), "");
    }
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    jobs_ = store_->jobs();
    ASSERT_NE(jobs_, nullptr);
  }

  // A second store on the same database: another process or replica.
  std::unique_ptr<TranslationStore> Open() {
    StoreOptions o;
    if (mysql()) {
      o.url = db_->Url();
      o.env = db_->EnvWithPassword();
    } else {
      o.url = "sqlite://" + dir_.File("history.db");
    }
    auto s = OpenStore(o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    return std::move(s).value();
  }

  JobRecord Create(const std::string& text, const std::string& owner = "alice") {
    NewJob job;
    job.owner = owner;
    job.text_de = text;
    job.model = "opus-mt-de-en";
    auto created = jobs_->CreateJob(job);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : JobRecord{};
  }

  JobRecord ClaimOrDie(const std::string& worker, int64_t lease_ms = 60000, JobStore* jobs = nullptr) {
    auto claimed = (jobs ? jobs : jobs_)->ClaimJob(worker, lease_ms);
    EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
    if (!claimed.ok() || !claimed->has_value()) {
      ADD_FAILURE() << "no job to claim for " << worker;
      return JobRecord{};
    }
    return **claimed;
  }

  int64_t HistoryRows() {
    Query q;
    auto n = store_->Count(q);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : -1;
  }

  TempDir dir_;
  std::unique_ptr<ScratchDatabase> db_;
  std::unique_ptr<TranslationStore> store_;
  JobStore* jobs_ = nullptr;
};

TEST_P(JobStoreTest, NewJobIsQueuedAndSeenOnlyByItsOwner) {
  const JobRecord a = Create("Das Haus ist groß.");
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.state, JobState::kQueued);
  EXPECT_EQ(a.owner, "alice");
  EXPECT_EQ(a.total_units, 0);
  EXPECT_GT(a.created_at_unix, 0);
  EXPECT_TRUE(a.text_de.empty()) << "texts only on request";
  const JobRecord b = Create("Guten Morgen!", "bob");

  auto with_text = jobs_->GetJob(a.id, std::string("alice"), true);
  ASSERT_TRUE(with_text.ok()) << with_text.status().ToString();
  EXPECT_EQ(with_text->text_de, "Das Haus ist groß.");
  EXPECT_EQ(jobs_->GetJob(a.id, std::string("bob"), false).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(jobs_->GetJob(9999, std::nullopt, false).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(jobs_->GetJob(-1, std::nullopt, false).status().code(), Status::Code::kNotFound);

  auto alice = jobs_->ListJobs(std::string("alice"), false, 10);
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 1u);
  EXPECT_EQ(alice->at(0).id, a.id);
  auto all = jobs_->ListJobs(std::nullopt, true, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, b.id) << "newest first";
  EXPECT_EQ(jobs_->ListJobs(std::nullopt, false, 0).status().code(), Status::Code::kInvalidArgument);
}

TEST_P(JobStoreTest, ListedJobsCarryAPreviewOfTheirTextCutAtCharacters) {
  Create("Das Haus ist groß.");
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "\xC3\xA4";  // "ä": two bytes, one character
  Create(long_text);
  auto listed = jobs_->ListJobs(std::string("alice"), true, 10);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  std::string preview;
  for (int i = 0; i < kJobPreviewChars; ++i) preview += "\xC3\xA4";
  EXPECT_EQ(listed->at(0).text_de, preview) << "the first kJobPreviewChars characters, never half of one";
  EXPECT_EQ(listed->at(1).text_de, "Das Haus ist groß.");
}

TEST_P(JobStoreTest, CheckpointsSurviveAndTheHistoryRowIsWrittenOnce) {
  const JobRecord created = Create("Eins. Zwei. Drei.");
  const JobRecord job = ClaimOrDie("w1");
  EXPECT_EQ(job.id, created.id);
  EXPECT_EQ(job.state, JobState::kRunning);
  EXPECT_EQ(job.text_de, "Eins. Zwei. Drei.");
  EXPECT_EQ(job.lease_owner, "w1");

  ASSERT_TRUE(jobs_->SaveUnits(job.id, "w1", {{0, "One."}, {2, "Three."}}, 3, 60000).ok());
  auto seen = jobs_->GetJob(job.id, std::string("alice"), false);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->total_units, 3);
  EXPECT_EQ(seen->done_units, 2);
  // Saving a unit again keeps one row with the newer text.
  ASSERT_TRUE(jobs_->SaveUnits(job.id, "w1", {{0, "One!"}}, 3, 60000).ok());
  auto units = jobs_->LoadUnits(job.id, std::string("alice"), 0);
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  ASSERT_EQ(units->size(), 2u);
  EXPECT_EQ(units->at(0).text_en, "One!");
  EXPECT_EQ(units->at(1).index, 2);
  EXPECT_EQ(jobs_->LoadUnits(job.id, std::string("bob"), 0).status().code(), Status::Code::kNotFound);
  auto tail = jobs_->LoadUnits(job.id, std::nullopt, 1);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 1u);

  ASSERT_TRUE(jobs_->SaveUnits(job.id, "w1", {{1, "Two."}}, 3, 60000).ok());
  auto history_id = jobs_->CompleteJob(job.id, "w1", "One! Two. Three.");
  ASSERT_TRUE(history_id.ok()) << history_id.status().ToString();
  auto again = jobs_->CompleteJob(job.id, "w1", "One! Two. Three.");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, *history_id) << "a repeat returns the same row";
  EXPECT_EQ(HistoryRows(), 1);

  auto row = store_->Get(*history_id, std::string("alice"));
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->text_de, "Eins. Zwei. Drei.");
  EXPECT_EQ(row->text_en, "One! Two. Three.");
  EXPECT_EQ(row->model, "opus-mt-de-en");
  EXPECT_EQ(row->client_key, JobClientKey(job.id));
  auto done = jobs_->GetJob(job.id, std::nullopt, false);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, JobState::kDone);
  EXPECT_EQ(done->history_id, *history_id);
  EXPECT_EQ(done->done_units, 3);
  EXPECT_GT(done->finished_at_unix, 0);
  EXPECT_TRUE(done->lease_owner.empty());
  EXPECT_TRUE(jobs_->LoadUnits(job.id, std::nullopt, 0)->empty()) << "units are dropped once done";
  // Nothing left to claim.
  auto none = jobs_->ClaimJob("w2", 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(JobStoreTest, AnExpiredLeaseIsTakenOverAndTheOldWorkerIsLockedOut) {
  Create("Ein langer Text.");
  auto other = Open();  // another replica
  ASSERT_NE(other, nullptr);
  const JobRecord first = ClaimOrDie("replica-a", 150);
  ASSERT_TRUE(jobs_->SaveUnits(first.id, "replica-a", {{0, "A long"}}, 2, 150).ok());
  // While the lease lives, nobody else gets the job.
  auto early = other->jobs()->ClaimJob("replica-b", 60000);
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->has_value());

  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const JobRecord taken = ClaimOrDie("replica-b", 60000, other->jobs());
  EXPECT_EQ(taken.id, first.id);
  EXPECT_EQ(taken.lease_owner, "replica-b");
  // The new worker continues from the checkpoint.
  auto units = other->jobs()->LoadUnits(taken.id, std::nullopt, 0);
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);
  EXPECT_EQ(units->at(0).text_en, "A long");

  // The old worker's writes change nothing now.
  Status lost = jobs_->SaveUnits(first.id, "replica-a", {{1, "stale"}}, 2, 150);
  EXPECT_EQ(lost.code(), Status::Code::kUnavailable) << lost.ToString();
  EXPECT_NE(lost.message().find("lease lost"), std::string::npos) << lost.ToString();
  EXPECT_EQ(jobs_->RenewLease(first.id, "replica-a", 1000).code(), Status::Code::kUnavailable);
  EXPECT_EQ(jobs_->CompleteJob(first.id, "replica-a", "stale").status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(jobs_->FailJob(first.id, "replica-a", "x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(HistoryRows(), 0);

  ASSERT_TRUE(other->jobs()->SaveUnits(taken.id, "replica-b", {{1, "text."}}, 2, 60000).ok());
  ASSERT_TRUE(other->jobs()->CompleteJob(taken.id, "replica-b", "A long text.").ok());
  EXPECT_EQ(HistoryRows(), 1);
}

TEST_P(JobStoreTest, ARestartedProcessResumesFromTheCheckpoint) {
  int64_t id = 0;
  {
    auto before = Open();
    ASSERT_NE(before, nullptr);
    NewJob job;
    job.owner = "alice";
    job.text_de = "Satz eins. Satz zwei.";
    id = before->jobs()->CreateJob(job)->id;
    auto claimed = before->jobs()->ClaimJob("pid-1", 100);
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    ASSERT_TRUE(before->jobs()->SaveUnits(id, "pid-1", {{0, "Sentence one."}}, 2, 100).ok());
  }  // the process dies with its lease held
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const JobRecord resumed = ClaimOrDie("pid-2");
  EXPECT_EQ(resumed.id, id);
  EXPECT_EQ(resumed.done_units, 1);
  auto units = jobs_->LoadUnits(id, std::nullopt, 0);
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);
  ASSERT_TRUE(jobs_->SaveUnits(id, "pid-2", {{1, "Sentence two."}}, 2, 60000).ok());
  ASSERT_TRUE(jobs_->CompleteJob(id, "pid-2", "Sentence one. Sentence two.").ok());
  EXPECT_EQ(HistoryRows(), 1);
}

TEST_P(JobStoreTest, CancelStopsTheWorkerAndWritesNoHistory) {
  const JobRecord created = Create("Abbrechen bitte.");
  const JobRecord job = ClaimOrDie("w1");
  ASSERT_TRUE(jobs_->SaveUnits(job.id, "w1", {{0, "Cancel"}}, 2, 60000).ok());
  EXPECT_EQ(jobs_->CancelJob(job.id, std::string("bob")).code(), Status::Code::kNotFound);
  ASSERT_TRUE(jobs_->CancelJob(job.id, std::string("alice")).ok());
  EXPECT_TRUE(jobs_->CancelJob(job.id, std::string("alice")).ok()) << "cancelling twice is fine";
  EXPECT_EQ(jobs_->SaveUnits(job.id, "w1", {{1, "please"}}, 2, 60000).code(), Status::Code::kCancelled);
  EXPECT_EQ(jobs_->RenewLease(job.id, "w1", 60000).code(), Status::Code::kCancelled);
  EXPECT_EQ(jobs_->CompleteJob(job.id, "w1", "Cancel please.").status().code(), Status::Code::kCancelled);
  EXPECT_EQ(HistoryRows(), 0);
  auto cancelled = jobs_->GetJob(created.id, std::nullopt, false);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  EXPECT_TRUE(jobs_->LoadUnits(job.id, std::nullopt, 0)->empty());
  // A queued job is cancelled before anybody claims it.
  const JobRecord queued = Create("Noch nicht begonnen.");
  ASSERT_TRUE(jobs_->CancelJob(queued.id, std::nullopt).ok());
  auto none = jobs_->ClaimJob("w2", 1000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // Finished jobs can be deleted, active ones not; a done job cannot be cancelled.
  const JobRecord active = Create("Aktiv.");
  EXPECT_EQ(jobs_->DeleteJob(active.id, std::nullopt).code(), Status::Code::kInvalidArgument);
  const JobRecord running = ClaimOrDie("w3");
  ASSERT_TRUE(jobs_->CompleteJob(running.id, "w3", "Active.").ok());
  EXPECT_EQ(jobs_->CancelJob(running.id, std::nullopt).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(jobs_->DeleteJob(running.id, std::string("alice")).ok());
  EXPECT_EQ(jobs_->GetJob(running.id, std::nullopt, false).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(HistoryRows(), 1) << "deleting a job keeps its history row";
}

TEST_P(JobStoreTest, FailedJobKeepsAReadableErrorCutAtACharacter) {
  Create("Fehler.");
  const JobRecord job = ClaimOrDie("w1");
  std::string error(kMaxJobErrorBytes - 1, 'x');
  error += "äöü";  // crosses the limit inside a character
  ASSERT_TRUE(jobs_->FailJob(job.id, "w1", error).ok());
  auto failed = jobs_->GetJob(job.id, std::nullopt, false);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_EQ(failed->error, std::string(kMaxJobErrorBytes - 1, 'x'));
  EXPECT_EQ(HistoryRows(), 0);
}

TEST_P(JobStoreTest, OwnersWithoutARunningJobGoFirst) {
  const JobRecord a1 = Create("a1", "alice");
  const JobRecord a2 = Create("a2", "alice");
  const JobRecord b1 = Create("b1", "bob");
  const JobRecord c1 = Create("c1", "carol");
  EXPECT_EQ(ClaimOrDie("w1").id, a1.id);
  EXPECT_EQ(ClaimOrDie("w2").id, b1.id) << "alice has a job running, bob none";
  EXPECT_EQ(ClaimOrDie("w3").id, c1.id);
  EXPECT_EQ(ClaimOrDie("w4").id, a2.id);
}

TEST_P(JobStoreTest, ConcurrentClaimsFromTwoStoresNeverShareAJob) {
  constexpr int kJobs = 24;
  for (int i = 0; i < kJobs; ++i) Create("Text " + std::to_string(i), "owner" + std::to_string(i % 3));
  auto other = Open();
  ASSERT_NE(other, nullptr);
  std::mutex mu;
  std::multiset<int64_t> claimed;
  std::atomic<int> errors{0};
  auto worker = [&](JobStore* jobs, std::string name) {
    while (true) {
      auto job = jobs->ClaimJob(name, 60000);
      if (!job.ok()) {
        // SQLite: the other connection may hold the write lock for longer than the busy timeout.
        if (job.status().code() != Status::Code::kUnavailable) ++errors;
        continue;
      }
      if (!job->has_value()) return;
      std::lock_guard<std::mutex> lock(mu);
      claimed.insert((*job)->id);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(worker, t % 2 == 0 ? jobs_ : other->jobs(), "w" + std::to_string(t));
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), static_cast<size_t>(kJobs))
      << "a job was claimed twice";
}

TEST_P(JobStoreTest, MalformedInputIsRefused) {
  NewJob bad;
  bad.text_de = "kaputt \xff";
  EXPECT_EQ(jobs_->CreateJob(bad).status().code(), Status::Code::kInvalidArgument);
  bad.text_de = "gut";
  bad.owner = std::string(kMaxOwnerBytes + 1, 'o');
  EXPECT_EQ(jobs_->CreateJob(bad).status().code(), Status::Code::kInvalidArgument);
  Create("Gut.");
  EXPECT_EQ(jobs_->ClaimJob("", 1000).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->ClaimJob("w", 0).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->ClaimJob(std::string(kMaxWorkerBytes + 1, 'w'), 10).status().code(),
            Status::Code::kInvalidArgument);
  const JobRecord job = ClaimOrDie("w");
  EXPECT_EQ(jobs_->SaveUnits(job.id, "w", {{2, "x"}}, 2, 1000).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->SaveUnits(job.id, "w", {{-1, "x"}}, 2, 1000).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->SaveUnits(job.id, "w", {{0, "\xc3"}}, 2, 1000).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->SaveUnits(job.id, "w", {}, -1, 1000).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->CompleteJob(job.id, "w", "\xff").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(jobs_->SaveUnits(424242, "w", {}, 1, 1000).code(), Status::Code::kNotFound);
  // Nothing of that reached the job.
  EXPECT_EQ(jobs_->GetJob(job.id, std::nullopt, false)->done_units, 0);
}

TEST_P(JobStoreTest, LongTextsAndManyUnitsRoundTrip) {
  std::string text;
  while (text.size() < 2 * 1024 * 1024) text += "Über den Wolken muss die Freiheit wohl grenzenlos sein. ";
  const JobRecord created = Create(text);
  const JobRecord job = ClaimOrDie("w");
  EXPECT_EQ(job.text_de, text);
  constexpr int kUnits = 2000;
  std::vector<JobUnit> units;
  for (int i = 0; i < kUnits; ++i)
    units.push_back({i, "Above the clouds, freedom must be boundless. " + std::to_string(i)});
  ASSERT_TRUE(jobs_->SaveUnits(job.id, "w", units, kUnits, 60000).ok());
  auto loaded = jobs_->LoadUnits(job.id, std::nullopt, 0);
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), static_cast<size_t>(kUnits));
  EXPECT_EQ(loaded->at(1234).text_en, units[1234].text_en);
  EXPECT_EQ(jobs_->GetJob(created.id, std::nullopt, false)->done_units, kUnits);
}

TEST_P(JobStoreTest, LanguagePairGoesFromTheJobToItsHistoryRow) {
  NewJob job;
  job.owner = "alice";
  job.text_de = "Bonjour.";
  job.source_lang = "fr";
  job.target_lang = "de";
  auto created = jobs_->CreateJob(job);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->source_lang, "fr");
  EXPECT_EQ(created->target_lang, "de");
  const JobRecord claimed = ClaimOrDie("w");
  EXPECT_EQ(claimed.source_lang, "fr");
  EXPECT_EQ(claimed.target_lang, "de");
  auto history_id = jobs_->CompleteJob(claimed.id, "w", "Hallo.");
  ASSERT_TRUE(history_id.ok()) << history_id.status().ToString();
  auto row = store_->Get(*history_id, std::string("alice"));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->source_lang, "fr");
  EXPECT_EQ(row->target_lang, "de");
  job.source_lang = "f r";
  EXPECT_EQ(jobs_->CreateJob(job).status().code(), Status::Code::kInvalidArgument);
}

TEST_P(JobStoreTest, SchemaGoesDownToTheHistoryOnlyVersionAndBackUp) {
  NewTranslation row;
  row.text_de = "Bleibt.";
  row.text_en = "Stays.";
  row.owner = "alice";
  ASSERT_TRUE(store_->Insert(row).ok());
  Create("Wird verworfen.");
  EXPECT_EQ(store_->DowngradeSchema(kSchemaVersion).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->DowngradeSchema(0).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(store_->DowngradeSchema(1).ok());
  EXPECT_EQ(HistoryRows(), 1) << "the history survives a downgrade";
  EXPECT_EQ(jobs_->CreateJob(NewJob{"alice", "x", "", "de", "en"}).status().ok(), false)
      << "no job tables any more";
  store_.reset();
  store_ = Open();  // a newer binary starts again: upgrades 1 -> current
  ASSERT_NE(store_, nullptr);
  jobs_ = store_->jobs();
  EXPECT_EQ(HistoryRows(), 1);
  const JobRecord again = Create("Neu.");
  EXPECT_GT(again.id, 0);
  auto list = jobs_->ListJobs(std::nullopt, false, 10);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u) << "the dropped job is gone, the new one is there";
}

// Bytes of every value, NUL and 0xFF among them: a file is binary, never text.
std::string BinaryBytes(size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 131 + i / 251) & 0xFF);
  return bytes;
}

TEST_P(JobStoreTest, AFileJobKeepsItsFileAndItsTranslatedFileGoesWithTheHistoryRow) {
  NewJob job;
  job.owner = "alice";
  job.text_de = "Kopf\n\nText.";
  job.file = JobFile{"Brief an Anna.docx", BinaryBytes(5 << 20)};  // 5 MiB
  auto created = jobs_->CreateJob(job);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->file_name, "Brief an Anna.docx");
  EXPECT_EQ(created->output_file_name, "");
  auto listed = jobs_->ListJobs(std::string("alice"), false, 10);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->at(0).file_name, "Brief an Anna.docx");

  const JobRecord claimed = ClaimOrDie("w");
  EXPECT_EQ(claimed.file_name, "Brief an Anna.docx");
  auto input = jobs_->GetJobFile(claimed.id, std::nullopt, /*output=*/false);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->name, "Brief an Anna.docx");
  EXPECT_TRUE(input->content == job.file->content) << "the bytes come back exactly";
  EXPECT_EQ(jobs_->GetJobFile(claimed.id, std::nullopt, /*output=*/true).status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(jobs_->GetJobFile(claimed.id, std::string("bob"), false).status().code(),
            Status::Code::kNotFound);

  const JobFile output{"Brief an Anna.docx", std::string("PK\x03\x04\x00\xff", 6) + BinaryBytes(1000)};
  const JobFile bad{"a/b.docx", "x"};
  EXPECT_EQ(jobs_->CompleteJob(claimed.id, "w", "Head\n\nText.", &bad).status().code(),
            Status::Code::kInvalidArgument);
  auto history_id = jobs_->CompleteJob(claimed.id, "w", "Head\n\nText.", &output);
  ASSERT_TRUE(history_id.ok()) << history_id.status().ToString();
  auto done = jobs_->GetJob(claimed.id, std::string("alice"), false);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->output_file_name, "Brief an Anna.docx");
  auto translated = jobs_->GetJobFile(claimed.id, std::string("alice"), /*output=*/true);
  ASSERT_TRUE(translated.ok()) << translated.status().ToString();
  EXPECT_EQ(translated->content, output.content);
  auto row = store_->Get(*history_id, std::string("alice"));
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->file_name, "Brief an Anna.docx");
  EXPECT_EQ(row->text_de, "Kopf\n\nText.");
  EXPECT_EQ(row->text_en, "Head\n\nText.");
  // Completing again (a second worker after a crash) changes nothing.
  EXPECT_EQ(*jobs_->CompleteJob(claimed.id, "w", "Head\n\nText.", &output), *history_id);
  EXPECT_EQ(HistoryRows(), 1);

  // A text job's history row has no file name; deleting the file job removes its files.
  const JobRecord text = Create("Nur Text.");
  const JobRecord text_claimed = ClaimOrDie("w");
  ASSERT_EQ(text_claimed.id, text.id);
  EXPECT_EQ(text_claimed.file_name, "");
  auto text_row = store_->Get(*jobs_->CompleteJob(text.id, "w", "Just text."), std::nullopt);
  ASSERT_TRUE(text_row.ok());
  EXPECT_EQ(text_row->file_name, "");
  ASSERT_TRUE(jobs_->DeleteJob(claimed.id, std::string("alice")).ok());
  EXPECT_EQ(jobs_->GetJobFile(claimed.id, std::nullopt, false).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->Get(*history_id, std::nullopt)->file_name, "Brief an Anna.docx") << "the history stays";
}

TEST_P(JobStoreTest, InvalidJobFilesAreRefusedWithAReason) {
  NewJob job;
  job.owner = "alice";
  job.text_de = "x";
  for (const char* name : {"", ".", "..", "a/b.md", "a\\b.md", "tab\t.md", "\xff.md"}) {
    job.file = JobFile{name, "content"};
    auto created = jobs_->CreateJob(job);
    EXPECT_EQ(created.status().code(), Status::Code::kInvalidArgument) << name;
  }
  job.file = JobFile{std::string(256, 'a'), "content"};
  EXPECT_EQ(jobs_->CreateJob(job).status().code(), Status::Code::kInvalidArgument);
  job.file = JobFile{"leer.md", ""};
  auto empty = jobs_->CreateJob(job);
  EXPECT_EQ(empty.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("leer.md"), std::string::npos);
  EXPECT_EQ(jobs_->ListJobs(std::nullopt, false, 10)->size(), 0u) << "nothing half-created";
}

INSTANTIATE_TEST_SUITE_P(Backends, JobStoreTest, ::testing::Values("sqlite", "mysql"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState s :
       {JobState::kQueued, JobState::kRunning, JobState::kDone, JobState::kFailed, JobState::kCancelled}) {
    auto parsed = ParseJobState(JobStateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(ParseJobState("paused").status().code(), Status::Code::kCorruption);
  EXPECT_TRUE(IsFinal(JobState::kCancelled));
  EXPECT_FALSE(IsFinal(JobState::kRunning));
  EXPECT_EQ(JobClientKey(42), "job-42");
}

}  // namespace
}  // namespace dolmetsch::store
