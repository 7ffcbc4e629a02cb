#include "translator/service.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "catalog/language_names.h"
#include "engine/compute_type.h"
#include "engine/translator.h"
#include "http/multipart.h"
#include "http/server.h"
#include "langid/language_detector.h"
#include "markup/formats.h"
#include "translator/markup_translation.h"
#include "translator/openapi.h"
#include "translator/request_translation.h"
#include "util/base64.h"
#include "util/percent_encoding.h"

namespace dolmetsch::translator {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

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
                                                                     {"/detect", "POST"},
                                                                     {"/translate_file", "POST"},
                                                                     {"/v1/translate", "POST"},
                                                                     {"/v1/translate_file", "POST"}};
  return *routes;
}

std::string EndpointLabel(const std::string& path) {
  if (path.rfind("/download_file/", 0) == 0) return "/download_file";
  return Routes().count(path) ? path : "other";
}

std::string AllowHeader(const std::string& allowed) {
  return allowed == "GET" ? "GET, HEAD, OPTIONS" : allowed + ", OPTIONS";
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

// Bytes of stream events a client may leave unread before the stream waits for it.
constexpr size_t kMaxQueuedStreamBytes = 1 << 20;
// Language detection of a file looks at the start of its text (CLD2 needs far less; bounds the time).
constexpr size_t kDetectionBytes = 256 << 10;

// What a translation answer looks like besides its texts (fixed when the request is planned).
struct AnswerShape {
  ApiKind kind = ApiKind::kLegacy;
  bool texts_is_array = false;
  bool source_auto = false;
  std::vector<langid::LanguageGuess> detected;  // per text, with source_auto
  json model;                                   // /v1/translate's "model"
  Clock::time_point start;
};

// The answer of each API: {"text_en"}, LibreTranslate's {"translatedText", "alternatives",
// "detectedLanguage"}, or /v1/translate's {"translations", "model", "timing", "usage"}.
json AnswerJson(const AnswerShape& shape, const std::vector<std::string>& best, const std::vector<json>& alts,
                int alternatives, size_t sentences, long long source_tokens, long long target_tokens) {
  const size_t n = best.size();
  if (shape.kind == ApiKind::kLegacy) return json{{"text_en", best[0]}};
  if (shape.kind == ApiKind::kLibreTranslate) {
    json translated = json::array(), detected = json::array();
    for (size_t t = 0; t < n; ++t) {
      translated.push_back(best[t]);
      if (t < shape.detected.size()) {
        detected.push_back(
            {{"confidence", shape.detected[t].confidence}, {"language", shape.detected[t].language}});
      }
    }
    json out;
    out["translatedText"] = shape.texts_is_array ? translated : translated[0];
    if (alternatives > 0) out["alternatives"] = shape.texts_is_array ? json(alts) : alts[0];
    if (shape.source_auto) out["detectedLanguage"] = shape.texts_is_array ? detected : detected[0];
    return out;
  }
  json translations = json::array();
  for (size_t t = 0; t < n; ++t) {
    json entry = {{"text", best[t]}};
    if (alternatives > 0) entry["alternatives"] = alts[t];
    if (t < shape.detected.size()) {
      entry["detected_language"] = {{"language", shape.detected[t].language},
                                    {"confidence", shape.detected[t].confidence}};
    }
    translations.push_back(entry);
  }
  return json{
      {"translations", translations},
      {"model", shape.model},
      {"timing", {{"total_seconds", std::chrono::duration<double>(Clock::now() - shape.start).count()}}},
      {"usage",
       {{"texts", n},
        {"sentences", sentences},
        {"source_tokens", source_tokens},
        {"target_tokens", target_tokens}}}};
}

}  // namespace

Service::Service(ServiceOptions options) : options_(std::move(options)) {
  if (options_.cache_entries > 0) cache_ = std::make_unique<text::TranslationCache>(options_.cache_entries);
  auto files = FileStore::Open(options_.files);
  if (files.ok()) {
    files_ = std::move(files).value();
  } else {
    files_status_ = files.status();
  }
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
  auto own = std::make_unique<catalog::ModelCatalog>();
  catalog::ModelSpec spec;
  spec.name = info.name;
  spec.sources = {info.source_language};
  spec.targets = {info.target_language};
  if (Status s = own->Add(spec); !s.ok()) return s;
  own_catalog_ = std::move(own);
  set_.compute_type = info.compute_type;
  scheduler_ = std::make_unique<Scheduler>(backend, options_.scheduler, &metrics_);
  backend_.store(backend);
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    model_ = info;
  }
  catalog_.store(own_catalog_.get());
  metrics_.SetModelLoadSeconds(info.load_seconds);
  metrics_.SetModelInfo(info.name, info.compute_type);
  DOLMETSCH_RETURN_IF_ERROR(WarmUp(backend, info.source_language + "-" + info.target_language));
  scheduler_ptr_.store(scheduler_.get());
  if (!draining_.load()) {
    ready_.store(true);
    metrics_.SetReady(true);
  }
  return Status::Ok();
}

Status Service::AttachModels(const catalog::ModelCatalog* catalog, catalog::ModelRegistry* registry,
                             ModelSetOptions options) {
  if (scheduler_ != nullptr) return Status::Internal("AttachModels was called twice");
  if (catalog == nullptr || catalog->empty()) return Status::InvalidArgument("no model to serve");
  set_ = std::move(options);
  registry_ = registry;
  scheduler_ = std::make_unique<Scheduler>(nullptr, options_.scheduler, &metrics_);
  catalog_.store(catalog);  // /languages answers from now on
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    model_.name = catalog->models().front().name;
    model_.compute_type = set_.compute_type;
  }
  // Lazy models need no warm-up; preloaded ones are loaded and run once before /ready says yes.
  for (const catalog::ModelSpec* model : set_.preload) {
    StatusOr<std::shared_ptr<const engine::Translator>> loaded = registry_->Acquire(*model);
    if (!loaded.ok()) return loaded.status();
    // What the engine runs ("auto" resolved), for the metrics and the cache key.
    set_.compute_type = engine::ComputeTypeName((*loaded)->compute_type());
    const std::string target = model->targets.front();
    StatusOr<Route> route = RouteFor(model->sources.front(), target);
    if (!route.ok()) return route.status().WithContext("preloading '" + model->name + "'");
    DOLMETSCH_RETURN_IF_ERROR(WarmUp(route->backend, route->label));
  }
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    model_.compute_type = set_.compute_type;
  }
  metrics_.SetModelInfo(catalog->models().size() == 1 ? catalog->models().front().name : "several",
                        set_.compute_type);
  double load_seconds = 0;
  for (const catalog::LoadedModel& m : registry_->Loaded()) load_seconds += m.load_seconds;
  metrics_.SetModelLoadSeconds(load_seconds);
  scheduler_ptr_.store(scheduler_.get());
  if (!draining_.load()) {
    ready_.store(true);
    metrics_.SetReady(true);
  }
  return Status::Ok();
}

// One real translation through the whole path (allocations, caches, first-call costs).
Status Service::WarmUp(BatchBackend* backend, const std::string& label) {
  auto job = scheduler_->Submit({"Guten Morgen."}, SentenceOptions{}, backend, label);
  if (!job.ok()) return job.status().WithContext("warm-up translation");
  Status s = (*job)->WaitUntil(Clock::now() + std::chrono::seconds(300));
  if (!s.ok()) return s.WithContext("warm-up translation (" + label + ")");
  return Status::Ok();
}

