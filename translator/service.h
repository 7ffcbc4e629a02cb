// Service: the translator's HTTP API (docs/api.md): routes, validation, limits, metrics, logging and
// lifecycle, on top of the cross-request Scheduler.
//
// Two ways to run it:
//   - standalone: Listen() binds host:port and serves from a background thread with its own bounded
//     connection queue, JSON answers for 404/405/413/400 from the HTTP layer, and one log line per request;
//   - mounted (`dolmetsch serve`): Mount(server) adds the translator's routes to another httplib::Server;
//     that server's pre-routing handler must call BeginRequest() and its logger EndRequest(req, res), so
//     that metrics and logs stay complete.
// Endpoints work before a model is attached: /health answers 200, /ready 503 and the translation endpoints
// 503 "model is loading", until AttachBackend has loaded and warmed up.
// Shutdown(): /ready turns false, new connections are refused (standalone) and new translation requests get
// 503, requests in flight may finish within the grace period; after it their remaining work is cancelled.
// Thread-safety: AttachBackend, Shutdown and the accessors may be called from any thread; Listen and Mount
// once, before serving.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "translator/api.h"
#include "translator/backend.h"
#include "translator/metrics.h"
#include "translator/scheduler.h"
#include "util/status.h"

namespace dolmetsch::text {
class TranslationCache;
}

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace dolmetsch::translator {

struct ModelInfo {
  std::string name = "model";  // shown in /v1/translate answers and /languages
  std::string source_language = "de";
  std::string target_language = "en";
  double load_seconds = 0;
  std::string compute_type =
      "float32";  // what the engine runs (engine/compute_type.h), for /metrics and logs
};

struct ServiceOptions {
  std::string host = "0.0.0.0";
  int port = 8000;
  size_t max_body_bytes = 10 * 1024 * 1024;
  ApiLimits limits;
  Scheduler::Options scheduler;
  size_t max_segment_bytes = 1000;       // longer sentences are split (text::SegmentSentences)
  int max_segment_tokens = 256;          // longer sentences are split at clauses (text::TranslateDocument)
  size_t cache_entries = 10000;          // sentence translations kept across requests (LRU); 0: no cache
  int http_threads = 64;                 // connections served at once
  size_t max_waiting_connections = 256;  // beyond this, and after max_connection_wait, translate -> 503
  double max_connection_wait_seconds = 5;
  double request_timeout_seconds = 300;  // translation deadline -> 504
  double grace_seconds = 25;             // Shutdown waits this long for requests in flight
  int retry_after_seconds = 2;           // Retry-After of 503 answers
  int keep_alive_seconds = 5;
  int read_timeout_seconds = 10;      // a client that sends slower than this is dropped
  std::vector<std::string> api_keys;  // empty: no key needed
  std::string cors_origin = "*";      // Access-Control-Allow-Origin; empty: no CORS headers
  bool log_text = false;              // debug: log request texts (never on by default)
};

class Service {
 public:
  explicit Service(ServiceOptions options);
  ~Service();  // Shutdown() with no grace if still serving
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Starts the scheduler on `backend` (must outlive the service) and runs one warm-up translation; /ready
  // turns true when it succeeded. Errors name what failed; the service then stays not ready.
  Status AttachBackend(BatchBackend* backend, ModelInfo info);

  void Mount(httplib::Server& server);
  static void BeginRequest();
  void EndRequest(const httplib::Request& req, const httplib::Response& res);

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
  class DrainableServer;
  struct Pending;
  void HandleTranslate(ApiKind endpoint, const httplib::Request& req, httplib::Response& res,
                       const void* content_reader);
  void Respond(httplib::Response& res, int status, const std::string& json_body);
  void RespondError(httplib::Response& res, const Status& status);
  void AddCors(httplib::Response& res) const;
  std::string LanguagesJson() const;
  std::string SettingsJson() const;
  bool KeyAccepted(const httplib::Request& req, const std::string& body_key) const;

  const ServiceOptions options_;
  Metrics metrics_;
  std::unique_ptr<text::TranslationCache> cache_;  // null when cache_entries is 0
  std::unique_ptr<Scheduler> scheduler_;
  std::atomic<BatchBackend*> backend_{nullptr};
  std::atomic<Scheduler*> scheduler_ptr_{nullptr};  // set (after backend_) once warmed up
  ModelInfo model_;
  mutable std::mutex model_mu_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};  // translation requests being answered (streams included)
  std::chrono::steady_clock::time_point drain_deadline_;

  std::unique_ptr<DrainableServer> server_;
  std::thread server_thread_;
  std::atomic<bool> server_stopped_{false};
  std::mutex shutdown_mu_;
  int bound_port_ = 0;

  std::mutex log_mu_;
  std::function<void(const std::string&)> log_sink_;
};

}  // namespace dolmetsch::translator
