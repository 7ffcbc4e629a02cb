#include "translator/service.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "translator/openapi.h"
#include "translator/request_translation.h"

namespace dolmetsch::translator {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// What one request did, for its log line and metrics. Requests are handled start to end (stream included)
// on one thread, so a thread_local carries it from the pre-routing handler to the logger.
struct RequestContext {
  Clock::time_point start = Clock::now();
  std::string api;  // legacy | libretranslate | native
  size_t texts = 0;
  size_t sentences = 0;
  size_t chars = 0;
  size_t request_bytes = 0;  // body as read by a translation handler (req.body stays empty there)
  bool stream = false;
  std::string error;       // the message sent with an error status
  std::string debug_text;  // only with log_text
};
thread_local RequestContext t_request;
// Set by ConnectionQueue when this connection waited too long or arrived at a full queue.
thread_local bool t_connection_over_limit = false;

// The routes and the methods each allows (HEAD goes with GET; OPTIONS answers CORS preflights).
const std::map<std::string, std::string>& Routes() {
  static const auto* routes = new std::map<std::string, std::string>{{"/", "GET"},
                                                                     {"/health", "GET"},
                                                                     {"/ready", "GET"},
                                                                     {"/metrics", "GET"},
                                                                     {"/languages", "GET"},
                                                                     {"/frontend/settings", "GET"},
                                                                     {"/openapi.json", "GET"},
                                                                     {"/translate", "POST"},
                                                                     {"/v1/translate", "POST"}};
  return *routes;
}

std::string EndpointLabel(const std::string& path) { return Routes().count(path) ? path : "other"; }

bool MethodAllowed(const std::string& allowed, const std::string& method) {
  if (method == "OPTIONS") return true;
  if (method == allowed) return true;
  return allowed == "GET" && method == "HEAD";
}

std::string AllowHeader(const std::string& allowed) {
  return allowed == "GET" ? "GET, HEAD, OPTIONS" : allowed + ", OPTIONS";
}

std::string RegexEscape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kUnsupported:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kResourceExhausted:
    case Status::Code::kUnavailable:
    case Status::Code::kCancelled:
      return 503;
    case Status::Code::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string UtcNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

// Whether the client of `req` is still connected, asked of the kernel by the connection's addresses
// (NETLINK_SOCK_DIAG, as `ss` does): the peer has gone when the server-side socket is no longer ESTABLISHED
// (CLOSE_WAIT: the client closed or half-closed; or the connection is gone). This touches no file
// descriptor of other threads: an earlier version scanned /proc/self/fd and inspected the sockets it found,
// which raced with connections being closed (ThreadSanitizer showed it) and could mistake a reused
// descriptor for the client's. One lookup costs a few microseconds; it runs at most every 250 ms.
class PeerWatch {
 public:
  explicit PeerWatch(const httplib::Request& req)
      : local_port_(req.local_port), remote_port_(req.remote_port) {
    if (inet_pton(AF_INET, req.remote_addr.c_str(), remote_) == 1 &&
        inet_pton(AF_INET, req.local_addr.c_str(), local_) == 1) {
      family_ = AF_INET;
    } else if (inet_pton(AF_INET6, req.remote_addr.c_str(), remote_) == 1 &&
               inet_pton(AF_INET6, req.local_addr.c_str(), local_) == 1) {
      family_ = AF_INET6;
    }
  }

  // True when the peer is known to have gone.
  bool Gone() {
    if (family_ == 0 || local_port_ <= 0 || remote_port_ <= 0) return false;
    Clock::time_point now = Clock::now();
    if (now - last_check_ < std::chrono::milliseconds(250)) return false;
    last_check_ = now;
    switch (Lookup()) {
      case State::kEstablished:
        seen_ = true;
        return false;
      case State::kGone:
        return seen_;  // never seen established: the lookup does not work here; do not guess
      case State::kUnknown:
        return false;
    }
    return false;
  }

 private:
  enum class State { kEstablished, kGone, kUnknown };

