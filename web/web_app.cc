#include "web/web_app.h"

#include <httplib.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "web/assets.h"
#include "web/form.h"
#include "web/history_export.h"
#include "web/html.h"
#include "web/pages.h"

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;

constexpr char kSessionCookie[] = "dolmetsch_session";
constexpr int64_t kSessionMaxAgeSeconds = 400LL * 24 * 3600;  // browsers cap cookie lifetimes at 400 days
constexpr size_t kMaxQueryBytes = 500;
constexpr auto kStoreRetryInterval = std::chrono::seconds(5);

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kResourceExhausted:
      return 413;
    case Status::Code::kUnavailable:
      return 503;
    case Status::Code::kDeadlineExceeded:
      return 504;
    default:
      return 502;
  }
}

std::string NormalizeNewlines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool IsBlank(const std::string& text) { return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos; }

// The query string of the raw request target, parsed strictly.
StatusOr<FormFields> QueryFields(const httplib::Request& req) {
  size_t question = req.target.find('?');
  if (question == std::string::npos) return FormFields();
  return ParseForm(std::string_view(req.target).substr(question + 1));
}

bool IsFormRequest(const httplib::Request& req) {
  std::string type = req.get_header_value("Content-Type");
  return type.rfind("application/x-www-form-urlencoded", 0) == 0;
}

// Only our own history pages are valid targets after a delete (no open redirect).
std::string SafeReturnPath(const std::string& candidate) {
  if (candidate.rfind("/history", 0) != 0) return "/history";
  if (candidate.find("//") != std::string::npos || candidate.find('\\') != std::string::npos)
    return "/history";
  for (char c : candidate) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) return "/history";
  }
  return candidate;
}

std::string JsonError(const std::string& message) { return json{{"error", message}}.dump(); }

}  // namespace

struct WebApp::RequestContext {
  bool https = false;
  std::string session;
  std::optional<std::string> owner_scope;  // what reads are limited to (nullopt: everything)
  std::string owner_for_insert;
  PageContext page;
};

StatusOr<HistoryMode> ParseHistoryMode(const std::string& text) {
  if (text == "private") return HistoryMode::kPrivate;
  if (text == "shared") return HistoryMode::kShared;
  if (text == "users") return HistoryMode::kUsers;
  return Status::InvalidArgument("history mode must be private, shared or users, not '" + text.substr(0, 40) +
                                 "'");
}

WebApp::WebApp(WebOptions options)
    : options_(std::move(options)),
      translator_(options_.translator),
      csrf_(options_.secret.empty() ? RandomHex(32) : options_.secret) {}

WebApp::~WebApp() {
  Stop();
  Wait();
}

StatusOr<std::unique_ptr<WebApp>> WebApp::Create(WebOptions options) {
  std::unique_ptr<WebApp> app(new WebApp(std::move(options)));
  if (Status s = app->translator_.Validate(); !s.ok()) return s;
  if (app->options_.history_mode == HistoryMode::kUsers) {
    if (app->options_.users_file.empty()) {
      return Status::InvalidArgument("history mode 'users' needs --users-file (an htpasswd file)");
    }
    auto users = Htpasswd::Load(app->options_.users_file);
    if (!users.ok()) return users.status();
    if (users->size() == 0)
      return Status::InvalidArgument("the users file " + app->options_.users_file + " has no users");
    app->users_.emplace(std::move(*users));
  }
  auto opened = store::OpenStore(app->options_.store);
  if (opened.ok()) {
    app->store_ = std::move(*opened);
  } else if (opened.status().code() == Status::Code::kInvalidArgument) {
    return opened.status().WithContext("--db");
  } else {
    app->store_error_ = opened.status();
    app->next_store_attempt_ = std::chrono::steady_clock::now() + kStoreRetryInterval;
    std::cerr << "web: the history database is not available yet (" << opened.status().ToString()
              << "); translations still work, and the database is retried every "
              << kStoreRetryInterval.count() << " s\n";
  }
  return app;
}

