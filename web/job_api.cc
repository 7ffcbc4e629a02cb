#include "web/job_api.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/server.h"
#include "util/percent_encoding.h"
#include "web/form.h"
#include "web/history_export.h"
#include "web/pages.h"
#include "web/upload.h"
#include "web/web_app.h"

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// A client that has not read this much of its event stream gets no new events until it has.
constexpr size_t kMaxQueuedEventBytes = 1 << 20;
constexpr int64_t kMaxLastEventId = int64_t{1} << 52;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsFormRequest(const http::Request& req) {
  return req.Header("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0;
}

bool IsJsonRequest(const http::Request& req) {
  return req.Header("Content-Type").rfind("application/json", 0) == 0;
}

bool IsMultipartRequest(const http::Request& req) {
  return req.Header("Content-Type").rfind("multipart/form-data", 0) == 0;
}

// Where a done file job's translated file is downloaded.
std::string DownloadPath(int64_t id) { return "/jobs/" + std::to_string(id) + "/file"; }

void SendJson(http::Response& res, int status, const json& body) {
  res.status = status;
  res.Set("Cache-Control", "no-store");
  res.SetContent(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendJsonError(http::Response& res, int status, const std::string& message) {
  SendJson(res, status, json{{"error", message}});
}

std::optional<int64_t> JobId(const http::Request& req) {
  if (req.params.empty()) return std::nullopt;
  return ParseBoundedInt(req.params.at(0), 1, std::numeric_limits<int64_t>::max());
}

std::string JobUrl(int64_t id) { return "/api/jobs/" + std::to_string(id); }

// "/jobs/ID", with "?detected=de&confidence=93" when the language was detected (the job page says so).
std::string JobPagePath(int64_t id, const LanguageChoice& pair) {
  std::string path = "/jobs/" + std::to_string(id);
  if (pair.detected) {
    path += "?detected=" + PercentEncode(pair.detected->language) + "&confidence=" +
            std::to_string(static_cast<int>(std::lround(std::clamp(pair.detected->confidence, 0.0, 100.0))));
  } else if (pair.source_was_auto) {
    path += "?detected=auto";
  }
  return path;
}

// What POST /api/jobs answers (and /api/translate's first event): where to follow the job, its pair, and
// what was detected when the source was "auto".
json CreatedJson(const store::JobRecord& job, const LanguageChoice& pair) {
  json out = {{"id", job.id},
              {"status_url", JobUrl(job.id)},
              {"events_url", JobUrl(job.id) + "/events"},
              {"page_url", JobPagePath(job.id, pair)},
              {"source", job.source_lang},
              {"target", job.target_lang}};
  if (!job.file_name.empty()) out["file_name"] = job.file_name;
  if (pair.detected) {
    out["detected_language"] = {{"language", pair.detected->language},
                                {"confidence", pair.detected->confidence}};
  }
  return out;
}

const char kNoSuchJob[] = "There is no such job (it may belong to another browser or user).";
const char kDatabaseDown[] =
    "The job database is not reachable right now; try again in a moment (your text is not lost: it is "
    "still in the form).";

// The status for a store error on a job of this owner.
int StoreErrorStatus(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 409;  // e.g. cancelling a finished job
    default:
      return 503;
  }
}

// The job's finished text so far: its contiguous saved pieces from 0 (while it runs), or the history row
// (when done: the pieces are dropped then).
struct JobText {
  std::string text_en;
  int64_t contiguous = 0;  // pieces in text_en
};

}  // namespace

std::string DefaultWorkerPrefix() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "host");
  std::string prefix = std::string(host).substr(0, 80) + "-" + std::to_string(getpid());
  return prefix;
}

double EstimateSeconds(int64_t done, int64_t total, int64_t done_since, double elapsed_seconds) {
  if (total <= 0 || done >= total || done_since <= 0 || elapsed_seconds <= 0) return -1;
  return static_cast<double>(total - done) * elapsed_seconds / static_cast<double>(done_since);
}

// The runner's view of the store: the app's current store (it reconnects when the database comes back),
// kUnavailable while there is none.
class JobApi::AppJobStore : public store::JobStore {
 public:
  explicit AppJobStore(WebApp* app) : app_(app) {}

