// Turns the command line of `dolmetsch web` / `dolmetsch serve` plus the environment into WebOptions.
//
// Precedence for every setting: command-line flag, then its environment variable, then the default
// (docs/web.md lists them). The database URL: --db, else DOLMETSCH_DB, else "mysql://" when any of
// DB_HOST / DB_HOST_FILE / MYSQL_HOST is set (the original deployment configured the database only through
// those variables; the store fills user, password, host and name from DB_* / *_FILE), else
// `default_db_url`. Secrets are read from files (DOLMETSCH_SECRET_FILE, DOLMETSCH_TRANSLATOR_API_KEY_FILE)
// or the variables DOLMETSCH_SECRET / DOLMETSCH_TRANSLATOR_API_KEY, never from flags (they would show in ps).
// Thread-safety: pure functions apart from reading the named files.
#pragma once

#include <string>
#include <vector>

#include "store/translation_store.h"
#include "util/status.h"
#include "web/web_app.h"

namespace dolmetsch::web {

// What the command line gave; empty strings / 0 mean "not given".
struct WebFlags {
  std::string host;
  int port = -1;  // 0 is "any free port"; -1 "not given"
  std::string translator_url;
  std::string db_url;
  std::string journal_path;
  bool no_journal = false;
  std::string history_mode;
  std::string users_file;
  std::string secret_file;
  std::vector<std::string> trusted_proxies;
  long long max_text_chars = 0;  // 0: the default (WebOptions)
  long long max_file_bytes = 0;  // 0: the default (WebOptions)
  int translator_timeout_seconds = 0;
  int http_threads = 0;
  int job_workers = -1;          // -1: the default (2); 0: this process translates no jobs
  double job_lease_seconds = 0;  // 0: the default (30)
};

struct WebDefaults {
  std::string host = "0.0.0.0";
  int port = 8080;
  std::string db_url = "sqlite://data/history.db";
  std::string journal_path = "data/history.journal";
};

StatusOr<WebOptions> ResolveWebOptions(const WebFlags& flags, const WebDefaults& defaults,
                                       const store::EnvLookup& env);

// Creates the parent folders of a sqlite:// database file and of the journal, so that a fresh checkout
// can run `dolmetsch serve` at once. No-op for mysql URLs and :memory:.
Status PrepareDataDirectories(const WebOptions& options);

}  // namespace dolmetsch::web