store::TranslationStore* WebApp::Store(Status* why) {
  std::lock_guard<std::mutex> lock(store_mu_);
  if (store_ == nullptr && std::chrono::steady_clock::now() >= next_store_attempt_) {
    auto opened = store::OpenStore(options_.store);
    if (opened.ok()) {
      store_ = std::move(*opened);
      std::cerr << "web: connected to the history database (" << store_->BackendName() << ")\n";
    } else {
      store_error_ = opened.status();
      next_store_attempt_ = std::chrono::steady_clock::now() + kStoreRetryInterval;
    }
  }
  if (store_ == nullptr && why != nullptr) *why = store_error_;
  return store_.get();
}

WebApp::RequestContext WebApp::Prepare(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx;
  const bool trusted = std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
                                 req.remote_addr) != options_.trusted_proxies.end();
  ctx.https = trusted && req.get_header_value("X-Forwarded-Proto") == "https";
  if (ctx.https) res.set_header("Strict-Transport-Security", "max-age=31536000");
  auto cookie = FindCookie(req.get_header_value("Cookie"), kSessionCookie);
  if (cookie && IsWellFormedSessionId(*cookie)) {
    ctx.session = *cookie;
  } else {
    ctx.session = RandomHex(16);
    res.set_header("Set-Cookie",
                   BuildSetCookie({kSessionCookie, ctx.session, kSessionMaxAgeSeconds, ctx.https}));
  }
  ctx.page.csrf_token = csrf_.TokenFor(ctx.session);
  switch (options_.history_mode) {
    case HistoryMode::kPrivate:
      ctx.owner_scope = ctx.session;
      ctx.owner_for_insert = ctx.session;
      break;
    case HistoryMode::kShared:
      ctx.owner_scope = std::nullopt;
      ctx.owner_for_insert = "";
      ctx.page.history_label = "Shared history";
      break;
    case HistoryMode::kUsers:
      break;  // Authenticate fills these
  }
  return ctx;
}

bool WebApp::Authenticate(const httplib::Request& req, httplib::Response& res, RequestContext& ctx) {
  if (options_.history_mode != HistoryMode::kUsers) return true;
  auto credentials = ParseBasicAuthorization(req.get_header_value("Authorization"));
  if (credentials && users_->Verify(credentials->first, credentials->second)) {
    ctx.page.user = credentials->first;
    ctx.owner_scope = "user:" + credentials->first;
    ctx.owner_for_insert = *ctx.owner_scope;
    return true;
  }
  res.set_header("WWW-Authenticate", "Basic realm=\"dolmetsch\", charset=\"UTF-8\"");
  SendHtml(res, 401,
           RenderErrorPage(ctx.page, 401, "Sign-in required",
                           "This dolmetsch server keeps a history per user. Sign in with the user name and "
                           "password the operator gave you."));
  return false;
}

bool WebApp::CheckCsrf(const httplib::Request& req, const RequestContext& ctx,
                       const std::string& form_token) const {
  // A POST without our cookie got a fresh session in Prepare(), so its token cannot match.
  std::string token = form_token.empty() ? req.get_header_value("X-CSRF-Token") : form_token;
  return csrf_.Verify(ctx.session, token);
}

void WebApp::SendHtml(httplib::Response& res, int status, const std::string& html) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(html, "text/html; charset=utf-8");
}

void WebApp::SendError(const RequestContext& ctx, httplib::Response& res, int status,
                       const std::string& title, const std::string& message) {
  SendHtml(res, status, RenderErrorPage(ctx.page, status, title, message));
}

namespace {

struct SaveOutcome {
  std::optional<Notice> notice;
  int64_t id = 0;
  bool saved = false;
  bool journaled = false;
};

}  // namespace

void WebApp::HandleTranslatePage(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  SendHtml(res, 200, RenderTranslatePage(ctx.page, TranslateView{}));
}

