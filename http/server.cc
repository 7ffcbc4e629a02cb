#include "http/server.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <deque>
#include <future>
#include <optional>
#include <set>
#include <shared_mutex>
#include <thread>

namespace dolmetsch::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// While a request is being answered the connection keeps reading (to notice a client that goes away), and
// keeps what it reads for the next pipelined request, up to this much.
constexpr size_t kMaxBufferedAhead = 256 * 1024;

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string DefaultErrorJson(const std::string& message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct RouteEntry {
  std::string method;
  std::string exact;  // empty when `pattern` is used
  std::optional<std::regex> pattern;
  Handler handler;
  Run run;
};

}  // namespace

// What the connections share: the I/O context, the worker pool, the routes and the options.
class ServerCore : public std::enable_shared_from_this<ServerCore> {
 public:
  explicit ServerCore(ServerOptions options)
      : options(std::move(options)),
        pool_holder(std::make_unique<asio::thread_pool>(
            static_cast<size_t>(std::max(1, this->options.worker_threads)))) {
    acceptor.emplace(ioc);
    if (!this->options.render_error) {
      this->options.render_error = [](const Request&, Response& res, const std::string& message) {
        res.SetContent(DefaultErrorJson(message), "application/json");
      };
    }
  }

  void Accept();
  void Register(const std::shared_ptr<Connection>& c) {
    std::lock_guard<std::mutex> lock(mu);
    live.insert(c);
  }
  void Unregister(const std::shared_ptr<Connection>& c) {
    std::lock_guard<std::mutex> lock(mu);
    live.erase(c);
  }
  std::vector<std::shared_ptr<Connection>> Live() {
    std::lock_guard<std::mutex> lock(mu);
    return {live.begin(), live.end()};
  }