  State Lookup() const {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return State::kUnknown;
    timeval timeout{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct {
      nlmsghdr header;
      inet_diag_req_v2 request;
    } message{};
    message.header.nlmsg_len = sizeof message;
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST;  // one socket, found by its addresses (no dump)
    message.request.sdiag_family = static_cast<uint8_t>(family_);
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = ~0u;
    message.request.id.idiag_sport = htons(static_cast<uint16_t>(local_port_));
    message.request.id.idiag_dport = htons(static_cast<uint16_t>(remote_port_));
    std::memcpy(message.request.id.idiag_src, local_, family_ == AF_INET ? 4 : 16);
    std::memcpy(message.request.id.idiag_dst, remote_, family_ == AF_INET ? 4 : 16);
    message.request.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    message.request.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    State state = State::kUnknown;
    alignas(nlmsghdr) char answer[4096];
    if (sendto(fd, &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) ==
        static_cast<ssize_t>(sizeof message)) {
      ssize_t n = recv(fd, answer, sizeof answer, 0);
      const auto* reply = reinterpret_cast<const nlmsghdr*>(answer);
      if (n >= static_cast<ssize_t>(sizeof(nlmsghdr)) && NLMSG_OK(reply, static_cast<unsigned>(n))) {
        if (reply->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
            reply->nlmsg_len >= NLMSG_LENGTH(sizeof(inet_diag_msg))) {
          const auto* found = static_cast<const inet_diag_msg*>(NLMSG_DATA(reply));
          // Without the connection the kernel answers with the listening socket of the port.
          state = found->idiag_state == TCP_ESTABLISHED ? State::kEstablished : State::kGone;
        } else if (reply->nlmsg_type == NLMSG_ERROR && reply->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr)) &&
                   static_cast<const nlmsgerr*>(NLMSG_DATA(reply))->error == -ENOENT) {
          state = State::kGone;
        }
      }
    }
    close(fd);
    return state;
  }

  int local_port_;
  int remote_port_;
  int family_ = 0;  // 0: the addresses could not be parsed; never report gone
  unsigned char local_[16] = {};
  unsigned char remote_[16] = {};
  Clock::time_point last_check_{};
  bool seen_ = false;
};

// httplib's connection queue, bounded in waiting time: a connection that waited longer than `max_wait`, or
// arrived when `max_waiting` were already queued, is still served, but its translation requests are
// answered 503 at once (they are cheap to refuse, expensive to serve late).
class ConnectionQueue : public httplib::TaskQueue {
 public:
  ConnectionQueue(size_t threads, size_t max_waiting, double max_wait_seconds)
      : max_waiting_(max_waiting), max_wait_(max_wait_seconds) {
    for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) threads_.emplace_back([this] { Work(); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back({std::move(fn), Clock::now(), jobs_.size() >= max_waiting_});
    }
    cv_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

 private:
  struct Entry {
    std::function<void()> fn;
    Clock::time_point enqueued;
    bool over;
  };
  void Work() {
    for (;;) {
      Entry entry;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // shutdown and drained
        entry = std::move(jobs_.front());
        jobs_.pop_front();
      }
      double waited = std::chrono::duration<double>(Clock::now() - entry.enqueued).count();
      t_connection_over_limit = entry.over || waited > max_wait_;
      entry.fn();
      t_connection_over_limit = false;
    }
  }
  const size_t max_waiting_;
  const double max_wait_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Entry> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

// httplib::Server that can stop accepting connections while the requests it has keep being served: the
// listening socket is shut down (accept fails, the accept loop ends and joins the connection threads)
// without marking the server as stopping, which would cut streaming answers short.
class Service::DrainableServer : public httplib::Server {
 public:
  void StopAccepting() {
    socket_t sock = svr_sock_.load();
    if (sock != INVALID_SOCKET) ::shutdown(sock, SHUT_RDWR);
  }
};

Service::Service(ServiceOptions options) : options_(std::move(options)) {
  if (options_.cache_entries > 0) cache_ = std::make_unique<text::TranslationCache>(options_.cache_entries);
  log_sink_ = [](const std::string& line) {
    std::fputs((line + "\n").c_str(), stderr);
    std::fflush(stderr);
  };
}

Service::~Service() {
  Shutdown();
  scheduler_ptr_.store(nullptr);
  scheduler_.reset();
}

void Service::SetLogSink(std::function<void(const std::string&)> sink) {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_sink_ = std::move(sink);
}

Status Service::AttachBackend(BatchBackend* backend, ModelInfo info) {
  if (scheduler_ != nullptr) return Status::Internal("AttachBackend was called twice");
  scheduler_ = std::make_unique<Scheduler>(backend, options_.scheduler, &metrics_);
  backend_.store(backend);
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    model_ = info;
  }
  metrics_.SetModelLoadSeconds(info.load_seconds);
  metrics_.SetModelInfo(info.name, info.compute_type);
  // Warm-up: one real translation through the whole path (allocations, caches, first-call costs).
  auto job = scheduler_->Submit({"Guten Morgen."}, SentenceOptions{});
  if (!job.ok()) return job.status().WithContext("warm-up translation");
  Status s = (*job)->WaitUntil(Clock::now() + std::chrono::seconds(300));
  if (!s.ok()) return s.WithContext("warm-up translation");
  scheduler_ptr_.store(scheduler_.get());
  if (!draining_.load()) {
    ready_.store(true);
    metrics_.SetReady(true);
  }
  return Status::Ok();
}

