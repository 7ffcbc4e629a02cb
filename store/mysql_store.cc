#include "store/mysql_store.h"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <mutex>
#include <set>
#include <vector>

#include "store/job_sql.h"
#include "store/sqlite_store.h"  // kSchemaVersion
#include "store/store_util.h"

namespace dolmetsch::store {
namespace {

// What one connection went through during a call: whether it must be discarded (lost connection).
struct Ctx {
  MYSQL* mysql = nullptr;
  bool lost = false;
};

bool IsConnectionLost(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_ERR_NET_READ:
    case CR_ERR_NET_WRITE:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_CONNECTION_KILLED:
    case ER_SERVER_SHUTDOWN:
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8)
      return true;
    default:
      return false;
  }
}

// Maps a MariaDB error number to a Status; marks the connection lost when it cannot be reused.
Status Classify(Ctx* ctx, unsigned code, const std::string& message, const std::string& what) {
  const std::string msg = "mysql: " + what + ": " + message + " (error " + std::to_string(code) + ")";
  if (IsConnectionLost(code)) {
    ctx->lost = true;
    return Status::Unavailable(msg);
  }
  if (code >= 2000 && code < 3000) {  // other client-side errors: do not trust the connection any more
    ctx->lost = true;
    return Status::Unavailable(msg);
  }
  switch (code) {
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
    case ER_CON_COUNT_ERROR:
    case ER_OPTION_PREVENTS_STATEMENT:  // --read-only during a fail-over
    case ER_DISK_FULL:
    case ER_RECORD_FILE_FULL:
    case ER_ACCESS_DENIED_ERROR:  // a rotated password: keep journaling until it is fixed
    case ER_DBACCESS_DENIED_ERROR:
    case ER_BAD_DB_ERROR:
      return Status::Unavailable(msg);
    case ER_DATA_TOO_LONG:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_NET_PACKET_TOO_LARGE:
    case ER_BAD_NULL_ERROR:
      return Status::InvalidArgument(msg);
    default:
      return Status::Internal(msg);
  }
}

// A prepared statement on one connection. Parameters are bound in order (AddInt/AddText; the strings must
// outlive Execute); results are read column by column with Int/Text after Fetch.
class Stmt {
 public:
  enum class Kind { kInt, kText };

  explicit Stmt(Ctx* ctx) : ctx_(ctx) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() {
    if (st_ != nullptr) mysql_stmt_close(st_);
  }

  Status Prepare(const std::string& sql) {
    what_ = sql.substr(0, 60);
    st_ = mysql_stmt_init(ctx_->mysql);
    if (st_ == nullptr) {
      return Classify(ctx_, mysql_errno(ctx_->mysql), mysql_error(ctx_->mysql), "mysql_stmt_init");
    }
    if (mysql_stmt_prepare(st_, sql.data(), sql.size()) != 0) return Error("prepare");
    return Status::Ok();
  }
  void AddInt(int64_t v) { params_.push_back(Param{v, nullptr, 0}); }
  void AddText(const std::string& s) {
    params_.push_back(Param{0, &s, static_cast<unsigned long>(s.size())});
  }
  // A text, or NULL when empty (optional columns).
  void AddTextOrNull(const std::string& s) {
    if (s.empty()) {
      params_.push_back(Param{0, nullptr, 0, true});
    } else {
      AddText(s);
    }
  }

  Status Execute() {
    std::vector<MYSQL_BIND> binds(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof b);
      Param& p = params_[i];
      if (p.is_null) {
        b.buffer_type = MYSQL_TYPE_NULL;
      } else if (p.text == nullptr) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &p.integer;
      } else {
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(p.text->data());
        b.buffer_length = p.length;
        b.length = &p.length;
      }
    }
    if (mysql_stmt_param_count(st_) != params_.size()) {
      return Status::Internal("mysql: statement expects " + std::to_string(mysql_stmt_param_count(st_)) +
                              " parameters, got " + std::to_string(params_.size()));
    }
    if (!binds.empty() && mysql_stmt_bind_param(st_, binds.data()) != 0) return Error("bind");
    if (mysql_stmt_execute(st_) != 0) return Error("execute");
    return Status::Ok();
  }

  Status BindResult(std::vector<Kind> kinds) {
    kinds_ = std::move(kinds);
    const size_t n = kinds_.size();
    if (mysql_stmt_field_count(st_) != n) return Status::Internal("mysql: unexpected result column count");
    rbinds_.assign(n, MYSQL_BIND{});
    lengths_.assign(n, 0);
    nulls_.assign(n, 0);
    ints_.assign(n, 0);
    texts_.assign(n, std::string());
    for (size_t i = 0; i < n; ++i) {
      MYSQL_BIND& b = rbinds_[i];
      std::memset(&b, 0, sizeof b);
      b.length = &lengths_[i];
      b.is_null = &nulls_[i];
      if (kinds_[i] == Kind::kInt) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &ints_[i];
      } else {
        // No buffer: Fetch learns each length, then reads the column into a string of that size.
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = nullptr;
        b.buffer_length = 0;
      }
    }
    if (mysql_stmt_bind_result(st_, rbinds_.data()) != 0) return Error("bind result");
    return Status::Ok();
  }

  StatusOr<bool> Fetch() {
    const int rc = mysql_stmt_fetch(st_);
    if (rc == MYSQL_NO_DATA) return false;
    if (rc == 1) return Error("fetch");
    for (size_t i = 0; i < kinds_.size(); ++i) {
      if (kinds_[i] != Kind::kText) continue;
      texts_[i].clear();
      if (nulls_[i] || lengths_[i] == 0) continue;
      texts_[i].resize(lengths_[i]);
      MYSQL_BIND b;
      std::memset(&b, 0, sizeof b);
      unsigned long got = 0;
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = texts_[i].data();
      b.buffer_length = lengths_[i];
      b.length = &got;
      if (mysql_stmt_fetch_column(st_, &b, static_cast<unsigned>(i), 0) != 0) return Error("fetch column");
    }
    return true;
  }

  int64_t Int(size_t i) const { return nulls_[i] ? 0 : ints_[i]; }
  std::string TakeText(size_t i) { return std::move(texts_[i]); }
  uint64_t InsertId() { return mysql_stmt_insert_id(st_); }
  uint64_t AffectedRows() { return mysql_stmt_affected_rows(st_); }

 private:
  struct Param {
    int64_t integer;
    const std::string* text;
    unsigned long length;
    bool is_null = false;
  };

  Status Error(const std::string& step) {
    return Classify(ctx_, mysql_stmt_errno(st_), mysql_stmt_error(st_), step + " '" + what_ + "'");
  }

  Ctx* ctx_;
  MYSQL_STMT* st_ = nullptr;
  std::string what_;
  std::deque<Param> params_;  // deque: addresses stay put while binding
  std::vector<Kind> kinds_;
  std::vector<MYSQL_BIND> rbinds_;
  std::vector<unsigned long> lengths_;
  std::vector<my_bool> nulls_;
  std::vector<int64_t> ints_;
  std::vector<std::string> texts_;
};

