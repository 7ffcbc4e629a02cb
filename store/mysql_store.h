// MariaDB/MySQL backend of TranslationStore through MariaDB Connector/C: prepared statements (mysql_stmt_*)
// for every statement that carries data, utf8mb4, a small connection pool, and reconnect-and-retry-once
// when a connection was lost (safe for Insert because of the client_key UNIQUE index). Full-text search
// uses an InnoDB FULLTEXT index over (text_de, text_en) in BOOLEAN MODE; words shorter than 3 characters
// or on InnoDB's default stop-word list use LIKE '%word%' with escaped wildcards instead.
// Thread-safety: all methods may be called concurrently; each call borrows one pooled connection.
#pragma once

#include <memory>
#include <string>

#include "store/db_url.h"
#include "store/translation_store.h"

namespace dolmetsch::store {

struct MysqlStoreOptions {
  MysqlConfig config;
  int pool_size = 4;
  int connect_timeout_seconds = 5;
  int io_timeout_seconds = 30;
  // false: OpenMysqlStore fails with kUnavailable if the server is unreachable.
  // true: an unreachable server is tolerated (calls return kUnavailable until it answers; the schema is
  // migrated on the first successful connection). Wrong credentials or an unknown database still fail.
  bool lazy_connect = false;
};

StatusOr<std::unique_ptr<TranslationStore>> OpenMysqlStore(const MysqlStoreOptions& options);

// InnoDB's default full-text stop words (INNODB_FT_DEFAULT_STOPWORD); such words use the LIKE fallback.
bool IsInnodbStopword(const std::string& lower_word);

}  // namespace dolmetsch::store