StatusOr<Service::Route> Service::RouteFor(const std::string& source, const std::string& target) {
  const catalog::ModelCatalog* catalog = catalog_.load();
  if (catalog == nullptr) return Status::Unavailable("the model is still loading; retry in a few seconds");
  StatusOr<std::vector<catalog::Hop>> hops = catalog->Route(source, target, set_.allow_pivot);
  if (!hops.ok()) return Status::InvalidArgument(hops.status().message());
  Route route;
  route.label = source;
  for (const catalog::Hop& hop : *hops) {
    route.label += "-" + hop.target;
    route.models += (route.models.empty() ? "" : "+") + hop.model->name;
  }
  if (registry_ == nullptr) {  // AttachBackend: its one pair
    route.backend = backend_.load();
    return route;
  }
  route.hops = std::move(hops).value();
  std::lock_guard<std::mutex> lock(routes_mu_);
  std::vector<BatchBackend*> hop_backends;
  std::string key;
  for (const catalog::Hop& hop : route.hops) {
    std::string hop_key = hop.model->dir + '\x1f' + hop.target_token;
    std::unique_ptr<BatchBackend>& b = route_backends_[hop_key];
    if (b == nullptr)
      b = std::make_unique<RegistryBackend>(registry_, hop.model, hop.target_token, set_.caps);
    hop_backends.push_back(b.get());
    key += (key.empty() ? "" : "\x1e") + hop_key;
  }
  if (hop_backends.size() == 1) {
    route.backend = hop_backends[0];
    return route;
  }
  if (hop_backends.size() != 2) return Status::Internal("a route of more than two models");
  std::unique_ptr<BatchBackend>& pivot = route_backends_[key];
  if (pivot == nullptr) pivot = std::make_unique<PivotBackend>(hop_backends[0], hop_backends[1]);
  route.backend = pivot.get();
  return route;
}

StatusOr<std::vector<std::shared_ptr<const engine::Translator>>> Service::AcquireModels(const Route& route) {
  std::vector<std::shared_ptr<const engine::Translator>> handles;
  if (registry_ == nullptr) return handles;
  for (const catalog::Hop& hop : route.hops) {
    StatusOr<std::shared_ptr<const engine::Translator>> handle = registry_->Acquire(*hop.model);
    if (!handle.ok()) {
      // A model that does not load is the server's problem, not the request's.
      return Status::Internal(handle.status().message());
    }
    handles.push_back(std::move(handle).value());
  }
  return handles;
}

void Service::OnComplete(const http::Exchange& exchange) {
  const http::Request& req = exchange.request();
  const http::Response& res = exchange.response();
  const json& f = exchange.fields();
  double seconds = exchange.seconds();
  std::string endpoint = EndpointLabel(req.path);
  metrics_.ObserveRequest(endpoint, res.status, seconds);
  json line = {
      {"time", UtcNow()},
      // A 503 from /ready is a probe's normal answer while loading or draining, not an error.
      {"level", req.path == "/ready" || res.status < 400 ? "info"
                : res.status >= 500                      ? "error"
                                                         : "warn"},
      {"event", "request"},
      {"request_id", req.request_id},
      {"method", req.method.substr(0, 16)},
      {"endpoint", endpoint},
      {"status", res.status},
      {"duration_ms", std::round(seconds * 1e5) / 100},
      {"request_bytes", f.contains("request_bytes") ? f["request_bytes"].get<size_t>() : req.body.size()},
      {"response_bytes", exchange.response_bytes()}};
  if (endpoint == "other") line["path"] = req.path.substr(0, 200);
  if (f.contains("api")) {
    line["api"] = f["api"];
    line["texts"] = f.value("texts", 0);
    line["sentences"] = f.value("sentences", 0);
    line["chars"] = f.value("chars", 0);
  }
  if (f.contains("model") && !f["model"].get<std::string>().empty()) line["model"] = f["model"];
  if (f.value("stream", false)) line["stream"] = true;
  if (f.contains("format")) line["format"] = f["format"];  // html, markdown; a file's format
  if (f.contains("file_bytes")) line["file_bytes"] = f["file_bytes"];
  if (f.contains("error")) line["error"] = f["error"];
  if (options_.log_text && f.contains("text")) line["text"] = f["text"];
  std::string text = Dump(line);
  std::lock_guard<std::mutex> lock(log_mu_);
  if (log_sink_) log_sink_(text);
}

void Service::AddCors(http::Response& res) const {
  if (options_.cors_origin.empty()) return;
  res.Set("Access-Control-Allow-Origin", options_.cors_origin);
}

void Service::Respond(http::Response& res, int status, const std::string& json_body) const {
  res.status = status;
  res.SetContent(json_body, "application/json");
  AddCors(res);
}

void Service::RespondError(http::Exchange& exchange, const Status& status) const {
  int code = HttpStatusFor(status);
  exchange.fields()["error"] = status.message();
  if (code == 503) exchange.response().Set("Retry-After", std::to_string(options_.retry_after_seconds));
  Respond(exchange.response(), code, ErrorJson(status.message()));
}

bool Service::KeyAccepted(const http::Request& req, const std::string& body_key) const {
  if (options_.api_keys.empty()) return true;
  std::string key = body_key;
  std::string auth = req.Header("Authorization");
  if (key.empty() && auth.rfind("Bearer ", 0) == 0) key = auth.substr(7);
  return std::find(options_.api_keys.begin(), options_.api_keys.end(), key) != options_.api_keys.end();
}

std::string Service::LanguagesJson() const {
  json out = json::array();
  const catalog::ModelCatalog* catalog = catalog_.load();
  if (catalog == nullptr) return Dump(out);
  // LibreTranslate lists every code that is a source or a target; clients check both codes against it.
  for (const std::string& code : catalog->Languages(set_.allow_pivot)) {
    out.push_back({{"code", code},
                   {"name", catalog::LanguageName(code)},
                   {"targets", catalog->Targets(code, set_.allow_pivot)}});
  }
  return Dump(out);
}

std::string Service::SettingsJson() const {
  const catalog::ModelCatalog* catalog = catalog_.load();
  std::vector<std::string> sources = catalog ? catalog->Sources() : std::vector<std::string>{};
  // As LibreTranslate's page: detection first when there is a choice, else the one source; the target is
  // English when the source reaches it, else its first target.
  std::string source = sources.size() == 1 ? sources[0] : "auto";
  std::string source_name = source == "auto" ? "Auto Detect" : catalog::LanguageName(source);
  std::string target;
  if (catalog != nullptr && !sources.empty()) {
    std::string from = source == "auto" ? (std::find(sources.begin(), sources.end(), "de") != sources.end()
                                               ? std::string("de")
                                               : sources[0])
                                        : source;
    std::vector<std::string> targets = catalog->Targets(from, set_.allow_pivot);
    if (std::find(targets.begin(), targets.end(), "en") != targets.end()) {
      target = "en";
    } else if (!targets.empty()) {
      target = targets[0];
    }
  }
  json out = {
      {"charLimit",
       options_.limits.max_text_chars == 0 ? -1 : static_cast<long long>(options_.limits.max_text_chars)},
      {"bodyLimitBytes", options_.max_body_bytes},
      {"frontendTimeout", 500},
      {"apiKeys", !options_.api_keys.empty()},
      {"keyRequired", !options_.api_keys.empty()},
      {"suggestions", false},
      {"filesTranslation", files_ != nullptr},
      {"supportedFilesFormat", files_ != nullptr ? json(markup::FileExtensions()) : json::array()},
      {"fileLimitBytes", options_.max_file_bytes},
      {"language",
       {{"source", {{"code", source}, {"name", source_name}}},
        {"target", {{"code", target}, {"name", catalog::LanguageName(target)}}}}}};
  return Dump(out);
}

