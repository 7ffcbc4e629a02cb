#include "store/journaled_store.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "store/store_util.h"

namespace dolmetsch::store {

bool IsTransientStoreError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kUnavailable:
    case Status::Code::kIoError:
    case Status::Code::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

JournaledStore::JournaledStore(std::unique_ptr<TranslationStore> inner, std::unique_ptr<Journal> journal,
                               JournaledStoreOptions options)
    : inner_(std::move(inner)), journal_(std::move(journal)), options_(std::move(options)) {
  if (options_.start_replay_thread) thread_ = std::thread([this] { ReplayLoop(); });
}

JournaledStore::~JournaledStore() {
  {
    std::lock_guard<std::mutex> lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string JournaledStore::BackendName() const { return "journaled(" + inner_->BackendName() + ")"; }

Status JournaledStore::Migrate() { return inner_->Migrate(); }

StatusOr<InsertResult> JournaledStore::Insert(const NewTranslation& row_in) {
  DOLMETSCH_RETURN_IF_ERROR(ValidateNewTranslation(row_in));
  NewTranslation row = row_in;
  // Fix key and time now, so a replayed row is the same row with the time it was accepted.
  if (row.client_key.empty()) row.client_key = NewUuidV4();
  if (row.created_at_unix == 0) row.created_at_unix = UnixNow();

  auto to_journal = [&](const Status& cause) -> StatusOr<InsertResult> {
    Status s = journal_->Append(row);
    if (!s.ok()) {
      if (cause.ok()) return s.WithContext("the row could not be journaled");
      return cause.WithContext("the journal could not take the row either (" + s.message() + ")");
    }
    wake_.notify_all();
    InsertResult r;
    r.journaled = true;
    r.client_key = row.client_key;
    return r;
  };

  // While records are pending (including during a replay: they count until dropped), a new row queues
  // behind them, so rows reach the database in the order they were accepted and a request never waits
  // for a replay that is retrying a dead database.
  if (journal_->pending() > 0) return to_journal(Status::Ok());
  StatusOr<InsertResult> result = inner_->Insert(row);
  if (result.ok() || !IsTransientStoreError(result.status())) return result;
  std::cerr << "dolmetsch store: warning: " << result.status().ToString() << "; row " << row.client_key
            << " kept in the journal '" << journal_->path() << "'\n";
  return to_journal(result.status());
}

StatusOr<Page> JournaledStore::List(const Query& query) { return inner_->List(query); }
StatusOr<int64_t> JournaledStore::Count(const Query& query) { return inner_->Count(query); }
StatusOr<TranslationRecord> JournaledStore::Get(int64_t id, const std::optional<std::string>& owner) {
  return inner_->Get(id, owner);
}
Status JournaledStore::Delete(int64_t id, const std::optional<std::string>& owner) {
  return inner_->Delete(id, owner);
}
Status JournaledStore::Ping() { return inner_->Ping(); }
int64_t JournaledStore::PendingJournalRecords() const { return static_cast<int64_t>(journal_->pending()); }

Status JournaledStore::Flush() {
  std::lock_guard<std::mutex> lock(replay_mu_);
  return ReplayLocked();
}

Status JournaledStore::ReplayLocked() {
  while (journal_->pending() > 0) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::vector<NewTranslation> rows, journal_->ReadAll());
    size_t done = 0;
    Status failure;
    for (const NewTranslation& row : rows) {
      StatusOr<InsertResult> r = inner_->Insert(row);
      if (r.ok()) {
        ++done;
        continue;
      }
      if (IsTransientStoreError(r.status())) {
        failure = r.status();
        break;
      }
      // Permanently rejected: keep it for a person, out of the way of the others.
      const std::string rejected_path = journal_->path() + ".rejected";
      std::ofstream out(rejected_path, std::ios::app | std::ios::binary);
      nlohmann::json j = {{"reason", r.status().ToString()},
                          {"key", row.client_key},
                          {"de", row.text_de},
                          {"en", row.text_en},
                          {"owner", row.owner},
                          {"model", row.model},
                          {"t", row.created_at_unix}};
      out << j.dump() << "\n";
      out.flush();
      if (!out) {
        failure = Status::IoError("journal: cannot write '" + rejected_path + "'");
        break;
      }
      std::cerr << "dolmetsch store: warning: journal row " << row.client_key << " rejected by the database ("
                << r.status().ToString() << "); moved to '" << rejected_path << "'\n";
      rejected_.fetch_add(1);
      ++done;
    }
    DOLMETSCH_RETURN_IF_ERROR(journal_->DropFirst(done));
    if (!failure.ok()) return failure;
  }
  return Status::Ok();
}

void JournaledStore::ReplayLoop() {
  std::unique_lock<std::mutex> lock(wake_mu_);
  while (!stop_) {
    if (journal_->pending() > 0) {
      lock.unlock();
      Status s;
      {
        std::lock_guard<std::mutex> replay_lock(replay_mu_);
        s = ReplayLocked();
      }
      lock.lock();
      if (s.ok()) continue;
      // Still down: wait for the retry interval (or shutdown).
      wake_.wait_for(lock, std::chrono::milliseconds(options_.retry_interval_ms), [this] { return stop_; });
      continue;
    }
    wake_.wait_for(lock, std::chrono::milliseconds(options_.retry_interval_ms),
                   [this] { return stop_ || journal_->pending() > 0; });
  }
}

StatusOr<std::unique_ptr<TranslationStore>> OpenJournaledStore(std::unique_ptr<TranslationStore> inner,
                                                               const JournaledStoreOptions& options) {
  if (options.journal_path.empty()) return Status::InvalidArgument("journal path is empty");
  Journal::OpenReport report;
  DOLMETSCH_ASSIGN_OR_RETURN(auto journal, Journal::Open(options.journal_path, &report));
  for (const std::string& w : report.warnings) std::cerr << "dolmetsch store: warning: " << w << "\n";
  return std::unique_ptr<TranslationStore>(
      std::make_unique<JournaledStore>(std::move(inner), std::move(journal), options));
}

}  // namespace dolmetsch::store
