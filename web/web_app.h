// WebApp: the web service (`dolmetsch web`, and the web half of `dolmetsch serve`). docs/web.md describes
// the pages, the history modes, the security measures and the options.
//
// Routes: GET / (translate page), POST /translate (form, works without JavaScript), POST /api/translate
// (the page's script: Server-Sent Events with per-sentence progress), GET /history (?q= search, ?page=),
// GET /history/<id>, POST /history/<id>/delete, GET /history/export.csv|json (?q=), GET /static/<asset>,
// GET /health (process alive), GET /ready (translator ready).
// Every translation is returned to the visitor even when storing it fails: the store journals rows while
// the database is down (store/journaled_store.h), and a failed write only adds a notice to the page.
// Thread-safety: Listen once; Stop from any thread (e.g. a signal handler thread); Wait from one thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/translation_store.h"
#include "util/status.h"
#include "web/security.h"
#include "web/translator_client.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

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
  size_t max_body_bytes = 8 * 1024 * 1024;   // request bodies (413 above)
  size_t max_text_bytes = 2 * 1024 * 1024;   // German text per translation, in UTF-8 bytes
  int http_threads = 32;
  int page_size = 20;
  int export_max_rows = 10000;
  bool log_requests = true;
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
  void Stop();
  void Wait();

 private:
  struct RequestContext;
  explicit WebApp(WebOptions options);
  void InstallRoutes();
  RequestContext Prepare(const httplib::Request& req, httplib::Response& res);
  bool Authenticate(const httplib::Request& req, httplib::Response& res, RequestContext& ctx);
  bool CheckCsrf(const httplib::Request& req, const RequestContext& ctx, const std::string& form_token) const;
  store::TranslationStore* Store(Status* why);
  void SendHtml(httplib::Response& res, int status, const std::string& html);
  void SendError(const RequestContext& ctx, httplib::Response& res, int status, const std::string& title,
                 const std::string& message);

  void HandleTranslatePage(const httplib::Request& req, httplib::Response& res);
  void HandleTranslateForm(const httplib::Request& req, httplib::Response& res);
  void HandleTranslateApi(const httplib::Request& req, httplib::Response& res);
  void HandleHistory(const httplib::Request& req, httplib::Response& res);
  void HandleEntry(const httplib::Request& req, httplib::Response& res);
  void HandleDelete(const httplib::Request& req, httplib::Response& res);
  void HandleExport(const httplib::Request& req, httplib::Response& res, bool csv);
  void HandleAsset(const httplib::Request& req, httplib::Response& res);
  void HandleReady(const httplib::Request& req, httplib::Response& res);

  const WebOptions options_;
  TranslatorClient translator_;
  CsrfTokens csrf_;
  std::optional<Htpasswd> users_;

  std::mutex store_mu_;
  std::unique_ptr<store::TranslationStore> store_;
  Status store_error_;
  std::chrono::steady_clock::time_point next_store_attempt_{};

  std::unique_ptr<httplib::Server> server_;
  std::thread server_thread_;
  int bound_port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace dolmetsch::web