void Service::Mount(http::Server& server) {
  using http::Exchange;
  using Ex = std::shared_ptr<Exchange>;
  auto get = [&](const std::string& path, std::function<void(Exchange&)> fn) {
    server.Route(
        "GET", path, [fn](const Ex& e) { fn(*e); }, http::Run::kInline);
  };
  get("/", [this](Exchange& e) {
    Respond(e.response(), 200, Dump(json{{"How to", "Use endpoint /translate"}}));
  });
  get("/health", [this](Exchange& e) { Respond(e.response(), 200, Dump(json{{"status", "ok"}})); });
  get("/ready", [this](Exchange& e) {
    if (ready_.load()) {
      std::string model;
      {
        std::lock_guard<std::mutex> lock(model_mu_);
        model = model_.name;
      }
      Respond(e.response(), 200, Dump(json{{"status", "ready"}, {"model", model}}));
    } else {
      Respond(e.response(), 503,
              Dump(json{{"status", draining_.load() ? "draining" : "loading"},
                        {"error", draining_.load() ? "the translator is shutting down"
                                                   : "the model is not loaded and warmed up yet"}}));
    }
  });
  get("/metrics", [this](Exchange& e) {
    if (registry_ != nullptr && catalog_.load() != nullptr) {
      std::vector<Metrics::LoadedModelInfo> loaded;
      for (const catalog::LoadedModel& m : registry_->Loaded()) {
        loaded.push_back({m.name, static_cast<double>(m.resident_bytes), m.load_seconds});
      }
      metrics_.SetLoadedModels(std::move(loaded), static_cast<long long>(registry_->loads()),
                               static_cast<long long>(registry_->unloads()));
    }
    e.response().SetContent(metrics_.RenderPrometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });
  get("/languages", [this](Exchange& e) { Respond(e.response(), 200, LanguagesJson()); });
  get("/frontend/settings", [this](Exchange& e) { Respond(e.response(), 200, SettingsJson()); });
  get("/openapi.json", [this](Exchange& e) { Respond(e.response(), 200, OpenApiJson()); });
  server.Route("POST", "/translate", [this](const Ex& e) { HandleTranslate(ApiKind::kLegacy, e); });
  server.Route("POST", "/v1/translate", [this](const Ex& e) { HandleTranslate(ApiKind::kNative, e); });
  server.Route("POST", "/detect", [this](const Ex& e) { HandleDetect(e); });
  server.Route("POST", "/translate_file", [this](const Ex& e) { HandleTranslateFile(e, /*stream=*/false); });
  server.Route("POST", "/v1/translate_file",
               [this](const Ex& e) { HandleTranslateFile(e, /*stream=*/true); });
  // File I/O: on the worker pool.
  server.Route("GET", "^/download_file/(.*)$", [this](const Ex& e) { HandleDownload(*e); });
  // CORS preflights (wrong methods get 405 with Allow from the server).
  for (const auto& [path, allowed] : Routes()) {
    server.Route(
        "OPTIONS", path,
        [this, allowed = allowed](const Ex& e) {
          http::Response& res = e->response();
          res.status = 204;
          res.Set("Allow", AllowHeader(allowed));
          AddCors(res);
          if (!options_.cors_origin.empty()) {
            res.Set("Access-Control-Allow-Methods", AllowHeader(allowed));
            res.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-Id");
            res.Set("Access-Control-Max-Age", "600");
          }
        },
        http::Run::kInline);
  }
}

// One translation request after admission. No thread waits for its decoding: the scheduler's job calls
// back on progress (Job::OnChange), which kicks a Check on the worker pool; a 250 ms tick kicks it from an
// I/O thread too (client gone, deadline, shutdown, stream keep-alives). Check never blocks; when there is
// work (progress events, the answer) it runs a Step (handed to the pool when it runs on an I/O thread).
// At most one Check or Step runs at a time (busy_).
class Service::Translation : public std::enable_shared_from_this<Translation> {
 public:
  using BuildAnswer =
      std::function<StatusOr<json>(const std::function<Status()>&, const std::vector<std::string>&)>;

  // What a file stream reports when Step runs: sends the progress events that are ready (through
  // `progress`) and says whether all were sent (the "done" event follows then).
  using Advance = std::function<StatusOr<bool>(const std::function<void(const json&)>& progress)>;

  // Exactly one of `translation` (plain text) and `markup` is set; markup is streamed only with an
  // Advance (files: per block).
  Translation(Service& service, std::shared_ptr<http::Exchange> exchange,
              std::shared_ptr<RequestTranslation> translation, std::shared_ptr<MarkupTranslation> markup,
              BuildAnswer build_answer, bool stream, Clock::time_point deadline, std::string timeout_message)
      : service_(service),
        exchange_(std::move(exchange)),
        translation_(std::move(translation)),
        markup_(std::move(markup)),
        build_answer_(std::move(build_answer)),
        stream_(stream),
        deadline_(deadline),
        timeout_message_(std::move(timeout_message)) {}  // takes over the in_flight_ count of the handler
  ~Translation() { Release(); }

  void Begin() {
    if (stream_) {
      http::Response& res = exchange_->response();
      res.status = 200;
      res.Set("Content-Type", "text/event-stream");
      res.Set("Cache-Control", "no-cache");
      res.Set("X-Accel-Buffering", "no");
      service_.AddCors(res);
      exchange_->BeginStream();
      last_write_ = Clock::now();
    }
    std::weak_ptr<Translation> weak = shared_from_this();
    {
      std::lock_guard<std::mutex> lock(service_.translations_mu_);
      service_.translations_[this] = weak;
    }
    std::shared_ptr<http::Exchange> exchange = exchange_;
    // Runs under the scheduler's lock: only posts (and holds no reference that could end the request there).
    // Straight to the worker pool: one thread hop from the decoder to the answer.
    SetOnChange([weak, exchange] {
      exchange->Blocking([weak] {
        if (auto self = weak.lock()) self->Kick(/*on_pool=*/true);
      });
    });
    Tick();
    Kick(/*on_pool=*/true);  // Begin runs in the handler, on the worker pool
  }

  // Before Begin: segments before `skip` are not reported (the client has them).
  void SkipSegments(size_t skip) { next_segment_ = skip; }
  // Before Begin: a file stream's progress comes from `advance` instead of the text's segments.
  void StreamWith(Advance advance) { advance_ = std::move(advance); }

  // From Shutdown: look now (the grace is over), not at the next tick.
  void Wake() { Kick(/*on_pool=*/false); }

 private:
  void Tick() {
    auto self = shared_from_this();
    exchange_->After(std::chrono::milliseconds(250), [self] {
      if (self->done_.load()) return;
      self->Kick(/*on_pool=*/false);
      self->Tick();
    });
  }

  // `on_pool`: the caller is a worker-pool thread (a Step may then run right here).
  void Kick(bool on_pool) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (done_.load()) return;
      if (busy_) {
        again_ = true;
        return;
      }
      busy_ = true;
    }
    Check(on_pool);
  }

  // The end of a Check or Step that scheduled nothing: check again if kicked meanwhile.
  void Idle() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!again_) {
        busy_ = false;
        return;
      }
      again_ = false;
    }
    auto self = shared_from_this();
    exchange_->Blocking([self] { self->Check(/*on_pool=*/true); });
  }

  // Must not block (it may run on an I/O thread).
  void Check(bool on_pool) {
    if (service_.cancelling_.load()) {
      return Fail(Status::Unavailable("the translator is shutting down; retry on another instance"));
    }
    if (exchange_->client_gone()) return Fail(Status::Cancelled("the client closed the connection"));
    if (Clock::now() >= deadline_) return Fail(Status::DeadlineExceeded(timeout_message_));
    bool ended = translation_ != nullptr ? translation_->ended() : markup_->ended();
    bool step = ended;
    if (stream_ && !ended) {
      // Each step replays the text so far: at most one per 100 ms while the job runs.
      size_t progress = translation_ != nullptr ? translation_->progress() : markup_->progress();
      step = progress > seen_progress_ && exchange_->queued_bytes() < kMaxQueuedStreamBytes &&
             Clock::now() - last_step_ >= std::chrono::milliseconds(100);
      if (step) seen_progress_ = progress;
    }
    if (step) {
      if (on_pool) return Step();
      auto self = shared_from_this();
      exchange_->Blocking([self] { self->Step(); });
      return;
    }
    if (stream_ && Clock::now() - last_write_ > std::chrono::seconds(2)) {
      // An SSE comment: keeps proxies from timing out while a long document waits for the decoder.
      last_write_ = Clock::now();
      exchange_->Write(": waiting\n\n");
    }
    Idle();
  }

  // On the worker pool.
  void Step() {
    last_step_ = Clock::now();
    auto no_wait = []() -> Status { return Status::Ok(); };  // the job has ended: nothing waits
    if (!stream_) {
      StatusOr<json> answer = build_answer_(no_wait, {});
      if (!answer.ok()) return Fail(answer.status());
      service_.Respond(exchange_->response(), 200, Dump(*answer));
      return Done();
    }
    if (advance_) {
      StatusOr<bool> all_sent = advance_([this](const json& event) { Send("progress", event); });
      if (!all_sent.ok()) return Fail(all_sent.status());
      if (!*all_sent) return Idle();  // the rest is still being translated
      StatusOr<json> answer = build_answer_(no_wait, {});
      if (!answer.ok()) return Fail(answer.status());
      Send("done", *answer);
      return Done();
    }
    while (text_ < translation_->texts()) {
      auto on_segment = [&](const SegmentOutput& segment) {
        Send("progress", json{{"index", segment.index},
                              {"done", segment.index + 1},
                              {"total", segment.total},
                              {"text_index", segment.text_index},
                              {"translation", segment.translation},
                              {"piece", segment.piece}});
      };
      StatusOr<std::optional<std::string>> text =
          translation_->AssembleReady(text_, &next_segment_, on_segment);
      if (!text.ok()) return Fail(text.status());
      if (!text->has_value()) return Idle();  // the rest is still being translated
      best_.push_back(std::move(**text));
      ++text_;
    }
    StatusOr<json> answer = build_answer_(no_wait, best_);
    if (!answer.ok()) return Fail(answer.status());
    Send("done", *answer);
    Done();
  }

  void Send(const std::string& event, const json& data) {
    last_write_ = Clock::now();
    exchange_->Write("event: " + event + "\ndata: " + Dump(data) + "\n\n");
  }

  void Fail(const Status& status) {
    if (translation_ != nullptr) translation_->Cancel();
    if (markup_ != nullptr) markup_->Cancel();
    if (!stream_) {
      service_.RespondError(*exchange_, status);
      return Done();
    }
    exchange_->fields()["error"] = status.message();
    if (!exchange_->client_gone()) {
      json data = {{"error", status.message()}};
      int code = HttpStatusFor(status);
      if (code == 504 || code == 503) data["status"] = code;
      Send("error", data);
    }
    Done();
  }

  void Done() {
    done_.store(true);
    if (stream_) {
      exchange_->End();
    } else {
      exchange_->Finish();
    }
    Release();
  }

  void Release() {
    if (released_.exchange(true)) return;
    // The job may outlive this request (a batch still holds it) and even the server: drop the callback and
    // the exchange it holds now, on this thread, not later on a scheduler thread.
    SetOnChange(nullptr);
    {
      std::lock_guard<std::mutex> lock(service_.translations_mu_);
      service_.translations_.erase(this);
    }
    --service_.in_flight_;
  }

  void SetOnChange(std::function<void()> fn) {
    if (translation_ != nullptr) translation_->OnChange(std::move(fn));
    if (markup_ != nullptr) markup_->OnChange(std::move(fn));
  }

  Service& service_;
  std::shared_ptr<http::Exchange> exchange_;
  std::shared_ptr<RequestTranslation> translation_;  // null for markup
  std::shared_ptr<MarkupTranslation> markup_;        // null for plain text
  BuildAnswer build_answer_;
  Advance advance_;  // file streams
  const bool stream_;
  const Clock::time_point deadline_;
  const std::string timeout_message_;
  std::mutex mu_;
  bool busy_ = false;   // a Check or Step is running or scheduled (guarded by mu_)
  bool again_ = false;  // kicked while busy (guarded by mu_)
  std::atomic<bool> done_{false};
  std::atomic<bool> released_{false};
  // Used by the one running Check or Step only.
  Clock::time_point last_write_{};
  Clock::time_point last_step_{};
  size_t seen_progress_ = 0;
  size_t text_ = 0;          // next text to assemble (streaming)
  size_t next_segment_ = 0;  // next segment to report (streaming)
  std::vector<std::string> best_;
};