void Service::BeginRequest() { t_request = RequestContext(); }

void Service::EndRequest(const httplib::Request& req, const httplib::Response& res) {
  double seconds = std::chrono::duration<double>(Clock::now() - t_request.start).count();
  std::string endpoint = EndpointLabel(req.path);
  metrics_.ObserveRequest(endpoint, res.status, seconds);
  json line = {{"time", UtcNow()},
               // A 503 from /ready is a probe's normal answer while loading or draining, not an error.
               {"level", req.path == "/ready" || res.status < 400 ? "info"
                         : res.status >= 500                      ? "error"
                                                                  : "warn"},
               {"event", "request"},
               {"method", req.method.substr(0, 16)},
               {"endpoint", endpoint},
               {"status", res.status},
               {"duration_ms", std::round(seconds * 1e5) / 100},
               {"request_bytes", std::max(req.body.size(), t_request.request_bytes)},
               {"response_bytes", res.body.size()}};
  if (endpoint == "other") line["path"] = req.path.substr(0, 200);
  if (!t_request.api.empty()) {
    line["api"] = t_request.api;
    line["texts"] = t_request.texts;
    line["sentences"] = t_request.sentences;
    line["chars"] = t_request.chars;
  }
  if (t_request.stream) line["stream"] = true;
  if (!t_request.error.empty()) line["error"] = t_request.error;
  if (options_.log_text && !t_request.debug_text.empty()) line["text"] = t_request.debug_text;
  std::string text = Dump(line);
  std::lock_guard<std::mutex> lock(log_mu_);
  if (log_sink_) log_sink_(text);
}

void Service::AddCors(httplib::Response& res) const {
  if (options_.cors_origin.empty()) return;
  res.set_header("Access-Control-Allow-Origin", options_.cors_origin);
}

void Service::Respond(httplib::Response& res, int status, const std::string& json_body) {
  res.status = status;
  res.set_content(json_body, "application/json");
  AddCors(res);
}

void Service::RespondError(httplib::Response& res, const Status& status) {
  int code = HttpStatusFor(status);
  t_request.error = status.message();
  if (code == 503) res.set_header("Retry-After", std::to_string(options_.retry_after_seconds));
  Respond(res, code, ErrorJson(status.message()));
}

bool Service::KeyAccepted(const httplib::Request& req, const std::string& body_key) const {
  if (options_.api_keys.empty()) return true;
  std::string key = body_key;
  std::string auth = req.get_header_value("Authorization");
  if (key.empty() && auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
  return std::find(options_.api_keys.begin(), options_.api_keys.end(), key) != options_.api_keys.end();
}

std::string Service::LanguagesJson() const {
  ModelInfo m;
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    m = model_;
  }
  auto name = [](const std::string& code) -> std::string {
    static const std::map<std::string, std::string> names = {
        {"de", "German"}, {"en", "English"}, {"fr", "French"}, {"es", "Spanish"}, {"it", "Italian"}};
    auto it = names.find(code);
    return it == names.end() ? code : it->second;
  };
  json out = json::array();
  out.push_back(
      {{"code", m.source_language}, {"name", name(m.source_language)}, {"targets", {m.target_language}}});
  return Dump(out);
}

std::string Service::SettingsJson() const {
  ModelInfo m;
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    m = model_;
  }
  json out = {
      {"charLimit",
       options_.limits.max_text_chars == 0 ? -1 : static_cast<long long>(options_.limits.max_text_chars)},
      {"bodyLimitBytes", options_.max_body_bytes},
      {"frontendTimeout", 500},
      {"apiKeys", !options_.api_keys.empty()},
      {"keyRequired", !options_.api_keys.empty()},
      {"suggestions", false},
      {"filesTranslation", false},
      {"supportedFilesFormat", json::array()},
      {"language",
       {{"source", {{"code", m.source_language}, {"name", m.source_language}}},
        {"target", {{"code", m.target_language}, {"name", m.target_language}}}}}};
  return Dump(out);
}