// Stores one translation; never fails the request (the visitor keeps the translation either way).
static SaveOutcome SaveTranslation(store::TranslationStore* store, const Status& store_error,
                                   store::NewTranslation row) {
  SaveOutcome outcome;
  if (store == nullptr) {
    outcome.notice = Notice{NoticeKind::kWarning,
                            "Translated, but not saved to the history: the database is not reachable (" +
                                store_error.message() + ")."};
    return outcome;
  }
  auto inserted = store->Insert(row);
  if (!inserted.ok()) {
    std::cerr << "web: saving a translation failed: " << inserted.status().ToString() << "\n";
    outcome.notice = Notice{NoticeKind::kWarning,
                            "Translated, but not saved to the history: " + inserted.status().message()};
    return outcome;
  }
  outcome.id = inserted->id;
  outcome.journaled = inserted->journaled;
  outcome.saved = !inserted->journaled;
  if (inserted->journaled) {
    outcome.notice =
        Notice{NoticeKind::kWarning,
               "The history database is not reachable right now. The translation is kept on this "
               "server and will appear in the history when the database is back."};
  }
  return outcome;
}

void WebApp::HandleTranslateForm(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  if (!IsFormRequest(req)) {
    return SendError(ctx, res, 415, "Unsupported form",
                     "The form must be sent as application/x-www-form-urlencoded.");
  }
  auto form = ParseForm(req.body);
  if (!form.ok()) return SendError(ctx, res, 400, "Malformed form", form.status().message());
  if (!CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    return SendError(ctx, res, 403, "Form expired",
                     "The form has expired or was sent from another site. Reload the page and try again.");
  }
  TranslateView view;
  view.text_de = NormalizeNewlines(form->GetOr("text", ""));
  if (IsBlank(view.text_de)) {
    view.notice = Notice{NoticeKind::kWarning, "Enter some German text to translate."};
    return SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  if (view.text_de.size() > options_.max_text_bytes) {
    view.notice = Notice{NoticeKind::kError, "The text is too long: at most " +
                                                 std::to_string(options_.max_text_bytes / 1024) +
                                                 " KiB per translation."};
    return SendHtml(res, 413, RenderTranslatePage(ctx.page, view));
  }
  auto translated = translator_.Translate(view.text_de, nullptr);
  if (!translated.ok()) {
    view.notice = Notice{NoticeKind::kError, "The translation failed: " + translated.status().message()};
    return SendHtml(res, HttpStatusFor(translated.status()), RenderTranslatePage(ctx.page, view));
  }
  view.text_en = translated->text_en;
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  SaveOutcome saved = SaveTranslation(
      store, store_error, {view.text_de, view.text_en, ctx.owner_for_insert, translated->model, 0, ""});
  view.notice = saved.notice;
  view.saved_id = saved.saved ? saved.id : 0;
  SendHtml(res, 200, RenderTranslatePage(ctx.page, view));
}

void WebApp::HandleTranslateApi(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  res.set_header("Cache-Control", "no-store");
  auto fail = [&res](int status, const std::string& message) {
    res.status = status;
    res.set_content(JsonError(message), "application/json");
  };
  if (!IsFormRequest(req)) return fail(415, "send the text as application/x-www-form-urlencoded");
  auto form = ParseForm(req.body);
  if (!form.ok()) return fail(400, form.status().message());
  if (!CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    return fail(403,
                "The page has expired or the request came from another site. Reload the page and try again.");
  }
  std::string text = NormalizeNewlines(form->GetOr("text", ""));
  if (IsBlank(text)) return fail(400, "Enter some German text to translate.");
  if (text.size() > options_.max_text_bytes) {
    return fail(413, "The text is too long: at most " + std::to_string(options_.max_text_bytes / 1024) +
                         " KiB per translation.");
  }

  struct Job {
    std::string text;
    std::string owner;
    bool started = false;
  };
  auto job = std::make_shared<Job>(Job{std::move(text), ctx.owner_for_insert});
  res.status = 200;
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider("text/event-stream", [this, job](size_t, httplib::DataSink& sink) {
    if (job->started) {  // everything is written in the first call
      sink.done();
      return true;
    }
    job->started = true;
    auto send = [&sink](const std::string& event, const json& data) {
      std::string chunk =
          "event: " + event + "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
      return sink.write(chunk.data(), chunk.size());
    };
    auto translated = translator_.Translate(job->text, [&send](const TranslationProgress& progress) {
      return send("progress", json{{"done", progress.done}, {"total", progress.total}});
    });
    if (!translated.ok()) {
      if (translated.status().code() == Status::Code::kCancelled) return false;  // the browser went away
      send("error", json{{"error", "The translation failed: " + translated.status().message()},
                         {"status", HttpStatusFor(translated.status())}});
      sink.done();
      return true;
    }
    Status store_error;
    store::TranslationStore* store = Store(&store_error);
    SaveOutcome saved = SaveTranslation(
        store, store_error, {job->text, translated->text_en, job->owner, translated->model, 0, ""});
    json done = {{"text_en", translated->text_en},     {"model", translated->model},
                 {"sentences", translated->sentences}, {"saved", saved.saved},
                 {"journaled", saved.journaled},       {"id", saved.saved ? saved.id : 0}};
    if (saved.notice) {
      done["notice"] = saved.notice->message;
      done["notice_kind"] = saved.notice->kind == NoticeKind::kError ? "error" : "warning";
    }
    send("done", done);
    sink.done();
    return true;
  });
}

void WebApp::HandleHistory(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  auto query = QueryFields(req);
  if (!query.ok()) return SendError(ctx, res, 400, "Malformed address", query.status().message());
  HistoryView view;
  view.query = query->GetOr("q", "");
  if (view.query.size() > kMaxQueryBytes) {
    return SendError(ctx, res, 400, "Search too long", "Search for at most 500 bytes of text.");
  }
  if (auto page = query->Get("page")) {
    auto number = ParseBoundedInt(*page, 1, 1000000);
    if (!number)
      return SendError(ctx, res, 400, "Malformed address", "page must be a number from 1 to 1000000.");
    view.page = *number;
  }
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) {
    return SendError(ctx, res, 503, "History unavailable",
                     "The history database is not reachable right now (" + store_error.message() +
                         "). Translating still works; try the history again in a moment.");
  }
  store::Query q;
  q.owner = ctx.owner_scope;
  q.search = view.query;
  auto total = store->Count(q);
  if (!total.ok()) {
    return SendError(ctx, res, HttpStatusFor(total.status()) == 400 ? 400 : 503, "History unavailable",
                     total.status().message());
  }
  view.total = *total;
  view.pages = std::max<int64_t>(1, (view.total + options_.page_size - 1) / options_.page_size);
  view.page = std::min(view.page, view.pages);
  q.limit = options_.page_size;
  q.offset = (view.page - 1) * options_.page_size;
  auto page = store->List(q);
  if (!page.ok()) {
    return SendError(ctx, res, HttpStatusFor(page.status()) == 400 ? 400 : 503, "History unavailable",
                     page.status().message());
  }
  view.items = std::move(page->items);
  if (int64_t pending = store->PendingJournalRecords(); pending > 0) {
    view.notice =
        Notice{NoticeKind::kWarning, std::to_string(pending) +
                                         " recent translation(s) wait for the database and will appear "
                                         "here when it is reachable again."};
  }
  SendHtml(res, 200, RenderHistoryPage(ctx.page, view));
}

