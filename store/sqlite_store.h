// SQLite backend of TranslationStore: one connection in WAL mode, prepared statements only, FTS5 full-text
// index (external content, kept in sync by triggers) over text_de and text_en.
// Thread-safety: all methods may be called concurrently; calls are serialised on one mutex (SQLite writes
// are serial anyway, and a history page's reads are short). Other processes may share the file: they wait
// up to busy_timeout_ms for locks, then get kUnavailable.
#pragma once

#include <memory>
#include <string>

#include "store/translation_store.h"

namespace dolmetsch::store {

// Opens (creating if needed) the database file at `path` (":memory:" for a private in-memory database) and
// runs Migrate(). Errors: kIoError (cannot open/create), kCorruption (not a database), kInternal.
StatusOr<std::unique_ptr<TranslationStore>> OpenSqliteStore(const std::string& path, int busy_timeout_ms);

// The schema version this code creates / upgrades to (both backends). 1: the history; 2: + jobs.
inline constexpr int kSchemaVersion = 4;

}  // namespace dolmetsch::store