  ServerOptions options;
  // Owned through a pointer so that Stop can destroy it: that destroys the handlers still pending (timers
  // of deferred exchanges), which hold the connections and this core.
  std::unique_ptr<asio::io_context> ioc_holder = std::make_unique<asio::io_context>();
  asio::io_context& ioc = *ioc_holder;
  // Keeps the I/O threads running while no connection exists (until Stop).
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
  std::optional<tcp::acceptor> acceptor;
  // Also destroyed by Stop, before the I/O context: work posted after its threads were joined (a handler
  // or an event stream's poll) holds an exchange, its connection and this core, a cycle nothing else breaks.
  std::unique_ptr<asio::thread_pool> pool_holder;
  asio::thread_pool& pool = *pool_holder;
  std::atomic<bool> stopped{false};  // after Stop: nothing may be posted any more
  // Held shared while posting from outside (Exchange::After/Blocking may run on any thread, e.g. a
  // scheduler's callback) and exclusively when Stop sets `stopped`: nothing is posted to a context being
  // destroyed.
  std::shared_mutex post_mu;
  std::vector<RouteEntry> routes;
  std::vector<std::thread> io_threads;
  std::atomic<size_t> connections{0};
  std::atomic<bool> draining{false};
  std::mutex mu;
  std::set<std::shared_ptr<Connection>> live;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<ServerCore> core)
      : socket_(std::move(socket)), core_(std::move(core)), watchdog_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto remote = socket_.remote_endpoint(ec);
    if (!ec) {
      remote_addr_ = remote.address().to_string();
      remote_port_ = remote.port();
    }
    auto local = socket_.local_endpoint(ec);
    if (!ec) {
      local_addr_ = local.address().to_string();
      local_port_ = local.port();
    }
    socket_.set_option(tcp::no_delay(true), ec);
    const ServerOptions& o = core_->options;
    double shortest = std::min(o.header_timeout_seconds, o.idle_timeout_seconds);
    tick_ = std::clamp(Millis(shortest / 4), std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
  }

  void Start() {
    core_->Register(shared_from_this());
    EnterIdle();
    ArmWatchdog();
    DoRead();
  }

  // Over the connection limit: answer 503 and close.
  void Refuse() {
    core_->Register(shared_from_this());
    Request req;
    req.remote_addr = remote_addr_;
    req.request_id = NewRequestId();
    auto exchange = std::make_shared<Exchange>(shared_from_this(), core_, std::move(req));
    exchange->response().Set("Retry-After", std::to_string(core_->options.retry_after_seconds));
    SendError(exchange, 503, "the server has too many connections; retry later");
    ArmWatchdog();
  }

  // On the strand.
  void Send(const std::shared_ptr<Exchange>& exchange);
  void SendStreamStart(const std::shared_ptr<Exchange>& exchange);
  void SendChunk(const std::shared_ptr<Exchange>& exchange, std::string data, bool last);
  void CloseIfIdle() {
    if (current_ == nullptr && out_.empty() && !parser_) {
      Close();
    } else {
      close_after_write_ = true;
    }
  }
  // Stop: closes once what is queued has been written (answers already given still reach the client).
  void CloseAfterWrites() {
    stopping_ = true;
    if (out_.empty() && !writing_) Close();
  }
  void Close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    watchdog_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    if (current_ != nullptr) MarkGone(current_);
    // The exchange refers back to this connection: holding it past the close would keep both alive when
    // its stream never ends (e.g. the server stops first).
    current_.reset();
    // Exchanges queued for writing never complete now: report them.
    for (auto& chunk : out_) {
      if (chunk.done != nullptr) Complete(chunk.done);
    }
    out_.clear();
    core_->connections.fetch_sub(1);
    core_->Unregister(shared_from_this());
  }

  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  enum class Phase { kIdle, kHeader, kBody, kHandling };
  struct OutChunk {
    std::string data;
    std::shared_ptr<Exchange> done;             // completed when this chunk is written
    size_t stream_bytes = 0;                    // Write() bytes this chunk carries (queued_bytes accounting)
    std::shared_ptr<Exchange> owner = nullptr;  // whose queued_bytes count them
  };

  void EnterIdle() {
    phase_ = Phase::kIdle;
    phase_start_ = Clock::now();
  }

  void ArmWatchdog() {
    watchdog_.expires_after(tick_);
    watchdog_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) return;
      self->OnTick();
    });
  }

  void OnTick() {
    const ServerOptions& o = core_->options;
    Clock::time_point now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - phase_start_).count();
    if (writing_ && now - write_start_ > Millis(o.write_timeout_seconds)) return Close();
    ArmWatchdog();
    if (lingering_) {
      if (elapsed > 2) return Close();
    } else if (phase_ == Phase::kIdle && current_ == nullptr && out_.empty()) {
      double limit = first_request_ ? o.header_timeout_seconds : o.idle_timeout_seconds;
      if (elapsed > limit) return Close();  // nothing started: close without an answer
    } else if (phase_ == Phase::kHeader) {
      if (elapsed > o.header_timeout_seconds) {
        return SendError(NewExchange(), 408,
                         "the request header was not complete within " +
                             std::to_string(static_cast<int>(o.header_timeout_seconds)) + " s");
      }
    } else if (phase_ == Phase::kBody) {
      double measured = elapsed - o.body_rate_grace_seconds;
      if (measured > 0 && o.body_min_rate_seconds > 0 &&
          static_cast<double>(body_bytes_) < o.body_min_rate_bytes * measured / o.body_min_rate_seconds) {
        return SendError(NewExchange(), 408,
                         "the request body arrived slower than " +
                             std::to_string(static_cast<long long>(o.body_min_rate_bytes)) + " bytes per " +
                             std::to_string(static_cast<long long>(o.body_min_rate_seconds)) + " s");
      }
    }
  }

  void DoRead() {
    if (reading_ || closed_ || peer_eof_) return;
    if (buffer_.size() > kMaxBufferedAhead) return;  // resumed when a pipelined request is taken
    reading_ = true;
    socket_.async_read_some(
        buffer_.prepare(kReadChunk),
        [self = shared_from_this()](boost::system::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(boost::system::error_code ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (lingering_) {  // after an error answer: discard what the client still sends, then close
      buffer_.consume(buffer_.size());
      if (ec) return Close();
      return DoRead();
    }
    if (ec == asio::error::eof) {
      peer_eof_ = true;
    } else if (ec) {
      return Close();  // reset or failure: nothing can be answered
    }
    buffer_.commit(n);
    if (n > 0 && phase_ == Phase::kIdle && current_ == nullptr) {
      phase_ = Phase::kHeader;
      phase_start_ = Clock::now();
    }
    if (peer_eof_ && current_ != nullptr && keep_alive_) MarkGone(current_);
    Parse();
    if (closed_) return;
    if (peer_eof_) {
      // Nothing more will come: a partial request can never complete; a finished one is answered first.
      if (current_ == nullptr && out_.empty()) return Close();
      if (current_ == nullptr) close_after_write_ = true;
      return;
    }
    DoRead();
  }

  std::shared_ptr<Exchange> NewExchange() {
    Request req;
    if (parser_ && parser_->is_header_done()) {
      const auto& msg = parser_->get();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      req.version = static_cast<int>(msg.version());
    }
    size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.remote_addr = remote_addr_;
    req.remote_port = remote_port_;
    req.local_addr = local_addr_;
    req.local_port = local_port_;
    req.request_id = NewRequestId();
    auto exchange = std::make_shared<Exchange>(shared_from_this(), core_, std::move(req));
    exchange->start_ = phase_ == Phase::kIdle ? Clock::now() : phase_start_;
    return exchange;
  }

  // An error the server answers itself; the connection is closed after it.
  void SendError(const std::shared_ptr<Exchange>& exchange, int status, const std::string& message) {
    exchange->response().status = status;
    exchange->response().close = true;
    exchange->fields()["error"] = message;
    core_->options.render_error(exchange->request(), exchange->response(), message);
    parser_.reset();
    Send(exchange);
  }

  void Parse();
  bool CheckHeader();
  void Dispatch();
  void Run(const std::shared_ptr<Exchange>& exchange, const RouteEntry* route);
  void Queue(OutChunk chunk) {
    if (closed_) {
      if (chunk.done != nullptr) Complete(chunk.done);
      return;
    }
    out_.push_back(std::move(chunk));
    DoWrite();
  }
  void DoWrite();
  void OnWritten(boost::system::error_code ec);
  void Complete(const std::shared_ptr<Exchange>& exchange) {
    if (exchange->end_ == Clock::time_point{}) exchange->end_ = Clock::now();
    if (core_->options.on_complete) core_->options.on_complete(*exchange);
  }
  void MarkGone(const std::shared_ptr<Exchange>& exchange) { exchange->gone_.store(true); }
  void AfterResponse();
  std::string HeaderBlock(Exchange& exchange, bool stream);

  tcp::socket socket_;
  std::shared_ptr<ServerCore> core_;
  asio::steady_timer watchdog_;
  std::chrono::milliseconds tick_{1000};
  beast::flat_buffer buffer_;
  std::optional<beast::http::request_parser<beast::http::string_body>> parser_;
  bool header_checked_ = false;
  Phase phase_ = Phase::kIdle;
  Clock::time_point phase_start_;
  size_t body_bytes_ = 0;
  bool first_request_ = true;
  bool reading_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  bool lingering_ = false;
  bool keep_alive_ = true;  // of the current request
  std::shared_ptr<Exchange> current_;
  std::deque<OutChunk> out_;
  bool writing_ = false;
  Clock::time_point write_start_;
  bool close_after_write_ = false;
  bool stopping_ = false;
  std::string remote_addr_, local_addr_;
  int remote_port_ = 0, local_port_ = 0;
};

void Connection::Parse() {
  while (current_ == nullptr && !closed_ && !close_after_write_ && buffer_.size() > 0) {
    const ServerOptions& o = core_->options;
    if (!parser_) {
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(o.max_header_bytes, UINT32_MAX)));
      parser_->body_limit(o.max_body_bytes);
      header_checked_ = false;
      body_bytes_ = 0;
      if (phase_ == Phase::kIdle) {
        phase_ = Phase::kHeader;
        phase_start_ = Clock::now();
      }
    }
    boost::system::error_code ec;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (phase_ == Phase::kBody) body_bytes_ += used;
    if (ec == beast::http::error::need_more) {
      if (used == 0) break;
      continue;
    }
    if (ec) {
      if (ec == beast::http::error::header_limit) {
        return SendError(NewExchange(), 431,
                         "the request header is larger than this server's limit of " +
                             std::to_string(o.max_header_bytes) + " bytes");
      }
      if (ec == beast::http::error::body_limit) {
        return SendError(NewExchange(), 413,
                         "the request body is larger than this server's limit of " +
                             std::to_string(o.max_body_bytes) + " bytes");
      }
      return SendError(NewExchange(), 400, "malformed HTTP request: " + ec.message());
    }
    if (parser_->is_header_done() && !header_checked_) {
      header_checked_ = true;
      if (!CheckHeader()) return;
      phase_ = Phase::kBody;
      phase_start_ = Clock::now();
      body_bytes_ = 0;
    }
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
  }
  if (buffer_.size() == 0 && parser_ && parser_->is_header_done() && !parser_->is_done() && peer_eof_) {
    parser_.reset();  // a truncated body: nothing to answer
  }
}