  StatusOr<store::JobRecord> CreateJob(const store::NewJob& job) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->CreateJob(job);
  }
  StatusOr<store::JobRecord> GetJob(int64_t id, const std::optional<std::string>& owner,
                                    bool with_text) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->GetJob(id, owner, with_text);
  }
  StatusOr<std::vector<store::JobRecord>> ListJobs(const std::optional<std::string>& owner, bool active_only,
                                                   int limit) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->ListJobs(owner, active_only, limit);
  }
  StatusOr<std::optional<store::JobRecord>> ClaimJob(const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->ClaimJob(worker, lease_ms);
  }
  Status RenewLease(int64_t id, const std::string& worker, int64_t lease_ms) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->RenewLease(id, worker, lease_ms);
  }
  Status SaveUnits(int64_t id, const std::string& worker, const std::vector<store::JobUnit>& units,
                   int64_t total_units, int64_t lease_ms) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->SaveUnits(id, worker, units, total_units, lease_ms);
  }
  StatusOr<std::vector<store::JobUnit>> LoadUnits(int64_t id, const std::optional<std::string>& owner,
                                                  int64_t from_index) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->LoadUnits(id, owner, from_index);
  }
  StatusOr<int64_t> CompleteJob(int64_t id, const std::string& worker, const std::string& text_en,
                                const store::JobFile* output) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->CompleteJob(id, worker, text_en, output);
  }
  StatusOr<store::JobFile> GetJobFile(int64_t id, const std::optional<std::string>& owner,
                                      bool output) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->GetJobFile(id, owner, output);
  }
  Status FailJob(int64_t id, const std::string& worker, const std::string& error) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->FailJob(id, worker, error);
  }
  Status CancelJob(int64_t id, const std::optional<std::string>& owner) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->CancelJob(id, owner);
  }
  Status DeleteJob(int64_t id, const std::optional<std::string>& owner) override {
    DOLMETSCH_ASSIGN_OR_RETURN(store::JobStore * s, Get());
    return s->DeleteJob(id, owner);
  }

  // The history row of a done job (its text_en), owner-checked.
  StatusOr<std::string> HistoryText(int64_t history_id, const std::optional<std::string>& owner) {
    Status why;
    store::TranslationStore* s = app_->Store(&why);
    if (s == nullptr) return why.ok() ? Status::Unavailable("no database") : why;
    DOLMETSCH_ASSIGN_OR_RETURN(store::TranslationRecord record, s->Get(history_id, owner));
    return record.text_en;
  }

 private:
  StatusOr<store::JobStore*> Get() {
    Status why;
    store::TranslationStore* s = app_->Store(&why);
    if (s == nullptr) {
      return Status::Unavailable("the database is not reachable" +
                                 (why.ok() ? std::string() : ": " + why.message()));
    }
    store::JobStore* jobs = s->jobs();
    if (jobs == nullptr) return Status::Unavailable("this store keeps no jobs");
    return jobs;
  }

  WebApp* app_;
};

namespace {

// What the API shows of a job.
json JobJson(const store::JobRecord& job, const JobText& text, double eta) {
  const bool done = job.state == store::JobState::kDone;
  json j = {
      {"id", job.id},
      {"status", std::string(store::JobStateName(job.state))},
      {"done", done ? std::max(job.total_units, job.done_units) : std::max(job.done_units, text.contiguous)},
      {"total", job.total_units},
      {"source", job.source_lang},
      {"target", job.target_lang},
      {"text_en", text.text_en},
      {"eta_seconds", nullptr},
      {"created_at", FormatIsoTime(job.created_at_unix)},
      {"error", nullptr},
      {"history_url", nullptr},
      {"status_url", JobUrl(job.id)},
      {"events_url", JobUrl(job.id) + "/events"},
      {"page_url", "/jobs/" + std::to_string(job.id)}};
  if (eta >= 0 && !store::IsFinal(job.state)) j["eta_seconds"] = static_cast<int64_t>(eta + 0.5);
  if (!job.error.empty()) j["error"] = job.error;
  if (done && job.history_id > 0) j["history_url"] = "/history/" + std::to_string(job.history_id);
  if (!job.file_name.empty()) {
    j["file_name"] = job.file_name;
    j["download_url"] = nullptr;
    if (done && !job.output_file_name.empty()) {
      j["output_file_name"] = job.output_file_name;
      j["download_url"] = DownloadPath(job.id);
    }
  }
  return j;
}

}  // namespace

// A job's events, polled from the store by I/O-thread timers and read on the worker pool. Two shapes:
//   kJobEvents     GET /api/jobs/ID/events: `progress` with ids (resumable), then `end`; the stream ends
//                  when the server starts shutting down (clients reconnect, maybe to another replica).
//   kTranslateApi  POST /api/translate: `job` first, `progress` {"done","total"}, then `done` or `error` as
//                  the direct translation answered them; kept while the server drains (its job keeps
//                  running here until the grace ends), then a 503 `error` naming the job to follow.
class JobApi::EventStream : public std::enable_shared_from_this<EventStream> {
 public:
  enum class Style { kJobEvents, kTranslateApi };

  EventStream(JobApi* api, std::shared_ptr<http::Exchange> exchange, int64_t id,
              std::optional<std::string> owner, int64_t next_index, Style style)
      : api_(api),
        exchange_(std::move(exchange)),
        id_(id),
        owner_(std::move(owner)),
        next_index_(next_index),
        style_(style),
        open_streams_(style == Style::kTranslateApi ? api->translate_streams_ : nullptr) {
    if (open_streams_) ++*open_streams_;
  }
  ~EventStream() {
    if (open_streams_) --*open_streams_;
  }

  void Begin() {
    last_write_ = Clock::now();
    Poll();  // the handler runs on the worker pool
  }