// Runs a statement without parameters or results (constant DDL of the migration).
Status Exec(Ctx* ctx, const std::string& sql) {
  if (mysql_real_query(ctx->mysql, sql.data(), sql.size()) != 0) {
    return Classify(ctx, mysql_errno(ctx->mysql), mysql_error(ctx->mysql), "'" + sql.substr(0, 70) + "'");
  }
  // Drain a result set if the statement produced one (e.g. SELECT GET_LOCK).
  MYSQL_RES* res = mysql_store_result(ctx->mysql);
  if (res != nullptr) mysql_free_result(res);
  return Status::Ok();
}

// Runs a one-column query, returning the first column of every row as text.
StatusOr<std::vector<std::string>> QueryStrings(Ctx* ctx, const std::string& sql) {
  Stmt st(ctx);
  DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
  DOLMETSCH_RETURN_IF_ERROR(st.Execute());
  DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kText}));
  std::vector<std::string> out;
  while (true) {
    DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
    if (!row) break;
    out.push_back(st.TakeText(0));
  }
  return out;
}

StatusOr<int64_t> QueryInt(Ctx* ctx, const std::string& sql) {
  Stmt st(ctx);
  DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
  DOLMETSCH_RETURN_IF_ERROR(st.Execute());
  DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kInt}));
  DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
  if (!row) return Status::Internal("mysql: '" + sql.substr(0, 60) + "' returned no row");
  const int64_t v = st.Int(0);
  while (true) {  // drain
    DOLMETSCH_ASSIGN_OR_RETURN(bool more, st.Fetch());
    if (!more) break;
  }
  return v;
}

constexpr const char* kCreateTranslations =
    "CREATE TABLE IF NOT EXISTS translations ("
    "id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "text_de LONGTEXT, "
    "text_en LONGTEXT, "
    "created_at BIGINT NOT NULL DEFAULT 0, "
    "owner VARBINARY(128) NOT NULL DEFAULT '', "
    "model VARCHAR(255) NOT NULL DEFAULT '', "
    "client_key VARBINARY(64) NULL DEFAULT NULL, "
    "source_lang VARCHAR(35) NULL DEFAULT NULL, "
    "target_lang VARCHAR(35) NULL DEFAULT NULL, "
    "file_name VARCHAR(255) NULL DEFAULT NULL, "
    "UNIQUE KEY translations_client_key (client_key), "
    "KEY translations_owner_id (owner, id), "
    "FULLTEXT KEY translations_fulltext (text_de, text_en)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

// Keep kCreateJobs and kCreateJobUnits identical to deploy/initdb/001-schema.sql (store_tests checks).
constexpr const char* kCreateJobs =
    "CREATE TABLE IF NOT EXISTS jobs ("
    "id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
    "owner VARBINARY(128) NOT NULL DEFAULT '', "
    "state VARCHAR(16) NOT NULL DEFAULT 'queued', "
    "text_de LONGTEXT NOT NULL, "
    "model VARCHAR(255) NOT NULL DEFAULT '', "
    "total_units BIGINT NOT NULL DEFAULT 0, "
    "done_units BIGINT NOT NULL DEFAULT 0, "
    "created_at BIGINT NOT NULL DEFAULT 0, "
    "updated_at BIGINT NOT NULL DEFAULT 0, "
    "finished_at BIGINT NOT NULL DEFAULT 0, "
    "error VARCHAR(1000) NOT NULL DEFAULT '', "
    "history_id BIGINT NOT NULL DEFAULT 0, "
    "lease_owner VARBINARY(128) NOT NULL DEFAULT '', "
    "lease_expires_ms BIGINT NOT NULL DEFAULT 0, "
    "source_lang VARCHAR(35) NOT NULL DEFAULT 'de', "
    "target_lang VARCHAR(35) NOT NULL DEFAULT 'en', "
    "KEY jobs_state_id (state, id), "
    "KEY jobs_owner_id (owner, id)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

constexpr const char* kCreateJobUnits =
    "CREATE TABLE IF NOT EXISTS job_units ("
    "job_id BIGINT UNSIGNED NOT NULL, "
    "unit BIGINT NOT NULL, "
    "text_en LONGTEXT NOT NULL, "
    "PRIMARY KEY (job_id, unit)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

// Version 4: a job's uploaded ('input') and translated ('output') file.
constexpr const char* kCreateJobFiles =
    "CREATE TABLE IF NOT EXISTS job_files ("
    "job_id BIGINT UNSIGNED NOT NULL, "
    "role VARCHAR(8) NOT NULL, "
    "name VARCHAR(255) NOT NULL, "
    "content LONGBLOB NOT NULL, "
    "PRIMARY KEY (job_id, role)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

// NULL languages: rows of the original app and of schema versions before 3, all German -> English.
constexpr const char* kColumns =
    "id, text_de, text_en, owner, model, created_at, client_key, COALESCE(source_lang, 'de'), "
    "COALESCE(target_lang, 'en'), COALESCE(file_name, '')";
const std::vector<Stmt::Kind> kRecordKinds = {
    Stmt::Kind::kInt, Stmt::Kind::kText, Stmt::Kind::kText, Stmt::Kind::kText, Stmt::Kind::kText,
    Stmt::Kind::kInt, Stmt::Kind::kText, Stmt::Kind::kText, Stmt::Kind::kText, Stmt::Kind::kText};

TranslationRecord ReadRecord(Stmt& st) {
  TranslationRecord r;
  r.id = st.Int(0);
  r.text_de = st.TakeText(1);
  r.text_en = st.TakeText(2);
  r.owner = st.TakeText(3);
  r.model = st.TakeText(4);
  r.created_at_unix = st.Int(5);
  r.client_key = st.TakeText(6);
  r.source_lang = st.TakeText(7);
  r.target_lang = st.TakeText(8);
  r.file_name = st.TakeText(9);
  return r;
}

