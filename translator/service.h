// Service: the translator's HTTP API (docs/api.md): routes, validation, limits, metrics, logging and
// lifecycle, on top of the cross-request Scheduler, served by the event-driven http::Server (http/server.h).
//
// Listen() binds host:port. Requests are parsed and planned on the server's worker pool; while a translation
// is decoded no thread waits for it: a timer on the I/O threads watches the job's progress and hands each
// step (progress events, the final answer) back to the pool, so idle, slow and streaming clients cost
// memory, not threads. A client that goes away cancels its remaining work. Every response carries
// X-Request-Id; each request's log line (one JSON object) and metrics are built from fields kept with the
// request (http::Exchange::fields).
// Several models: AttachModels serves every pair of a catalog::ModelCatalog through a catalog::ModelRegistry
// (lazy loading, budget, LRU unloading; docs/languages.md). Each request is routed by its source and target
// (LibreTranslate q/source/target, /v1/translate source/target; {"text_de"} is German -> English), directly
// or through English when allowed; source "auto" detects each text's language with CLD2 among the sources
// that reach the target. All models share one Scheduler: a job per route, batches per model, turns taken
// across models and requests. POST /detect answers LibreTranslate's [{"language","confidence"}].
// POST /translate_file takes LibreTranslate's multipart upload (file, source, target, api_key) in any format
// of markup/formats.h (and .txt through the document pipeline), translates it as a request like the others
// (MarkupTranslation on the scheduler; parsing and rendering on the worker pool) and answers
// {"translatedFileUrl": ".../download_file/<token>/<name>"}; GET /download_file/<token>/<name> serves it
// from the FileStore until it expires.
// Endpoints work before a model is attached: /health answers 200, /ready 503 and the translation endpoints
// 503 "model is loading", until AttachBackend has loaded and warmed up.
// Shutdown(): /ready turns false, the listening socket is closed, idle connections are closed and new
// translation requests get 503; requests in flight may finish within the grace period (one deadline for the
// whole shutdown); at its end their work is cancelled and each waiting client gets a JSON 503 with
// Retry-After (a stream gets an "error" event with status 503).
// Thread-safety: AttachBackend, Shutdown and the accessors may be called from any thread; Listen once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/model_catalog.h"
#include "catalog/model_registry.h"
#include "translator/api.h"
#include "translator/backend.h"
#include "translator/file_store.h"
#include "translator/metrics.h"
#include "translator/model_backend.h"
#include "translator/scheduler.h"
#include "util/status.h"

namespace dolmetsch::text {
class TranslationCache;
}

namespace dolmetsch::http {
class Server;
class Exchange;
struct Request;
struct Response;
}  // namespace dolmetsch::http

namespace dolmetsch::translator {

struct ModelInfo {
  std::string name = "model";  // shown in /v1/translate answers and /languages
  std::string source_language = "de";
  std::string target_language = "en";
  double load_seconds = 0;
  std::string compute_type =
      "float32";  // what the engine runs (engine/compute_type.h), for /metrics and logs
};

// The several-model setup (AttachModels).
struct ModelSetOptions {
  bool allow_pivot = true;                         // SRC -> en -> TGT when no model serves SRC -> TGT
  std::vector<const catalog::ModelSpec*> preload;  // loaded (and warmed up) before /ready says 200
  BackendCaps caps;                                // server-wide search caps (benchmarks)
  std::string compute_type = "float32";            // for the cache key and logs
};

struct ServiceOptions {
  std::string host = "0.0.0.0";
  int port = 8000;
  size_t max_body_bytes = 64 * 1024 * 1024;  // room for the web app's 10,000,000-character texts
  ApiLimits limits;
  Scheduler::Options scheduler;
  size_t max_segment_bytes = 1000;  // longer sentences are split (text::SegmentSentences)
  int max_segment_tokens = 256;     // longer sentences are split at clauses (text::TranslateDocument)
  size_t cache_entries = 10000;     // sentence translations kept across requests (LRU); 0: no cache
  int http_threads = 8;            // worker threads: parsing, planning and assembling answers (never waiting)
  int io_threads = 2;              // threads serving every connection's sockets
  size_t max_connections = 10000;  // open connections; beyond: 503 and close
  double request_timeout_seconds = 300;  // translation deadline -> 504
  double grace_seconds = 25;             // Shutdown waits this long (in total) for requests in flight
  int retry_after_seconds = 2;           // Retry-After of 503 answers
  double keep_alive_seconds = 5;         // idle time allowed between requests on one connection
  double header_timeout_seconds = 10;    // the request line and header must arrive within this
  double body_min_rate_bytes = 1024;     // per 10 s (after the first second); slower bodies get 408
  double write_timeout_seconds = 30;     // a client that reads nothing of an answer for this long is dropped
  std::vector<std::string> api_keys;     // empty: no key needed
  std::string cors_origin = "*";         // Access-Control-Allow-Origin; empty: no CORS headers
  bool log_text = false;                 // debug: log request texts (never on by default)
  // POST /translate_file: uploads up to max_file_bytes (larger: 413); the translations are kept in
  // files.dir (default: a private folder under the temporary directory) for files.ttl_seconds within
  // files.quota_bytes (FileStore).
  size_t max_file_bytes = 32u << 20;
  FileStoreOptions files;
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();  // Shutdown() with no grace if still serving
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts the scheduler on `backend` (must outlive the service) and runs one warm-up translation; /ready
  // turns true when it succeeded. Errors name what failed; the service then stays not ready.
  // The backend serves the one pair info.source_language -> info.target_language.
  Status AttachBackend(BatchBackend* backend, ModelInfo info);

