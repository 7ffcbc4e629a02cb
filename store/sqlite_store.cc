#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <mutex>
#include <set>
#include <vector>

#include "store/job_sql.h"
#include "store/store_util.h"

namespace dolmetsch::store {
namespace {

Status FromSqlite(int rc, sqlite3* db, const std::string& what) {
  const std::string msg = "sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xFF) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
      return Status::Ok();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(msg + " (database locked by another connection; retry)");
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IoError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      return Status::InvalidArgument(msg);
    default:
      return Status::Internal(msg);
  }
}

// A prepared statement; finalized on destruction.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, const std::string& sql) {
    db_ = db;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr);
    return FromSqlite(rc, db, "preparing statement");
  }
  void BindText(int i, const std::string& s) {
    sqlite3_bind_text64(stmt_, i, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindBlob(int i, const std::string& s) {
    sqlite3_bind_blob64(stmt_, i, s.data(), s.size(), SQLITE_TRANSIENT);
  }
  // A text, or NULL when empty (optional columns).
  void BindTextOrNull(int i, const std::string& s) {
    if (s.empty()) {
      sqlite3_bind_null(stmt_, i);
    } else {
      BindText(i, s);
    }
  }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  // Ok(true): a row; Ok(false): done.
  StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return FromSqlite(rc, db_, "executing statement");
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Blob(int col) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    if (p == nullptr) return std::string();
    return std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// NULL languages: rows of the original app and of schema versions before 3, all German -> English.
constexpr const char* kColumns =
    "id, text_de, text_en, owner, model, created_at, client_key, COALESCE(source_lang, 'de'), "
    "COALESCE(target_lang, 'en'), COALESCE(file_name, '')";

class SqliteStore final : public TranslationStore, public JobStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  std::string BackendName() const override { return "sqlite"; }

  Status Migrate() override {
    std::lock_guard<std::mutex> lock(mu_);
    return MigrateLocked();
  }

  StatusOr<InsertResult> Insert(const NewTranslation& row) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateNewTranslation(row));
    InsertResult result;
    result.client_key = row.client_key.empty() ? NewUuidV4() : row.client_key;
    std::lock_guard<std::mutex> lock(mu_);
    Stmt ins;
    DOLMETSCH_RETURN_IF_ERROR(
        ins.Prepare(db_,
                    "INSERT INTO translations(text_de, text_en, owner, model, created_at, client_key, "
                    "source_lang, target_lang, file_name) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
                    "CONFLICT(client_key) DO NOTHING"));
    ins.BindText(1, row.text_de);
    ins.BindText(2, row.text_en);
    ins.BindText(3, row.owner);
    ins.BindText(4, row.model);
    ins.BindInt(5, row.created_at_unix > 0 ? row.created_at_unix : UnixNow());
    ins.BindText(6, result.client_key);
    ins.BindText(7, row.source_lang);
    ins.BindText(8, row.target_lang);
    ins.BindTextOrNull(9, row.file_name);
    DOLMETSCH_ASSIGN_OR_RETURN(bool unused_row, ins.Step());
    (void)unused_row;
    if (sqlite3_changes(db_) == 1) {
      result.id = sqlite3_last_insert_rowid(db_);
      return result;
    }
    // The key exists: idempotent insert, answer with the row already stored.
    Stmt sel;
    DOLMETSCH_RETURN_IF_ERROR(sel.Prepare(db_, "SELECT id FROM translations WHERE client_key = ?"));
    sel.BindText(1, result.client_key);
    DOLMETSCH_ASSIGN_OR_RETURN(bool found, sel.Step());
    if (!found)
      return Status::Internal("sqlite: insert ignored but no row has client_key " + result.client_key);
    result.id = sel.Int(0);
    return result;
  }

  StatusOr<Page> List(const Query& query) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateQuery(query, /*for_count=*/false));
    std::string sql = std::string("SELECT ") + kColumns + " FROM translations";
    const std::string where = WhereClause(query, /*use_before=*/true);
    sql += where + " ORDER BY id DESC LIMIT ? OFFSET ?";
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    int i = BindWhere(st, query, /*use_before=*/true);
    st.BindInt(i++, query.limit + 1);
    st.BindInt(i++, query.before_id ? 0 : query.offset);
    Page page;
    while (true) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
      if (!has_row) break;
      if (static_cast<int>(page.items.size()) == query.limit) {
        page.has_more = true;
        break;
      }
      TranslationRecord r;
      r.id = st.Int(0);
      r.text_de = st.Text(1);
      r.text_en = st.Text(2);
      r.owner = st.Text(3);
      r.model = st.Text(4);
      r.created_at_unix = st.Int(5);
      r.client_key = st.Text(6);
      r.source_lang = st.Text(7);
      r.target_lang = st.Text(8);
      r.file_name = st.Text(9);
      page.items.push_back(std::move(r));
    }
    if (!page.items.empty()) page.next_before_id = page.items.back().id;
    return page;
  }

  StatusOr<int64_t> Count(const Query& query) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateQuery(query, /*for_count=*/true));
    const std::string sql = "SELECT COUNT(*) FROM translations" + WhereClause(query, /*use_before=*/false);
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    BindWhere(st, query, /*use_before=*/false);
    DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) return Status::Internal("sqlite: COUNT(*) returned no row");
    return st.Int(0);
  }

  StatusOr<TranslationRecord> Get(int64_t id, const std::optional<std::string>& owner) override {
    if (id <= 0) return Status::NotFound("no translation with id " + std::to_string(id));
    std::string sql = std::string("SELECT ") + kColumns + " FROM translations WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    st.BindInt(1, id);
    if (owner) st.BindText(2, *owner);
    DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) return Status::NotFound("no translation with id " + std::to_string(id));
    TranslationRecord r;
    r.id = st.Int(0);
    r.text_de = st.Text(1);
    r.text_en = st.Text(2);
    r.owner = st.Text(3);
    r.model = st.Text(4);
    r.created_at_unix = st.Int(5);
    r.client_key = st.Text(6);
    r.source_lang = st.Text(7);
    r.target_lang = st.Text(8);
    r.file_name = st.Text(9);
    return r;
  }

  Status Delete(int64_t id, const std::optional<std::string>& owner) override {
    if (id <= 0) return Status::NotFound("no translation with id " + std::to_string(id));
    std::string sql = "DELETE FROM translations WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    st.BindInt(1, id);
    if (owner) st.BindText(2, *owner);
    DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
    (void)has_row;
    if (sqlite3_changes(db_) == 0) return Status::NotFound("no translation with id " + std::to_string(id));
    return Status::Ok();
  }

  Status Ping() override {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, "SELECT COUNT(*) FROM schema_version"));
    DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
    (void)has_row;
    return Status::Ok();
  }

  // ---- Jobs (job_store.h). Every method runs under mu_; writes of several statements in one
  // transaction (BEGIN IMMEDIATE, so another process cannot slip in between).

  JobStore* jobs() override { return this; }

  StatusOr<JobRecord> CreateJob(const NewJob& job) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateNewJob(job));
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = UnixNow();
    int64_t id = 0;
    DOLMETSCH_RETURN_IF_ERROR(InTransaction([&]() -> Status {
      Stmt st;
      DOLMETSCH_RETURN_IF_ERROR(
          st.Prepare(db_,
                     "INSERT INTO jobs(owner, state, text_de, model, created_at, updated_at, source_lang, "
                     "target_lang) VALUES(?, 'queued', ?, ?, ?, ?, ?, ?)"));
      st.BindText(1, job.owner);
      st.BindText(2, job.text_de);
      st.BindText(3, job.model);
      st.BindInt(4, now);
      st.BindInt(5, now);
      st.BindText(6, job.source_lang);
      st.BindText(7, job.target_lang);
      DOLMETSCH_ASSIGN_OR_RETURN(bool unused, st.Step());
      (void)unused;
      id = sqlite3_last_insert_rowid(db_);
      return job.file ? PutFileLocked(id, "input", *job.file) : Status::Ok();
    }));
    return GetJobLocked(id, std::nullopt, /*with_text=*/false);
  }

  StatusOr<JobRecord> GetJob(int64_t id, const std::optional<std::string>& owner, bool with_text) override {
    std::lock_guard<std::mutex> lock(mu_);
    return GetJobLocked(id, owner, with_text);
  }

  StatusOr<std::vector<JobRecord>> ListJobs(const std::optional<std::string>& owner, bool active_only,
                                            int limit) override {
    if (limit < 1 || limit > kMaxJobListLimit) {
      return Status::InvalidArgument("limit must be 1.." + std::to_string(kMaxJobListLimit));
    }
    std::string sql = std::string("SELECT ") + job_sql::kColumns + ", SUBSTR(text_de, 1, " +
                      std::to_string(kJobPreviewChars) + ") FROM jobs WHERE 1 = 1";
    if (owner) sql += " AND owner = ?";
    if (active_only) sql += " AND state IN ('queued', 'running')";
    sql += " ORDER BY id DESC LIMIT ?";
    std::lock_guard<std::mutex> lock(mu_);
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    int i = 1;
    if (owner) st.BindText(i++, *owner);
    st.BindInt(i, limit);
    std::vector<JobRecord> out;
    while (true) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, ReadJob(st, /*with_text=*/true));
      out.push_back(std::move(job));
    }
    return out;
  }

  StatusOr<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now_ms = UnixNowMs();
    std::vector<int64_t> candidates;
    {
      Stmt st;
      DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, job_sql::kClaimCandidates));
      st.BindInt(1, now_ms);
      st.BindInt(2, now_ms);
      while (true) {
        DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        candidates.push_back(st.Int(0));
      }
    }
    for (int64_t id : candidates) {
      Stmt up;
      DOLMETSCH_RETURN_IF_ERROR(up.Prepare(db_, job_sql::kClaim));
      up.BindText(1, worker);
      up.BindInt(2, now_ms + lease_ms);
      up.BindInt(3, now_ms / 1000);
      up.BindInt(4, id);
      up.BindInt(5, now_ms);
      DOLMETSCH_ASSIGN_OR_RETURN(bool unused, up.Step());
      (void)unused;
      if (sqlite3_changes(db_) == 1) {
        DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, std::nullopt, /*with_text=*/true));
        return std::optional<JobRecord>(std::move(job));
      }
    }
    return std::optional<JobRecord>();
  }

  Status RenewLease(int64_t id, const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    std::lock_guard<std::mutex> lock(mu_);
    return TouchLeaseLocked(id, worker, lease_ms);
  }

  Status SaveUnits(int64_t id, const std::string& worker, const std::vector<JobUnit>& units,
                   int64_t total_units, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    DOLMETSCH_RETURN_IF_ERROR(job_sql::ValidateUnits(units, total_units));
    std::lock_guard<std::mutex> lock(mu_);
    return InTransaction([&]() -> Status {
      DOLMETSCH_RETURN_IF_ERROR(TouchLeaseLocked(id, worker, lease_ms));
      for (const JobUnit& unit : units) {
        Stmt ins;
        DOLMETSCH_RETURN_IF_ERROR(
            ins.Prepare(db_, "INSERT OR REPLACE INTO job_units(job_id, unit, text_en) VALUES(?, ?, ?)"));
        ins.BindInt(1, id);
        ins.BindInt(2, unit.index);
        ins.BindText(3, unit.text_en);
        DOLMETSCH_ASSIGN_OR_RETURN(bool unused, ins.Step());
        (void)unused;
      }
      Stmt up;
      DOLMETSCH_RETURN_IF_ERROR(up.Prepare(
          db_,
          "UPDATE jobs SET total_units = ?, done_units = (SELECT COUNT(*) FROM job_units WHERE job_id = ?) "
          "WHERE id = ?"));
      up.BindInt(1, total_units);
      up.BindInt(2, id);
      up.BindInt(3, id);
      DOLMETSCH_ASSIGN_OR_RETURN(bool unused, up.Step());
      (void)unused;
      return Status::Ok();
    });
  }

  StatusOr<std::vector<JobUnit>> LoadUnits(int64_t id, const std::optional<std::string>& owner,
                                           int64_t from_index) override {
    std::lock_guard<std::mutex> lock(mu_);
    DOLMETSCH_RETURN_IF_ERROR(GetJobLocked(id, owner, /*with_text=*/false).status());
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(
        st.Prepare(db_, "SELECT unit, text_en FROM job_units WHERE job_id = ? AND unit >= ? ORDER BY unit"));
    st.BindInt(1, id);
    st.BindInt(2, from_index);
    std::vector<JobUnit> out;
    while (true) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(JobUnit{st.Int(0), st.Text(1)});
    }
    return out;
  }

  StatusOr<int64_t> CompleteJob(int64_t id, const std::string& worker, const std::string& text_en,
                                const JobFile* output) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, 1));
    if (!IsValidUtf8(text_en)) return Status::InvalidArgument("text_en is not valid UTF-8");
    if (output != nullptr) DOLMETSCH_RETURN_IF_ERROR(ValidateJobFile(*output));
    std::lock_guard<std::mutex> lock(mu_);
    int64_t history_id = 0;
    Status s = InTransaction([&]() -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, std::nullopt, /*with_text=*/true));
      if (job.state == JobState::kDone) {
        history_id = job.history_id;
        return Status::Ok();
      }
      if (job.state != JobState::kRunning || job.lease_owner != worker)
        return job_sql::LeaseLost(job, worker);
      const std::string key = JobClientKey(id);
      Stmt ins;
      DOLMETSCH_RETURN_IF_ERROR(
          ins.Prepare(db_,
                      "INSERT INTO translations(text_de, text_en, owner, model, created_at, client_key, "
                      "source_lang, target_lang, file_name) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
                      "CONFLICT(client_key) DO NOTHING"));
      ins.BindText(1, job.text_de);
      ins.BindText(2, text_en);
      ins.BindText(3, job.owner);
      ins.BindText(4, job.model);
      ins.BindInt(5, UnixNow());
      ins.BindText(6, key);
      ins.BindText(7, job.source_lang);
      ins.BindText(8, job.target_lang);
      ins.BindTextOrNull(9, job.file_name);
      DOLMETSCH_ASSIGN_OR_RETURN(bool unused, ins.Step());
      (void)unused;
      Stmt sel;
      DOLMETSCH_RETURN_IF_ERROR(sel.Prepare(db_, "SELECT id FROM translations WHERE client_key = ?"));
      sel.BindText(1, key);
      DOLMETSCH_ASSIGN_OR_RETURN(bool found, sel.Step());
      if (!found)
        return Status::Internal("sqlite: the history row of job " + std::to_string(id) + " vanished");
      history_id = sel.Int(0);
      if (output != nullptr) DOLMETSCH_RETURN_IF_ERROR(PutFileLocked(id, "output", *output));
      DOLMETSCH_RETURN_IF_ERROR(FinishLocked(id, JobState::kDone, "", history_id));
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return history_id;
  }

  Status FailJob(int64_t id, const std::string& worker, const std::string& error) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, 1));
    std::lock_guard<std::mutex> lock(mu_);
    return InTransaction([&]() -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, std::nullopt, /*with_text=*/false));
      if (job.state != JobState::kRunning || job.lease_owner != worker)
        return job_sql::LeaseLost(job, worker);
      return FinishLocked(id, JobState::kFailed, job_sql::CutError(error), 0);
    });
  }

  Status CancelJob(int64_t id, const std::optional<std::string>& owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    return InTransaction([&]() -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, owner, /*with_text=*/false));
      if (job.state == JobState::kCancelled) return Status::Ok();
      if (IsFinal(job.state)) {
        return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                       std::string(JobStateName(job.state)) + " already");
      }
      return FinishLocked(id, JobState::kCancelled, "", 0);
    });
  }

  Status DeleteJob(int64_t id, const std::optional<std::string>& owner) override {
    std::lock_guard<std::mutex> lock(mu_);
    return InTransaction([&]() -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, owner, /*with_text=*/false));
      if (!IsFinal(job.state)) {
        return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                       std::string(JobStateName(job.state)) + "; cancel it first");
      }
      DOLMETSCH_RETURN_IF_ERROR(Exec("DELETE FROM job_units WHERE job_id = " + std::to_string(id)));
      DOLMETSCH_RETURN_IF_ERROR(Exec("DELETE FROM job_files WHERE job_id = " + std::to_string(id)));
      return Exec("DELETE FROM jobs WHERE id = " + std::to_string(id));
    });
  }

  StatusOr<JobFile> GetJobFile(int64_t id, const std::optional<std::string>& owner, bool output) override {
    std::lock_guard<std::mutex> lock(mu_);
    DOLMETSCH_RETURN_IF_ERROR(GetJobLocked(id, owner, /*with_text=*/false).status());
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, job_sql::kSelectFile));
    st.BindInt(1, id);
    st.BindText(2, output ? "output" : "input");
    DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return job_sql::NoFile(id, output);
    return JobFile{st.Text(0), st.Blob(1)};
  }

  Status DowngradeSchema(int version) override {
    if (version < 1 || version >= kSchemaVersion) {
      return Status::InvalidArgument("can downgrade to versions 1.." + std::to_string(kSchemaVersion - 1) +
                                     ", not " + std::to_string(version));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return InTransaction([&]() -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(int current, CurrentVersion());
      if (current <= version) return Status::Ok();
      // Version 3 added nullable / defaulted language columns, which an older program neither reads nor
      // needs to write: they stay (and are reused by the next upgrade). Version 2 added the job tables;
      // the history rows jobs wrote stay.
      // Version 4's file_name column stays likewise; its job_files table goes (older programs would keep
      // the files of deleted jobs).
      if (version < 4) DOLMETSCH_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS job_files"));
      if (version < 2) {
        DOLMETSCH_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS job_units"));
        DOLMETSCH_RETURN_IF_ERROR(Exec("DROP TABLE IF EXISTS jobs"));
      }
      DOLMETSCH_RETURN_IF_ERROR(Exec("DELETE FROM schema_version"));
      return Exec("INSERT INTO schema_version(version) VALUES (" + std::to_string(version) + ")");
    });
  }

 private:
  // ---- Job helpers (mu_ held).

  template <typename Fn>
  Status InTransaction(Fn fn) {
    DOLMETSCH_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = fn();
    if (!s.ok()) {
      Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  static StatusOr<JobRecord> ReadJob(Stmt& st, bool with_text) {
    JobRecord job;
    job.id = st.Int(0);
    job.owner = st.Text(1);
    DOLMETSCH_ASSIGN_OR_RETURN(job.state, ParseJobState(st.Text(2)));
    job.model = st.Text(3);
    job.total_units = st.Int(4);
    job.done_units = st.Int(5);
    job.created_at_unix = st.Int(6);
    job.updated_at_unix = st.Int(7);
    job.finished_at_unix = st.Int(8);
    job.error = st.Text(9);
    job.history_id = st.Int(10);
    job.lease_owner = st.Text(11);
    job.lease_expires_unix_ms = st.Int(12);
    job.source_lang = st.Text(13);
    job.target_lang = st.Text(14);
    job.file_name = st.Text(15);
    job.output_file_name = st.Text(16);
    if (with_text) job.text_de = st.Text(job_sql::kColumnCount);
    return job;
  }

  StatusOr<JobRecord> GetJobLocked(int64_t id, const std::optional<std::string>& owner, bool with_text) {
    if (id <= 0) return Status::NotFound("no job with id " + std::to_string(id));
    std::string sql = std::string("SELECT ") + job_sql::kColumns + (with_text ? ", text_de" : ", ''") +
                      " FROM jobs WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, sql));
    st.BindInt(1, id);
    if (owner) st.BindText(2, *owner);
    DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::NotFound("no job with id " + std::to_string(id));
    return ReadJob(st, with_text);
  }

  Status PutFileLocked(int64_t id, const char* role, const JobFile& file) {
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, job_sql::kInsertFile));
    st.BindInt(1, id);
    st.BindText(2, role);
    st.BindText(3, file.name);
    st.BindBlob(4, file.content);
    DOLMETSCH_ASSIGN_OR_RETURN(bool unused, st.Step());
    (void)unused;
    return Status::Ok();
  }

  Status TouchLeaseLocked(int64_t id, const std::string& worker, int64_t lease_ms) {
    const int64_t now_ms = UnixNowMs();
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, job_sql::kTouchLease));
    st.BindInt(1, now_ms + lease_ms);
    st.BindInt(2, now_ms / 1000);
    st.BindInt(3, id);
    st.BindText(4, worker);
    DOLMETSCH_ASSIGN_OR_RETURN(bool unused, st.Step());
    (void)unused;
    if (sqlite3_changes(db_) == 1) return Status::Ok();
    DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobLocked(id, std::nullopt, /*with_text=*/false));
    return job_sql::LeaseLost(job, worker);
  }

  Status FinishLocked(int64_t id, JobState state, const std::string& error, int64_t history_id) {
    const std::string name(JobStateName(state));
    const int64_t now = UnixNow();
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, job_sql::kFinish));
    st.BindText(1, name);
    st.BindText(2, error);
    st.BindInt(3, history_id);
    st.BindInt(4, now);
    st.BindInt(5, now);
    st.BindText(6, name);
    st.BindInt(7, id);
    DOLMETSCH_ASSIGN_OR_RETURN(bool unused, st.Step());
    (void)unused;
    return Exec("DELETE FROM job_units WHERE job_id = " + std::to_string(id));
  }

  static std::string FtsExpression(const std::string& search) {
    std::string expr;
    for (const std::string& w : SplitSearchWords(search)) {
      if (!expr.empty()) expr += " AND ";
      expr += "\"" + w + "\"*";  // words contain no '"' (SplitSearchWords splits on punctuation)
    }
    return expr;
  }

  static std::string WhereClause(const Query& q, bool use_before) {
    std::vector<std::string> parts;
    if (q.owner) parts.push_back("owner = ?");
    if (use_before && q.before_id) parts.push_back("id < ?");
    if (!FtsExpression(q.search).empty()) {
      parts.push_back("id IN (SELECT rowid FROM translations_fts WHERE translations_fts MATCH ?)");
    }
    std::string sql;
    for (size_t i = 0; i < parts.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + parts[i];
    return sql;
  }

  // Binds the parameters of WhereClause in order; returns the next parameter index.
  static int BindWhere(Stmt& st, const Query& q, bool use_before) {
    int i = 1;
    if (q.owner) st.BindText(i++, *q.owner);
    if (use_before && q.before_id) st.BindInt(i++, *q.before_id);
    const std::string fts = FtsExpression(q.search);
    if (!fts.empty()) st.BindText(i++, fts);
    return i;
  }

  Status Exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    return FromSqlite(rc, db_, "'" + sql.substr(0, 80) + "'");
  }

  StatusOr<std::set<std::string>> Columns(const std::string& table) {
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, "SELECT name FROM pragma_table_info(?)"));
    st.BindText(1, table);
    std::set<std::string> cols;
    while (true) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
      if (!has_row) break;
      cols.insert(st.Text(0));
    }
    return cols;
  }

  StatusOr<int> CurrentVersion() {
    DOLMETSCH_ASSIGN_OR_RETURN(auto cols, Columns("schema_version"));
    if (cols.empty()) return 0;
    Stmt st;
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    DOLMETSCH_ASSIGN_OR_RETURN(bool has_row, st.Step());
    return has_row ? static_cast<int>(st.Int(0)) : 0;
  }

  Status MigrateLocked() {
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once migrate one after the
    // other; SQLite DDL is transactional, so a failed step leaves the old schema untouched.
    DOLMETSCH_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = MigrateInTransaction();
    if (!s.ok()) {
      Exec("ROLLBACK");
      return s.WithContext("sqlite: migrating the schema");
    }
    return Exec("COMMIT");
  }

  Status MigrateInTransaction() {
    DOLMETSCH_ASSIGN_OR_RETURN(int version, CurrentVersion());
    if (version > kSchemaVersion) {
      return Status::Internal("database schema version " + std::to_string(version) +
                              " is newer than this program understands (" + std::to_string(kSchemaVersion) +
                              "); upgrade dolmetsch");
    }
    if (version == kSchemaVersion) return Status::Ok();
    DOLMETSCH_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"));
    // AUTOINCREMENT: ids are never reused after a delete, so links and keyset pages stay stable.
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS translations(id INTEGER PRIMARY KEY AUTOINCREMENT, text_de TEXT, "
             "text_en TEXT)"));
    // The original app's table has only id, text_de, text_en: add what is missing, rows are kept.
    DOLMETSCH_ASSIGN_OR_RETURN(auto cols, Columns("translations"));
    if (!cols.count("id") || !cols.count("text_de") || !cols.count("text_en")) {
      return Status::Internal(
          "table 'translations' exists but lacks id/text_de/text_en; not a dolmetsch table");
    }
    const std::pair<const char*, const char*> added[] = {
        {"created_at", "INTEGER NOT NULL DEFAULT 0"},
        {"owner", "TEXT NOT NULL DEFAULT ''"},
        {"model", "TEXT NOT NULL DEFAULT ''"},
        {"client_key", "TEXT"},
        // Version 3: the language pair, NULL (= de -> en) for older rows and the original app's INSERT.
        {"source_lang", "TEXT"},
        {"target_lang", "TEXT"},
        // Version 4: the name of an uploaded document (NULL: a pasted text).
        {"file_name", "TEXT"},
    };
    for (const auto& [name, type] : added) {
      if (!cols.count(name)) {
        DOLMETSCH_RETURN_IF_ERROR(
            Exec(std::string("ALTER TABLE translations ADD COLUMN ") + name + " " + type));
      }
    }
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE UNIQUE INDEX IF NOT EXISTS translations_client_key ON translations(client_key)"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE INDEX IF NOT EXISTS translations_owner_id ON translations(owner, id)"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE VIRTUAL TABLE IF NOT EXISTS translations_fts USING fts5(text_de, text_en, "
             "content='translations', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE TRIGGER IF NOT EXISTS translations_fts_ai AFTER INSERT ON translations BEGIN "
             "INSERT INTO translations_fts(rowid, text_de, text_en) VALUES (new.id, new.text_de, "
             "new.text_en); END"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE TRIGGER IF NOT EXISTS translations_fts_ad AFTER DELETE ON translations BEGIN "
             "INSERT INTO translations_fts(translations_fts, rowid, text_de, text_en) "
             "VALUES ('delete', old.id, old.text_de, old.text_en); END"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE TRIGGER IF NOT EXISTS translations_fts_au AFTER UPDATE ON translations BEGIN "
             "INSERT INTO translations_fts(translations_fts, rowid, text_de, text_en) "
             "VALUES ('delete', old.id, old.text_de, old.text_en); "
             "INSERT INTO translations_fts(rowid, text_de, text_en) VALUES (new.id, new.text_de, "
             "new.text_en); END"));
    // Version 2: translation jobs (job_store.h).
    DOLMETSCH_RETURN_IF_ERROR(Exec(
        "CREATE TABLE IF NOT EXISTS jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL DEFAULT "
        "'', state TEXT NOT NULL DEFAULT 'queued', text_de TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', "
        "total_units INTEGER NOT NULL DEFAULT 0, done_units INTEGER NOT NULL DEFAULT 0, created_at INTEGER "
        "NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL DEFAULT 0, finished_at INTEGER NOT NULL DEFAULT "
        "0, error TEXT NOT NULL DEFAULT '', history_id INTEGER NOT NULL DEFAULT 0, lease_owner TEXT NOT "
        "NULL DEFAULT '', lease_expires_ms INTEGER NOT NULL DEFAULT 0)"));
    // Version 3: a job's language pair (jobs of version 2 were all de -> en).
    DOLMETSCH_ASSIGN_OR_RETURN(auto job_cols, Columns("jobs"));
    for (const char* name : {"source_lang", "target_lang"}) {
      if (!job_cols.count(name)) {
        DOLMETSCH_RETURN_IF_ERROR(Exec(std::string("ALTER TABLE jobs ADD COLUMN ") + name +
                                       (std::string(name) == "source_lang" ? " TEXT NOT NULL DEFAULT 'de'"
                                                                           : " TEXT NOT NULL DEFAULT 'en'")));
      }
    }
    DOLMETSCH_RETURN_IF_ERROR(Exec("CREATE INDEX IF NOT EXISTS jobs_state_id ON jobs(state, id)"));
    DOLMETSCH_RETURN_IF_ERROR(Exec("CREATE INDEX IF NOT EXISTS jobs_owner_id ON jobs(owner, id)"));
    DOLMETSCH_RETURN_IF_ERROR(
        Exec("CREATE TABLE IF NOT EXISTS job_units(job_id INTEGER NOT NULL, unit INTEGER NOT NULL, text_en "
             "TEXT NOT NULL, PRIMARY KEY(job_id, unit)) WITHOUT ROWID"));
    // Version 4: a job's uploaded and translated files (role 'input' or 'output').
    DOLMETSCH_RETURN_IF_ERROR(Exec(
        "CREATE TABLE IF NOT EXISTS job_files(job_id INTEGER NOT NULL, role TEXT NOT NULL, name TEXT NOT "
        "NULL, content BLOB NOT NULL, PRIMARY KEY(job_id, role))"));
    // Index the rows that existed before the FTS table (the original app's history).
    DOLMETSCH_RETURN_IF_ERROR(Exec("INSERT INTO translations_fts(translations_fts) VALUES('rebuild')"));
    DOLMETSCH_RETURN_IF_ERROR(Exec("DELETE FROM schema_version"));
    return Exec("INSERT INTO schema_version(version) VALUES (" + std::to_string(kSchemaVersion) + ")");
  }

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace

StatusOr<std::unique_ptr<TranslationStore>> OpenSqliteStore(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, db, "opening '" + path + "'");
    sqlite3_close_v2(db);
    return s.code() == Status::Code::kInternal ? Status::IoError(s.message()) : s;
  }
  auto store = std::make_unique<SqliteStore>(db);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  // WAL: readers never block the writer; synchronous=FULL so a committed row survives power loss.
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    char* err = nullptr;
    rc = sqlite3_exec(db, pragma, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      Status s = FromSqlite(rc, db, std::string(pragma) + " on '" + path + "'");
      sqlite3_free(err);
      return s;
    }
  }
  DOLMETSCH_RETURN_IF_ERROR(store->Migrate().WithContext("'" + path + "'"));
  return std::unique_ptr<TranslationStore>(std::move(store));
}

}  // namespace dolmetsch::store