void Service::Mount(httplib::Server& server) {
  server.Get("/", [this](const httplib::Request&, httplib::Response& res) {
    Respond(res, 200, Dump(json{{"How to", "Use endpoint /translate"}}));
  });
  server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    Respond(res, 200, Dump(json{{"status", "ok"}}));
  });
  server.Get("/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (ready_.load()) {
      Respond(res, 200, Dump(json{{"status", "ready"}}));
    } else {
      Respond(res, 503,
              Dump(json{{"status", draining_.load() ? "draining" : "loading"},
                        {"error", draining_.load() ? "the translator is shutting down"
                                                   : "the model is not loaded and warmed up yet"}}));
    }
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/languages",
             [this](const httplib::Request&, httplib::Response& res) { Respond(res, 200, LanguagesJson()); });
  server.Get("/frontend/settings",
             [this](const httplib::Request&, httplib::Response& res) { Respond(res, 200, SettingsJson()); });
  server.Get("/openapi\\.json",
             [this](const httplib::Request&, httplib::Response& res) { Respond(res, 200, OpenApiJson()); });
  server.Post("/translate", [this](const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
    HandleTranslate(ApiKind::kLegacy, req, res, &reader);
  });
  server.Post("/v1/translate", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) {
    HandleTranslate(ApiKind::kNative, req, res, &reader);
  });
  // Wrong methods on our paths: 405 with Allow (standalone mode answers these in pre-routing already).
  for (const auto& [path, allowed] : Routes()) {
    std::string pattern = RegexEscape(path);
    auto not_allowed = [this, allowed = allowed](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", AllowHeader(allowed));
      RespondError(
          res, Status::InvalidArgument(req.method.substr(0, 16) + " is not allowed here; use " + allowed));
      res.status = 405;
    };
    auto preflight = [this, allowed = allowed](const httplib::Request&, httplib::Response& res) {
      res.status = 204;
      res.set_header("Allow", AllowHeader(allowed));
      AddCors(res);
      if (!options_.cors_origin.empty()) {
        res.set_header("Access-Control-Allow-Methods", AllowHeader(allowed));
        res.set_header("Access-Control-Allow-Headers", "Content-Type, Authorization");
        res.set_header("Access-Control-Max-Age", "600");
      }
    };
    if (allowed == "GET") {
      server.Post(pattern, not_allowed);
    } else {
      server.Get(pattern, not_allowed);
    }
    server.Put(pattern, not_allowed);
    server.Patch(pattern, not_allowed);
    server.Delete(pattern, not_allowed);
    server.Options(pattern, preflight);
  }
}