  // Serves every pair of `catalog` with models from `registry` (both must outlive the service). The
  // catalog's languages are listed at once; options.preload are loaded and warmed up, then /ready turns
  // true (at once when nothing is preloaded: models load on first use). Errors name the model that failed.
  Status AttachModels(const catalog::ModelCatalog* catalog, catalog::ModelRegistry* registry,
                      ModelSetOptions options);

  // Adds the translator's routes to `server` (Listen does this for its own server).
  void Mount(http::Server& server);

  // Standalone: binds and starts serving in a background thread. port 0 picks a free port (see port()).
  Status Listen();
  int port() const { return bound_port_; }
  // Graceful stop (see above); returns when the server thread has ended. Safe to call more than once.
  void Shutdown();
  // Returns when the standalone server has stopped (after Shutdown, or a fatal listener error).
  void Wait();

  bool ready() const { return ready_.load(); }
  Metrics& metrics() { return metrics_; }
  // Where log lines go (one JSON object per line); default: stderr.
  void SetLogSink(std::function<void(const std::string&)> sink);

 private:
  class Translation;
  void HandleTranslate(ApiKind endpoint, const std::shared_ptr<http::Exchange>& exchange);
  void OnComplete(const http::Exchange& exchange);
  void Respond(http::Response& res, int status, const std::string& json_body) const;
  void RespondError(http::Exchange& exchange, const Status& status) const;
  void AddCors(http::Response& res) const;
  // One route of a request: the backend its texts go through, its hops, labels.
  struct Route {
    BatchBackend* backend = nullptr;
    std::vector<catalog::Hop> hops;  // empty for AttachBackend's backend
    std::string label;               // "de-en", "de-en-fr" through English (metrics)
    std::string models;              // "opus-mt-de-en" or "opus-mt-de-en+opus-mt-en-fr"
  };
  StatusOr<Route> RouteFor(const std::string& source, const std::string& target);
  // Loads (or keeps) the models of a route; the handles keep them in memory while held.
  StatusOr<std::vector<std::shared_ptr<const engine::Translator>>> AcquireModels(const Route& route);
  Status WarmUp(BatchBackend* backend, const std::string& label);
  void HandleDetect(const std::shared_ptr<http::Exchange>& exchange);
  // LibreTranslate's POST /translate_file, or the streamed POST /v1/translate_file.
  void HandleTranslateFile(const std::shared_ptr<http::Exchange>& exchange, bool stream);
  // The target when a request names none: "en" from German (or from a source not named yet) when that
  // pair is served, else (files: `english_when_served`) "en" when the named source translates into it,
  // else the only target of the source (of the default source when not named yet); else InvalidArgument
  // naming the served pairs. The text endpoints and the file endpoints share it; where they differ is
  // the flag, and that a file's missing source is detected while a text's takes the default.
  StatusOr<std::string> ChooseTarget(const std::string& source, bool english_when_served) const;
  // The languages `source: "auto"` may detect: the served sources that translate into `target`.
  std::vector<std::string> DetectionCandidates(const std::string& target) const;
  void HandleDownload(http::Exchange& exchange);
  std::string LanguagesJson() const;
  std::string SettingsJson() const;
  bool KeyAccepted(const http::Request& req, const std::string& body_key) const;

  const ServiceOptions options_;
  Metrics metrics_;
  std::unique_ptr<text::TranslationCache> cache_;  // null when cache_entries is 0
  std::unique_ptr<FileStore> files_;               // null when its folder could not be made (files_status_)
  Status files_status_;
  std::unique_ptr<Scheduler> scheduler_;
  std::atomic<BatchBackend*> backend_{nullptr};
  std::atomic<Scheduler*> scheduler_ptr_{nullptr};  // set (after backend_) once warmed up
  ModelInfo model_;
  mutable std::mutex model_mu_;
  std::atomic<const catalog::ModelCatalog*> catalog_{nullptr};  // set first by Attach*
  std::unique_ptr<catalog::ModelCatalog> own_catalog_;          // AttachBackend's one pair
  catalog::ModelRegistry* registry_ = nullptr;                  // null with AttachBackend
  ModelSetOptions set_;
  std::mutex routes_mu_;
  std::map<std::string, std::unique_ptr<BatchBackend>> route_backends_;  // by hop key, created on first use
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<bool> cancelling_{false};  // the grace period is over: answer 503 to everyone waiting
  std::atomic<int> in_flight_{0};        // translation requests being answered (streams included)
  std::mutex translations_mu_;
  std::unordered_map<Translation*, std::weak_ptr<Translation>> translations_;  // in flight, for Shutdown

  std::unique_ptr<http::Server> server_;
  std::atomic<bool> server_stopped_{false};
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
  int bound_port_ = 0;

  std::mutex log_mu_;
  std::function<void(const std::string&)> log_sink_;
};

}  // namespace dolmetsch::translator