 private:
  void Schedule() {
    auto self = shared_from_this();
    exchange_->After(api_->options_.events_poll, [self] {
      if (self->exchange_->client_gone()) return self->exchange_->End();
      if (self->api_->stopping_.load()) {
        if (self->style_ == Style::kTranslateApi) {
          self->Send(
              "", "error",
              json{{"error", "This server is restarting. Nothing is lost: the translation continues as job " +
                                 std::to_string(self->id_) + "; follow it at /jobs/" +
                                 std::to_string(self->id_) + "."},
                   {"status", 503},
                   {"job_id", self->id_},
                   {"page_url", "/jobs/" + std::to_string(self->id_)}});
        }
        return self->exchange_->End();
      }
      if (self->api_->draining_.load() && self->style_ == Style::kJobEvents) return self->exchange_->End();
      if (self->exchange_->queued_bytes() > kMaxQueuedEventBytes) {  // the client reads slowly: wait
        self->KeepAlive();
        return self->Schedule();
      }
      self->exchange_->Blocking([self] { self->Poll(); });
    });
  }

  void KeepAlive() {
    if (Clock::now() - last_write_ >= api_->options_.keepalive) {
      last_write_ = Clock::now();
      exchange_->Write(": keepalive\n\n");
    }
  }

  void Send(const std::string& id, const std::string& event, const json& data) {
    last_write_ = Clock::now();
    std::string chunk;
    if (!id.empty()) chunk += "id: " + id + "\n";
    chunk +=
        "event: " + event + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
    exchange_->Write(std::move(chunk));
  }

  // On the worker pool.
  void Poll() {
    if (exchange_->client_gone()) return exchange_->End();
    AppJobStore& store = *api_->store_;
    StatusOr<store::JobRecord> job = store.GetJob(id_, owner_, false);
    if (!job.ok()) {
      if (job.status().code() == Status::Code::kNotFound) {  // deleted meanwhile
        if (style_ == Style::kTranslateApi) {
          Send("", "error", json{{"error", kNoSuchJob}, {"status", 404}, {"job_id", id_}});
        } else {
          Send("", "end", json{{"status", "deleted"}, {"error", kNoSuchJob}});
        }
        return exchange_->End();
      }
      KeepAlive();  // the database hiccuped: try again at the next poll
      return Schedule();
    }
    if (!store::IsFinal(job->state)) {
      StatusOr<std::vector<store::JobUnit>> units = store.LoadUnits(id_, owner_, next_index_);
      if (units.ok()) {
        for (const store::JobUnit& unit : *units) {
          if (unit.index != next_index_) break;  // only contiguous pieces: the text so far, in order
          const int64_t done = unit.index + 1;
          const int64_t total = std::max(job->total_units, done);
          if (!first_seen_) {
            first_seen_ = true;
            first_done_ = unit.index;
            first_time_ = Clock::now();
          }
          double eta = EstimateSeconds(done, total, done - first_done_,
                                       std::chrono::duration<double>(Clock::now() - first_time_).count());
          if (eta < 0) {
            eta = EstimateSeconds(done, total, done, static_cast<double>(UnixNow() - job->created_at_unix));
          }
          if (style_ == Style::kTranslateApi) {
            Send("", "progress", json{{"done", done}, {"total", total}});
          } else {
            Send(std::to_string(done), "progress",
                 json{{"index", unit.index},
                      {"done", done},
                      {"total", total},
                      {"piece", unit.text_en},
                      {"eta_seconds", eta < 0 ? json(nullptr) : json(static_cast<int64_t>(eta + 0.5))}});
          }
          ++next_index_;
        }
      }
      KeepAlive();
      return Schedule();
    }
    if (style_ == Style::kTranslateApi) return SendTranslateApiEnd(*job);
    // The job ended. Its pieces are gone (the store drops them when a job finishes), so a done job's
    // whole translation comes with the end event: a client that missed the last pieces has it all.
    json end = {{"status", std::string(store::JobStateName(job->state))},
                {"done", job->state == store::JobState::kDone ? job->total_units : job->done_units},
                {"total", job->total_units},
                {"error", job->error.empty() ? json(nullptr) : json(job->error)},
                {"history_url", nullptr}};
    if (job->state == store::JobState::kDone) {
      if (job->history_id > 0) end["history_url"] = "/history/" + std::to_string(job->history_id);
      StatusOr<std::string> text = store.HistoryText(job->history_id, owner_);
      end["text_en"] = text.ok() ? *text : "";
      if (!job->output_file_name.empty()) {
        end["output_file_name"] = job->output_file_name;
        end["download_url"] = DownloadPath(id_);
      }
    }
    if (!job->file_name.empty()) end["file_name"] = job->file_name;
    Send("", "end", end);
    exchange_->End();
  }

  // /api/translate's last event, as the direct translation sent it (docs/web.md).
  void SendTranslateApiEnd(const store::JobRecord& job) {
    const std::string page_url = "/jobs/" + std::to_string(id_);
    if (job.state == store::JobState::kDone) {
      // The last pieces may have finished between two polls (a done job's pieces are gone): their counts
      // still come one per sentence, as the direct translation sent them.
      std::string counts;  // one write for them all
      for (int64_t done = next_index_ + 1; done <= job.total_units; ++done) {
        counts +=
            "event: progress\ndata: " + json{{"done", done}, {"total", job.total_units}}.dump() + "\n\n";
      }
      if (!counts.empty()) exchange_->Write(std::move(counts));
      StatusOr<std::string> text = api_->store_->HistoryText(job.history_id, owner_);
      if (!text.ok()) {  // done, but its row cannot be read right now: point to it
        Send("", "error",
             json{{"error",
                   "The translation is done and saved, but the history database did not answer; "
                   "find it at " +
                       page_url + "."},
                  {"status", 503},
                  {"job_id", id_},
                  {"page_url", page_url}});
        return exchange_->End();
      }
      Send("", "done",
           json{{"text_en", *text},
                {"model", job.model},
                {"sentences", job.total_units},
                {"saved", true},
                {"journaled", false},
                {"id", job.history_id},
                {"job_id", id_}});
    } else if (job.state == store::JobState::kCancelled) {
      Send("", "error", json{{"error", "The translation was cancelled."}, {"status", 409}, {"job_id", id_}});
    } else {
      Send("", "error",
           json{{"error", job.error.empty() ? "The translation failed." : job.error},
                {"status", 502},
                {"job_id", id_}});
    }
    exchange_->End();
  }

