// TranslationStore: the translation history behind one interface, with two backends (SQLite, and
// MariaDB/MySQL through MariaDB Connector/C) and an optional local journal that keeps writes while the
// database is down.
//
// Contract:
//   - OpenStore(options) parses options.url, connects, creates or upgrades the schema (Migrate) and returns
//     a ready store. A malformed URL or configuration is kInvalidArgument (nothing is opened). An
//     unreachable database is kUnavailable, unless options.journal_path is set: then the returned store
//     accepts Insert() into the journal at once, reads return kUnavailable until the database is reachable,
//     and pending journal records are replayed in order (exactly once, keyed by client_key) when it is.
//   - Rows are listed newest first (highest id first). Ids are positive and increase with insertion into
//     the database (a journaled row gets its id when it is replayed; its created_at_unix is kept).
//   - Owner scoping: Get/Delete/List/Count with an owner only ever see that owner's rows; a row of another
//     owner is reported as kNotFound (never as "forbidden", which would leak that it exists). std::nullopt
//     means "all owners" (admin / single-user mode). Rows from the original app have owner "" and model "".
//   - Full-text search (Query::search): the string is plain words, not query syntax. A row matches when
//     text_de or text_en contains every word as a word prefix, case-insensitively. MariaDB: words shorter
//     than innodb_ft_min_token_size (3) or on its stop-word list use a LIKE '%word%' substring match instead
//     (so very short words may match inside longer words there). See docs/store.md.
//   - Errors: kInvalidArgument (bad input: not UTF-8, owner/model too long, limit out of range),
//     kNotFound, kUnavailable (database down / connection lost; retrying may help), kCorruption (stored
//     data unreadable), kInternal (a bug or a schema we do not understand).
//
// Thread-safety: every method of a TranslationStore returned by OpenStore may be called concurrently from
// any number of threads (the SQLite backend serialises on one connection in WAL mode with a busy timeout; the
// MariaDB backend uses a small connection pool and reconnects on a lost connection). The object must
// outlive all calls; destroy it only after the callers have stopped (the destructor stops the journal's
// replay thread and closes connections).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/job_store.h"
#include "util/status.h"

namespace dolmetsch::store {

// Limits enforced by Insert (kInvalidArgument above them). Texts themselves are LONGTEXT / unbounded;
// the web layer bounds request size.
inline constexpr size_t kMaxOwnerBytes = 128;
inline constexpr size_t kMaxModelBytes = 255;
inline constexpr size_t kMaxClientKeyBytes = 64;
// Language codes (LibreTranslate-style: "de", "en", "zh-Hans", "pt_BR"): 1..kMaxLanguageBytes of ASCII
// letters, digits, '-' and '_'.
inline constexpr size_t kMaxLanguageBytes = 35;
inline constexpr int kMaxListLimit = 1000;

// One stored translation.
struct TranslationRecord {
  int64_t id = 0;
  std::string text_de;
  std::string text_en;
  std::string owner;            // opaque id from the owner cookie; "" for rows of the original app
  std::string model;            // model name/version that translated it; "" if unknown
  int64_t created_at_unix = 0;  // seconds since the epoch (UTC); 0 for rows migrated from the original app
  std::string client_key;       // idempotency key (UUID); empty only for rows migrated from the original app
  // The language pair. Stored NULL for rows written before schema version 3 and by the original app's
  // INSERT (which names only text_de and text_en); those read back as "de" -> "en". The columns keep
  // their original names text_de/text_en whatever the pair is: text_de is the source, text_en the target.
  std::string source_lang = "de";
  std::string target_lang = "en";
  // An uploaded document's name (schema version 4; NULL, read as "", for a pasted text and older rows).
  std::string file_name;
};

// What Insert stores. All strings must be valid UTF-8.
struct NewTranslation {
  std::string text_de;
  std::string text_en;
  std::string owner;
  std::string model;
  int64_t created_at_unix = 0;     // 0: now
  std::string client_key;          // "": a random UUID v4 is generated. Inserting a key that exists already
                                   // returns the existing row's id (idempotent), it never duplicates a row.
  std::string source_lang = "de";  // language codes (kMaxLanguageBytes); text_de is in source_lang,
  std::string target_lang = "en";  // text_en in target_lang
  std::string file_name{};         // "": a pasted text; else the document's name (at most 255 bytes)
};

struct InsertResult {
  int64_t id = 0;          // > 0 when stored in the database; 0 when only journaled (see `journaled`)
  bool journaled = false;  // true: the database was unreachable, the row is safe in the local journal and
                           // will be inserted when the database is back (the web page can say "saved,
                           // will appear in the history shortly").
  std::string client_key;  // the key used (generated if NewTranslation::client_key was empty)
};

struct Query {
  std::optional<std::string> owner;  // nullopt: all owners
  std::string search;                // "": no full-text filter
  int limit = 20;                    // 1..kMaxListLimit
  int64_t offset = 0;                // offset pagination (ignored when before_id is set)
  std::optional<int64_t> before_id;  // keyset pagination: only rows with id < before_id (use
                                     // Page::next_before_id of the previous page; stable under inserts)
};

struct Page {
  std::vector<TranslationRecord> items;  // newest first
  bool has_more = false;                 // another page exists after this one
  int64_t next_before_id = 0;            // id of the last item (pass as Query::before_id); 0 if empty
};

class TranslationStore {
 public:
  virtual ~TranslationStore() = default;

