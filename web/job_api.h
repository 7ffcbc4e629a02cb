// JobApi: translation jobs in the web app (docs/web.md, "Jobs"; docs/api.md has the JSON reference).
//
// Routes (same session cookie, CSRF and owner rules as the rest of the web app; another owner's job is 404):
//   POST /api/jobs                  form fields `text`, `source`, `target` or JSON {"text", "source",
//   "target"}
//                                   (the pair checked by WebApp::ChooseLanguages) -> 202 {id, status_url,
//                                   events_url,
//   page_url} GET  /api/jobs/ID               the job as JSON (status, done, total, text_en so far, eta,
//   error, ...) GET  /api/jobs/ID/events        Server-Sent Events: one `progress` per finished piece from
//   Last-Event-ID
//                                   on, then `end`; keep-alive comments every 15 s
//   DELETE /api/jobs/ID             cancel (also POST /api/jobs/ID/cancel) -> the job as JSON
//   POST /translate                 (the form, without JavaScript) creates a job -> 303 /jobs/ID
//   GET  /jobs/ID                   the job page (refreshes itself while the job runs)
//   POST /jobs/ID/cancel            the job page's cancel button -> 303 /jobs/ID
//   POST /translate-file            the form's "Translate file" (multipart, no JavaScript) -> 303
//   GET  /jobs/ID/file              a done file job's translated file (attachment)
// POST /api/jobs also takes multipart/form-data with a `file` part: an uploaded document becomes a job
// whose pieces are its blocks (web/upload.h checks it first; jobs/job_runner.h translates it).
// The workers (jobs::JobRunner over HttpPieceTranslator) run in this process; with several replicas on one
// MariaDB each runs its own and the store's leases share the jobs out.
//
// Event streams hold no thread while they wait: each polls the store (new units since the last one sent)
// every `events_poll` from an I/O-thread timer, doing the database reads on the worker pool, and skips a
// round while the client has not read what was sent (backpressure). Polling works across replicas: the
// stream may be served by another replica than the one running the job.
//
// Thread-safety: Start/Stop from one thread; handlers run on the server's threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "jobs/job_runner.h"
#include "store/job_store.h"
#include "web/job_translator.h"
#include "web/languages.h"

namespace dolmetsch::http {
class Server;
class Exchange;
struct Request;
struct Response;
}  // namespace dolmetsch::http

namespace dolmetsch::web {

class WebApp;

struct JobOptions {
  bool run_workers = true;    // false: this process serves the API only (another one translates)
  int workers = 2;            // jobs translated at once by this process
  std::string worker_prefix;  // unique per process; "" -> "<hostname>-<pid>"
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds events_poll{250};
  std::chrono::milliseconds keepalive{15000};
};

// "<hostname>-<pid>", cut to fit store::kMaxWorkerBytes with the worker number.
std::string DefaultWorkerPrefix();

// Seconds left for `total - done` units at the rate of `done_since` units in `elapsed_seconds`; -1 when
// unknown (nothing done yet, or nothing left).
double EstimateSeconds(int64_t done, int64_t total, int64_t done_since, double elapsed_seconds);

class JobApi {
 public:
  JobApi(WebApp* app, JobOptions options);
  ~JobApi();  // Stop()

  void InstallRoutes(http::Server& server);
  // Starts the workers (when run_workers).
  void Start();
  // The server stops accepting: job event streams end (clients reconnect elsewhere), the workers claim no
  // new job but finish the ones they run, and /api/translate streams follow them.
  void Drain();
  // Stops the workers (translations in flight are cancelled; their checkpoints stay for the next start or
  // another replica) and ends every stream, /api/translate ones with a 503 event naming their job. Call
  // before the server stops and the store closes. Later calls do nothing.
  void Stop();

  // POST /translate for the form (without JavaScript).
  void HandleTranslateForm(const http::Request& req, http::Response& res);
  // POST /api/translate once the request is checked: the text becomes a job and the answer streams its
  // progress in /api/translate's event shapes (docs/web.md). The job stays when the client leaves (it ends
  // in the history). Returns false, having sent nothing, when there is no job database.
  bool StreamTranslation(const std::shared_ptr<http::Exchange>& exchange, const std::string& owner,
                         const std::optional<std::string>& owner_scope, const std::string& text,
                         const LanguageChoice& pair);

  jobs::JobRunner* runner() { return runner_.get(); }

 private:
  class AppJobStore;
  class EventStream;
  friend class EventStream;

  void HandleCreate(const http::Request& req, http::Response& res);
  void HandleGet(const http::Request& req, http::Response& res);
  void HandleCancel(const http::Request& req, http::Response& res, bool form);
  void HandleEvents(const std::shared_ptr<http::Exchange>& exchange);
  void HandlePage(const http::Request& req, http::Response& res);
  void HandlePageCancel(const http::Request& req, http::Response& res);
  void HandleTranslateFileForm(const http::Request& req, http::Response& res);
  void HandleDownload(const http::Request& req, http::Response& res);

  WebApp* app_;
  const JobOptions options_;
  std::unique_ptr<AppJobStore> store_;
  std::unique_ptr<HttpPieceTranslator> translator_;
  std::unique_ptr<jobs::JobRunner> runner_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};
  // Open /api/translate streams (shared: a stream may outlive a Stop that gave up waiting for it).
  std::shared_ptr<std::atomic<int>> translate_streams_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace dolmetsch::web