  JobApi* api_;
  std::shared_ptr<http::Exchange> exchange_;
  const int64_t id_;
  const std::optional<std::string> owner_;
  int64_t next_index_;
  const Style style_;
  const std::shared_ptr<std::atomic<int>> open_streams_;  // JobApi's count of /api/translate streams
  // Used by the one Poll or timer at a time.
  Clock::time_point last_write_{};
  bool first_seen_ = false;
  int64_t first_done_ = 0;
  Clock::time_point first_time_{};
};

JobApi::JobApi(WebApp* app, JobOptions options)
    : app_(app), options_(std::move(options)), store_(std::make_unique<AppJobStore>(app)) {
  translator_ = std::make_unique<HttpPieceTranslator>(app_->options_.translator);
  jobs::RunnerOptions runner;
  runner.workers = std::max(1, options_.workers);
  runner.worker_prefix = options_.worker_prefix.empty() ? DefaultWorkerPrefix() : options_.worker_prefix;
  runner.lease = options_.lease;
  runner_ = std::make_unique<jobs::JobRunner>(store_.get(), translator_.get(), runner);
}

JobApi::~JobApi() { Stop(); }

void JobApi::Start() {
  stopping_ = false;
  draining_ = false;
  if (options_.run_workers) runner_->Start();
}

void JobApi::Drain() {
  draining_ = true;
  runner_->StopClaiming();
}