bool Connection::CheckHeader() {
  const ServerOptions& o = core_->options;
  const auto& msg = parser_->get();
  if (msg.version() != 10 && msg.version() != 11) {
    SendError(NewExchange(), 505, "only HTTP/1.0 and HTTP/1.1 are supported");
    return false;
  }
  // Beast accepts any Transfer-Encoding list; anything but exactly "chunked" leaves the body length unknown
  // (RFC 9112 6.3), and an HTTP/1.0 message must not use it.
  auto te = msg.find(beast::http::field::transfer_encoding);
  if (te != msg.end()) {
    if (!parser_->chunked() || msg.version() == 10 || msg.count(beast::http::field::transfer_encoding) > 1 ||
        !EqualsIgnoreCase(std::string_view(te->value().data(), te->value().size()), "chunked")) {
      SendError(NewExchange(), 400, "unsupported Transfer-Encoding (only \"chunked\" is accepted)");
      return false;
    }
  }
  if (msg.version() == 11 && msg.count(beast::http::field::host) != 1) {
    SendError(NewExchange(), 400, "an HTTP/1.1 request needs exactly one Host header");
    return false;
  }
  for (const auto& field : msg) {
    auto value = field.value();
    for (char c : value) {
      // Beast lets a bare CR or other control characters through in values.
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        SendError(NewExchange(), 400, "malformed HTTP request: control character in a header value");
        return false;
      }
    }
  }
  if (auto length = parser_->content_length(); length && *length > o.max_body_bytes) {
    SendError(NewExchange(), 413,
              "the request body is larger than this server's limit of " + std::to_string(o.max_body_bytes) +
                  " bytes");
    return false;
  }
  auto expect = msg.find(beast::http::field::expect);
  if (expect != msg.end() && !parser_->is_done()) {
    if (!EqualsIgnoreCase(std::string_view(expect->value().data(), expect->value().size()), "100-continue")) {
      SendError(NewExchange(), 417, "only \"Expect: 100-continue\" is supported");
      return false;
    }
    if (msg.version() == 11) Queue({"HTTP/1.1 100 Continue\r\n\r\n", nullptr, 0});
  }
  return true;
}