void Service::HandleTranslate(ApiKind endpoint, const std::shared_ptr<http::Exchange>& exchange) {
  http::Request& req = exchange->request();
  json& fields = exchange->fields();
  fields["api"] = endpoint == ApiKind::kNative ? "native" : "legacy";
  // Counted from here (Shutdown waits for it), until the answer is handed to the server.
  ++in_flight_;
  struct Counted {
    std::atomic<int>& n;
    bool handed_over = false;
    ~Counted() {
      if (!handed_over) --n;
    }
  } counted{in_flight_};

  // 1. The body (the server bounded it by max_body_bytes already).
  std::string body = std::move(req.body);
  req.body.clear();
  fields["request_bytes"] = body.size();
  std::vector<std::pair<std::string, std::string>> form;
  std::string content_type = req.Header("Content-Type");
  if (content_type.rfind("multipart/form-data", 0) == 0) {
    auto parts = http::ParseMultipart(body, content_type);
    if (!parts.ok()) return RespondError(*exchange, parts.status());
    for (http::FormPart& part : *parts) form.emplace_back(std::move(part.name), std::move(part.value));
    body.clear();
  } else if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 && !LooksLikeJsonObject(body)) {
    auto parsed_form = ParseUrlEncodedForm(body);
    if (!parsed_form.ok()) return RespondError(*exchange, parsed_form.status());
    form = std::move(parsed_form).value();
  }

  // 2. Validation.
  StatusOr<TranslationRequest> parsed =
      ParseTranslateRequest(endpoint, content_type, body, form, options_.limits);
  if (!parsed.ok()) return RespondError(*exchange, parsed.status());
  TranslationRequest request = std::move(parsed).value();
  fields["api"] = request.kind == ApiKind::kLegacy           ? "legacy"
                  : request.kind == ApiKind::kLibreTranslate ? "libretranslate"
                                                             : "native";
  fields["texts"] = request.texts.size();
  fields["stream"] = request.stream;
  size_t chars = 0;
  for (const std::string& t : request.texts) chars += t.size();
  fields["chars"] = chars;
  if (options_.log_text) {
    std::string debug_text;
    for (const std::string& t : request.texts) debug_text += t + "\n";
    fields["text"] = debug_text;
  }
  if (!KeyAccepted(req, request.api_key)) {
    fields["error"] = "invalid API key";
    Respond(exchange->response(), 403,
            ErrorJson("Invalid API key: send a valid api_key (or Authorization: Bearer <key>)"));
    return;
  }

  // 3. Admission.
  Scheduler* scheduler = scheduler_ptr_.load();
  if (draining_.load()) {
    exchange->response().close = true;
    return RespondError(*exchange,
                        Status::Unavailable("the translator is shutting down; retry on another instance"));
  }
  if (scheduler == nullptr) {
    return RespondError(*exchange, Status::Unavailable("the model is still loading; retry in a few seconds"));
  }
  // 4. Routes: the pair, or each text's detected source; the models are loaded here when first used.
  const catalog::ModelCatalog* catalog = catalog_.load();
  const size_t n_texts = request.texts.size();
  std::string target = request.target;
  std::string source = request.source;
  if (request.kind == ApiKind::kLegacy) {
    source = "de";
    target = "en";
    if (!catalog->Route("de", "en", set_.allow_pivot).ok()) {
      return RespondError(*exchange, Status::InvalidArgument(
                                         "{\"text_de\"} asks for German -> English, and this server has no "
                                         "German -> English model (served pairs: " +
                                         catalog->DescribePairs() +
                                         "); send {\"q\": ..., \"source\": ..., \"target\": ...} instead"));
    }
  } else if (target.empty() || (source.empty() && !request.source_auto)) {
    // Not named: the original pair when served, else the only pair served. (Files differ: a missing
    // source is detected, and English is the target whenever the source translates into it.)
    const bool de_en = catalog->Route("de", "en", set_.allow_pivot).ok();
    const std::vector<std::string> sources = catalog->Sources();
    if (target.empty()) {
      StatusOr<std::string> chosen = ChooseTarget(source, /*english_when_served=*/false);
      if (!chosen.ok()) return RespondError(*exchange, chosen.status());
      target = *chosen;
    }
    if (source.empty() && !request.source_auto) {
      if (de_en && target == "en") {
        source = "de";
      } else if (sources.size() == 1) {
        source = sources[0];
      } else {
        return RespondError(*exchange,
                            Status::InvalidArgument("missing 'source': name the language of the text "
                                                    "(or \"auto\"); served pairs: " +
                                                    catalog->DescribePairs()));
      }
    }
  }
  std::vector<langid::LanguageGuess> detected;
  std::vector<std::string> text_source(n_texts, source);
  if (request.source_auto) {
    std::vector<std::string> candidates = DetectionCandidates(target);
    if (candidates.empty()) {
      return RespondError(
          *exchange, Status::InvalidArgument("no served language translates into '" + target.substr(0, 20) +
                                             "'; served pairs: " + catalog->DescribePairs()));
    }
    // As LibreTranslate: short texts (40 characters or less) take the guess for all texts together.
    std::string all;
    for (const std::string& t : request.texts) all += t + "\n";
    std::vector<langid::LanguageGuess> overall = langid::DetectLanguages(all, candidates);
    for (size_t t = 0; t < n_texts; ++t) {
      std::vector<langid::LanguageGuess> guesses =
          request.texts[t].size() > 40 ? langid::DetectLanguages(request.texts[t], candidates) : overall;
      detected.push_back(guesses.empty() ? langid::LanguageGuess{candidates[0], 0} : guesses[0]);
      text_source[t] = detected.back().language;
    }
  }
  std::vector<TextRoute> text_routes;
  std::vector<Route> routes;
  std::vector<size_t> route_of_text(n_texts, 0);
  std::map<std::string, size_t> route_index;
  std::vector<std::shared_ptr<const engine::Translator>> held;  // loaded models, kept while planning
  for (size_t t = 0; t < n_texts; ++t) {
    auto [it, inserted] = route_index.try_emplace(text_source[t], routes.size());
    route_of_text[t] = it->second;
    if (!inserted) continue;
    if (text_source[t] == target) {
      return RespondError(*exchange, Status::InvalidArgument("source and target are both '" + target +
                                                             "'; served pairs: " + catalog->DescribePairs()));
    }
    StatusOr<Route> route = RouteFor(text_source[t], target);
    if (!route.ok()) return RespondError(*exchange, route.status());
    auto handles = AcquireModels(*route);
    if (!handles.ok()) return RespondError(*exchange, handles.status());
    held.insert(held.end(), handles->begin(), handles->end());
    text_routes.push_back({route->backend, route->models + ":" + set_.compute_type, route->label});
    routes.push_back(std::move(route).value());
  }
  fields["model"] = routes.empty() ? "" : routes[0].label;

  Clock::time_point deadline =
      Clock::now() +
      std::chrono::milliseconds(static_cast<long long>(options_.request_timeout_seconds * 1000));
  Clock::time_point start = exchange->start();
  std::string timeout_message = "the translation took longer than the request timeout of " +
                                std::to_string(static_cast<int>(options_.request_timeout_seconds)) +
                                " s; send a shorter text or raise DOLMETSCH_REQUEST_TIMEOUT";
  json model_json = json::object();
  if (!routes.empty()) {
    const Route& r = routes[0];
    model_json = {{"name", r.models}, {"source", text_source[0]}, {"target", target}};
    if (r.hops.size() > 1) model_json["pivot"] = r.hops[0].target;
    if (routes.size() > 1) {  // detected texts in several languages: each went its own way
      json each = json::array();
      for (const Route& other : routes) each.push_back(other.models);
      model_json["routes"] = each;
    }
  }
  AnswerShape shape{request.kind, request.texts_is_array, request.source_auto, detected, model_json, start};

  if (request.format != TextFormat::kText) {
    // HTML or Markdown: parsed here (a malformed text is answered 400 at once), decoded with alignments
    // by the scheduler, rendered in the answer's Step (MarkupTranslation).
    fields["format"] = request.format == TextFormat::kHtml ? "html" : "markdown";
    MarkupOptions markup_options;
    markup_options.search = request.options;
    markup_options.document.segmenter.max_segment_bytes = options_.max_segment_bytes;
    markup_options.document.max_segment_tokens = options_.max_segment_tokens;
    markup_options.field = request.kind == ApiKind::kNative ? "text" : "q";
    markup_options.texts_is_array = request.texts_is_array;
    auto markup_started = MarkupTranslation::Start(
        *scheduler, std::move(text_routes), route_of_text, std::move(request.texts),
        request.format == TextFormat::kHtml ? markup::Format::kHtml : markup::Format::kMarkdown,
        markup_options);
    held.clear();
    if (!markup_started.ok()) return RespondError(*exchange, markup_started.status());
    std::shared_ptr<MarkupTranslation> markup = std::move(markup_started).value();
    fields["sentences"] = markup->stats().sentences;
    auto build_markup_answer = [markup, shape](const std::function<Status()>&,
                                               const std::vector<std::string>&) -> StatusOr<json> {
      std::vector<std::string> best;
      for (size_t t = 0; t < markup->texts(); ++t) {
        DOLMETSCH_ASSIGN_OR_RETURN(std::string text, markup->Assemble(t));
        best.push_back(std::move(text));
      }
      return AnswerJson(shape, best, {}, 0, markup->stats().sentences, markup->source_tokens(),
                        markup->target_tokens());
    };
    exchange->Defer();
    auto pump = std::make_shared<Translation>(*this, exchange, nullptr, std::move(markup),
                                              std::move(build_markup_answer), /*stream=*/false, deadline,
                                              std::move(timeout_message));
    counted.handed_over = true;
    pump->Begin();
    return;
  }

  RequestOptions plan;
  plan.search = request.options;
  plan.document.segmenter.max_segment_bytes = options_.max_segment_bytes;
  plan.document.max_segment_tokens = options_.max_segment_tokens;
  plan.cache = cache_.get();
  plan.skip_segments = request.skip_segments;
  auto started = RequestTranslation::Start(*scheduler, std::move(text_routes), route_of_text,
                                           std::move(request.texts), plan);
  held.clear();
  if (!started.ok()) return RespondError(*exchange, started.status());
  std::shared_ptr<RequestTranslation> translation = std::move(started).value();
  const RequestStats& stats = translation->stats();
  fields["sentences"] = stats.segments;
  metrics_.ObserveUnits(static_cast<long long>(stats.units), static_cast<long long>(stats.duplicates),
                        static_cast<long long>(stats.cache_hits));
  if (cache_ != nullptr) metrics_.SetCacheEntries(static_cast<long long>(cache_->size()));

  // The complete answer: text t of every text is assembled from the best hypotheses, alternatives from the
  // others. `first` holds texts assembled already (streaming assembles the best translation as it goes).
  // Called once the job has ended, so Assemble never waits.
  const int alternatives =
      request.kind == ApiKind::kNative ? request.options.n_best - 1 : request.alternatives;
  auto build_answer = [translation, shape, alternatives](
                          const std::function<Status()>& poll,
                          const std::vector<std::string>& first) -> StatusOr<json> {
    const size_t n = translation->texts();
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
    return AnswerJson(shape, best, alts, alternatives, translation->stats().segments,
                      translation->source_tokens(), translation->target_tokens());
  };

  // 4. The answer, or Server-Sent Events: one "progress" event per finished sentence (in document order),
  // then "done" with the complete answer, or "error".
  exchange->Defer();
  auto pump =
      std::make_shared<Translation>(*this, exchange, std::move(translation), nullptr, std::move(build_answer),
                                    request.stream, deadline, std::move(timeout_message));
  pump->SkipSegments(plan.skip_segments);
  counted.handed_over = true;
  pump->Begin();
}