// The WHERE clause of List/Count and its parameters (strings kept alive here).
struct Filter {
  std::string sql;
  std::vector<std::string> texts;              // bound in order, interleaved per `order`
  std::vector<std::pair<bool, size_t>> order;  // (is_text, index into texts / ints)
  std::vector<int64_t> ints;

  void AddText(std::string s) {
    texts.push_back(std::move(s));
    order.push_back({true, texts.size() - 1});
  }
  void AddInt(int64_t v) {
    ints.push_back(v);
    order.push_back({false, ints.size() - 1});
  }
  void BindTo(Stmt& st) const {
    for (const auto& [is_text, i] : order) {
      if (is_text) {
        st.AddText(texts[i]);
      } else {
        st.AddInt(ints[i]);
      }
    }
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Filter BuildFilter(const Query& q, bool use_before) {
  Filter f;
  std::vector<std::string> parts;
  if (q.owner) {
    parts.push_back("owner = ?");
    f.AddText(*q.owner);
  }
  if (use_before && q.before_id) {
    parts.push_back("id < ?");
    f.AddInt(*q.before_id);
  }
  std::string boolean;
  std::vector<std::string> like_words;
  for (const std::string& w : SplitSearchWords(q.search)) {
    // InnoDB does not index words shorter than innodb_ft_min_token_size (3) or stop words: a +word for
    // them would match nothing, so they are matched as substrings instead.
    if (Utf8Length(w) < 3 || IsInnodbStopword(Lower(w))) {
      like_words.push_back(w);
    } else {
      boolean += (boolean.empty() ? "+" : " +") + w + "*";
    }
  }
  if (!boolean.empty()) {
    parts.push_back("MATCH(text_de, text_en) AGAINST(? IN BOOLEAN MODE)");
    f.AddText(boolean);
  }
  for (const std::string& w : like_words) {
    parts.push_back("(text_de LIKE ? ESCAPE '!' OR text_en LIKE ? ESCAPE '!')");
    const std::string pattern = "%" + EscapeLike(w) + "%";
    f.AddText(pattern);
    f.AddText(pattern);
  }
  for (size_t i = 0; i < parts.size(); ++i) f.sql += (i == 0 ? " WHERE " : " AND ") + parts[i];
  return f;
}

std::once_flag g_library_once;

class MysqlStore final : public TranslationStore, public JobStore {
 public:
  explicit MysqlStore(MysqlStoreOptions options) : options_(std::move(options)) {}

  ~MysqlStore() override {
    for (MYSQL* m : idle_) mysql_close(m);
  }

  std::string BackendName() const override { return "mysql"; }

  // First connection, used by OpenMysqlStore to tell configuration errors from an absent server.
  Status Connect(unsigned* error_code) {
    Ctx ctx;
    StatusOr<MYSQL*> m = NewConnection(error_code);
    if (!m.ok()) return m.status();
    ctx.mysql = *m;
    Status s = MigrateOn(&ctx);
    Release(ctx.mysql, ctx.lost || !s.ok());
    return s;
  }

  Status Migrate() override {
    return WithConnection<bool>([this](Ctx* ctx) -> StatusOr<bool> {
             DOLMETSCH_RETURN_IF_ERROR(MigrateOn(ctx));
             return true;
           })
        .status();
  }

  StatusOr<InsertResult> Insert(const NewTranslation& row) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateNewTranslation(row));
    InsertResult result;
    result.client_key = row.client_key.empty() ? NewUuidV4() : row.client_key;
    const int64_t created = row.created_at_unix > 0 ? row.created_at_unix : UnixNow();
    // ON DUPLICATE KEY ... LAST_INSERT_ID(id): a repeated client_key (a replay, or a retry after a lost
    // connection whose insert did commit) yields the existing row's id instead of a second row.
    DOLMETSCH_ASSIGN_OR_RETURN(
        int64_t id, WithConnection<int64_t>([&](Ctx* ctx) -> StatusOr<int64_t> {
          Stmt st(ctx);
          DOLMETSCH_RETURN_IF_ERROR(
              st.Prepare("INSERT INTO translations (text_de, text_en, owner, model, created_at, client_key, "
                         "source_lang, target_lang, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON "
                         "DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)"));
          st.AddText(row.text_de);
          st.AddText(row.text_en);
          st.AddText(row.owner);
          st.AddText(row.model);
          st.AddInt(created);
          st.AddText(result.client_key);
          st.AddText(row.source_lang);
          st.AddText(row.target_lang);
          st.AddTextOrNull(row.file_name);
          DOLMETSCH_RETURN_IF_ERROR(st.Execute());
          const uint64_t id = st.InsertId();
          if (id == 0) return Status::Internal("mysql: insert returned no id");
          return static_cast<int64_t>(id);
        }));
    result.id = id;
    return result;
  }

