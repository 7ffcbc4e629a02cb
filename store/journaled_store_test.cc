#include "store/journaled_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "store/job_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_helpers.h"

namespace dolmetsch::store {
namespace {

using testing::TempDir;

// Fault injection: forwards to a real store, but Insert fails while `down` is set, or for the
// insert numbers listed in `fail_on` (1-based, counting every Insert call), or — with
// `commit_then_fail` — stores the row and still reports a lost connection (the crash-between-insert-and-
// acknowledge case).
class FaultyStore final : public TranslationStore {
 public:
  explicit FaultyStore(TranslationStore* real) : real_(real) {}
  std::atomic<bool> down{false};
  std::atomic<bool> commit_then_fail{false};
  std::set<int> fail_on;
  Status::Code failure_code = Status::Code::kUnavailable;
  std::atomic<int> calls{0};

  std::string BackendName() const override { return "faulty"; }
  Status Migrate() override { return real_->Migrate(); }
  StatusOr<InsertResult> Insert(const NewTranslation& row) override {
    const int n = ++calls;
    if (down.load() || fail_on.count(n)) {
      if (failure_code == Status::Code::kUnavailable) return Status::Unavailable("injected: server gone");
      return Status::InvalidArgument("injected: permanently bad row");
    }
    if (commit_then_fail.load()) {
      (void)real_->Insert(row);
      return Status::Unavailable("injected: connection lost after commit");
    }
    return real_->Insert(row);
  }
  StatusOr<Page> List(const Query& q) override { return real_->List(q); }
  StatusOr<int64_t> Count(const Query& q) override { return real_->Count(q); }
  StatusOr<TranslationRecord> Get(int64_t id, const std::optional<std::string>& o) override {
    return real_->Get(id, o);
  }
  Status Delete(int64_t id, const std::optional<std::string>& o) override { return real_->Delete(id, o); }
  Status Ping() override { return down.load() ? Status::Unavailable("injected") : real_->Ping(); }

 private:
  TranslationStore* real_;
};

NewTranslation Row(int i) {
  NewTranslation r;
  r.text_de = "Zeile " + std::to_string(i);
  r.text_en = "line " + std::to_string(i);
  r.owner = "o";
  return r;
}

class JournaledStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto real = OpenSqliteStore(dir_.File("db.sqlite"), 1000);
    ASSERT_TRUE(real.ok()) << real.status().ToString();
    real_ = std::move(real).value();
  }

  // A JournaledStore over a FaultyStore over the real SQLite store. No background thread: Flush() replays.
  std::unique_ptr<JournaledStore> Open(FaultyStore** faulty, bool thread = false) {
    auto f = std::make_unique<FaultyStore>(real_.get());
    *faulty = f.get();
    JournaledStoreOptions o;
    o.journal_path = dir_.File("journal");
    o.retry_interval_ms = 20;
    o.start_replay_thread = thread;
    auto s = OpenJournaledStore(std::move(f), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    return std::unique_ptr<JournaledStore>(static_cast<JournaledStore*>(std::move(s).value().release()));
  }

  // text_de of all rows in id order (oldest first).
  std::vector<std::string> Texts() {
    Query q;
    q.limit = kMaxListLimit;
    auto page = real_->List(q);
    EXPECT_TRUE(page.ok());
    std::vector<std::string> out;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) out.push_back(it->text_de);
    return out;
  }

  static std::vector<std::string> Expected(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("Zeile " + std::to_string(i));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<TranslationStore> real_;
};

TEST_F(JournaledStoreTest, FailedWriteIsJournaledAndReplayedInOrderExactlyOnce) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  ASSERT_NE(store, nullptr);
  faulty->fail_on = {3};  // the 3rd write fails
  std::vector<InsertResult> results;
  for (int i = 0; i < 6; ++i) {
    auto r = store->Insert(Row(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    results.push_back(*r);
  }
  EXPECT_FALSE(results[1].journaled);
  EXPECT_GT(results[1].id, 0);
  EXPECT_TRUE(results[2].journaled);
  EXPECT_EQ(results[2].id, 0);
  // Once something is pending, later rows queue behind it (order is kept).
  EXPECT_TRUE(results[3].journaled);
  EXPECT_TRUE(results[5].journaled);
  EXPECT_EQ(store->PendingJournalRecords(), 4);
  EXPECT_EQ(Texts(), Expected(2));

  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->PendingJournalRecords(), 0);
  EXPECT_EQ(Texts(), Expected(6));
  // The replayed row keeps its key and the time it was accepted.
  Query q;
  q.search = "Zeile";
  auto page = real_->List(q);
  bool found = false;
  for (const auto& rec : page->items) {
    if (rec.client_key == results[2].client_key) {
      found = true;
      EXPECT_EQ(rec.text_de, "Zeile 2");
      EXPECT_GT(rec.created_at_unix, 0);
    }
  }
  EXPECT_TRUE(found);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(6)) << "a second flush must not duplicate";
}