// LibreTranslate's POST /detect: q (JSON or form) -> [{"confidence": 0..100, "language": code}], best first,
// among every language served (as a source or a target).
void Service::HandleDetect(const std::shared_ptr<http::Exchange>& exchange) {
  http::Request& req = exchange->request();
  exchange->fields()["api"] = "detect";
  const std::string content_type = req.Header("Content-Type");
  json body = json::object();
  if (content_type.rfind("multipart/form-data", 0) == 0) {
    auto parts = http::ParseMultipart(req.body, content_type);
    if (!parts.ok()) return RespondError(*exchange, parts.status());
    for (http::FormPart& part : *parts) body[part.name] = part.value;
  } else if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0 &&
             !LooksLikeJsonObject(req.body)) {
    auto form = ParseUrlEncodedForm(req.body);
    if (!form.ok()) return RespondError(*exchange, form.status());
    for (auto& [key, value] : *form) body[key] = value;
  } else {
    if (!IsValidUtf8(req.body)) {
      return RespondError(*exchange, Status::InvalidArgument("the request body is not valid UTF-8"));
    }
    body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return RespondError(*exchange,
                          Status::InvalidArgument("send a JSON object {\"q\": \"text\"} or a form with q"));
    }
  }
  std::string text;
  if (body.contains("q") && body["q"].is_string()) {
    text = body["q"].get<std::string>();
  } else if (body.contains("q") && body["q"].is_array()) {
    for (const json& item : body["q"]) {
      if (item.is_string()) text += item.get<std::string>() + "\n";
    }
  }
  if (text.empty()) {
    return RespondError(*exchange, Status::InvalidArgument("Invalid request: missing q parameter"));
  }
  if (!IsValidUtf8(text)) return RespondError(*exchange, Status::InvalidArgument("'q' is not valid UTF-8"));
  std::string key = body.contains("api_key") && body["api_key"].is_string()
                        ? body["api_key"].get<std::string>()
                        : std::string();
  if (!KeyAccepted(req, key)) {
    exchange->fields()["error"] = "invalid API key";
    Respond(exchange->response(), 403,
            ErrorJson("Invalid API key: send a valid api_key (or Authorization: Bearer <key>)"));
    return;
  }
  const catalog::ModelCatalog* catalog = catalog_.load();
  if (catalog == nullptr) {
    return RespondError(*exchange, Status::Unavailable("the model is still loading; retry in a few seconds"));
  }
  json out = json::array();
  for (const langid::LanguageGuess& guess :
       langid::DetectLanguages(text, catalog->Languages(set_.allow_pivot))) {
    out.push_back({{"confidence", guess.confidence}, {"language", guess.language}});
  }
  Respond(exchange->response(), 200, Dump(out));
}