void JobApi::Stop() {
  if (stopping_.exchange(true)) return;
  runner_->Stop();
  // The /api/translate streams send their 503 from their next timer; give them that long before the
  // server closes the connections.
  const auto deadline = Clock::now() + 4 * options_.events_poll + std::chrono::seconds(1);
  while (translate_streams_->load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool JobApi::StreamTranslation(const std::shared_ptr<http::Exchange>& exchange, const std::string& owner,
                               const std::optional<std::string>& owner_scope, const std::string& text,
                               const LanguageChoice& pair) {
  http::Response& res = exchange->response();
  std::string model;
  if (Status ready = app_->translator_.Ready(&model); !ready.ok()) {
    std::cerr << "web: jobs: the translator is not ready: " << ready.ToString() << "\n";
    res.Set("Retry-After", "5");
    SendJsonError(res, 503,
                  "The translator is not available right now (it may be starting or busy); try again in a "
                  "moment.");
    return true;
  }
  StatusOr<store::JobRecord> job = store_->CreateJob({owner, text, model, pair.source, pair.target});
  if (!job.ok() && job.status().code() == Status::Code::kUnavailable) {
    std::cerr << "web: jobs: no job database (" << job.status().ToString() << "); translating directly\n";
    return false;
  }
  if (!job.ok()) {
    std::cerr << "web: jobs: creating a job failed: " << job.status().ToString() << "\n";
    if (job.status().code() == Status::Code::kInvalidArgument) {
      SendJsonError(res, 400, job.status().message());
    } else {
      SendJsonError(res, 503, "The job database is not reachable right now; try again in a moment.");
    }
    return true;
  }
  runner_->Wake();
  const std::string id = std::to_string(job->id);
  res.status = 200;
  res.Set("Content-Type", "text/event-stream");
  res.Set("X-Accel-Buffering", "no");
  exchange->Defer();
  exchange->BeginStream();
  exchange->Write("event: job\ndata: " + CreatedJson(*job, pair).dump() + "\n\n");
  exchange->fields()["job_id"] = job->id;
  auto stream = std::make_shared<EventStream>(this, exchange, job->id, owner_scope, 0,
                                              EventStream::Style::kTranslateApi);
  stream->Begin();
  return true;
}

void JobApi::InstallRoutes(http::Server& server) {
  using Ex = std::shared_ptr<http::Exchange>;
  auto page = [this](void (JobApi::*handler)(const http::Request&, http::Response&)) {
    return [this, handler](const Ex& e) { (this->*handler)(e->request(), e->response()); };
  };
  server.Route("POST", "/api/jobs", page(&JobApi::HandleCreate));
  server.Route("POST", "/translate-file", page(&JobApi::HandleTranslateFileForm));
  server.Route("GET", R"(^/api/jobs/(\d{1,19}))", page(&JobApi::HandleGet));
  server.Route("DELETE", R"(^/api/jobs/(\d{1,19}))",
               [this](const Ex& e) { HandleCancel(e->request(), e->response(), false); });
  server.Route("POST", R"(^/api/jobs/(\d{1,19})/cancel)",
               [this](const Ex& e) { HandleCancel(e->request(), e->response(), true); });
  server.Route("GET", R"(^/api/jobs/(\d{1,19})/events)", [this](const Ex& e) { HandleEvents(e); });
  server.Route("GET", R"(^/jobs/(\d{1,19}))", page(&JobApi::HandlePage));
  server.Route("GET", R"(^/jobs/(\d{1,19})/file)", page(&JobApi::HandleDownload));
  server.Route("POST", R"(^/jobs/(\d{1,19})/cancel)", page(&JobApi::HandlePageCancel));
}

void JobApi::HandleCreate(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::string text, token, source, target;  // "" = the default pair
  std::optional<store::JobFile> file;
  if (IsMultipartRequest(req)) {  // the page's file upload (a text may come this way too)
    StatusOr<UploadForm> upload =
        ParseUploadForm(req.body, req.Header("Content-Type"), app_->options_.max_file_bytes);
    if (!upload.ok()) {
      return SendJsonError(res, upload.status().code() == Status::Code::kResourceExhausted ? 413 : 400,
                           upload.status().message());
    }
    text = upload->fields.GetOr("text", "");
    source = upload->fields.GetOr("source", "");
    target = upload->fields.GetOr("target", "");
    token = upload->fields.GetOr("csrf_token", "");
    file = std::move(upload->file);
  } else if (IsFormRequest(req)) {
    auto form = ParseForm(req.body);
    if (!form.ok()) return SendJsonError(res, 400, form.status().message());
    text = form->GetOr("text", "");
    source = form->GetOr("source", "");
    target = form->GetOr("target", "");
    token = form->GetOr("csrf_token", "");
  } else if (IsJsonRequest(req)) {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return SendJsonError(res, 400, "The body is not a JSON object; send {\"text\": \"...\"}.");
    }
    if (!body.contains("text") || !body["text"].is_string()) {
      return SendJsonError(res, 400,
                           "The JSON object needs a string field \"text\" with the text to translate.");
    }
    text = body["text"].get<std::string>();
    for (auto [name, field] : {std::pair{"source", &source}, std::pair{"target", &target}}) {
      if (!body.contains(name)) continue;
      if (!body[name].is_string()) {
        return SendJsonError(res, 400,
                             std::string("\"") + name + "\" must be a language code string, like \"de\".");
      }
      *field = body[name].get<std::string>();
    }
    if (body.contains("csrf_token") && body["csrf_token"].is_string()) token = body["csrf_token"];
  } else {
    return SendJsonError(
        res, 415,
        "Send the text as a form (application/x-www-form-urlencoded) or as JSON, or a file as "
        "multipart/form-data (field \"file\").");
  }
  if (!app_->CheckCsrf(req, ctx, token)) {
    return SendJsonError(
        res, 403,
        "The page has expired or the request came from another site. Reload the page and try "
        "again.");
  }
  if (file) {
    StatusOr<FilePlan> plan = PlanFile(*file, app_->options_.max_file_bytes);
    if (!plan.ok()) return SendJsonError(res, 400, plan.status().message());
    text = std::move(plan->text);
  }
  text = NormalizeNewlines(text);
  if (IsBlank(text)) return SendJsonError(res, 400, "Enter some text to translate.");
  if (std::string too_long = app_->TooLongMessage(text); !too_long.empty()) {
    return SendJsonError(res, 413, too_long);
  }
  // The history row names the model; a translator that is down now gets the job later (model unknown).
  std::string model;
  (void)app_->translator_.Ready(&model);
  StatusOr<LanguageChoice> pair = app_->ChooseLanguages(source, target, text);
  if (!pair.ok()) return SendJsonError(res, 400, pair.status().message());
  store::NewJob new_job;
  new_job.owner = ctx.owner_for_insert;
  new_job.text_de = std::move(text);
  new_job.model = model;
  new_job.source_lang = pair->source;
  new_job.target_lang = pair->target;
  new_job.file = std::move(file);
  StatusOr<store::JobRecord> job = store_->CreateJob(new_job);
  if (!job.ok()) {
    std::cerr << "web: jobs: creating a job failed: " << job.status().ToString() << "\n";
    if (job.status().code() == Status::Code::kInvalidArgument) {
      return SendJsonError(res, 400, job.status().message());
    }
    if (job.status().code() == Status::Code::kResourceExhausted) {  // a file the database cannot take
      return SendJsonError(
          res, 413,
          "The file is too large for this site's database; upload a smaller file or tell the "
          "operator (docs/store.md, max_allowed_packet).");
    }
    return SendJsonError(res, 503, "The job database is not reachable right now; try again in a moment.");
  }
  runner_->Wake();
  res.Set("Location", JobUrl(job->id));
  SendJson(res, 202, CreatedJson(*job, *pair));
}

void JobApi::HandleGet(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::optional<int64_t> id = JobId(req);
  if (!id) return SendJsonError(res, 404, kNoSuchJob);
  StatusOr<store::JobRecord> job = store_->GetJob(*id, ctx.owner_scope, false);
  if (!job.ok()) {
    int status = StoreErrorStatus(job.status());
    return SendJsonError(res, status, status == 404 ? kNoSuchJob : job.status().message());
  }
  JobText text;
  if (job->state == store::JobState::kDone) {
    StatusOr<std::string> history = store_->HistoryText(job->history_id, ctx.owner_scope);
    if (history.ok()) text.text_en = std::move(*history);
    text.contiguous = job->total_units;
  } else if (!store::IsFinal(job->state)) {
    StatusOr<std::vector<store::JobUnit>> units = store_->LoadUnits(*id, ctx.owner_scope, 0);
    if (units.ok()) {
      for (const store::JobUnit& unit : *units) {
        if (unit.index != text.contiguous) break;
        text.text_en += unit.text_en;
        ++text.contiguous;
      }
    }
  }
  const int64_t done = std::max(job->done_units, text.contiguous);
  double eta =
      EstimateSeconds(done, job->total_units, done, static_cast<double>(UnixNow() - job->created_at_unix));
  SendJson(res, 200, JobJson(*job, text, eta));
}

void JobApi::HandleCancel(const http::Request& req, http::Response& res, bool form) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::string token;
  if (form && IsFormRequest(req)) {
    auto fields = ParseForm(req.body);
    if (!fields.ok()) return SendJsonError(res, 400, fields.status().message());
    token = fields->GetOr("csrf_token", "");
  }
  if (!app_->CheckCsrf(req, ctx, token)) {
    return SendJsonError(
        res, 403,
        "The page has expired or the request came from another site. Reload the page and try "
        "again.");
  }
  std::optional<int64_t> id = JobId(req);
  if (!id) return SendJsonError(res, 404, kNoSuchJob);
  Status cancelled = store_->CancelJob(*id, ctx.owner_scope);
  if (!cancelled.ok()) {
    int status = StoreErrorStatus(cancelled);
    if (status == 404) return SendJsonError(res, 404, kNoSuchJob);
    if (status == 409) {
      return SendJsonError(res, 409,
                           "The job has finished already (" + cancelled.message() + "); nothing to cancel.");
    }
    return SendJsonError(res, 503, "The job database is not reachable right now; try again in a moment.");
  }
  // The worker notices at its next lease renewal or save (jobs/job_runner.h: within a second).
  HandleGet(req, res);
}