  // "sqlite", "mysql", or "journaled(<inner>)".
  virtual std::string BackendName() const = 0;

  // Creates the schema or upgrades an existing one (including the original app's bare
  // `translations(id, text_de, text_en)` table, rows kept) to the current schema_version. Idempotent;
  // OpenStore already called it.
  virtual Status Migrate() = 0;

  // Stores a translation. See InsertResult for the journaled case.
  virtual StatusOr<InsertResult> Insert(const NewTranslation& row) = 0;

  // A page of rows matching the query, newest first.
  virtual StatusOr<Page> List(const Query& query) = 0;

  // Number of rows matching query.owner and query.search (limit/offset/before_id are ignored).
  virtual StatusOr<int64_t> Count(const Query& query) = 0;

  // The row with this id (owned by `owner` unless nullopt); kNotFound otherwise.
  virtual StatusOr<TranslationRecord> Get(int64_t id, const std::optional<std::string>& owner) = 0;

  // Deletes the row (owned by `owner` unless nullopt); kNotFound if there is no such row.
  virtual Status Delete(int64_t id, const std::optional<std::string>& owner) = 0;

  // Ok when the database answers now (a cheap round trip); kUnavailable otherwise. For health checks.
  virtual Status Ping() = 0;

  // Journal records not yet replayed into the database (0 for stores without a journal).
  virtual int64_t PendingJournalRecords() const { return 0; }

  // The translation jobs kept in the same database (job_store.h). Both backends have them; the journal
  // does not buffer job writes (a job needs the database), so with the database down they fail with
  // kUnavailable. Never null for stores returned by OpenStore.
  virtual JobStore* jobs() { return nullptr; }

  // Returns the schema to `version` (< the current one) for a rollback to an older dolmetsch: drops what
  // later versions added (for version 1: the job tables), keeps every history row. docs/store.md.
  virtual Status DowngradeSchema(int version) {
    return Status::Unsupported(BackendName() + " cannot downgrade its schema to version " +
                               std::to_string(version));
  }
};

// Looks up an environment variable; injectable for tests. Default: std::getenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct StoreOptions {
  // Database URL:
  //   sqlite:///abs/path/history.db   absolute path (three slashes)
  //   sqlite://relative/history.db    path relative to the working directory
  //   sqlite://:memory:               private in-memory database (tests)
  //   mysql://[user[:password]@]host[:port]/database   (also mariadb://; default port 3306; host may be
  //   mysql://user@/database?socket=/run/mysqld/mysqld.sock   "" with ?socket= for a Unix socket)
  // For mysql, each of user, password, host, port, database missing from the URL is taken from, in order:
  // DB_<X>, the file named by DB_<X>_FILE (trailing newline stripped), MYSQL_<X>, MYSQL_<X>_FILE (the
  // official image's variables, as the original Kubernetes deployment passes them), then the default (user
  // "root", no password, host 127.0.0.1, port 3306, database "translation"). X is USER, PASSWORD, HOST, PORT,
  // NAME (its MYSQL_ variant is MYSQL_DATABASE; there is no MYSQL_PORT because Kubernetes sets that to
  // "tcp://ip:port" for a Service named mysql). Empty variables count as unset. Setting both V and V_FILE
  // is kInvalidArgument.
  // Prefer DB_PASSWORD(_FILE) over a password in the URL (URLs end up in logs; we never log passwords).
  std::string url;

  // Local journal file for writes while the database is down; "" disables journaling. Recommended for
  // mysql URLs; for sqlite it only helps if the disk/file is temporarily unwritable.
  std::string journal_path;

  // How often the journal replay thread retries while the database is down.
  int journal_retry_interval_ms = 2000;

  // mysql: connections kept open (each used by one call at a time); connect/read/write timeouts.
  int mysql_pool_size = 4;
  int mysql_connect_timeout_seconds = 5;
  int mysql_io_timeout_seconds = 30;

  // sqlite: how long a writer waits for a lock held by another process before kUnavailable.
  int sqlite_busy_timeout_ms = 5000;

  EnvLookup env;  // empty: std::getenv
};

StatusOr<std::unique_ptr<TranslationStore>> OpenStore(const StoreOptions& options);

}  // namespace dolmetsch::store