void WebApp::HandleEntry(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  auto id = ParseBoundedInt(req.matches[1].str(), 1, std::numeric_limits<int64_t>::max());
  if (!id) return SendError(ctx, res, 404, "Not found", "There is no such translation.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", store_error.message());
  auto record = store->Get(*id, ctx.owner_scope);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound) {
      return SendError(ctx, res, 404, "Not found", "There is no such translation in your history.");
    }
    return SendError(ctx, res, 503, "History unavailable", record.status().message());
  }
  SendHtml(res, 200, RenderEntryPage(ctx.page, *record));
}

void WebApp::HandleDelete(const httplib::Request& req, httplib::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  if (!IsFormRequest(req))
    return SendError(ctx, res, 415, "Unsupported form", "Send the form as a browser does.");
  auto form = ParseForm(req.body);
  if (!form.ok()) return SendError(ctx, res, 400, "Malformed form", form.status().message());
  if (!CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    return SendError(ctx, res, 403, "Form expired",
                     "The form has expired or was sent from another site. Reload the page and try again.");
  }
  auto id = ParseBoundedInt(req.matches[1].str(), 1, std::numeric_limits<int64_t>::max());
  if (!id) return SendError(ctx, res, 404, "Not found", "There is no such translation.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", store_error.message());
  Status deleted = store->Delete(*id, ctx.owner_scope);
  if (!deleted.ok()) {
    if (deleted.code() == Status::Code::kNotFound) {
      return SendError(ctx, res, 404, "Not found", "There is no such translation in your history.");
    }
    return SendError(ctx, res, 503, "History unavailable", deleted.message());
  }
  res.status = 303;
  res.set_header("Location", SafeReturnPath(form->GetOr("return_to", "/history")));
  res.set_header("Cache-Control", "no-store");
}

