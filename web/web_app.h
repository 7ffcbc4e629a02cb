// WebApp: the web service (`dolmetsch web`, and the web half of `dolmetsch serve`). docs/web.md describes
// the pages, the history modes, the security measures and the options.
//
// Routes: GET / (translate page), POST /translate (form, works without JavaScript: creates a translation job,
// web/job_api.h, which also serves /api/jobs and /jobs/ID), POST /api/translate
// (the page's script: Server-Sent Events with per-sentence progress), GET /history (?q= search, ?page=),
// GET /history/<id>, POST /history/<id>/delete, GET /history/export.csv|json (?q=), GET /static/<asset>,
// GET /health (process alive), GET /ready (translator ready). Every translating path takes a language pair
// (form fields or JSON `source`/`target`, "auto" to detect), checked against the translator's cached
// /languages (web/languages.h).
// Every translation is returned to the visitor even when storing it fails: the store journals rows while
// the database is down (store/journaled_store.h), and a failed write only adds a notice to the page.
// Served by the event-driven http::Server (http/server.h); page and history handlers run on its worker pool.
// Thread-safety: Listen once; Stop from any thread (e.g. a signal handler thread); Wait from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/translation_store.h"
#include "util/status.h"
#include "web/job_api.h"
#include "web/languages.h"
#include "web/pages.h"
#include "web/security.h"
#include "web/translator_client.h"

namespace dolmetsch::http {
class Server;
class Exchange;
struct Request;
struct Response;
}  // namespace dolmetsch::http

namespace dolmetsch::web {

enum class HistoryMode {
  kPrivate,  // default: each browser sees its own rows (anonymous owner cookie)
  kShared,   // everyone sees and may delete every row (the original app's behaviour)
  kUsers,    // HTTP basic auth against an htpasswd file; each user sees their own rows
};

StatusOr<HistoryMode> ParseHistoryMode(const std::string& text);

struct WebOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0: pick a free port (see WebApp::port())
  TranslatorClientOptions translator;
  store::StoreOptions store;
  HistoryMode history_mode = HistoryMode::kPrivate;
  std::string users_file;                    // htpasswd file (kUsers)
  std::string secret;                        // CSRF key; "" -> random per process
  std::vector<std::string> trusted_proxies;  // remote addresses whose X-Forwarded-Proto/For we believe
  size_t max_text_chars = 10'000'000;        // German text per translation, in characters (code points)
  size_t max_body_bytes = 64 * 1024 * 1024;  // request bodies (413 above): a form-encoded text of that size
  size_t max_file_bytes = 32 * 1024 * 1024;  // an uploaded document (docs/web.md, "Files")
  int http_threads = 32;                     // worker threads (a translation holds one while it runs)
  size_t max_connections = 10000;            // open connections; beyond: 503 and close
  double header_timeout_seconds = 10;        // request line and header must arrive within this
  double keep_alive_seconds = 5;             // idle time allowed between requests on one connection
  double body_min_rate_bytes = 1024;         // per 10 s after the first second; slower bodies get 408
  int page_size = 20;
  int export_max_rows = 10000;
  bool log_requests = true;
  JobOptions jobs;  // translation jobs (web/job_api.h): workers, lease
  // The translator's GET /languages is cached (web/languages.h): fetched again this often, and this soon
  // after a failure.
  std::chrono::milliseconds languages_refresh{std::chrono::minutes(5)};
  std::chrono::milliseconds languages_retry{std::chrono::seconds(5)};
};

class WebApp {
 public:
  // Opens the store (a database that is down is not fatal: reads are retried, writes journaled when a
  // journal is configured); kInvalidArgument for bad options (URL, users file, history mode).
  static StatusOr<std::unique_ptr<WebApp>> Create(WebOptions options);
  ~WebApp();
  WebApp(const WebApp&) = delete;
  WebApp& operator=(const WebApp&) = delete;

  // Binds host:port and serves from a background thread.
  Status Listen();
  int port() const { return bound_port_; }
  // Closes the listening socket and idle connections; requests being answered go on (serve calls this
  // first, then shuts the translator down within its grace, then Stop).
  void StopAccepting();
  // Open connections (after StopAccepting: those still answering a request).
  size_t connections() const;
  void Stop();
  void Wait();

 private:
  friend class JobApi;  // shares the request context, CSRF, store and translator of the app
  struct RequestContext {
    bool https = false;
    std::string session;
    std::optional<std::string> owner_scope;  // what reads are limited to (nullopt: everything)
    std::string owner_for_insert;
    PageContext page;
  };
  explicit WebApp(WebOptions options);
  void InstallRoutes();
  RequestContext Prepare(const http::Request& req, http::Response& res);
  bool Authenticate(const http::Request& req, http::Response& res, RequestContext& ctx);
  bool CheckCsrf(const http::Request& req, const RequestContext& ctx, const std::string& form_token) const;
  store::TranslationStore* Store(Status* why);
  void SendHtml(http::Response& res, int status, const std::string& html);
  void SendError(const RequestContext& ctx, http::Response& res, int status, const std::string& title,
                 const std::string& message);

  void HandleTranslatePage(const http::Request& req, http::Response& res);
  // POST /translate while the job database is down: translates in the request (the old way).
  void HandleTranslateFormDirectly(const http::Request& req, http::Response& res, const LanguageChoice& pair);
  void HandleTranslateApi(const std::shared_ptr<http::Exchange>& exchange);
  std::string TooLongMessage(const std::string& text) const;  // "" when the text is within the limit
  // A submission's pair (form fields or JSON; "" = the default pair): kInvalidArgument (a 400 for the
  // visitor) for a malformed code, one language twice, or a pair the cached list does not serve (its
  // message names the pairs served); unchecked while the list is unknown. "auto" is resolved through the
  // translator's POST /detect (on the start of `text`) when it answers.
  StatusOr<LanguageChoice> ChooseLanguages(const std::string& source, const std::string& target,
                                           const std::string& text);
  void HandleHistory(const http::Request& req, http::Response& res);
  void HandleEntry(const http::Request& req, http::Response& res);
  void HandleDelete(const http::Request& req, http::Response& res);
  void HandleExport(const http::Request& req, http::Response& res, bool csv);
  void HandleAsset(const http::Request& req, http::Response& res);
  void HandleReady(const http::Request& req, http::Response& res);

  const WebOptions options_;
  TranslatorClient translator_;
  std::unique_ptr<LanguageCache> languages_;
  CsrfTokens csrf_;
  std::optional<Htpasswd> users_;

  std::mutex store_mu_;
  std::unique_ptr<store::TranslationStore> store_;
  Status store_error_;
  std::chrono::steady_clock::time_point next_store_attempt_{};

  std::unique_ptr<JobApi> jobs_;
  std::unique_ptr<http::Server> server_;
  int bound_port_ = 0;
  std::atomic<bool> stopped_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
};

}  // namespace dolmetsch::web