// POST /translate_file (LibreTranslate's) and POST /v1/translate_file (`stream`): a multipart upload (file,
// source, target, api_key; skip_blocks for the stream). LibreTranslate's answer: the file translated in its
// format, stored in the FileStore -> {"translatedFileUrl"}. The stream: Server-Sent Events, a "progress"
// event per translatable block in document order, then "done" with the file in base64 (docs/api.md); it
// has no deadline (a 200-page document takes longer than any request timeout; the client's disconnect
// cancels it). Like /translate it is one scheduler job admitted as a whole; parsing (here) and rendering
// (the answer's Step) run on the worker pool.
void Service::HandleTranslateFile(const std::shared_ptr<http::Exchange>& exchange, bool stream) {
  http::Request& req = exchange->request();
  json& fields = exchange->fields();
  fields["api"] = stream ? "translate_file_stream" : "translate_file";
  ++in_flight_;
  struct Counted {
    std::atomic<int>& n;
    bool handed_over = false;
    ~Counted() {
      if (!handed_over) --n;
    }
  } counted{in_flight_};

  if (!stream && files_ == nullptr) {
    return RespondError(*exchange,
                        Status::Unavailable("file translation is off: " + files_status_.message()));
  }
  const std::string content_type = req.Header("Content-Type");
  if (content_type.rfind("multipart/form-data", 0) != 0) {
    return RespondError(*exchange, Status::InvalidArgument(
                                       "send the file as multipart/form-data with the fields file, source, "
                                       "target (and api_key), e.g. curl -F file=@doc.docx -F source=de "
                                       "-F target=en"));
  }
  std::string body = std::move(req.body);
  req.body.clear();
  fields["request_bytes"] = body.size();
  auto parts = http::ParseMultipart(body, content_type);
  if (!parts.ok()) return RespondError(*exchange, parts.status());
  body.clear();
  const http::FormPart* file = nullptr;
  std::string source, target, api_key;
  size_t skip_blocks = 0;
  for (const http::FormPart& part : *parts) {
    if (part.name == "file") {
      file = &part;
    } else if (part.name == "source") {
      source = part.value;
    } else if (part.name == "target") {
      target = part.value;
    } else if (part.name == "api_key") {
      api_key = part.value;
    } else if (part.name == "skip_blocks" && stream) {
      const std::string& v = part.value;
      if (v.empty() || v.size() > 12 ||
          !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return RespondError(*exchange,
                            Status::InvalidArgument("'skip_blocks' must be an integer >= 0, the number of "
                                                    "blocks the client has already"));
      }
      skip_blocks = static_cast<size_t>(std::stoll(v));
    }
  }
  if (file == nullptr) {
    return RespondError(*exchange,
                        Status::InvalidArgument("Invalid request: missing file parameter (a multipart part "
                                                "named \"file\" with a filename)"));
  }
  const std::string file_name = SanitizeFileName(file->filename);
  fields["file_bytes"] = file->value.size();
  if (file->value.size() > options_.max_file_bytes) {
    fields["error"] = "file too large";
    Respond(exchange->response(), 413,
            ErrorJson("the file has " + std::to_string(file->value.size()) +
                      " bytes; this server translates "
                      "files of at most " +
                      std::to_string(options_.max_file_bytes) + " bytes"));
    return;
  }
  if (!KeyAccepted(req, api_key)) {
    fields["error"] = "invalid API key";
    Respond(exchange->response(), 403,
            ErrorJson("Invalid API key: send a valid api_key (or Authorization: Bearer <key>)"));
    return;
  }
  StatusOr<markup::Format> format = markup::DetectFormat(file->filename, file->value);
  if (!format.ok()) {
    std::string formats;
    for (const std::string& f : markup::FileExtensions()) formats += (formats.empty() ? "" : " ") + f;
    return RespondError(*exchange,
                        Status::InvalidArgument("file '" + file_name + "': " + format.status().message() +
                                                " (supported: " + formats + ")"));
  }
  fields["format"] = markup::FormatName(*format);
  if (*format == markup::Format::kText && !IsValidUtf8(file->value)) {
    return RespondError(
        *exchange,
        Status::InvalidArgument("file '" + file_name + "': a text file must be UTF-8, and this one is not"));
  }

  Scheduler* scheduler = scheduler_ptr_.load();
  if (draining_.load()) {
    exchange->response().close = true;
    return RespondError(*exchange,
                        Status::Unavailable("the translator is shutting down; retry on another instance"));
  }
  if (scheduler == nullptr) {
    return RespondError(*exchange, Status::Unavailable("the model is still loading; retry in a few seconds"));
  }
  markup::DocumentTranslationOptions markup_options;
  markup_options.limits.max_input_bytes = options_.max_file_bytes;
  std::string out_name = file_name;
  if (*format == markup::Format::kPdf) {  // a PDF comes back as Markdown (markup/pdf.h)
    markup_options.pdf_output = markup::PdfOutput::kMarkdown;
    const size_t dot = out_name.rfind('.');
    out_name = (dot == std::string::npos ? out_name : out_name.substr(0, dot)) + ".md";
  }
  const std::string what = "file '" + file_name + "'";

  // The pair: source "auto" or none is detected from the file's text (its blocks), among the languages
  // that translate into the target; the target as the text endpoints choose it (ChooseTarget).
  const catalog::ModelCatalog* catalog = catalog_.load();
  for (std::string* code : {&source, &target}) {
    for (char& c : *code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (source == "auto") source.clear();
  const bool detect = source.empty();
  if (target.empty()) {
    StatusOr<std::string> chosen = ChooseTarget(source, /*english_when_served=*/true);
    if (!chosen.ok()) return RespondError(*exchange, chosen.status());
    target = *chosen;
  }
  std::optional<langid::LanguageGuess> detected;
  if (detect) {
    std::vector<std::string> candidates = DetectionCandidates(target);
    if (candidates.empty()) {
      return RespondError(
          *exchange, Status::InvalidArgument("no served language translates into '" + target.substr(0, 20) +
                                             "'; served pairs: " + catalog->DescribePairs()));
    }
    std::string text;
    if (*format == markup::Format::kText) {
      text = file->value;
    } else {
      StatusOr<std::vector<std::string>> blocks = markup::ExtractBlocks(file->value, *format, markup_options);
      if (!blocks.ok()) {  // the file is at fault, as MarkupTranslation::Start says
        return RespondError(*exchange, Status::InvalidArgument(what + ": " + markup::FormatName(*format) +
                                                               ": " + blocks.status().message()));
      }
      for (const std::string& block : *blocks) {
        if (text.size() >= kDetectionBytes) break;
        text += block + "\n\n";
      }
    }
    std::vector<langid::LanguageGuess> guesses =
        langid::DetectLanguages(std::string_view(text).substr(0, kDetectionBytes), candidates);
    detected = guesses.empty() ? langid::LanguageGuess{candidates[0], 0} : guesses[0];
    source = detected->language;
    fields["detected"] = source;
  }
  if (source == target) {
    return RespondError(*exchange,
                        Status::InvalidArgument("source and target are both '" + target.substr(0, 20) +
                                                "'; served pairs: " + catalog->DescribePairs()));
  }
  StatusOr<Route> route = RouteFor(source, target);
  if (!route.ok()) return RespondError(*exchange, route.status());
  auto handles = AcquireModels(*route);
  if (!handles.ok()) return RespondError(*exchange, handles.status());
  fields["model"] = route->label;
  if (!stream && !files_->Fits(file->value.size())) {
    return RespondError(
        *exchange,
        Status::ResourceExhausted("the folder of translated files is full (quota of " +
                                  std::to_string(options_.files.quota_bytes >> 20) + " MiB); files expire " +
                                  std::to_string(static_cast<long long>(options_.files.ttl_seconds)) +
                                  " s after translation: retry later, or raise --files-quota-mib"));
  }
  std::vector<TextRoute> text_routes = {
      {route->backend, route->models + ":" + set_.compute_type, route->label}};

  // The answer once the file is translated: stored and linked (LibreTranslate), or the bytes themselves.
  std::function<StatusOr<json>(const std::string& bytes, size_t blocks, size_t sentences)> file_answer;
  if (stream) {
    json model = {{"name", route->models}, {"source", source}, {"target", target}};
    if (route->hops.size() > 1) model["pivot"] = route->hops[0].target;
    json done = {{"file_name", out_name}, {"format", markup::FormatName(*format)}, {"model", model}};
    if (detected.has_value()) {
      done["detected_language"] = {{"language", detected->language}, {"confidence", detected->confidence}};
    }
    file_answer = [done](const std::string& bytes, size_t blocks, size_t sentences) -> StatusOr<json> {
      json answer = done;
      answer["content_base64"] = Base64Encode(bytes);
      answer["bytes"] = bytes.size();
      answer["blocks"] = blocks;
      answer["sentences"] = sentences;
      return answer;
    };
  } else {
    // Where the answer points: this server as the client reached it (a proxy may say so).
    std::string host = req.Header("X-Forwarded-Host");
    if (host.empty()) host = req.Header("Host");
    if (host.empty()) host = "127.0.0.1:" + std::to_string(bound_port_);
    std::string scheme = req.Header("X-Forwarded-Proto");
    if (scheme != "https") scheme = "http";
    const std::string base = scheme + "://" + host;
    FileStore* store = files_.get();
    file_answer = [store, out_name, base](const std::string& bytes, size_t, size_t) -> StatusOr<json> {
      DOLMETSCH_ASSIGN_OR_RETURN(FileStore::Stored stored, store->Put(out_name, bytes));
      return json{
          {"translatedFileUrl", base + "/download_file/" + stored.token + "/" + PercentEncode(stored.name)}};
    };
  }
  // A stream has no deadline (see above); LibreTranslate's answer has the request timeout.
  Clock::time_point deadline =
      stream ? Clock::time_point::max()
             : Clock::now() +
                   std::chrono::milliseconds(static_cast<long long>(options_.request_timeout_seconds * 1000));
  std::string timeout_message = "the translation took longer than the request timeout of " +
                                std::to_string(static_cast<int>(options_.request_timeout_seconds)) +
                                " s; send a smaller file, raise DOLMETSCH_REQUEST_TIMEOUT, or use the "
                                "streamed POST /v1/translate_file (no timeout)";
  std::shared_ptr<Translation> pump;
  if (*format == markup::Format::kText) {
    RequestOptions plan;
    plan.document.segmenter.max_segment_bytes = options_.max_segment_bytes;
    plan.document.max_segment_tokens = options_.max_segment_tokens;
    plan.cache = cache_.get();
    // The blocks of a text file are its paragraphs: groups of the pipeline's segments (the same
    // segmenter), reported when their last segment is.
    std::vector<markup::TextParagraph> paragraphs =
        stream ? markup::TextParagraphs(file->value, plan.document.segmenter)
               : std::vector<markup::TextParagraph>{};
    size_t total_blocks = 0;
    for (const markup::TextParagraph& p : paragraphs) total_blocks += p.translated ? 1 : 0;
    auto started = RequestTranslation::Start(*scheduler, std::move(text_routes), {0}, {file->value}, plan);
    handles->clear();
    if (!started.ok()) return RespondError(*exchange, started.status());
    std::shared_ptr<RequestTranslation> translation = std::move(started).value();
    fields["sentences"] = translation->stats().segments;
    auto build = [translation, file_answer, total_blocks](const std::function<Status()>& poll,
                                                          const std::vector<std::string>&) -> StatusOr<json> {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string text, translation->Assemble(0, 0, poll));
      return file_answer(text, total_blocks, translation->stats().segments);
    };
    exchange->Defer();
    pump = std::make_shared<Translation>(*this, exchange, translation, nullptr, std::move(build), stream,
                                         deadline, std::move(timeout_message));
    if (stream) {
      struct Paragraphs {
        std::vector<markup::TextParagraph> paragraphs;
        size_t next_segment = 0;
        size_t paragraph = 0;
        size_t block = 0;
        std::string text;  // of the paragraph being assembled
      };
      auto state = std::make_shared<Paragraphs>();
      state->paragraphs = std::move(paragraphs);
      pump->StreamWith([translation, state, skip_blocks,
                        total_blocks](const std::function<void(const json&)>& progress) -> StatusOr<bool> {
        Paragraphs& st = *state;
        const size_t segments = st.paragraphs.empty() ? 0 : st.paragraphs.back().end_segment;
        Status mismatch;
        auto on_segment = [&](const SegmentOutput& segment) {
          if (segment.total != segments) {
            mismatch = Status::Internal("the text's paragraphs do not match the pipeline's segments");
            return;
          }
          while (st.paragraph + 1 < st.paragraphs.size() &&
                 st.paragraphs[st.paragraph].end_segment <= segment.index) {
            ++st.paragraph;
          }
          const markup::TextParagraph& p = st.paragraphs[st.paragraph];
          st.text = segment.index == p.first_segment ? segment.translation : st.text + segment.piece;
          if (segment.index + 1 != p.end_segment || !p.translated) return;
          const size_t b = st.text.find_first_not_of(" \t\r\n");
          const std::string piece = b == std::string::npos
                                        ? std::string()
                                        : st.text.substr(b, st.text.find_last_not_of(" \t\r\n") + 1 - b);
          if (st.block >= skip_blocks) {
            progress(json{{"index", st.block},
                          {"done", st.block + 1},
                          {"total", total_blocks},
                          {"piece", st.block == 0 ? piece : "\n\n" + piece}});
          }
          ++st.block;
        };
        StatusOr<std::optional<std::string>> text =
            translation->AssembleReady(0, &st.next_segment, on_segment);
        if (!text.ok()) return text.status();
        if (!mismatch.ok()) return mismatch;
        return text->has_value();
      });
    }
  } else {
    MarkupOptions options;
    options.document.segmenter.max_segment_bytes = options_.max_segment_bytes;
    options.document.max_segment_tokens = options_.max_segment_tokens;
    options.markup = markup_options;
    options.field = what;
    options.track_blocks = stream;
    auto started =
        MarkupTranslation::Start(*scheduler, std::move(text_routes), {0}, {file->value}, *format, options);
    handles->clear();
    if (!started.ok()) return RespondError(*exchange, started.status());
    std::shared_ptr<MarkupTranslation> markup = std::move(started).value();
    fields["sentences"] = markup->stats().sentences;
    auto build = [markup, file_answer](const std::function<Status()>&,
                                       const std::vector<std::string>&) -> StatusOr<json> {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string bytes, markup->Assemble(0));
      return file_answer(bytes, markup->blocks(0), markup->stats().sentences);
    };
    exchange->Defer();
    pump = std::make_shared<Translation>(*this, exchange, nullptr, markup, std::move(build), stream, deadline,
                                         std::move(timeout_message));
    if (stream) {
      auto next_block = std::make_shared<size_t>(0);
      pump->StreamWith([markup, next_block,
                        skip_blocks](const std::function<void(const json&)>& progress) -> StatusOr<bool> {
        DOLMETSCH_RETURN_IF_ERROR(markup->ReportBlocks(0, next_block.get(), [&](const BlockOutput& block) {
          if (block.index < skip_blocks) return;
          progress(json{{"index", block.index},
                        {"done", block.index + 1},
                        {"total", block.total},
                        {"piece", block.index == 0 ? block.text : "\n\n" + block.text}});
        }));
        return *next_block == markup->blocks(0) && markup->ended();
      });
    }
  }
  counted.handed_over = true;
  pump->Begin();
}