void Connection::Dispatch() {
  auto& msg = parser_->get();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.version = static_cast<int>(msg.version());
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.remote_addr = remote_addr_;
  req.remote_port = remote_port_;
  req.local_addr = local_addr_;
  req.local_port = local_port_;
  std::string id = req.Header("X-Request-Id");
  req.request_id = IsUsableRequestId(id) ? id : NewRequestId();
  keep_alive_ = msg.keep_alive();
  parser_.reset();
  first_request_ = false;

  auto exchange = std::make_shared<Exchange>(shared_from_this(), core_, std::move(req));
  exchange->start_ = phase_start_;
  current_ = exchange;
  phase_ = Phase::kHandling;
  phase_start_ = exchange->start_;
  if (!keep_alive_ || core_->draining.load()) exchange->response().close = true;
  if (peer_eof_ && keep_alive_) MarkGone(exchange);

  const Request& r = exchange->request();
  std::vector<std::string> methods;  // of the routes on this path, for Allow
  const RouteEntry* found = nullptr;
  std::smatch match;
  for (const RouteEntry& route : core_->routes) {
    bool hit = route.pattern ? std::regex_match(r.path, match, *route.pattern) : r.path == route.exact;
    if (!hit) continue;
    auto add = [&](const std::string& m) {
      if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    };
    add(route.method);
    if (route.method == "GET") add("HEAD");
    if (found == nullptr && (route.method == r.method || (route.method == "GET" && r.method == "HEAD"))) {
      found = &route;
      if (route.pattern) {
        for (size_t i = 1; i < match.size(); ++i) exchange->request().params.push_back(match[i].str());
      }
    }
  }
  const bool path_known = !methods.empty();
  std::string allow;
  for (const std::string& m : methods) {
    if (m != "OPTIONS") allow += (allow.empty() ? "" : ", ") + m;
  }
  const std::string use = allow;
  allow += allow.empty() ? "OPTIONS" : ", OPTIONS";
  if (found != nullptr) return Run(exchange, found);
  Response& res = exchange->response();
  if (!path_known && r.target != "*") {
    res.status = 404;
    exchange->fields()["error"] = "no such path";
    core_->options.render_error(r, res, "no endpoint " + r.path.substr(0, 100));
  } else if (r.method == "OPTIONS") {
    res.status = 204;
    res.Set("Allow", r.target == "*" ? "GET, HEAD, POST, OPTIONS" : allow);
  } else {
    res.status = 405;
    res.Set("Allow", allow);
    std::string message =
        r.method.substr(0, 16) + " is not allowed on " + r.path.substr(0, 100) + "; use " + allow;
    exchange->fields()["error"] = message;
    core_->options.render_error(r, res, message);
  }
  Send(exchange);
}