TEST_F(JournaledStoreTest, DatabaseDownThenBackReplaysEverything) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  faulty->down = true;
  for (int i = 0; i < 10; ++i) {
    auto r = store->Insert(Row(i));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->journaled);
  }
  EXPECT_EQ(store->Flush().code(), Status::Code::kUnavailable);
  EXPECT_EQ(store->PendingJournalRecords(), 10);
  EXPECT_EQ(store->Ping().code(), Status::Code::kUnavailable);
  faulty->down = false;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(10));
}

TEST_F(JournaledStoreTest, PartialReplayKeepsTheRestForLater) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  faulty->down = true;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->Insert(Row(i)).ok());
  faulty->down = false;
  faulty->fail_on = {faulty->calls.load() + 3};  // the replay's 3rd insert fails
  EXPECT_EQ(store->Flush().code(), Status::Code::kUnavailable);
  EXPECT_EQ(Texts(), Expected(2));
  EXPECT_EQ(store->PendingJournalRecords(), 3);
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(5));
}

TEST_F(JournaledStoreTest, RestartReplaysWhatAPreviousRunLeftPending) {
  {
    FaultyStore* faulty;
    auto store = Open(&faulty);
    faulty->down = true;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->Insert(Row(i)).ok());
  }  // "crash": the process goes away with 4 rows pending
  FaultyStore* faulty;
  auto store = Open(&faulty, /*thread=*/true);
  // The background thread replays without being asked.
  for (int i = 0; i < 500 && store->PendingJournalRecords() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store->PendingJournalRecords(), 0);
  EXPECT_EQ(Texts(), Expected(4));
}

TEST_F(JournaledStoreTest, CrashBetweenInsertAndJournalTruncationDoesNotDuplicate) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  faulty->down = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Insert(Row(i)).ok());
  // The database accepts the rows but every acknowledgement is lost: the journal keeps them.
  faulty->down = false;
  faulty->commit_then_fail = true;
  EXPECT_FALSE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(1));  // the first replayed row reached the database
  EXPECT_EQ(store->PendingJournalRecords(), 3);
  faulty->commit_then_fail = false;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(3)) << "row 0 must not be inserted twice";
}

TEST_F(JournaledStoreTest, AcknowledgementLostOnADirectInsertIsNotDuplicatedEither) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  faulty->commit_then_fail = true;
  auto r = store->Insert(Row(0));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->journaled);
  faulty->commit_then_fail = false;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), Expected(1));
}

TEST_F(JournaledStoreTest, PermanentErrorsAreReturnedNotJournaled) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  NewTranslation bad = Row(0);
  bad.text_de = "\xC3";
  EXPECT_EQ(store->Insert(bad).status().code(), Status::Code::kInvalidArgument);
  faulty->failure_code = Status::Code::kInvalidArgument;
  faulty->fail_on = {1};
  EXPECT_EQ(store->Insert(Row(1)).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store->PendingJournalRecords(), 0);
}

TEST_F(JournaledStoreTest, RowRejectedDuringReplayIsMovedAsideAndDoesNotBlockOthers) {
  FaultyStore* faulty;
  auto store = Open(&faulty);
  faulty->down = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->Insert(Row(i)).ok());
  faulty->down = false;
  faulty->failure_code = Status::Code::kInvalidArgument;
  faulty->fail_on = {faulty->calls.load() + 2};  // the database refuses row 1 for good
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(Texts(), (std::vector<std::string>{"Zeile 0", "Zeile 2"}));
  EXPECT_EQ(store->rejected_records(), 1);
  const std::string rejected = testing::ReadFile(dir_.File("journal.rejected"));
  EXPECT_NE(rejected.find("Zeile 1"), std::string::npos);
  EXPECT_NE(rejected.find("permanently bad"), std::string::npos);
}

TEST_F(JournaledStoreTest, ConcurrentInsertsWhileTheDatabaseFlapsLoseNothing) {
  FaultyStore* faulty;
  auto store = Open(&faulty, /*thread=*/true);
  std::atomic<bool> stop{false};
  std::thread flapper([&] {
    for (int i = 0; !stop.load() && i < 200; ++i) {
      faulty->down = (i % 2 == 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
    faulty->down = false;
  });
  std::vector<std::thread> writers;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        NewTranslation r = Row(t * 1000 + i);
        if (!store->Insert(r).ok()) ++errors;
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  flapper.join();
  faulty->down = false;
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(*real_->Count(Query{}), 200);
  std::set<std::string> texts;
  for (const auto& t : Texts()) texts.insert(t);
  EXPECT_EQ(texts.size(), 200u);
}

TEST_F(JournaledStoreTest, OpenStoreWithJournalOverSqlite) {
  StoreOptions o;
  o.url = "sqlite://" + dir_.File("other.db");
  o.journal_path = dir_.File("other.journal");
  auto s = OpenStore(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->BackendName(), "journaled(sqlite)");
  auto r = (*s)->Insert(Row(1));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->journaled);
  EXPECT_TRUE((*s)->Get(r->id, std::string("o")).ok());
  // The jobs of the database behind the journal (the web app's jobs run on this store).
  ASSERT_NE((*s)->jobs(), nullptr);
  auto job = (*s)->jobs()->CreateJob({"o", "Ein Satz.", ""});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_TRUE((*s)->jobs()->GetJob(job->id, std::string("o"), false).ok());
}

}  // namespace
}  // namespace dolmetsch::store
