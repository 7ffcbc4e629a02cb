// `dolmetsch web --translator URL [--db DB_URL] [--port 8080] ...`: the web service alone (it talks to a
// translator over HTTP). Wires flags and environment (web/web_config.h) to web::WebApp and waits for
// SIGINT/SIGTERM. RegisterWebOptions is shared with `dolmetsch serve` (serve_command.cc).
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "web/web_app.h"
#include "web/web_config.h"

namespace dolmetsch::cli {

// Options both `web` and `serve` take. `serve` leaves out --translator (its translator is built in).
void RegisterWebOptions(CLI::App* cmd, web::WebFlags* flags, bool with_translator_url) {
  if (with_translator_url) {
    cmd->add_option("--translator", flags->translator_url, "Translator base URL, e.g. http://translator:8000")
        ->envname("DOLMETSCH_TRANSLATOR_URL");
    cmd->add_option("--translator-timeout", flags->translator_timeout_seconds,
                    "Seconds without progress from the translator before a translation fails (default: 120)")
        ->check(CLI::Range(1, 86400));
  }
  cmd->add_option("--db", flags->db_url,
                  "History database: sqlite:///path/file.db or mysql://user@host:3306/translation "
                  "(password from DB_PASSWORD or DB_PASSWORD_FILE)")
      ->envname("DOLMETSCH_DB");
  cmd->add_option("--journal", flags->journal_path,
                  "Append-only journal that keeps translations while the database is down "
                  "(default: data/history.journal)")
      ->envname("DOLMETSCH_JOURNAL");
  cmd->add_flag("--no-journal", flags->no_journal,
                "Do not journal; a translation is then not saved while the "
                "database is down");
  cmd->add_option("--history", flags->history_mode,
                  "Whose history a visitor sees: private (default; per browser), shared (everyone sees "
                  "everything), users (HTTP basic auth, per user; needs --users-file)")
      ->envname("DOLMETSCH_HISTORY");
  cmd->add_option("--users-file", flags->users_file,
                  "htpasswd file (bcrypt or SHA-512 crypt) for --history users")
      ->envname("DOLMETSCH_USERS_FILE");
  cmd->add_option("--secret-file", flags->secret_file,
                  "File with the key for CSRF tokens; set it when several replicas serve the same visitors "
                  "(default: random per start; or DOLMETSCH_SECRET)")
      ->envname("DOLMETSCH_SECRET_FILE");
  cmd->add_option("--trusted-proxy", flags->trusted_proxies,
                  "Address of a reverse proxy whose X-Forwarded-Proto is believed (repeatable; or "
                  "DOLMETSCH_TRUSTED_PROXIES=a,b)");
  cmd->add_option("--max-text-chars", flags->max_text_chars,
                  "Largest German text per translation in characters (default: 10000000)")
      ->check(CLI::Range(1LL, 1LL << 32));
  cmd->add_option(
         "--max-file-bytes", flags->max_file_bytes,
         "Largest document a visitor may upload, in bytes (default: 33554432, 32 MiB; under serve also "
         "the built-in translator's limit)")
      ->envname("DOLMETSCH_MAX_FILE_BYTES")
      ->check(CLI::Range(1LL, 1LL << 34));
  cmd->add_option("--http-threads", flags->http_threads, "Requests served at once (default: 32)")
      ->check(CLI::Range(2, 1024));
  cmd->add_option("--job-workers", flags->job_workers,
                  "Translation jobs this process translates at once (default: 2; 0: none, the API only)")
      ->envname("DOLMETSCH_JOB_WORKERS")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--job-lease", flags->job_lease_seconds,
                  "Seconds a job stays with a worker that stopped renewing it (a crashed replica) before "
                  "another takes it over (default: 30)")
      ->envname("DOLMETSCH_JOB_LEASE")
      ->check(CLI::Range(1.0, 86400.0));
}

// Blocks SIGINT and SIGTERM in this thread (and so in every thread started afterwards); WaitForStopSignal
// then receives them synchronously.
void BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal_number = 0;
  sigwait(&set, &signal_number);
  return signal_number;
}

void AddWebCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<web::WebFlags>();
  CLI::App* cmd =
      app.add_subcommand("web", "Serve the web pages (translate, history); talks to a translator over HTTP");
  cmd->add_option("--host", flags->host, "Address to listen on (default: 0.0.0.0)");
  cmd->add_option("--port", flags->port, "Port to listen on (default: 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  RegisterWebOptions(cmd, flags.get(), /*with_translator_url=*/true);
  auto grace_seconds = std::make_shared<double>(25);
  cmd->add_option("--grace", *grace_seconds,
                  "Seconds that requests in flight may take to finish after SIGTERM (default: 25)")
      ->envname("DOLMETSCH_SHUTDOWN_GRACE")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->footer(
      "Environment: DB_USER, DB_PASSWORD, DB_HOST, DB_PORT, DB_NAME and their *_FILE variants complete a "
      "mysql:// URL; see docs/web.md.");
  cmd->callback([flags, grace_seconds, exit_code] {
    auto options = web::ResolveWebOptions(*flags, web::WebDefaults{}, nullptr);
    if (options.ok() && options->translator.base_url.empty()) {
      options = Status::InvalidArgument("--translator URL is required (or DOLMETSCH_TRANSLATOR_URL)");
    }
    if (!options.ok()) {
      std::cerr << "dolmetsch web: " << options.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    if (Status s = web::PrepareDataDirectories(*options); !s.ok()) {
      std::cerr << "dolmetsch web: " << s.message() << "\n";
      *exit_code = 1;
      return;
    }
    BlockStopSignals();
    auto app = web::WebApp::Create(*options);
    if (!app.ok()) {
      std::cerr << "dolmetsch web: " << app.status().message() << "\n";
      *exit_code = app.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
      return;
    }
    if (Status s = (*app)->Listen(); !s.ok()) {
      std::cerr << "dolmetsch web: " << s.message() << "\n";
      *exit_code = 1;
      return;
    }
    std::cerr << "web: serving on http://" << options->host << ":" << (*app)->port() << " (translator "
              << options->translator.base_url << ")\n";
    int signal_number = WaitForStopSignal();
    std::cerr << "web: stopping (signal " << signal_number << "), requests in flight have " << *grace_seconds
              << " s\n";
    // New connections are refused at once; answers in flight are sent, then their connections close.
    // At the end of the grace whatever is left is closed.
    (*app)->StopAccepting();
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(*grace_seconds * 1000));
    while ((*app)->connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    (*app)->Stop();
    (*app)->Wait();
    *exit_code = 0;
  });
}

}  // namespace dolmetsch::cli
