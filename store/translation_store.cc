#include "store/translation_store.h"

#include "store/db_url.h"
#include "store/journaled_store.h"
#include "store/mysql_store.h"
#include "store/sqlite_store.h"

namespace dolmetsch::store {

StatusOr<std::unique_ptr<TranslationStore>> OpenStore(const StoreOptions& options) {
  DOLMETSCH_ASSIGN_OR_RETURN(DbUrl url, ParseDbUrl(options.url));
  std::function<StatusOr<std::unique_ptr<TranslationStore>>()> open_inner;
  if (url.kind == DbUrl::Kind::kSqlite) {
    open_inner = [path = url.sqlite_path, timeout = options.sqlite_busy_timeout_ms] {
      return OpenSqliteStore(path, timeout);
    };
  } else {
    DOLMETSCH_ASSIGN_OR_RETURN(MysqlConfig cfg, ResolveMysqlConfig(url, options.env));
    MysqlStoreOptions mopts;
    mopts.config = cfg;
    mopts.pool_size = options.mysql_pool_size;
    mopts.connect_timeout_seconds = options.mysql_connect_timeout_seconds;
    mopts.io_timeout_seconds = options.mysql_io_timeout_seconds;
    if (!options.journal_path.empty()) {
      // With a journal the service starts even when the database is down: the store connects lazily.
      mopts.lazy_connect = true;
    }
    open_inner = [mopts] { return OpenMysqlStore(mopts); };
  }
  if (options.journal_path.empty()) return open_inner();
  DOLMETSCH_ASSIGN_OR_RETURN(auto inner, open_inner());
  JournaledStoreOptions jopts;
  jopts.journal_path = options.journal_path;
  jopts.retry_interval_ms = options.journal_retry_interval_ms;
  return OpenJournaledStore(std::move(inner), jopts);
}

}  // namespace dolmetsch::store