void Connection::Run(const std::shared_ptr<Exchange>& exchange, const RouteEntry* route) {
  auto call = [exchange, route] {
    try {
      route->handler(exchange);
    } catch (const std::exception& e) {
      if (!exchange->finished_.load()) {
        exchange->response() = Response();
        exchange->response().status = 500;
        exchange->fields()["error"] = std::string("internal error: ") + e.what();
        exchange->core_->options.render_error(exchange->request(), exchange->response(),
                                              "internal error while handling the request");
        exchange->deferred_ = false;
      }
    }
    if (!exchange->deferred_) exchange->Finish();
  };
  if (route->run == Run::kInline) {
    call();
  } else {
    asio::post(core_->pool, std::move(call));
  }
}

std::string Connection::HeaderBlock(Exchange& exchange, bool stream) {
  Response& res = exchange.response();
  const Request& req = exchange.request();
  if (close_after_write_ || core_->draining.load() || peer_eof_) res.close = true;
  if (EqualsIgnoreCase(res.Get("Connection"), "close")) res.close = true;
  std::string out =
      "HTTP/1.1 " + std::to_string(res.status) + " " + std::string(ReasonPhrase(res.status)) + "\r\n";
  for (const auto& [name, value] : core_->options.default_headers) {
    if (!res.Has(name)) out += name + ": " + value + "\r\n";
  }
  for (const auto& [name, value] : res.headers) {
    if (EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
        EqualsIgnoreCase(name, "Connection")) {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  out += "X-Request-Id: " + req.request_id + "\r\n";
  bool no_body = res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
  if (stream) {
    if (req.version == 10) {
      res.close = true;  // HTTP/1.0 has no chunked coding: the body ends with the connection
    } else {
      out += "Transfer-Encoding: chunked\r\n";
    }
  } else if (!no_body) {
    out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  }
  if (res.close) {
    out += "Connection: close\r\n";
  } else if (req.version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  return out;
}

void Connection::Send(const std::shared_ptr<Exchange>& exchange) {
  Response& res = exchange->response();
  std::string data = HeaderBlock(*exchange, false);
  bool head = exchange->request().method == "HEAD";
  bool no_body = res.status == 204 || res.status == 304;
  if (!head && !no_body) {
    data += res.body;
    exchange->response_bytes_ = res.body.size();
  }
  exchange->finished_.store(true);
  exchange->ended_.store(true);
  if (res.close) close_after_write_ = true;
  Queue({std::move(data), exchange, 0});
  AfterResponse();
}

void Connection::SendStreamStart(const std::shared_ptr<Exchange>& exchange) {
  exchange->streamed_ = true;
  std::string data = HeaderBlock(*exchange, true);
  if (exchange->response().close) close_after_write_ = true;
  Queue({std::move(data), nullptr, 0});
  if (exchange->request().method == "HEAD") {
    exchange->ended_.store(true);
    SendChunk(exchange, "", true);
  }
}

void Connection::SendChunk(const std::shared_ptr<Exchange>& exchange, std::string data, bool last) {
  bool chunked = exchange->request().version == 11;
  bool head = exchange->request().method == "HEAD";
  size_t n = data.size();
  std::string out;
  if (!head && n > 0) {
    if (chunked) {
      char size[24];
      std::snprintf(size, sizeof size, "%zx\r\n", n);
      out = size + data + "\r\n";
    } else {
      out = std::move(data);
    }
    exchange->response_bytes_ += n;
  }
  if (last && chunked && !head) out += "0\r\n\r\n";
  Queue({std::move(out), last ? exchange : nullptr, n, n > 0 ? exchange : nullptr});
  if (last) AfterResponse();
}

// The current request is answered (its last bytes are queued): take the next pipelined one.
// Posted, not called: a flood of pipelined requests answered by the server itself must not recurse.
void Connection::AfterResponse() {
  current_ = nullptr;
  if (close_after_write_) return;
  EnterIdle();
  if (buffer_.size() > 0) {
    phase_ = Phase::kHeader;
    phase_start_ = Clock::now();
  }
  asio::post(executor(), [self = shared_from_this()] {
    if (self->closed_ || self->current_ != nullptr) return;
    self->Parse();
    if (self->closed_) return;
    if (self->peer_eof_ && self->current_ == nullptr) {
      if (self->out_.empty() && !self->writing_) return self->Close();
      self->close_after_write_ = true;
    }
    self->DoRead();
  });
}

void Connection::DoWrite() {
  if (writing_ || closed_ || out_.empty()) return;
  writing_ = true;
  write_start_ = Clock::now();
  asio::async_write(
      socket_, asio::buffer(out_.front().data),
      [self = shared_from_this()](boost::system::error_code ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(boost::system::error_code ec) {
  writing_ = false;
  if (closed_) return;
  OutChunk chunk = std::move(out_.front());
  out_.pop_front();
  if (chunk.owner != nullptr) chunk.owner->queued_bytes_.fetch_sub(chunk.stream_bytes);
  if (ec) {
    if (current_ != nullptr) MarkGone(current_);
    if (chunk.done != nullptr) Complete(chunk.done);
    return Close();
  }
  if (chunk.done != nullptr) Complete(chunk.done);
  if (!out_.empty()) return DoWrite();
  if (stopping_) return Close();
  if (close_after_write_ && current_ == nullptr) {
    // Half-close our side and keep reading briefly, so that a client still sending gets the answer rather
    // than a reset (RFC 9112 9.6).
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    lingering_ = true;
    phase_start_ = Clock::now();
    if (peer_eof_) return Close();
    buffer_.consume(buffer_.size());
    DoRead();
  }
}

// --- Exchange ---

Exchange::Exchange(std::shared_ptr<Connection> connection, std::shared_ptr<ServerCore> core, Request request)
    : connection_(std::move(connection)),
      core_(std::move(core)),
      request_(std::move(request)),
      start_(Clock::now()) {}

Exchange::~Exchange() = default;

double Exchange::seconds() const {
  Clock::time_point end = end_ == Clock::time_point{} ? Clock::now() : end_;
  return std::chrono::duration<double>(end - start_).count();
}

void Exchange::Finish() {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (finished_.exchange(true) || core_->stopped.load()) return;
  auto self = shared_from_this();
  asio::dispatch(connection_->executor(), [self] { self->connection_->Send(self); });
}

void Exchange::BeginStream() {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (finished_.exchange(true) || core_->stopped.load()) return;
  auto self = shared_from_this();
  asio::dispatch(connection_->executor(), [self] { self->connection_->SendStreamStart(self); });
}

bool Exchange::Write(std::string data) {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (gone_.load() || ended_.load() || core_->stopped.load()) return false;
  size_t n = data.size();
  queued_bytes_.fetch_add(n);
  auto self = shared_from_this();
  asio::post(connection_->executor(), [self, data = std::move(data)]() mutable {
    self->connection_->SendChunk(self, std::move(data), false);  // queued_bytes drops when written
  });
  return true;
}

void Exchange::End() {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (ended_.exchange(true) || core_->stopped.load()) return;
  auto self = shared_from_this();
  asio::post(connection_->executor(), [self] { self->connection_->SendChunk(self, "", true); });
}

void Exchange::Blocking(std::function<void()> fn) {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (!core_->stopped.load()) asio::post(core_->pool, std::move(fn));
}

void Exchange::After(std::chrono::milliseconds delay, std::function<void()> fn) {
  std::shared_lock<std::shared_mutex> lock(core_->post_mu);
  if (core_->stopped.load()) return;
  auto timer = std::make_shared<asio::steady_timer>(core_->ioc, delay);
  timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec) fn();
  });
}

// --- Server ---

void ServerCore::Accept() {
  acceptor->async_accept(
      asio::make_strand(ioc), [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor->is_open()) return;
        if (ec) {
          // Out of descriptors or similar: wait a little instead of spinning.
          auto timer = std::make_shared<asio::steady_timer>(self->ioc, std::chrono::milliseconds(50));
          timer->async_wait([self, timer](boost::system::error_code) { self->Accept(); });
          return;
        }
        size_t n = self->connections.fetch_add(1) + 1;
        auto connection = std::make_shared<Connection>(std::move(socket), self);
        if (n > self->options.max_connections) {
          asio::dispatch(connection->executor(), [connection] { connection->Refuse(); });
        } else {
          asio::dispatch(connection->executor(), [connection] { connection->Start(); });
        }
        self->Accept();
      });
}

Server::Server(ServerOptions options) : core_(std::make_shared<ServerCore>(std::move(options))) {}

Server::~Server() { Stop(); }

void Server::Route(const std::string& method, const std::string& pattern, Handler handler, Run run) {
  RouteEntry entry;
  entry.method = method;
  if (!pattern.empty() && pattern[0] == '^') {
    entry.pattern.emplace(pattern.substr(1), std::regex::ECMAScript | std::regex::optimize);
  } else {
    entry.exact = pattern;
  }
  entry.handler = std::move(handler);
  entry.run = run;
  core_->routes.push_back(std::move(entry));
}

Status Server::Listen() {
  const ServerOptions& o = core_->options;
  boost::system::error_code ec;
  tcp::resolver resolver(core_->ioc);
  auto results = resolver.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
  if (ec || results.empty()) {
    return Status::IoError("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " + ec.message());
  }
  tcp::endpoint endpoint = results.begin()->endpoint();
  core_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) core_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) core_->acceptor->bind(endpoint, ec);
  if (!ec) core_->acceptor->listen(o.backlog > 0 ? o.backlog : SOMAXCONN, ec);
  if (ec) {
    boost::system::error_code ignored;
    core_->acceptor->close(ignored);
    return Status::IoError("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (" + ec.message() +
                           "); choose another with --host/--port");
  }
  port_ = core_->acceptor->local_endpoint(ec).port();
  core_->Accept();
  for (int i = 0; i < std::max(1, o.io_threads); ++i) {
    core_->io_threads.emplace_back([core = core_] { core->ioc.run(); });
  }
  return Status::Ok();
}