void WebApp::HandleExport(const httplib::Request& req, httplib::Response& res, bool csv) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  auto query = QueryFields(req);
  if (!query.ok()) return SendError(ctx, res, 400, "Malformed address", query.status().message());
  std::string search = query->GetOr("q", "");
  if (search.size() > kMaxQueryBytes)
    return SendError(ctx, res, 400, "Search too long", "At most 500 bytes.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", store_error.message());
  std::vector<store::TranslationRecord> rows;
  store::Query q;
  q.owner = ctx.owner_scope;
  q.search = search;
  bool truncated = false;
  for (;;) {
    q.limit = std::min<int>(store::kMaxListLimit, options_.export_max_rows - static_cast<int>(rows.size()));
    if (q.limit <= 0) {
      truncated = true;
      break;
    }
    auto page = store->List(q);
    if (!page.ok()) return SendError(ctx, res, 503, "History unavailable", page.status().message());
    for (auto& item : page->items) rows.push_back(std::move(item));
    if (!page->has_more || page->items.empty()) break;
    q.before_id = page->next_before_id;
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-store");
  if (truncated) res.set_header("X-Export-Truncated", std::to_string(options_.export_max_rows));
  if (csv) {
    res.set_header("Content-Disposition", "attachment; filename=\"dolmetsch-history.csv\"");
    res.set_content(HistoryToCsv(rows), "text/csv; charset=utf-8");
  } else {
    res.set_header("Content-Disposition", "attachment; filename=\"dolmetsch-history.json\"");
    res.set_content(HistoryToJson(rows, search), "application/json; charset=utf-8");
  }
}