void Service::HandleTranslate(ApiKind endpoint, const httplib::Request& req, httplib::Response& res,
                              const void* content_reader) {
  const auto& reader = *static_cast<const httplib::ContentReader*>(content_reader);
  struct InFlight {
    std::atomic<int>& n;
    bool released = false;
    explicit InFlight(std::atomic<int>& counter) : n(counter) { ++n; }
    void Release() {
      if (!released) --n;
      released = true;
    }
    ~InFlight() { Release(); }
  };
  auto in_flight = std::make_shared<InFlight>(in_flight_);
  t_request.api = endpoint == ApiKind::kNative ? "native" : "legacy";

  // 1. The body, bounded while it is read (httplib applies the same bound before us).
  std::string body;
  std::vector<std::pair<std::string, std::string>> form;
  bool too_large = false;
  size_t total = 0;
  bool read_ok;
  if (req.is_multipart_form_data()) {
    read_ok = reader(
        [&](const httplib::MultipartFormData& part) {
          form.emplace_back(part.name, "");
          return true;
        },
        [&](const char* data, size_t n) {
          total += n;
          if (total > options_.max_body_bytes) return !(too_large = true);
          if (!form.empty()) form.back().second.append(data, n);
          return true;
        });
  } else {
    read_ok = reader([&](const char* data, size_t n) {
      if (body.size() + n > options_.max_body_bytes) return !(too_large = true);
      body.append(data, n);
      return true;
    });
  }
  if (too_large || res.status == 413) {
    // Not RespondError: a 413 must not carry the Retry-After of the 503s.
    t_request.error = "the request body is larger than this server's limit of " +
                      std::to_string(options_.max_body_bytes) +
                      " bytes; send the text in parts or raise DOLMETSCH_MAX_BODY_BYTES";
    res.set_header("Connection", "close");
    Respond(res, 413, ErrorJson(t_request.error));
    return;
  }
  if (!read_ok) {
    RespondError(res, Status::InvalidArgument("the request body could not be read (truncated or malformed)"));
    return;
  }
  std::string content_type = req.get_header_value("Content-Type");
  t_request.request_bytes = req.is_multipart_form_data() ? total : body.size();
  if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 && !LooksLikeJsonObject(body)) {
    auto parsed_form = ParseUrlEncodedForm(body);
    if (!parsed_form.ok()) return RespondError(res, parsed_form.status());
    form = std::move(parsed_form).value();
  }

  // 2. Validation.
  StatusOr<TranslationRequest> parsed =
      ParseTranslateRequest(endpoint, content_type, body, form, options_.limits);
  if (!parsed.ok()) return RespondError(res, parsed.status());
  TranslationRequest request = std::move(parsed).value();
  t_request.api = request.kind == ApiKind::kLegacy           ? "legacy"
                  : request.kind == ApiKind::kLibreTranslate ? "libretranslate"
                                                             : "native";
  t_request.texts = request.texts.size();
  t_request.stream = request.stream;
  for (const std::string& t : request.texts) t_request.chars += t.size();
  if (options_.log_text) {
    for (const std::string& t : request.texts) t_request.debug_text += t + "\n";
  }
  if (!KeyAccepted(req, request.api_key)) {
    t_request.error = "invalid API key";
    Respond(res, 403, ErrorJson("Invalid API key: send a valid api_key (or Authorization: Bearer <key>)"));
    return;
  }

  // 3. Admission.
  Scheduler* scheduler = scheduler_ptr_.load();
  if (draining_.load()) {
    res.set_header("Connection", "close");
    return RespondError(res,
                        Status::Unavailable("the translator is shutting down; retry on another instance"));
  }
  if (scheduler == nullptr) {
    return RespondError(res, Status::Unavailable("the model is still loading; retry in a few seconds"));
  }
  RequestOptions plan;
  plan.search = request.options;
  plan.document.segmenter.max_segment_bytes = options_.max_segment_bytes;
  plan.document.max_segment_tokens = options_.max_segment_tokens;
  plan.cache = cache_.get();
  ModelInfo model;
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    model = model_;
  }
  plan.cache_key = model.name + ":" + model.compute_type;
  auto started = RequestTranslation::Start(*scheduler, *backend_.load(), std::move(request.texts), plan);
  if (!started.ok()) return RespondError(res, started.status());
  std::shared_ptr<RequestTranslation> translation = std::move(started).value();
  const RequestStats& stats = translation->stats();
  t_request.sentences = stats.segments;
  metrics_.ObserveUnits(static_cast<long long>(stats.units), static_cast<long long>(stats.duplicates),
                        static_cast<long long>(stats.cache_hits));
  if (cache_ != nullptr) metrics_.SetCacheEntries(static_cast<long long>(cache_->size()));
  Clock::time_point deadline =
      Clock::now() +
      std::chrono::milliseconds(static_cast<long long>(options_.request_timeout_seconds * 1000));
  Clock::time_point start = t_request.start;
  const std::string timeout_message = "the translation took longer than the request timeout of " +
                                      std::to_string(static_cast<int>(options_.request_timeout_seconds)) +
                                      " s; send a shorter text or raise DOLMETSCH_REQUEST_TIMEOUT";

  // The complete answer: text t of every text is assembled from the best hypotheses (waiting for them as
  // needed, `poll` deciding when to give up), alternatives from the others. `first` holds texts assembled
  // already (streaming assembles the best translation while it sends progress).
  auto build_answer = [translation, request, model, start](
                          const std::function<Status()>& poll,
                          const std::vector<std::string>& first) -> StatusOr<json> {
    const size_t n = translation->texts();
    int alternatives = request.kind == ApiKind::kNative ? request.options.n_best - 1 : request.alternatives;
    std::vector<std::string> best = first;
    for (size_t t = best.size(); t < n; ++t) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string text, translation->Assemble(t, 0, poll));
      best.push_back(std::move(text));
    }
    std::vector<json> alts(n, json::array());
    for (size_t t = 0; t < n; ++t) {
      for (int k = 1; k <= alternatives; ++k) {
        DOLMETSCH_ASSIGN_OR_RETURN(std::string text, translation->Assemble(t, static_cast<size_t>(k), poll));
        alts[t].push_back(std::move(text));
      }
    }
    if (request.kind == ApiKind::kLegacy) return json{{"text_en", best[0]}};
    if (request.kind == ApiKind::kLibreTranslate) {
      json translated = json::array(), detected = json::array();
      for (size_t t = 0; t < n; ++t) {
        translated.push_back(best[t]);
        detected.push_back({{"confidence", 100}, {"language", model.source_language}});
      }
      json out;
      out["translatedText"] = request.texts_is_array ? translated : translated[0];
      if (alternatives > 0) out["alternatives"] = request.texts_is_array ? json(alts) : alts[0];
      if (request.source_auto) out["detectedLanguage"] = request.texts_is_array ? detected : detected[0];
      return out;
    }
    json translations = json::array();
    for (size_t t = 0; t < n; ++t) {
      json entry = {{"text", best[t]}};
      if (alternatives > 0) entry["alternatives"] = alts[t];
      translations.push_back(entry);
    }
    return json{
        {"translations", translations},
        {"model",
         {{"name", model.name}, {"source", model.source_language}, {"target", model.target_language}}},
        {"timing", {{"total_seconds", std::chrono::duration<double>(Clock::now() - start).count()}}},
        {"usage",
         {{"texts", n},
          {"sentences", translation->stats().segments},
          {"source_tokens", translation->source_tokens()},
          {"target_tokens", translation->target_tokens()}}}};
  };

  if (!request.stream) {
    PeerWatch peer(req);
    auto poll = [&]() -> Status {
      if (Clock::now() >= deadline) return Status::DeadlineExceeded(timeout_message);
      if (peer.Gone()) return Status::Cancelled("the client closed the connection");
      return Status::Ok();
    };
    StatusOr<json> answer = build_answer(poll, {});
    if (!answer.ok()) {
      translation->Cancel();
      return RespondError(res, answer.status());
    }
    Respond(res, 200, Dump(*answer));
    return;
  }

  // 4. Server-Sent Events: one "progress" event per finished sentence (in document order), then "done" with
  // the complete answer, or "error". The whole stream is written by the first call of the provider: it
  // assembles the texts segment by segment and writes each as soon as its translation is there.
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  AddCors(res);
  res.set_chunked_content_provider(
      "text/event-stream",
      [translation, deadline, build_answer, timeout_message](size_t, httplib::DataSink& sink) {
        Clock::time_point last_write = Clock::now();
        bool client_gone = false;
        auto send = [&](const std::string& event, const json& data) {
          if (client_gone) return false;
          std::string chunk = "event: " + event + "\ndata: " + Dump(data) + "\n\n";
          last_write = Clock::now();
          client_gone = !sink.write(chunk.data(), chunk.size());
          return !client_gone;
        };
        auto poll = [&]() -> Status {
          if (client_gone) return Status::Cancelled("the client closed the connection");
          if (Clock::now() >= deadline) return Status::DeadlineExceeded(timeout_message);
          if (Clock::now() - last_write > std::chrono::seconds(2)) {
            // An SSE comment: keeps proxies from timing out and detects a client that went away.
            last_write = Clock::now();
            if (!sink.write(": waiting\n\n", 11) || !sink.is_writable()) {
              client_gone = true;
              return Status::Cancelled("the client closed the connection");
            }
          }
          return Status::Ok();
        };
        auto on_segment = [&](const SegmentOutput& segment) {
          send("progress", json{{"index", segment.index},
                                {"done", segment.index + 1},
                                {"total", segment.total},
                                {"text_index", segment.text_index},
                                {"translation", segment.translation},
                                {"piece", segment.piece}});
        };
        std::vector<std::string> best;
        Status status;
        for (size_t t = 0; t < translation->texts() && status.ok(); ++t) {
          StatusOr<std::string> text = translation->Assemble(t, 0, poll, on_segment);
          if (text.ok()) {
            best.push_back(std::move(text).value());
          } else {
            status = text.status();
          }
          if (client_gone) status = Status::Cancelled("the client closed the connection");
        }
        StatusOr<json> answer = status.ok() ? build_answer(poll, best) : StatusOr<json>(status);
        if (!answer.ok()) {
          translation->Cancel();
          if (answer.status().code() == Status::Code::kCancelled && client_gone) return false;
          t_request.error = answer.status().message();
          json data = {{"error", answer.status().message()}};
          if (answer.status().code() == Status::Code::kDeadlineExceeded) data["status"] = 504;
          send("error", data);
          sink.done();
          return true;
        }
        bool ok = send("done", *answer);
        sink.done();
        return ok;
      },
      [translation, in_flight](bool) {
        translation->Cancel();  // no-op when finished
        in_flight->Release();
      });
  in_flight.reset();  // the releaser holds the count now
}