StatusOr<std::string> Service::ChooseTarget(const std::string& source, bool english_when_served) const {
  const catalog::ModelCatalog* catalog = catalog_.load();
  const bool de_en = catalog->Route("de", "en", set_.allow_pivot).ok();
  const std::vector<std::string> sources = catalog->Sources();
  if ((source.empty() || source == "de") && de_en) return std::string("en");
  const std::vector<std::string> targets =
      catalog->Targets(source.empty() ? (de_en ? "de" : sources.front()) : source, set_.allow_pivot);
  if (english_when_served && !source.empty() && source != "en" &&
      std::find(targets.begin(), targets.end(), "en") != targets.end()) {
    return std::string("en");
  }
  if (targets.size() == 1) return targets[0];
  return Status::InvalidArgument("missing 'target': name the language to translate into; served pairs: " +
                                 catalog->DescribePairs());
}

std::vector<std::string> Service::DetectionCandidates(const std::string& target) const {
  const catalog::ModelCatalog* catalog = catalog_.load();
  std::vector<std::string> candidates;
  for (const std::string& s : catalog->Sources()) {
    if (s != target && catalog->Route(s, target, set_.allow_pivot).ok()) candidates.push_back(s);
  }
  return candidates;
}

// GET /download_file/<token>/<name>: a file of the FileStore, as an attachment.
void Service::HandleDownload(http::Exchange& exchange) {
  http::Request& req = exchange.request();
  exchange.fields()["api"] = "download_file";
  if (files_ == nullptr) {
    return RespondError(exchange, Status::Unavailable("file translation is off: " + files_status_.message()));
  }
  const std::string rest = req.params.empty() ? std::string() : req.params[0];
  const size_t slash = rest.find('/');
  std::optional<std::string> name;
  if (slash != std::string::npos) {
    StatusOr<std::string> decoded = PercentDecode(rest.substr(slash + 1));
    if (decoded.ok()) name = std::move(decoded).value();
  }
  const std::string token = slash == std::string::npos ? rest : rest.substr(0, slash);
  if (!name.has_value() || name->empty()) {
    return RespondError(exchange, Status::NotFound("a download link is /download_file/<token>/<file name>"));
  }
  StatusOr<std::string> bytes = files_->Get(token, *name);
  if (!bytes.ok()) return RespondError(exchange, bytes.status());
  http::Response& res = exchange.response();
  res.status = 200;
  res.SetContent(std::move(bytes).value(), markup::ContentTypeForFileName(*name));
  std::string ascii;
  for (char c : *name) ascii += (static_cast<unsigned char>(c) < 0x80 && c != '\\') ? c : '_';
  res.Set("Content-Disposition",
          "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + PercentEncode(*name));
  res.Set("Cache-Control", "private, no-store");
  AddCors(res);
}

Status Service::Listen() {
  if (server_ != nullptr) return Status::Internal("Listen was called twice");
  if (files_ == nullptr) return files_status_;  // --files-dir cannot be used: say so at start
  http::ServerOptions o;
  o.host = options_.host;
  o.port = options_.port;
  o.io_threads = options_.io_threads;
  o.worker_threads = options_.http_threads;
  o.max_connections = options_.max_connections;
  o.max_body_bytes = options_.max_body_bytes;
  o.header_timeout_seconds = options_.header_timeout_seconds;
  o.idle_timeout_seconds = options_.keep_alive_seconds;
  o.body_min_rate_bytes = options_.body_min_rate_bytes;
  o.write_timeout_seconds = options_.write_timeout_seconds;
  o.retry_after_seconds = options_.retry_after_seconds;
  o.render_error = [this](const http::Request&, http::Response& res, const std::string& message) {
    std::string text = message;
    if (res.status == 404) text += "; see GET /openapi.json for the API";
    if (res.status == 413) text += "; send the text in parts or raise DOLMETSCH_MAX_BODY_BYTES";
    Respond(res, res.status, ErrorJson(text));
  };
  o.on_complete = [this](const http::Exchange& exchange) { OnComplete(exchange); };
  server_ = std::make_unique<http::Server>(o);
  Mount(*server_);
  if (Status s = server_->Listen(); !s.ok()) {
    server_.reset();
    return s;
  }
  bound_port_ = server_->port();
  return Status::Ok();
}

void Service::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  draining_.store(true);
  ready_.store(false);
  metrics_.SetReady(false);
  // One deadline for the whole shutdown: requests in flight may finish until it, then the rest is cancelled
  // and answered 503 (a small share of the grace is kept for writing those answers).
  const Clock::time_point start = Clock::now();
  const auto grace = std::chrono::milliseconds(static_cast<long long>(options_.grace_seconds * 1000));
  const Clock::time_point deadline = start + grace;
  const Clock::time_point cancel_at = start + grace * 9 / 10;
  if (server_ != nullptr) server_->StopAccepting();
  while (in_flight_.load() > 0 && Clock::now() < cancel_at) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (in_flight_.load() > 0) {
    cancelling_.store(true);
    if (Scheduler* s = scheduler_ptr_.load(); s != nullptr) s->CancelAll();
    std::vector<std::shared_ptr<Translation>> waiting;
    {
      std::lock_guard<std::mutex> lock(translations_mu_);
      for (auto& [raw, weak] : translations_) {
        if (auto t = weak.lock()) waiting.push_back(std::move(t));
      }
    }
    for (auto& t : waiting) t->Wake();
    waiting.clear();
    while (in_flight_.load() > 0 && Clock::now() < deadline + std::chrono::milliseconds(200)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (server_ != nullptr) server_->Stop();
  server_stopped_.store(true);
}

void Service::Wait() {
  while (server_ != nullptr && !server_stopped_.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace dolmetsch::translator