void JobApi::HandleEvents(const std::shared_ptr<http::Exchange>& exchange) {
  const http::Request& req = exchange->request();
  http::Response& res = exchange->response();
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::optional<int64_t> id = JobId(req);
  if (!id) return SendJsonError(res, 404, kNoSuchJob);
  int64_t from = 0;
  std::string last_id = req.Header("Last-Event-ID");
  if (last_id.empty()) {
    size_t question = req.target.find('?');
    if (question != std::string::npos) {
      auto query = ParseForm(std::string_view(req.target).substr(question + 1));
      if (!query.ok()) return SendJsonError(res, 400, query.status().message());
      last_id = query->GetOr("last_event_id", "");
    }
  }
  if (!last_id.empty()) {
    std::optional<int64_t> parsed = ParseBoundedInt(last_id, 0, kMaxLastEventId);
    if (!parsed) {
      return SendJsonError(res, 400, "Last-Event-ID must be a number of pieces received (0 to 2^52).");
    }
    from = *parsed;
  }
  StatusOr<store::JobRecord> job = store_->GetJob(*id, ctx.owner_scope, false);
  if (!job.ok()) {
    int status = StoreErrorStatus(job.status());
    return SendJsonError(res, status, status == 404 ? kNoSuchJob : job.status().message());
  }
  res.status = 200;
  res.Set("Content-Type", "text/event-stream");
  res.Set("Cache-Control", "no-store");
  res.Set("X-Accel-Buffering", "no");
  exchange->Defer();
  exchange->BeginStream();
  exchange->Write("retry: 2000\n\n");
  auto stream = std::make_shared<EventStream>(this, exchange, *id, ctx.owner_scope, from,
                                              EventStream::Style::kJobEvents);
  stream->Begin();
}