void WebApp::HandleAsset(const httplib::Request& req, httplib::Response& res) {
  const Asset* asset = FindAsset(req.matches[1].str());
  if (asset == nullptr) {
    res.status = 404;
    res.set_content("not found\n", "text/plain; charset=utf-8");
    return;
  }
  const std::string etag = "\"" + asset->version + "\"";
  res.set_header("ETag", etag);
  bool versioned = false;
  if (auto query = QueryFields(req); query.ok()) versioned = query->GetOr("v", "") == asset->version;
  res.set_header("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "public, max-age=3600");
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.set_content(std::string(asset->content), std::string(asset->content_type).c_str());
}

void WebApp::HandleReady(const httplib::Request&, httplib::Response& res) {
  Status translator = translator_.Ready();
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  Status database = store == nullptr ? store_error : store->Ping();
  json body = {{"ready", translator.ok()},
               {"translator", translator.ok() ? "ok" : translator.message()},
               {"database", database.ok() ? "ok" : database.message()},
               {"journal_pending", store == nullptr ? 0 : store->PendingJournalRecords()}};
  res.status = translator.ok() ? 200 : 503;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

void WebApp::InstallRoutes() {
  httplib::Server& server = *server_;
  server.set_default_headers([] {
    httplib::Headers headers;
    for (auto& [name, value] : SecurityHeaders(false)) headers.emplace(name, value);
    return headers;
  }());
  server.Get("/",
             [this](const httplib::Request& req, httplib::Response& res) { HandleTranslatePage(req, res); });
  server.Post("/translate",
              [this](const httplib::Request& req, httplib::Response& res) { HandleTranslateForm(req, res); });
  server.Post("/api/translate",
              [this](const httplib::Request& req, httplib::Response& res) { HandleTranslateApi(req, res); });
  server.Get("/history",
             [this](const httplib::Request& req, httplib::Response& res) { HandleHistory(req, res); });
  server.Get("/history/export.csv",
             [this](const httplib::Request& req, httplib::Response& res) { HandleExport(req, res, true); });
  server.Get("/history/export.json",
             [this](const httplib::Request& req, httplib::Response& res) { HandleExport(req, res, false); });
  server.Get(R"(/history/(\d{1,19}))",
             [this](const httplib::Request& req, httplib::Response& res) { HandleEntry(req, res); });
  server.Post(R"(/history/(\d{1,19})/delete)",
              [this](const httplib::Request& req, httplib::Response& res) { HandleDelete(req, res); });
  server.Get(R"(/static/([a-z]+\.(?:css|js|svg)))",
             [this](const httplib::Request& req, httplib::Response& res) { HandleAsset(req, res); });
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  server.Get("/ready",
             [this](const httplib::Request& req, httplib::Response& res) { HandleReady(req, res); });

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) -> httplib::Server::HandlerResponse {
        if (!res.body.empty() || res.has_header("Location"))
          return httplib::Server::HandlerResponse::Unhandled;
        PageContext page;  // no cookie or token on error pages of requests we did not route
        std::string title = "Error", message = "The request failed.";
        switch (res.status) {
          case 400:
            title = "Bad request", message = "The request was malformed.";
            break;
          case 404:
            title = "Not found", message = "There is no page at this address.";
            break;
          case 413:
            title = "Too large", message = "The request is larger than this server accepts (" +
                                           std::to_string(options_.max_body_bytes / (1024 * 1024)) + " MiB).";
            break;
          case 414:
            title = "Address too long", message = "The address is longer than this server accepts.";
            break;
          default:
            break;
        }
        if (req.path.rfind("/api/", 0) == 0) {
          res.set_content(JsonError(message), "application/json");
        } else {
          res.set_header("Cache-Control", "no-store");
          res.set_content(RenderErrorPage(page, res.status, title, message), "text/html; charset=utf-8");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
  if (options_.log_requests) {
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      // Paths only: query strings carry search words, bodies carry the texts.
      std::cerr << "web: " << req.method << " " << req.path.substr(0, 200) << " " << res.status << "\n";
    });
  }
}

Status WebApp::Listen() {
  if (server_ != nullptr) return Status::Internal("Listen was called twice");
  server_ = std::make_unique<httplib::Server>();
  const size_t threads = static_cast<size_t>(std::max(2, options_.http_threads));
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(30, 0);
  server_->set_write_timeout(30, 0);
  server_->set_keep_alive_timeout(5);
  InstallRoutes();
  if (options_.port == 0) {
    bound_port_ = server_->bind_to_any_port(options_.host);
    if (bound_port_ <= 0) return Status::IoError("cannot bind " + options_.host + " on any port");
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Status::IoError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             " (in use, or not allowed); choose another with --port");
    }
    bound_port_ = options_.port;
  }
  server_thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the listener runs; wait for it so that an early Stop() works.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Status::Ok();
}

void WebApp::Stop() {
  if (server_ != nullptr && !stopped_.exchange(true)) server_->stop();
}

void WebApp::Wait() {
  if (server_thread_.joinable()) server_thread_.join();
}

}  // namespace dolmetsch::web