void Server::StopAccepting() {
  auto core = core_;
  core->draining.store(true);
  std::promise<void> done;
  auto closed = done.get_future();
  asio::post(core->ioc, [core, &done] {
    boost::system::error_code ec;
    core->acceptor->close(ec);
    done.set_value();
  });
  if (!core->io_threads.empty()) closed.wait();
  for (auto& c : core->Live()) {
    asio::post(c->executor(), [c] { c->CloseIfIdle(); });
  }
}

void Server::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  auto core = core_;
  if (core->io_threads.empty()) return;
  StopAccepting();
  core->pool.join();
  for (auto& c : core->Live()) {
    asio::post(c->executor(), [c] { c->CloseAfterWrites(); });
  }
  // Answers already queued get up to a second to reach their clients; then every connection is closed.
  for (int i = 0; i < 100 && core->connections.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& c : core->Live()) {
    asio::post(c->executor(), [c] { c->Close(); });
  }
  for (int i = 0; i < 20 && core->connections.load() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::unique_lock<std::shared_mutex> lock(core->post_mu);
    core->stopped.store(true);
  }
  core->work.reset();
  core->ioc.stop();
  for (auto& t : core->io_threads) t.join();
  core->io_threads.clear();
  core->pool_holder.reset();  // destroys the work that came after join (see pool_holder)
  std::set<std::shared_ptr<Connection>> live;
  {
    std::lock_guard<std::mutex> lock(core->mu);
    live.swap(core->live);
  }
  for (auto& c : live) c->Close();  // no I/O thread runs now: breaks their cycles with their exchanges
  live.clear();
  core->acceptor.reset();
  core->ioc_holder.reset();
}

size_t Server::connections() const { return core_->connections.load(); }

}  // namespace dolmetsch::http
