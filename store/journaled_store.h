// JournaledStore: a TranslationStore that wraps another one and never loses an Insert while the database
// is down. Insert() goes to the inner store; if that fails with a transient error (kUnavailable, kIoError,
// kDeadlineExceeded) the row is appended to the journal (journal.h) and Insert() answers
// {id: 0, journaled: true}. While records are pending, new rows go to the journal too, so rows reach the
// database in the order they were accepted. A background thread replays pending records in order every
// retry_interval_ms (and at once after construction, so a restart replays what a previous run left).
// Replay is exactly-once: every row carries a client_key with a UNIQUE index, and inserting an existing key
// returns the stored row, so a crash between the database insert and the journal truncation cannot
// duplicate a row. A record the database rejects permanently (not transient) is appended as a JSON line to
// "<journal>.rejected" with the reason and dropped from the journal, so one bad row cannot block the rest.
// Reads (List/Get/Count/Delete/Ping) go straight to the inner store (journaled rows appear after replay).
// Thread-safety: as TranslationStore; all methods may be called concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/journal.h"
#include "store/translation_store.h"

namespace dolmetsch::store {

struct JournaledStoreOptions {
  std::string journal_path;
  int retry_interval_ms = 2000;
  bool start_replay_thread = true;  // false: replay only on Flush() (tests)
};

class JournaledStore final : public TranslationStore {
 public:
  // Use OpenJournaledStore.
  JournaledStore(std::unique_ptr<TranslationStore> inner, std::unique_ptr<Journal> journal,
                 JournaledStoreOptions options);
  ~JournaledStore() override;

  std::string BackendName() const override;
  Status Migrate() override;
  StatusOr<InsertResult> Insert(const NewTranslation& row) override;
  StatusOr<Page> List(const Query& query) override;
  StatusOr<int64_t> Count(const Query& query) override;
  StatusOr<TranslationRecord> Get(int64_t id, const std::optional<std::string>& owner) override;
  Status Delete(int64_t id, const std::optional<std::string>& owner) override;
  Status Ping() override;
  // The inner store's jobs: job writes need the database and are never journaled (job_store.h).
  JobStore* jobs() override { return inner_->jobs(); }
  int64_t PendingJournalRecords() const override;

  // Replays pending records now (in the caller's thread). Ok when the journal is empty afterwards;
  // the inner store's error when the database is still down.
  Status Flush();

  // Records moved to "<journal>.rejected" so far (by this process).
  int64_t rejected_records() const { return rejected_.load(); }

 private:
  void ReplayLoop();
  Status ReplayLocked();  // replay_mu_ held

  std::unique_ptr<TranslationStore> inner_;
  std::unique_ptr<Journal> journal_;
  const JournaledStoreOptions options_;
  std::mutex replay_mu_;  // one replay at a time
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<int64_t> rejected_{0};
  std::thread thread_;
};

// Opens the journal (recovering it, warnings logged to stderr) and wraps `inner`.
StatusOr<std::unique_ptr<TranslationStore>> OpenJournaledStore(std::unique_ptr<TranslationStore> inner,
                                                               const JournaledStoreOptions& options);

// True for the error codes that make JournaledStore journal a row instead of failing.
bool IsTransientStoreError(const Status& status);

}  // namespace dolmetsch::store