  StatusOr<Page> List(const Query& query) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateQuery(query, /*for_count=*/false));
    const Filter filter = BuildFilter(query, /*use_before=*/true);
    const std::string sql = std::string("SELECT ") + kColumns + " FROM translations" + filter.sql +
                            " ORDER BY id DESC LIMIT ? OFFSET ?";
    return WithConnection<Page>([&](Ctx* ctx) -> StatusOr<Page> {
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
      filter.BindTo(st);
      st.AddInt(query.limit + 1);
      st.AddInt(query.before_id ? 0 : query.offset);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      DOLMETSCH_RETURN_IF_ERROR(st.BindResult(kRecordKinds));
      Page page;
      while (true) {
        DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
        if (!row) break;
        if (static_cast<int>(page.items.size()) == query.limit) {
          page.has_more = true;
          continue;  // drain the extra row
        }
        page.items.push_back(ReadRecord(st));
      }
      if (!page.items.empty()) page.next_before_id = page.items.back().id;
      return page;
    });
  }

  StatusOr<int64_t> Count(const Query& query) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateQuery(query, /*for_count=*/true));
    const Filter filter = BuildFilter(query, /*use_before=*/false);
    const std::string sql = "SELECT COUNT(*) FROM translations" + filter.sql;
    return WithConnection<int64_t>([&](Ctx* ctx) -> StatusOr<int64_t> {
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
      filter.BindTo(st);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kInt}));
      DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
      if (!row) return Status::Internal("mysql: COUNT(*) returned no row");
      return st.Int(0);
    });
  }

  StatusOr<TranslationRecord> Get(int64_t id, const std::optional<std::string>& owner) override {
    if (id <= 0) return Status::NotFound("no translation with id " + std::to_string(id));
    std::string sql = std::string("SELECT ") + kColumns + " FROM translations WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    StatusOr<std::optional<TranslationRecord>> r = WithConnection<std::optional<TranslationRecord>>(
        [&](Ctx* ctx) -> StatusOr<std::optional<TranslationRecord>> {
          Stmt st(ctx);
          DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
          st.AddInt(id);
          if (owner) st.AddText(*owner);
          DOLMETSCH_RETURN_IF_ERROR(st.Execute());
          DOLMETSCH_RETURN_IF_ERROR(st.BindResult(kRecordKinds));
          std::optional<TranslationRecord> out;
          while (true) {
            DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
            if (!row) break;
            out = ReadRecord(st);
          }
          return out;
        });
    if (!r.ok()) return r.status();
    if (!r->has_value()) return Status::NotFound("no translation with id " + std::to_string(id));
    return std::move(**r);
  }

  Status Delete(int64_t id, const std::optional<std::string>& owner) override {
    if (id <= 0) return Status::NotFound("no translation with id " + std::to_string(id));
    std::string sql = "DELETE FROM translations WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    DOLMETSCH_ASSIGN_OR_RETURN(uint64_t affected,
                               WithConnection<uint64_t>([&](Ctx* ctx) -> StatusOr<uint64_t> {
                                 Stmt st(ctx);
                                 DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
                                 st.AddInt(id);
                                 if (owner) st.AddText(*owner);
                                 DOLMETSCH_RETURN_IF_ERROR(st.Execute());
                                 return st.AffectedRows();
                               }));
    if (affected == 0) return Status::NotFound("no translation with id " + std::to_string(id));
    return Status::Ok();
  }

  Status Ping() override {
    return WithConnection<bool>([](Ctx* ctx) -> StatusOr<bool> {
             DOLMETSCH_ASSIGN_OR_RETURN(int64_t one, QueryInt(ctx, "SELECT 1"));
             return one == 1;
           })
        .status();
  }

  // ---- Jobs (job_store.h). Multi-statement writes run in one transaction on one connection; a lost
  // connection rolls it back on the server, and WithConnection runs the whole operation again.

  JobStore* jobs() override { return this; }

  StatusOr<JobRecord> CreateJob(const NewJob& job) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateNewJob(job));
    const int64_t now = UnixNow();
    int64_t id = 0;
    DOLMETSCH_RETURN_IF_ERROR(InTransaction([&](Ctx* ctx) -> Status {
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(
          st.Prepare("INSERT INTO jobs (owner, state, text_de, model, error, created_at, updated_at, "
                     "source_lang, target_lang) VALUES (?, 'queued', ?, ?, '', ?, ?, ?, ?)"));
      st.AddText(job.owner);
      st.AddText(job.text_de);
      st.AddText(job.model);
      st.AddInt(now);
      st.AddInt(now);
      st.AddText(job.source_lang);
      st.AddText(job.target_lang);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      id = static_cast<int64_t>(st.InsertId());
      return job.file ? PutFileOn(ctx, id, "input", *job.file) : Status::Ok();
    }));
    return GetJob(id, std::nullopt, /*with_text=*/false);
  }

  StatusOr<JobRecord> GetJob(int64_t id, const std::optional<std::string>& owner, bool with_text) override {
    return WithConnection<JobRecord>(
        [&](Ctx* ctx) -> StatusOr<JobRecord> { return GetJobOn(ctx, id, owner, with_text, false); });
  }

  StatusOr<std::vector<JobRecord>> ListJobs(const std::optional<std::string>& owner, bool active_only,
                                            int limit) override {
    if (limit < 1 || limit > kMaxJobListLimit) {
      return Status::InvalidArgument("limit must be 1.." + std::to_string(kMaxJobListLimit));
    }
    std::string sql = std::string("SELECT ") + job_sql::kColumns + ", SUBSTRING(text_de, 1, " +
                      std::to_string(kJobPreviewChars) + ") FROM jobs WHERE 1 = 1";
    if (owner) sql += " AND owner = ?";
    if (active_only) sql += " AND state IN ('queued', 'running')";
    sql += " ORDER BY id DESC LIMIT ?";
    return WithConnection<std::vector<JobRecord>>([&](Ctx* ctx) -> StatusOr<std::vector<JobRecord>> {
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
      if (owner) st.AddText(*owner);
      st.AddInt(limit);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      DOLMETSCH_RETURN_IF_ERROR(st.BindResult(JobKinds()));
      std::vector<JobRecord> out;
      Status bad;
      while (true) {
        DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
        if (!row) break;
        StatusOr<JobRecord> job = ReadJob(st, /*with_text=*/true);
        if (!job.ok()) {
          bad = job.status();
          continue;  // drain
        }
        out.push_back(std::move(*job));
      }
      if (!bad.ok()) return bad;
      return out;
    });
  }

  StatusOr<std::optional<JobRecord>> ClaimJob(const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    return WithConnection<std::optional<JobRecord>>([&](Ctx* ctx) -> StatusOr<std::optional<JobRecord>> {
      const int64_t now_ms = UnixNowMs();
      std::vector<int64_t> candidates;
      {
        Stmt st(ctx);
        DOLMETSCH_RETURN_IF_ERROR(st.Prepare(job_sql::kClaimCandidates));
        st.AddInt(now_ms);
        st.AddInt(now_ms);
        DOLMETSCH_RETURN_IF_ERROR(st.Execute());
        DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kInt}));
        while (true) {
          DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
          if (!row) break;
          candidates.push_back(st.Int(0));
        }
      }
      for (int64_t id : candidates) {
        Stmt up(ctx);
        DOLMETSCH_RETURN_IF_ERROR(up.Prepare(job_sql::kClaim));
        up.AddText(worker);
        up.AddInt(now_ms + lease_ms);
        up.AddInt(now_ms / 1000);
        up.AddInt(id);
        up.AddInt(now_ms);
        DOLMETSCH_RETURN_IF_ERROR(up.Execute());
        if (up.AffectedRows() == 1) {
          DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, std::nullopt, true, false));
          return std::optional<JobRecord>(std::move(job));
        }
      }
      return std::optional<JobRecord>();
    });
  }

  Status RenewLease(int64_t id, const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    return WithConnection<bool>([&](Ctx* ctx) -> StatusOr<bool> {
             DOLMETSCH_RETURN_IF_ERROR(TouchLeaseOn(ctx, id, worker, lease_ms));
             return true;
           })
        .status();
  }

  Status SaveUnits(int64_t id, const std::string& worker, const std::vector<JobUnit>& units,
                   int64_t total_units, int64_t lease_ms) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, lease_ms));
    DOLMETSCH_RETURN_IF_ERROR(job_sql::ValidateUnits(units, total_units));
    return InTransaction([&](Ctx* ctx) -> Status {
      DOLMETSCH_RETURN_IF_ERROR(TouchLeaseOn(ctx, id, worker, lease_ms));
      for (const JobUnit& unit : units) {
        Stmt ins(ctx);
        DOLMETSCH_RETURN_IF_ERROR(
            ins.Prepare("INSERT INTO job_units (job_id, unit, text_en) VALUES (?, ?, ?) "
                        "ON DUPLICATE KEY UPDATE text_en = VALUES(text_en)"));
        ins.AddInt(id);
        ins.AddInt(unit.index);
        ins.AddText(unit.text_en);
        DOLMETSCH_RETURN_IF_ERROR(ins.Execute());
      }
      Stmt up(ctx);
      DOLMETSCH_RETURN_IF_ERROR(up.Prepare(
          "UPDATE jobs SET total_units = ?, done_units = (SELECT COUNT(*) FROM job_units WHERE job_id = ?) "
          "WHERE id = ?"));
      up.AddInt(total_units);
      up.AddInt(id);
      up.AddInt(id);
      return up.Execute();
    });
  }

  StatusOr<std::vector<JobUnit>> LoadUnits(int64_t id, const std::optional<std::string>& owner,
                                           int64_t from_index) override {
    return WithConnection<std::vector<JobUnit>>([&](Ctx* ctx) -> StatusOr<std::vector<JobUnit>> {
      DOLMETSCH_RETURN_IF_ERROR(GetJobOn(ctx, id, owner, false, false).status());
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(
          st.Prepare("SELECT unit, text_en FROM job_units WHERE job_id = ? AND unit >= ? ORDER BY unit"));
      st.AddInt(id);
      st.AddInt(from_index);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kInt, Stmt::Kind::kText}));
      std::vector<JobUnit> out;
      while (true) {
        DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
        if (!row) break;
        out.push_back(JobUnit{st.Int(0), st.TakeText(1)});
      }
      return out;
    });
  }

  StatusOr<int64_t> CompleteJob(int64_t id, const std::string& worker, const std::string& text_en,
                                const JobFile* output) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, 1));
    if (!IsValidUtf8(text_en)) return Status::InvalidArgument("text_en is not valid UTF-8");
    if (output != nullptr) DOLMETSCH_RETURN_IF_ERROR(ValidateJobFile(*output));
    int64_t history_id = 0;
    DOLMETSCH_RETURN_IF_ERROR(InTransaction([&](Ctx* ctx) -> Status {
      // FOR UPDATE: a concurrent cancel or takeover waits until this transaction has decided.
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, std::nullopt, true, /*for_update=*/true));
      if (job.state == JobState::kDone) {
        history_id = job.history_id;
        return Status::Ok();
      }
      if (job.state != JobState::kRunning || job.lease_owner != worker)
        return job_sql::LeaseLost(job, worker);
      const std::string key = JobClientKey(id);
      Stmt ins(ctx);
      DOLMETSCH_RETURN_IF_ERROR(
          ins.Prepare("INSERT INTO translations (text_de, text_en, owner, model, created_at, client_key, "
                      "source_lang, target_lang, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE "
                      "KEY UPDATE id = LAST_INSERT_ID(id)"));
      ins.AddText(job.text_de);
      ins.AddText(text_en);
      ins.AddText(job.owner);
      ins.AddText(job.model);
      ins.AddInt(UnixNow());
      ins.AddText(key);
      ins.AddText(job.source_lang);
      ins.AddText(job.target_lang);
      ins.AddTextOrNull(job.file_name);
      DOLMETSCH_RETURN_IF_ERROR(ins.Execute());
      history_id = static_cast<int64_t>(ins.InsertId());
      if (history_id == 0)
        return Status::Internal("mysql: the history insert of job " + std::to_string(id) + " returned no id");
      if (output != nullptr) DOLMETSCH_RETURN_IF_ERROR(PutFileOn(ctx, id, "output", *output));
      return FinishOn(ctx, id, JobState::kDone, "", history_id);
    }));
    return history_id;
  }

  Status FailJob(int64_t id, const std::string& worker, const std::string& error) override {
    DOLMETSCH_RETURN_IF_ERROR(ValidateWorker(worker, 1));
    const std::string cut = job_sql::CutError(error);
    return InTransaction([&](Ctx* ctx) -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, std::nullopt, false, true));
      if (job.state != JobState::kRunning || job.lease_owner != worker)
        return job_sql::LeaseLost(job, worker);
      return FinishOn(ctx, id, JobState::kFailed, cut, 0);
    });
  }

  Status CancelJob(int64_t id, const std::optional<std::string>& owner) override {
    return InTransaction([&](Ctx* ctx) -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, owner, false, true));
      if (job.state == JobState::kCancelled) return Status::Ok();
      if (IsFinal(job.state)) {
        return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                       std::string(JobStateName(job.state)) + " already");
      }
      return FinishOn(ctx, id, JobState::kCancelled, "", 0);
    });
  }

  Status DeleteJob(int64_t id, const std::optional<std::string>& owner) override {
    return InTransaction([&](Ctx* ctx) -> Status {
      DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, owner, false, true));
      if (!IsFinal(job.state)) {
        return Status::InvalidArgument("job " + std::to_string(id) + " is " +
                                       std::string(JobStateName(job.state)) + "; cancel it first");
      }
      DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "DELETE FROM job_units WHERE job_id = " + std::to_string(id)));
      DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "DELETE FROM job_files WHERE job_id = " + std::to_string(id)));
      return Exec(ctx, "DELETE FROM jobs WHERE id = " + std::to_string(id));
    });
  }

  StatusOr<JobFile> GetJobFile(int64_t id, const std::optional<std::string>& owner, bool output) override {
    return WithConnection<JobFile>([&](Ctx* ctx) -> StatusOr<JobFile> {
      DOLMETSCH_RETURN_IF_ERROR(GetJobOn(ctx, id, owner, false, false).status());
      Stmt st(ctx);
      DOLMETSCH_RETURN_IF_ERROR(st.Prepare(job_sql::kSelectFile));
      st.AddInt(id);
      const std::string role = output ? "output" : "input";
      st.AddText(role);
      DOLMETSCH_RETURN_IF_ERROR(st.Execute());
      DOLMETSCH_RETURN_IF_ERROR(st.BindResult({Stmt::Kind::kText, Stmt::Kind::kText}));
      std::optional<JobFile> file;
      while (true) {
        DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
        if (!row) break;
        file = JobFile{st.TakeText(0), st.TakeText(1)};
      }
      if (!file) return job_sql::NoFile(id, output);
      return std::move(*file);
    });
  }

  Status DowngradeSchema(int version) override {
    if (version < 1 || version >= kSchemaVersion) {
      return Status::InvalidArgument("can downgrade to versions 1.." + std::to_string(kSchemaVersion - 1) +
                                     ", not " + std::to_string(version));
    }
    return WithConnection<bool>([&](Ctx* ctx) -> StatusOr<bool> {
             DOLMETSCH_ASSIGN_OR_RETURN(int64_t locked,
                                        QueryInt(ctx, "SELECT GET_LOCK('dolmetsch_schema', 60)"));
             if (locked != 1) return Status::Unavailable("mysql: another schema change is running");
             // Version 3 added nullable / defaulted language columns that older programs need not write:
             // they stay (the next upgrade reuses them). Version 2 added the job tables; the history rows
             // jobs wrote stay.
             Status s;
             // Version 4's file_name column stays likewise; its job_files table goes.
             if (version < 4) s = Exec(ctx, "DROP TABLE IF EXISTS job_files");
             if (s.ok() && version < 2) {
               s = Exec(ctx, "DROP TABLE IF EXISTS job_units");
               if (s.ok()) s = Exec(ctx, "DROP TABLE IF EXISTS jobs");
             }
             if (s.ok()) s = Exec(ctx, "DELETE FROM schema_version");
             if (s.ok()) {
               s = Exec(ctx, "INSERT INTO schema_version (version) VALUES (" + std::to_string(version) + ")");
             }
             if (!ctx->lost) Exec(ctx, "DO RELEASE_LOCK('dolmetsch_schema')");
             // migrated_ stays true: this process does not upgrade again behind the caller's back (its job
             // calls now fail); the next process started migrates as usual.
             if (!s.ok()) return s;
             return true;
           })
        .status();
  }

 private:
  // ---- Job helpers.

  static std::vector<Stmt::Kind> JobKinds() {
    using K = Stmt::Kind;
    return {K::kInt,  K::kText, K::kText, K::kText, K::kInt,  K::kInt,  K::kInt,  K::kInt,  K::kInt,
            K::kText, K::kInt,  K::kText, K::kInt,  K::kText, K::kText, K::kText, K::kText, K::kText};
  }

  static StatusOr<JobRecord> ReadJob(Stmt& st, bool with_text) {
    JobRecord job;
    job.id = st.Int(0);
    job.owner = st.TakeText(1);
    DOLMETSCH_ASSIGN_OR_RETURN(job.state, ParseJobState(st.TakeText(2)));
    job.model = st.TakeText(3);
    job.total_units = st.Int(4);
    job.done_units = st.Int(5);
    job.created_at_unix = st.Int(6);
    job.updated_at_unix = st.Int(7);
    job.finished_at_unix = st.Int(8);
    job.error = st.TakeText(9);
    job.history_id = st.Int(10);
    job.lease_owner = st.TakeText(11);
    job.lease_expires_unix_ms = st.Int(12);
    job.source_lang = st.TakeText(13);
    job.target_lang = st.TakeText(14);
    job.file_name = st.TakeText(15);
    job.output_file_name = st.TakeText(16);
    if (with_text) job.text_de = st.TakeText(job_sql::kColumnCount);
    return job;
  }

  StatusOr<JobRecord> GetJobOn(Ctx* ctx, int64_t id, const std::optional<std::string>& owner, bool with_text,
                               bool for_update) {
    if (id <= 0) return Status::NotFound("no job with id " + std::to_string(id));
    std::string sql = std::string("SELECT ") + job_sql::kColumns + (with_text ? ", text_de" : ", ''") +
                      " FROM jobs WHERE id = ?";
    if (owner) sql += " AND owner = ?";
    if (for_update) sql += " FOR UPDATE";
    Stmt st(ctx);
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(sql));
    st.AddInt(id);
    if (owner) st.AddText(*owner);
    DOLMETSCH_RETURN_IF_ERROR(st.Execute());
    DOLMETSCH_RETURN_IF_ERROR(st.BindResult(JobKinds()));
    std::optional<StatusOr<JobRecord>> found;
    while (true) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool row, st.Fetch());
      if (!row) break;
      found = ReadJob(st, with_text);
    }
    if (!found) return Status::NotFound("no job with id " + std::to_string(id));
    return std::move(*found);
  }

  // A file of job `id` (role "input" or "output"). A LONGBLOB row travels in one packet: a server whose
  // max_allowed_packet is below the file's size refuses it (docs/store.md says what to set).
  Status PutFileOn(Ctx* ctx, int64_t id, const char* role, const JobFile& file) {
    Stmt st(ctx);
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(job_sql::kInsertFile));
    const std::string role_text = role;
    st.AddInt(id);
    st.AddText(role_text);
    st.AddText(file.name);
    st.AddText(file.content);
    Status s = st.Execute();
    if (!s.ok() && s.message().find("max_allowed_packet") != std::string::npos) {
      return Status::ResourceExhausted(
          "mysql: the file '" + file.name + "' (" + std::to_string(file.content.size()) +
          " bytes) is larger than the server's max_allowed_packet; raise it (e.g. "
          "--max-allowed-packet=128M) or lower --max-file-bytes: " +
          s.message());
    }
    return s;
  }

  Status TouchLeaseOn(Ctx* ctx, int64_t id, const std::string& worker, int64_t lease_ms) {
    const int64_t now_ms = UnixNowMs();
    Stmt st(ctx);
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(job_sql::kTouchLease));
    st.AddInt(now_ms + lease_ms);
    st.AddInt(now_ms / 1000);
    st.AddInt(id);
    st.AddText(worker);
    DOLMETSCH_RETURN_IF_ERROR(st.Execute());
    if (st.AffectedRows() == 1) return Status::Ok();  // rows matched: connections use CLIENT_FOUND_ROWS
    DOLMETSCH_ASSIGN_OR_RETURN(JobRecord job, GetJobOn(ctx, id, std::nullopt, false, false));
    return job_sql::LeaseLost(job, worker);
  }

  Status FinishOn(Ctx* ctx, int64_t id, JobState state, const std::string& error, int64_t history_id) {
    const std::string name(JobStateName(state));
    const int64_t now = UnixNow();
    Stmt st(ctx);
    DOLMETSCH_RETURN_IF_ERROR(st.Prepare(job_sql::kFinish));
    st.AddText(name);
    st.AddText(error);
    st.AddInt(history_id);
    st.AddInt(now);
    st.AddInt(now);
    st.AddText(name);
    st.AddInt(id);
    DOLMETSCH_RETURN_IF_ERROR(st.Execute());
    return Exec(ctx, "DELETE FROM job_units WHERE job_id = " + std::to_string(id));
  }

  // Runs `fn` inside START TRANSACTION ... COMMIT on one connection (ROLLBACK when it fails).
  template <typename Fn>
  Status InTransaction(Fn fn) {
    return WithConnection<bool>([&](Ctx* ctx) -> StatusOr<bool> {
             DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "START TRANSACTION"));
             Status s = fn(ctx);
             if (!s.ok()) {
               if (!ctx->lost) Exec(ctx, "ROLLBACK");
               return s;
             }
             DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "COMMIT"));
             return true;
           })
        .status();
  }

  // Runs `op` on a pooled connection (migrating first if that has not succeeded yet). When the
  // connection turns out to be lost, it is discarded and `op` runs once more on a fresh one.
  template <typename T, typename Op>
  StatusOr<T> WithConnection(Op op) {
    Status last;
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool fresh = false;
      StatusOr<MYSQL*> m = Acquire(&fresh);
      if (!m.ok()) return m.status();
      Ctx ctx;
      ctx.mysql = *m;
      if (!migrated_.load()) {
        Status s = MigrateOn(&ctx);
        if (!s.ok()) {
          Release(ctx.mysql, true);
          if (ctx.lost && !fresh) {
            last = s;
            continue;
          }
          return s;
        }
      }
      StatusOr<T> result = op(&ctx);
      Release(ctx.mysql, ctx.lost);
      if (result.ok() || !ctx.lost || fresh) return result;
      last = result.status();  // a pooled connection died while idle (server restart): retry on a new one
    }
    return last;
  }

  StatusOr<MYSQL*> NewConnection(unsigned* error_code) {
    std::call_once(g_library_once, [] { mysql_library_init(0, nullptr, nullptr); });
    MYSQL* m = mysql_init(nullptr);
    if (m == nullptr) return Status::ResourceExhausted("mysql: mysql_init failed (out of memory)");
    const unsigned connect_timeout = static_cast<unsigned>(options_.connect_timeout_seconds);
    const unsigned io_timeout = static_cast<unsigned>(options_.io_timeout_seconds);
    my_bool no_reconnect = 0;  // we reconnect ourselves, so session state never changes silently
    mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_options(m, MYSQL_OPT_RECONNECT, &no_reconnect);
    mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const MysqlConfig& c = options_.config;
    if (mysql_real_connect(m, c.host.c_str(), c.user.c_str(), c.password.c_str(), c.database.c_str(),
                           static_cast<unsigned>(c.port), c.socket.empty() ? nullptr : c.socket.c_str(),
                           CLIENT_FOUND_ROWS) == nullptr) {
      const unsigned code = mysql_errno(m);
      if (error_code != nullptr) *error_code = code;
      Ctx ctx;
      Status s = Classify(&ctx, code, mysql_error(m),
                          "connecting to " + c.user + "@" +
                              (c.socket.empty() ? c.host + ":" + std::to_string(c.port) : c.socket) + "/" +
                              c.database);
      mysql_close(m);
      if (s.code() == Status::Code::kInternal) return Status::Unavailable(s.message());
      return s;
    }
    return m;
  }

  StatusOr<MYSQL*> Acquire(bool* fresh) {
    std::unique_lock<std::mutex> lock(mu_);
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::seconds(options_.connect_timeout_seconds + options_.io_timeout_seconds);
    while (idle_.empty() && open_ >= options_.pool_size) {
      if (pool_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.pool_size) {
        return Status::Unavailable("mysql: all " + std::to_string(options_.pool_size) + " connections busy");
      }
    }
    if (!idle_.empty()) {
      MYSQL* m = idle_.back();
      idle_.pop_back();
      *fresh = false;
      return m;
    }
    ++open_;
    lock.unlock();
    StatusOr<MYSQL*> m = NewConnection(nullptr);
    if (!m.ok()) {
      lock.lock();
      --open_;
      pool_cv_.notify_one();
      return m.status();
    }
    *fresh = true;
    return m;
  }

  void Release(MYSQL* m, bool broken) {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken) {
      mysql_close(m);
      --open_;
      // A lost connection usually means a server restart: the idle ones are dead too. Dropping them
      // makes the retry (and the next callers) connect afresh instead of failing once per stale connection.
      for (MYSQL* idle : idle_) mysql_close(idle);
      open_ -= static_cast<int>(idle_.size());
      idle_.clear();
    } else {
      idle_.push_back(m);
    }
    pool_cv_.notify_one();
  }

  Status MigrateOn(Ctx* ctx) {
    std::lock_guard<std::mutex> lock(migrate_mu_);
    if (migrated_.load()) return Status::Ok();
    // GET_LOCK serialises migrations of several replicas starting at once (MySQL DDL is not transactional).
    DOLMETSCH_ASSIGN_OR_RETURN(int64_t locked, QueryInt(ctx, "SELECT GET_LOCK('dolmetsch_schema', 60)"));
    if (locked != 1)
      return Status::Unavailable("mysql: timed out waiting for another process's schema migration");
    Status s = MigrateLocked(ctx);
    if (!ctx->lost) Exec(ctx, "DO RELEASE_LOCK('dolmetsch_schema')");
    if (s.ok()) migrated_.store(true);
    return s.WithContext("mysql: migrating the schema");
  }

  Status MigrateLocked(Ctx* ctx) {
    DOLMETSCH_RETURN_IF_ERROR(Exec(ctx,
                                   "CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL) "
                                   "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"));
    DOLMETSCH_ASSIGN_OR_RETURN(int64_t version,
                               QueryInt(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version"));
    if (version > kSchemaVersion) {
      return Status::Internal("database schema version " + std::to_string(version) +
                              " is newer than this program understands (" + std::to_string(kSchemaVersion) +
                              "); upgrade dolmetsch");
    }
    if (version == kSchemaVersion) return Status::Ok();
    DOLMETSCH_ASSIGN_OR_RETURN(
        auto tables,
        QueryStrings(ctx,
                     "SELECT CONCAT(ENGINE, ' ', TABLE_COLLATION) FROM information_schema.TABLES "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'translations'"));
    if (tables.empty()) {
      DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, kCreateTranslations));
    } else {
      // The original app's table (id, text_de, text_en), maybe MyISAM or latin1: upgrade it in place.
      const std::string& engine_collation = tables[0];
      if (engine_collation.rfind("InnoDB ", 0) != 0) {
        DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "ALTER TABLE translations ENGINE=InnoDB"));
      }
      if (engine_collation.find(" utf8mb4") == std::string::npos) {
        DOLMETSCH_RETURN_IF_ERROR(Exec(
            ctx, "ALTER TABLE translations CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
      }
      DOLMETSCH_ASSIGN_OR_RETURN(
          auto column_list, QueryStrings(ctx,
                                         "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'translations'"));
      const std::set<std::string> columns(column_list.begin(), column_list.end());
      if (!columns.count("id") || !columns.count("text_de") || !columns.count("text_en")) {
        return Status::Internal(
            "table 'translations' exists but lacks id/text_de/text_en; not a dolmetsch table");
      }
      const std::pair<const char*, const char*> added[] = {
          {"created_at", "BIGINT NOT NULL DEFAULT 0"},
          {"owner", "VARBINARY(128) NOT NULL DEFAULT ''"},
          {"model", "VARCHAR(255) NOT NULL DEFAULT ''"},
          {"client_key", "VARBINARY(64) NULL DEFAULT NULL"},
          // Version 3: the language pair, NULL (= de -> en) for older rows and the original app's INSERT.
          {"source_lang", "VARCHAR(35) NULL DEFAULT NULL"},
          {"target_lang", "VARCHAR(35) NULL DEFAULT NULL"},
          // Version 4: the name of an uploaded document (NULL: a pasted text).
          {"file_name", "VARCHAR(255) NULL DEFAULT NULL"},
      };
      for (const auto& [name, type] : added) {
        if (!columns.count(name)) {
          DOLMETSCH_RETURN_IF_ERROR(
              Exec(ctx, std::string("ALTER TABLE translations ADD COLUMN ") + name + " " + type));
        }
      }
      DOLMETSCH_ASSIGN_OR_RETURN(
          auto index_list, QueryStrings(ctx,
                                        "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS "
                                        "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'translations'"));
      const std::set<std::string> indexes(index_list.begin(), index_list.end());
      const std::pair<const char*, const char*> added_indexes[] = {
          {"translations_client_key", "ADD UNIQUE KEY translations_client_key (client_key)"},
          {"translations_owner_id", "ADD KEY translations_owner_id (owner, id)"},
          {"translations_fulltext", "ADD FULLTEXT KEY translations_fulltext (text_de, text_en)"},
      };
      for (const auto& [name, clause] : added_indexes) {
        if (!indexes.count(name)) {
          DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, std::string("ALTER TABLE translations ") + clause));
        }
      }
    }
    // Version 2: translation jobs (job_store.h).
    DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, kCreateJobs));
    // Version 3: a job's language pair (jobs of version 2 were all de -> en).
    DOLMETSCH_ASSIGN_OR_RETURN(auto job_column_list,
                               QueryStrings(ctx,
                                            "SELECT COLUMN_NAME FROM information_schema.COLUMNS "
                                            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'jobs'"));
    const std::set<std::string> job_columns(job_column_list.begin(), job_column_list.end());
    if (!job_columns.count("source_lang")) {
      DOLMETSCH_RETURN_IF_ERROR(
          Exec(ctx, "ALTER TABLE jobs ADD COLUMN source_lang VARCHAR(35) NOT NULL DEFAULT 'de'"));
    }
    if (!job_columns.count("target_lang")) {
      DOLMETSCH_RETURN_IF_ERROR(
          Exec(ctx, "ALTER TABLE jobs ADD COLUMN target_lang VARCHAR(35) NOT NULL DEFAULT 'en'"));
    }
    DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, kCreateJobUnits));
    DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, kCreateJobFiles));
    DOLMETSCH_RETURN_IF_ERROR(Exec(ctx, "DELETE FROM schema_version"));
    return Exec(ctx, "INSERT INTO schema_version (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
  }

  const MysqlStoreOptions options_;
  std::mutex mu_;
  std::condition_variable pool_cv_;
  std::vector<MYSQL*> idle_;
  int open_ = 0;
  std::mutex migrate_mu_;
  std::atomic<bool> migrated_{false};
};

}  // namespace