void JobApi::HandleTranslateForm(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  if (!IsFormRequest(req)) {
    return app_->SendError(ctx, res, 415, "Unsupported form",
                           "The form must be sent as application/x-www-form-urlencoded.");
  }
  auto form = ParseForm(req.body);
  if (!form.ok()) return app_->SendError(ctx, res, 400, "Malformed form", form.status().message());
  TranslateView view;
  view.text_de = NormalizeNewlines(form->GetOr("text", ""));
  // The pickers keep what was sent on every answer below (also one refusing the pair).
  view.source = form->GetOr("source", "");
  view.target = form->GetOr("target", "");
  view.pair_chosen = !view.source.empty() || !view.target.empty();
  if (!app_->CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    view.notice =
        Notice{NoticeKind::kError,
               "The form had expired or was sent from another site; your text is still here. Send it "
               "again."};
    return app_->SendHtml(res, 403, RenderTranslatePage(ctx.page, view));
  }
  if (IsBlank(view.text_de)) {
    view.notice = Notice{NoticeKind::kWarning, "Enter some text to translate."};
    return app_->SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  if (std::string too_long = app_->TooLongMessage(view.text_de); !too_long.empty()) {
    view.notice = Notice{NoticeKind::kError, too_long};
    return app_->SendHtml(res, 413, RenderTranslatePage(ctx.page, view));
  }
  std::string model;
  if (Status ready = app_->translator_.Ready(&model); !ready.ok()) {
    std::cerr << "web: jobs: the translator is not ready: " << ready.ToString() << "\n";
    view.notice =
        Notice{NoticeKind::kError,
               "The translator is not available right now (it may be starting or busy). Your text is "
               "still here: send it again in a moment."};
    return app_->SendHtml(res, 503, RenderTranslatePage(ctx.page, view));
  }
  // The form's language <select>s ("" = the default pair).
  StatusOr<LanguageChoice> pair = app_->ChooseLanguages(view.source, view.target, view.text_de);
  if (!pair.ok()) {
    view.notice = Notice{NoticeKind::kError, pair.status().message()};
    return app_->SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  StatusOr<store::JobRecord> job =
      store_->CreateJob({ctx.owner_for_insert, view.text_de, model, pair->source, pair->target});
  if (!job.ok() && job.status().code() == Status::Code::kUnavailable) {
    // No job database: translate while the page waits (the history journal keeps the result).
    std::cerr << "web: jobs: no job database (" << job.status().ToString() << "); translating directly\n";
    return app_->HandleTranslateFormDirectly(req, res, *pair);
  }
  if (!job.ok()) {
    std::cerr << "web: jobs: creating a job failed: " << job.status().ToString() << "\n";
    view.notice = Notice{NoticeKind::kError, kDatabaseDown};
    return app_->SendHtml(res, job.status().code() == Status::Code::kInvalidArgument ? 400 : 503,
                          RenderTranslatePage(ctx.page, view));
  }
  runner_->Wake();
  res.status = 303;
  res.Set("Location", JobPagePath(job->id, *pair));
  res.Set("Cache-Control", "no-store");
}

// POST /translate-file: the page's form without JavaScript, sent by its "Translate file" button as
// multipart/form-data (the text field comes along and is kept on an error page; the file cannot be).
void JobApi::HandleTranslateFileForm(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  if (!IsMultipartRequest(req)) {
    return app_->SendError(ctx, res, 415, "Unsupported form",
                           "A file must be sent as multipart/form-data, as the page's form does.");
  }
  TranslateView view;
  StatusOr<UploadForm> upload =
      ParseUploadForm(req.body, req.Header("Content-Type"), app_->options_.max_file_bytes);
  if (!upload.ok()) {
    view.notice = Notice{NoticeKind::kError, upload.status().message()};
    return app_->SendHtml(res, upload.status().code() == Status::Code::kResourceExhausted ? 413 : 400,
                          RenderTranslatePage(ctx.page, view));
  }
  view.text_de = NormalizeNewlines(upload->fields.GetOr("text", ""));
  view.source = upload->fields.GetOr("source", "");
  view.target = upload->fields.GetOr("target", "");
  view.pair_chosen = !view.source.empty() || !view.target.empty();
  if (!app_->CheckCsrf(req, ctx, upload->fields.GetOr("csrf_token", ""))) {
    view.notice = Notice{NoticeKind::kError,
                         "The form had expired or was sent from another site. Choose the file and send it "
                         "again."};
    return app_->SendHtml(res, 403, RenderTranslatePage(ctx.page, view));
  }
  if (!upload->file) {
    view.notice = Notice{NoticeKind::kWarning, "Choose a file to translate first."};
    return app_->SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  StatusOr<FilePlan> plan = PlanFile(*upload->file, app_->options_.max_file_bytes);
  if (!plan.ok()) {
    view.notice = Notice{NoticeKind::kError, plan.status().message()};
    return app_->SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  if (std::string too_long = app_->TooLongMessage(plan->text); !too_long.empty()) {
    view.notice = Notice{NoticeKind::kError, "\"" + upload->file->name + "\" is too long. " + too_long};
    return app_->SendHtml(res, 413, RenderTranslatePage(ctx.page, view));
  }
  std::string model;
  (void)app_->translator_.Ready(&model);
  StatusOr<LanguageChoice> pair = app_->ChooseLanguages(view.source, view.target, plan->text);
  if (!pair.ok()) {
    view.notice = Notice{NoticeKind::kError, pair.status().message()};
    return app_->SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  store::NewJob new_job;
  new_job.owner = ctx.owner_for_insert;
  new_job.text_de = std::move(plan->text);
  new_job.model = model;
  new_job.source_lang = pair->source;
  new_job.target_lang = pair->target;
  new_job.file = std::move(upload->file);
  StatusOr<store::JobRecord> job = store_->CreateJob(new_job);
  if (!job.ok()) {
    std::cerr << "web: jobs: creating a file job failed: " << job.status().ToString() << "\n";
    const bool invalid = job.status().code() == Status::Code::kInvalidArgument;
    const bool too_large = job.status().code() == Status::Code::kResourceExhausted;
    view.notice =
        Notice{NoticeKind::kError,
               invalid     ? job.status().message()
               : too_large ? "The file is too large for this site's database; upload a smaller file."
                           : "The job database is not reachable right now; files are translated as "
                             "jobs only. Send the file again in a moment."};
    return app_->SendHtml(res, invalid ? 400 : too_large ? 413 : 503, RenderTranslatePage(ctx.page, view));
  }
  runner_->Wake();
  res.status = 303;
  res.Set("Location", JobPagePath(job->id, *pair));
  res.Set("Cache-Control", "no-store");
}

// GET /jobs/ID/file: a done file job's translated file, as an attachment (owner-checked like the job).
void JobApi::HandleDownload(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::optional<int64_t> id = JobId(req);
  if (!id) return app_->SendError(ctx, res, 404, "Not found", kNoSuchJob);
  StatusOr<store::JobFile> file = store_->GetJobFile(*id, ctx.owner_scope, /*output=*/true);
  if (!file.ok()) {
    if (file.status().code() == Status::Code::kNotFound) {
      return app_->SendError(ctx, res, 404, "Not found",
                             "There is no translated file for this job: it is not done, it was a text, it "
                             "was deleted, or it belongs to another browser or user.");
    }
    std::cerr << "web: jobs: reading a translated file failed: " << file.status().ToString() << "\n";
    return app_->SendError(
        ctx, res, 503, "Files unavailable",
        "The job database is not reachable right now; try the download again in a moment.");
  }
  res.status = 200;
  res.Set("Content-Type", FileContentType(file->name));
  res.Set("Content-Disposition", ContentDisposition(file->name));
  res.Set("X-Content-Type-Options", "nosniff");
  // A translated HTML file is the visitor's document, not our page: it must not run in our origin.
  res.Set("Content-Security-Policy", "sandbox");
  res.Set("Cache-Control", "private, no-store");
  res.body = std::move(file->content);
}

void JobApi::HandlePage(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  std::optional<int64_t> id = JobId(req);
  if (!id) return app_->SendError(ctx, res, 404, "Not found", kNoSuchJob);
  StatusOr<store::JobRecord> job = store_->GetJob(*id, ctx.owner_scope, /*with_text=*/true);
  if (!job.ok()) {
    if (job.status().code() == Status::Code::kNotFound) {
      return app_->SendError(ctx, res, 404, "Not found", kNoSuchJob);
    }
    return app_->SendError(ctx, res, 503, "Jobs unavailable",
                           "The job database is not reachable right now; reload this page in a moment.");
  }
  JobView view;
  view.job = *job;
  // "?detected=de&confidence=93" from the form's redirect: the visitor chose "Detect language".
  if (auto query = ParseForm(req.target.find('?') == std::string::npos
                                 ? std::string_view()
                                 : std::string_view(req.target).substr(req.target.find('?') + 1));
      query.ok()) {
    const std::string detected = query->GetOr("detected", "");
    std::optional<int64_t> confidence = ParseBoundedInt(query->GetOr("confidence", ""), 0, 100);
    view.source_was_auto = detected == kAutoSource || job->source_lang == kAutoSource;
    if (IsLanguageCode(detected) && detected != kAutoSource && detected == job->source_lang && confidence) {
      view.detected = DetectedLabel(ctx.page.languages.get(), {detected, static_cast<double>(*confidence)});
      view.source_was_auto = true;
    }
  }
  if (job->state == store::JobState::kDone) {
    StatusOr<std::string> history = store_->HistoryText(job->history_id, ctx.owner_scope);
    if (history.ok()) view.text_en = std::move(*history);
  } else if (!store::IsFinal(job->state)) {
    StatusOr<std::vector<store::JobUnit>> units = store_->LoadUnits(*id, ctx.owner_scope, 0);
    int64_t next = 0;
    if (units.ok()) {
      for (const store::JobUnit& unit : *units) {
        if (unit.index != next) break;
        view.text_en += unit.text_en;
        ++next;
      }
    }
    view.job.done_units = std::max(view.job.done_units, next);
    view.eta_seconds = EstimateSeconds(view.job.done_units, job->total_units, view.job.done_units,
                                       static_cast<double>(UnixNow() - job->created_at_unix));
  }
  app_->SendHtml(res, 200, RenderJobPage(ctx.page, view));
}

void JobApi::HandlePageCancel(const http::Request& req, http::Response& res) {
  WebApp::RequestContext ctx = app_->Prepare(req, res);
  if (!app_->Authenticate(req, res, ctx)) return;
  if (!IsFormRequest(req)) {
    return app_->SendError(ctx, res, 415, "Unsupported form", "Send the form as a browser does.");
  }
  auto form = ParseForm(req.body);
  if (!form.ok()) return app_->SendError(ctx, res, 400, "Malformed form", form.status().message());
  if (!app_->CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    return app_->SendError(
        ctx, res, 403, "Form expired",
        "The form has expired or was sent from another site. Reload the page and try again.");
  }
  std::optional<int64_t> id = JobId(req);
  if (!id) return app_->SendError(ctx, res, 404, "Not found", kNoSuchJob);
  Status cancelled = store_->CancelJob(*id, ctx.owner_scope);
  if (!cancelled.ok() && cancelled.code() == Status::Code::kNotFound) {
    return app_->SendError(ctx, res, 404, "Not found", kNoSuchJob);
  }
  if (!cancelled.ok() && cancelled.code() != Status::Code::kInvalidArgument) {  // finished: just show it
    return app_->SendError(ctx, res, 503, "Jobs unavailable",
                           "The job database is not reachable right now; try again in a moment.");
  }
  res.status = 303;
  res.Set("Location", "/jobs/" + std::to_string(*id));
  res.Set("Cache-Control", "no-store");
}

}  // namespace dolmetsch::web