Status Service::Listen() {
  if (server_ != nullptr) return Status::Internal("Listen was called twice");
  server_ = std::make_unique<DrainableServer>();
  DrainableServer& server = *server_;
  const size_t threads = static_cast<size_t>(std::max(1, options_.http_threads));
  const size_t max_waiting = options_.max_waiting_connections;
  const double max_wait = options_.max_connection_wait_seconds;
  server.new_task_queue = [threads, max_waiting, max_wait] {
    return new ConnectionQueue(threads, max_waiting, max_wait);
  };
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_keep_alive_timeout(options_.keep_alive_seconds);
  server.set_keep_alive_max_count(100);
  server.set_read_timeout(options_.read_timeout_seconds, 0);
  server.set_write_timeout(options_.read_timeout_seconds, 0);

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    BeginRequest();
    auto route = Routes().find(req.path);
    bool has_body = req.has_header("Content-Length") || req.has_header("Transfer-Encoding");
    if (route == Routes().end()) {
      if (has_body) res.set_header("Connection", "close");
      RespondError(res, Status::NotFound("no endpoint " + req.path.substr(0, 100) +
                                         "; see GET /openapi.json for the API"));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!MethodAllowed(route->second, req.method)) {
      if (has_body) res.set_header("Connection", "close");
      res.set_header("Allow", AllowHeader(route->second));
      RespondError(res, Status::InvalidArgument(req.method.substr(0, 16) + " is not allowed on " + req.path +
                                                "; use " + route->second));
      res.status = 405;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (t_connection_over_limit && route->second == "POST") {
      res.set_header("Connection", "close");
      RespondError(res, Status::ResourceExhausted("the server is overloaded; retry later"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([this](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message;
        switch (res.status) {
          case 400:
            message = "malformed HTTP request";
            break;
          case 413:
            message = "the request body is larger than this server's limit of " +
                      std::to_string(options_.max_body_bytes) + " bytes";
            break;
          case 414:
            message = "the request URI is too long";
            break;
          case 416:
            message = "range not satisfiable";
            break;
          default:
            message = "HTTP error " + std::to_string(res.status);
            break;
        }
        t_request.error = message;
        res.set_content(ErrorJson(message), "application/json");
        AddCors(res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    RespondError(res, Status::Internal("internal error while handling the request"));
  });
  server.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { EndRequest(req, res); });
  Mount(server);

  if (options_.port == 0) {
    bound_port_ = server.bind_to_any_port(options_.host);
    if (bound_port_ < 0) bound_port_ = 0;
  } else if (server.bind_to_port(options_.host, options_.port)) {
    bound_port_ = options_.port;
  }
  if (bound_port_ == 0) {
    server_.reset();
    return Status::IoError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                           " (in use, or not an address of this machine); choose another with --host/--port");
  }
  server_thread_ = std::thread([this] {
    server_->listen_after_bind();
    server_stopped_.store(true);
  });
  return Status::Ok();
}

void Service::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (draining_.exchange(true)) {
    if (server_thread_.joinable()) server_thread_.join();
    return;
  }
  ready_.store(false);
  metrics_.SetReady(false);
  if (server_ != nullptr) server_->StopAccepting();
  Clock::time_point grace_end =
      Clock::now() + std::chrono::milliseconds(static_cast<long long>(options_.grace_seconds * 1000));
  while (in_flight_.load() > 0 && Clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (Scheduler* s = scheduler_ptr_.load(); s != nullptr && in_flight_.load() > 0) s->CancelAll();
  if (server_thread_.joinable()) server_thread_.join();
}

void Service::Wait() {
  while (server_ != nullptr && !server_stopped_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace dolmetsch::translator