bool IsInnodbStopword(const std::string& w) {
  static const std::set<std::string> kStopwords = {
      "a",    "about", "an",  "are",  "as",   "at",    "be",  "by",   "com",  "de",  "en",   "for",
      "from", "how",   "i",   "in",   "is",   "it",    "la",  "of",   "on",   "or",  "that", "the",
      "this", "to",    "was", "what", "when", "where", "who", "will", "with", "und", "www"};
  return kStopwords.count(w) > 0;
}

StatusOr<std::unique_ptr<TranslationStore>> OpenMysqlStore(const MysqlStoreOptions& options) {
  if (options.pool_size < 1 || options.pool_size > 64) {
    return Status::InvalidArgument("mysql pool size must be 1..64, got " + std::to_string(options.pool_size));
  }
  auto store = std::make_unique<MysqlStore>(options);
  unsigned code = 0;
  Status s = store->Connect(&code);
  if (!s.ok()) {
    const bool misconfigured = code == ER_ACCESS_DENIED_ERROR || code == ER_DBACCESS_DENIED_ERROR ||
                               code == ER_BAD_DB_ERROR || s.code() == Status::Code::kInternal;
    if (!options.lazy_connect || misconfigured) {
      if (misconfigured && s.code() != Status::Code::kInternal) return Status::InvalidArgument(s.message());
      return s;
    }
    std::cerr << "dolmetsch store: warning: " << s.ToString()
              << "; continuing, the database is used once it answers\n";
  }
  return std::unique_ptr<TranslationStore>(std::move(store));
}

}  // namespace dolmetsch::store
