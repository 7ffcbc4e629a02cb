// Server: an event-driven HTTP/1.1 server on Boost.Beast and Boost.Asio for the translator and the web app
// (docs/http.md says why this library and how it behaves).
//
// A few I/O threads serve every connection (an idle, slow or streaming connection costs memory, never a
// thread); handlers run on a worker pool (Run::kWorker, the default: anything that may block) or on the I/O
// thread (Run::kInline: cheap answers such as /health). Beast's parser frames the requests; the server adds
// what it lacks and answers with the connection closed: 400 for a header line without a colon, bare CR,
// conflicting Content-Length, Content-Length with Transfer-Encoding, a Transfer-Encoding that is not exactly
// chunked, an HTTP/1.1 request without Host; 431 for a header over max_header_bytes; 413 at once for a
// Content-Length over max_body_bytes, and as soon as a chunked body passes it; 408 when the header is not
// complete within header_timeout or the body arrives slower than body_min_rate. Pipelined requests are
// answered in order, "Expect: 100-continue" gets its interim answer, HEAD is answered by the GET handler
// without the body, OPTIONS and a wrong method get 204/405 with Allow, "Connection: close" (and HTTP/1.0)
// closes after the answer; a client that half-closes after a "Connection: close" request gets its answer.
// Beyond max_connections a new connection gets a 503 and is closed. Every response carries X-Request-Id
// (the client's, when usable, else a new one); on_complete sees every exchange, server errors included.
//
// Thread-safety: Route and the options before Listen; StopAccepting, Stop and the accessors from any thread.
// An Exchange may be used from any thread, by one at a time (the handler, then whatever it handed it to).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "http/message.h"
#include "util/status.h"

namespace dolmetsch::http {

class Connection;
class ServerCore;

// One request being answered. The handler fills response() and returns (the server sends it), or calls
// Defer() and later Finish(), or streams with BeginStream/Write/End.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Clock = std::chrono::steady_clock;

  Exchange(std::shared_ptr<Connection> connection, std::shared_ptr<ServerCore> core, Request request);
  ~Exchange();

  Request& request() { return request_; }
  const Request& request() const { return request_; }
  Response& response() { return response_; }
  const Response& response() const { return response_; }
  // Fields for the request's log line and metrics (handlers add to it; on_complete reads it). Lives with the
  // request, so nothing of one request is ever seen by another.
  nlohmann::json& fields() { return fields_; }
  const nlohmann::json& fields() const { return fields_; }
  Clock::time_point start() const { return start_; }
  const std::string& request_id() const { return request_.request_id; }

  // Keeps the exchange open after the handler returns; Finish (or a stream) must follow.
  void Defer() { deferred_ = true; }
  // Sends response(). Safe from any thread; later calls do nothing.
  void Finish();

  // Streaming: sends the status and headers of response() with chunked coding, then each Write as one
  // chunk, End the last one. Write returns false (and drops the data) once the client is gone.
  void BeginStream();
  bool Write(std::string data);
  void End();
  // Bytes handed to Write and not yet sent: a producer waits while this is large (the client reads slowly).
  size_t queued_bytes() const { return queued_bytes_.load(); }

  // True once the client has gone: the connection failed, or the client closed its side although it had
  // not asked to close after this answer (a "Connection: close" request may half-close and still wait).
  bool client_gone() const { return gone_.load(); }

  // Runs `fn` on the worker pool (for work that blocks).
  void Blocking(std::function<void()> fn);
  // Runs `fn` on an I/O thread after `delay`; `fn` must not block (hand blocking work to Blocking).
  void After(std::chrono::milliseconds delay, std::function<void()> fn);

  // For on_complete.
  bool streamed() const { return streamed_; }
  size_t response_bytes() const { return response_bytes_; }  // body bytes sent (chunks in a stream)
  double seconds() const;  // from the first byte of the request to the end of the answer

 private:
  friend class Connection;
  friend class ServerCore;
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<ServerCore> core_;
  Request request_;
  Response response_;
  nlohmann::json fields_ = nlohmann::json::object();
  Clock::time_point start_;
  Clock::time_point end_{};
  bool deferred_ = false;
  bool streamed_ = false;
  std::atomic<bool> finished_{false};  // Finish or BeginStream called
  std::atomic<bool> ended_{false};     // Finish or End called
  std::atomic<bool> gone_{false};
  std::atomic<size_t> queued_bytes_{0};
  size_t response_bytes_ = 0;
};

using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

enum class Run {
  kWorker,  // on the worker pool: may block (database, waiting for a translator, CPU work)
  kInline,  // on the I/O thread: must answer at once without blocking
};

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: any free port (see Server::port())
  int io_threads = 2;
  int worker_threads = 16;
  int backlog = 0;                 // listen backlog; 0: SOMAXCONN
  size_t max_connections = 10000;  // beyond: 503 and close
  size_t max_body_bytes = 10 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;  // request line and header fields together
  double header_timeout_seconds = 10;   // from the first byte of a request (or the accept) to its blank line
  double idle_timeout_seconds = 5;      // keep-alive: between an answer and the next request's first byte
  // The body must arrive at body_min_rate_bytes per body_min_rate_seconds on average, measured after the
  // first body_rate_grace_seconds; slower clients get 408 and are disconnected.
  double body_min_rate_bytes = 1024;
  double body_min_rate_seconds = 10;
  double body_rate_grace_seconds = 1;
  double write_timeout_seconds = 30;  // a client that reads nothing of an answer for this long is dropped
  int retry_after_seconds = 2;        // Retry-After of the server's own 503
  Headers default_headers;            // added to every response that does not set them
  // Fills the body of an error the server answers itself (status already set): JSON by default.
  std::function<void(const Request&, Response&, const std::string& message)> render_error;
  // Called once per exchange when its answer was sent (or the connection failed), on an I/O thread; must
  // not block. Server errors (400, 408, 413, 431, 404, 405, 503) are exchanges too.
  std::function<void(const Exchange&)> on_complete;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // `pattern`: an exact path ("/health"), or a regular expression over the whole path when it starts with
  // '^' (its groups go to Request::params). GET routes answer HEAD too. Routes are tried in order.
  void Route(const std::string& method, const std::string& pattern, Handler handler, Run run = Run::kWorker);

  // Binds and starts the I/O threads and the worker pool. Errors name the address.
  Status Listen();
  int port() const { return port_; }

  // Closes the listening socket (new connections are refused), closes idle keep-alive connections, and
  // makes every other connection close after its current answer.
  void StopAccepting();
  // Closes every connection and stops the threads; returns when they have ended. Work still queued on the
  // worker pool runs first (handlers must end their blocking work, e.g. by cancelling it, before this).
  // What is posted after that (timers, Exchange::After/Blocking) never runs: it is destroyed, and with it
  // the exchanges it held; an exchange kept elsewhere after Stop has a closed connection.
  void Stop();

  size_t connections() const;

 private:
  std::shared_ptr<ServerCore> core_;
  int port_ = 0;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace dolmetsch::http
