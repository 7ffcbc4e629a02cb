#include "web/web_app.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "http/server.h"
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

// The query string of the raw request target, parsed strictly.
StatusOr<FormFields> QueryFields(const http::Request& req) {
  size_t question = req.target.find('?');
  if (question == std::string::npos) return FormFields();
  return ParseForm(std::string_view(req.target).substr(question + 1));
}

bool IsFormRequest(const http::Request& req) {
  std::string type = req.Header("Content-Type");
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

// What a visitor reads when the history database fails: what happened and what to do. The store's own
// message may name hosts and ports of the database; it goes to the log only.
std::string StoreProblem(const Status& status) {
  std::cerr << "web: history database: " << status.ToString() << "\n";
  return "The history database is not reachable right now. Translating still works; try the history again in "
         "a minute, and if this keeps happening tell the operator of this server.";
}

// `/history…` + "deleted=1", so that the page says the delete happened.
std::string WithDeletedNotice(const std::string& path) {
  return path + (path.find('?') == std::string::npos ? "?" : "&") + "deleted=1";
}

// Unicode characters (code points) of UTF-8 text: what the page counts.
size_t CountCharacters(const std::string& text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// 10000000 -> "10,000,000".
std::string WithThousands(size_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

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
      languages_(std::make_unique<LanguageCache>([this] { return translator_.Languages(); },
                                                 options_.languages_refresh, options_.languages_retry)),
      csrf_(options_.secret.empty() ? RandomHex(32) : options_.secret) {}

WebApp::~WebApp() {
  Stop();
  Wait();
  jobs_.reset();  // its workers end before the store closes
}

StatusOr<std::unique_ptr<WebApp>> WebApp::Create(WebOptions options) {
  std::unique_ptr<WebApp> app(new WebApp(std::move(options)));
  if (Status s = app->translator_.Validate(); !s.ok()) return s;
  app->jobs_ = std::make_unique<JobApi>(app.get(), app->options_.jobs);
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

WebApp::RequestContext WebApp::Prepare(const http::Request& req, http::Response& res) {
  RequestContext ctx;
  const bool trusted = std::find(options_.trusted_proxies.begin(), options_.trusted_proxies.end(),
                                 req.remote_addr) != options_.trusted_proxies.end();
  ctx.https = trusted && req.Header("X-Forwarded-Proto") == "https";
  if (ctx.https) res.Set("Strict-Transport-Security", "max-age=31536000");
  auto cookie = FindCookie(req.Header("Cookie"), kSessionCookie);
  if (cookie && IsWellFormedSessionId(*cookie)) {
    ctx.session = *cookie;
  } else {
    ctx.session = RandomHex(16);
    res.Add("Set-Cookie", BuildSetCookie({kSessionCookie, ctx.session, kSessionMaxAgeSeconds, ctx.https}));
  }
  ctx.page.csrf_token = csrf_.TokenFor(ctx.session);
  ctx.page.languages = languages_->Get();
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

bool WebApp::Authenticate(const http::Request& req, http::Response& res, RequestContext& ctx) {
  if (options_.history_mode != HistoryMode::kUsers) return true;
  auto credentials = ParseBasicAuthorization(req.Header("Authorization"));
  if (credentials && users_->Verify(credentials->first, credentials->second)) {
    ctx.page.user = credentials->first;
    ctx.owner_scope = "user:" + credentials->first;
    ctx.owner_for_insert = *ctx.owner_scope;
    return true;
  }
  res.Set("WWW-Authenticate", "Basic realm=\"dolmetsch\", charset=\"UTF-8\"");
  SendHtml(res, 401,
           RenderErrorPage(ctx.page, 401, "Sign-in required",
                           "This dolmetsch server keeps a history per user. Sign in with the user name and "
                           "password the operator gave you."));
  return false;
}

bool WebApp::CheckCsrf(const http::Request& req, const RequestContext& ctx,
                       const std::string& form_token) const {
  // A POST without our cookie got a fresh session in Prepare(), so its token cannot match.
  std::string token = form_token.empty() ? req.Header("X-CSRF-Token") : form_token;
  return csrf_.Verify(ctx.session, token);
}

void WebApp::SendHtml(http::Response& res, int status, const std::string& html) {
  res.status = status;
  res.Set("Cache-Control", "no-store");
  res.SetContent(html, "text/html; charset=utf-8");
}

void WebApp::SendError(const RequestContext& ctx, http::Response& res, int status, const std::string& title,
                       const std::string& message) {
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

void WebApp::HandleTranslatePage(const http::Request& req, http::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  TranslateView view;
  // "/?source=en&target=de" (the job page's "New translation" link) preselects a pair.
  if (auto query = QueryFields(req); query.ok()) {
    const std::string source = query->GetOr("source", ""), target = query->GetOr("target", "");
    if (IsLanguageCode(source) && IsLanguageCode(target)) {
      view.source = source;
      view.target = target;
      view.pair_chosen = true;
    }
  }
  SendHtml(res, 200, RenderTranslatePage(ctx.page, view));
}

StatusOr<LanguageChoice> WebApp::ChooseLanguages(const std::string& source_field,
                                                 const std::string& target_field, const std::string& text) {
  std::shared_ptr<const LanguageList> list = languages_->Get();
  const auto [default_source, default_target] = DefaultPair(list.get());
  LanguageChoice choice;
  choice.source = source_field.empty() ? default_source : source_field;
  choice.target = target_field.empty() ? default_target : target_field;
  choice.source_was_auto = choice.source == kAutoSource;
  if (!IsLanguageCode(choice.source)) {
    return Status::InvalidArgument(
        "The source language must be a language code like \"de\", or \"auto\" to detect it.");
  }
  if (!IsLanguageCode(choice.target) || choice.target == kAutoSource) {
    return Status::InvalidArgument("The target language must be a language code like \"en\".");
  }
  if (list != nullptr) {
    if (Status served = CheckPair(*list, choice.source, choice.target); !served.ok()) return served;
  } else if (choice.source == choice.target) {
    return Status::InvalidArgument("Choose two different languages (both are \"" + choice.source + "\").");
  }
  if (!choice.source_was_auto) return choice;
  // The job (and the history row) get the detected language; when the translator cannot tell now, it
  // detects the language itself when it translates.
  StatusOr<std::vector<DetectedLanguage>> guesses = translator_.Detect(text);
  if (!guesses.ok()) {
    if (guesses.status().code() == Status::Code::kInvalidArgument) return guesses.status();
    std::cerr << "web: detecting the language before translating failed (" << guesses.status().ToString()
              << "); the translator detects it\n";
    return choice;
  }
  if (guesses->empty()) return choice;
  const DetectedLanguage& best = guesses->front();
  const bool served =
      list != nullptr ? CheckPair(*list, best.language, choice.target).ok() : best.language != choice.target;
  if (!served) {
    return Status::InvalidArgument(
        "The text looks like " + LanguageName(list.get(), best.language) + ", which is not translated into " +
        LanguageName(list.get(), choice.target) + " here. Choose the language of the text." +
        (list != nullptr ? " This server translates: " + DescribePairs(*list) + "." : std::string()));
  }
  choice.source = best.language;
  choice.detected = best;
  return choice;
}

// Stores one translation; never fails the request (the visitor keeps the translation either way).
static SaveOutcome SaveTranslation(store::TranslationStore* store, const Status& store_error,
                                   store::NewTranslation row) {
  SaveOutcome outcome;
  if (store == nullptr) {
    std::cerr << "web: not saved, history database: " << store_error.ToString() << "\n";
    outcome.notice =
        Notice{NoticeKind::kWarning,
               "Translated, but not saved to the history: the history database is not reachable. "
               "Copy the translation if you need it later."};
    return outcome;
  }
  auto inserted = store->Insert(row);
  if (!inserted.ok()) {
    std::cerr << "web: saving a translation failed: " << inserted.status().ToString() << "\n";
    outcome.notice = Notice{NoticeKind::kWarning,
                            "Translated, but not saved to the history (the database refused it). Copy the "
                            "translation if you need it later."};
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

void WebApp::HandleTranslateFormDirectly(const http::Request& req, http::Response& res,
                                         const LanguageChoice& pair) {
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
  view.source = pair.source_was_auto ? std::string(kAutoSource) : pair.source;
  view.target = pair.target;
  view.pair_chosen = true;
  if (IsBlank(view.text_de)) {
    view.notice = Notice{NoticeKind::kWarning, "Enter some text to translate."};
    return SendHtml(res, 400, RenderTranslatePage(ctx.page, view));
  }
  if (std::string too_long = TooLongMessage(view.text_de); !too_long.empty()) {
    view.notice = Notice{NoticeKind::kError, too_long};
    return SendHtml(res, 413, RenderTranslatePage(ctx.page, view));
  }
  // Without the job database (web/job_api.h falls back to this): translated while the page waits, saved
  // through the journal when one is configured.
  auto translated = translator_.Translate(view.text_de, pair.source, pair.target, nullptr);
  if (!translated.ok()) {
    view.notice = Notice{NoticeKind::kError, "The translation failed: " + translated.status().message()};
    return SendHtml(res, HttpStatusFor(translated.status()), RenderTranslatePage(ctx.page, view));
  }
  view.text_en = translated->text_en;
  std::optional<DetectedLanguage> detected = pair.detected ? pair.detected : translated->detected;
  if (pair.source_was_auto && detected) view.detected = DetectedLabel(ctx.page.languages.get(), *detected);
  const std::string source = pair.source == kAutoSource && detected ? detected->language : pair.source;
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  SaveOutcome saved = SaveTranslation(
      store, store_error,
      {view.text_de, view.text_en, ctx.owner_for_insert, translated->model, 0, "", source, pair.target});
  view.notice = saved.notice;
  view.saved_id = saved.saved ? saved.id : 0;
  SendHtml(res, 200, RenderTranslatePage(ctx.page, view));
}

void WebApp::HandleTranslateApi(const std::shared_ptr<http::Exchange>& exchange) {
  const http::Request& req = exchange->request();
  http::Response& res = exchange->response();
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  res.Set("Cache-Control", "no-store");
  auto fail = [&res](int status, const std::string& message) {
    res.status = status;
    res.SetContent(JsonError(message), "application/json");
  };
  if (!IsFormRequest(req)) return fail(415, "send the text as application/x-www-form-urlencoded");
  auto form = ParseForm(req.body);
  if (!form.ok()) return fail(400, form.status().message());
  if (!CheckCsrf(req, ctx, form->GetOr("csrf_token", ""))) {
    return fail(403,
                "The page has expired or the request came from another site. Reload the page and try again.");
  }
  std::string text = NormalizeNewlines(form->GetOr("text", ""));
  if (IsBlank(text)) return fail(400, "Enter some text to translate.");
  if (std::string too_long = TooLongMessage(text); !too_long.empty()) return fail(413, too_long);
  StatusOr<LanguageChoice> pair = ChooseLanguages(form->GetOr("source", ""), form->GetOr("target", ""), text);
  if (!pair.ok()) return fail(HttpStatusFor(pair.status()), pair.status().message());

  // With a job database the text becomes a job and this answer follows it without holding a thread.
  if (jobs_ != nullptr &&
      jobs_->StreamTranslation(exchange, ctx.owner_for_insert, ctx.owner_scope, text, *pair)) {
    return;
  }
  // Without one: this worker thread waits for the translator and forwards its progress.
  res.status = 200;
  res.Set("Content-Type", "text/event-stream");
  res.Set("X-Accel-Buffering", "no");
  exchange->Defer();
  exchange->BeginStream();
  auto send = [&exchange](const std::string& event, const json& data) {
    return exchange->Write("event: " + event +
                           "\ndata: " + data.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n");
  };
  auto translated = translator_.Translate(
      text, pair->source, pair->target, [&send, &exchange](const TranslationProgress& progress) {
        return send("progress", json{{"done", progress.done}, {"total", progress.total}}) &&
               !exchange->client_gone();
      });
  if (!translated.ok()) {
    if (translated.status().code() != Status::Code::kCancelled || !exchange->client_gone()) {
      send("error", json{{"error", "The translation failed: " + translated.status().message()},
                         {"status", HttpStatusFor(translated.status())}});
    }
    exchange->fields()["error"] = translated.status().message();
    return exchange->End();
  }
  std::optional<DetectedLanguage> detected = pair->detected ? pair->detected : translated->detected;
  const std::string source = pair->source == kAutoSource && detected ? detected->language : pair->source;
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  SaveOutcome saved = SaveTranslation(
      store, store_error,
      {text, translated->text_en, ctx.owner_for_insert, translated->model, 0, "", source, pair->target});
  json done = {{"text_en", translated->text_en},
               {"model", translated->model},
               {"sentences", translated->sentences},
               {"saved", saved.saved},
               {"journaled", saved.journaled},
               {"id", saved.saved ? saved.id : 0},
               {"source", source},
               {"target", pair->target}};
  if (pair->source_was_auto && detected) {
    done["detected_language"] = {{"language", detected->language}, {"confidence", detected->confidence}};
  }
  if (saved.notice) {
    done["notice"] = saved.notice->message;
    done["notice_kind"] = saved.notice->kind == NoticeKind::kError ? "error" : "warning";
  }
  send("done", done);
  exchange->End();
}

void WebApp::HandleHistory(const http::Request& req, http::Response& res) {
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
    return SendError(ctx, res, 503, "History unavailable", StoreProblem(store_error));
  }
  store::Query q;
  q.owner = ctx.owner_scope;
  q.search = view.query;
  auto total = store->Count(q);
  if (!total.ok()) {
    if (HttpStatusFor(total.status()) == 400)
      return SendError(ctx, res, 400, "Search not understood", total.status().message());
    return SendError(ctx, res, 503, "History unavailable", StoreProblem(total.status()));
  }
  view.total = *total;
  view.pages = std::max<int64_t>(1, (view.total + options_.page_size - 1) / options_.page_size);
  view.page = std::min(view.page, view.pages);
  q.limit = options_.page_size;
  q.offset = (view.page - 1) * options_.page_size;
  auto page = store->List(q);
  if (!page.ok()) {
    if (HttpStatusFor(page.status()) == 400)
      return SendError(ctx, res, 400, "Search not understood", page.status().message());
    return SendError(ctx, res, 503, "History unavailable", StoreProblem(page.status()));
  }
  view.items = std::move(page->items);
  if (query->GetOr("deleted", "") == "1")
    view.notice = Notice{NoticeKind::kOk, "The translation was deleted."};
  if (view.page == 1 && view.query.empty()) {
    if (store::JobStore* jobs = store->jobs(); jobs != nullptr) {
      auto active = jobs->ListJobs(ctx.owner_scope, /*active_only=*/true, 50);
      if (active.ok()) view.active_jobs = std::move(*active);
    }
  }
  if (int64_t pending = store->PendingJournalRecords(); pending > 0) {
    view.notice =
        Notice{NoticeKind::kWarning, std::to_string(pending) +
                                         " recent translation(s) wait for the database and will appear "
                                         "here when it is reachable again."};
  }
  SendHtml(res, 200, RenderHistoryPage(ctx.page, view));
}

void WebApp::HandleEntry(const http::Request& req, http::Response& res) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  auto id = ParseBoundedInt(req.params.at(0), 1, std::numeric_limits<int64_t>::max());
  if (!id) return SendError(ctx, res, 404, "Not found", "There is no such translation.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", StoreProblem(store_error));
  auto record = store->Get(*id, ctx.owner_scope);
  if (!record.ok()) {
    if (record.status().code() == Status::Code::kNotFound) {
      return SendError(ctx, res, 404, "Not found", "There is no such translation in your history.");
    }
    return SendError(ctx, res, 503, "History unavailable", StoreProblem(record.status()));
  }
  SendHtml(res, 200, RenderEntryPage(ctx.page, *record));
}

void WebApp::HandleDelete(const http::Request& req, http::Response& res) {
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
  auto id = ParseBoundedInt(req.params.at(0), 1, std::numeric_limits<int64_t>::max());
  if (!id) return SendError(ctx, res, 404, "Not found", "There is no such translation.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", StoreProblem(store_error));
  const std::string return_to = SafeReturnPath(form->GetOr("return_to", "/history"));
  if (form->GetOr("confirmed", "") != "yes") {
    // Without JavaScript nobody has asked yet: show what would be deleted and ask.
    auto record = store->Get(*id, ctx.owner_scope);
    if (!record.ok()) {
      if (record.status().code() == Status::Code::kNotFound) {
        return SendError(ctx, res, 404, "Not found", "There is no such translation in your history.");
      }
      return SendError(ctx, res, 503, "History unavailable", StoreProblem(record.status()));
    }
    return SendHtml(res, 200, RenderDeleteConfirmPage(ctx.page, *record, return_to));
  }
  Status deleted = store->Delete(*id, ctx.owner_scope);
  if (!deleted.ok()) {
    if (deleted.code() == Status::Code::kNotFound) {
      return SendError(ctx, res, 404, "Not found", "There is no such translation in your history.");
    }
    return SendError(ctx, res, 503, "History unavailable", StoreProblem(deleted));
  }
  res.status = 303;
  res.Set("Location", WithDeletedNotice(return_to));
  res.Set("Cache-Control", "no-store");
}

void WebApp::HandleExport(const http::Request& req, http::Response& res, bool csv) {
  RequestContext ctx = Prepare(req, res);
  if (!Authenticate(req, res, ctx)) return;
  auto query = QueryFields(req);
  if (!query.ok()) return SendError(ctx, res, 400, "Malformed address", query.status().message());
  std::string search = query->GetOr("q", "");
  if (search.size() > kMaxQueryBytes)
    return SendError(ctx, res, 400, "Search too long", "At most 500 bytes.");
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  if (store == nullptr) return SendError(ctx, res, 503, "History unavailable", StoreProblem(store_error));
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
    if (!page.ok()) return SendError(ctx, res, 503, "History unavailable", StoreProblem(page.status()));
    for (auto& item : page->items) rows.push_back(std::move(item));
    if (!page->has_more || page->items.empty()) break;
    q.before_id = page->next_before_id;
  }
  res.status = 200;
  res.Set("Cache-Control", "no-store");
  if (truncated) res.Set("X-Export-Truncated", std::to_string(options_.export_max_rows));
  if (csv) {
    res.Set("Content-Disposition", "attachment; filename=\"dolmetsch-history.csv\"");
    res.SetContent(HistoryToCsv(rows), "text/csv; charset=utf-8");
  } else {
    res.Set("Content-Disposition", "attachment; filename=\"dolmetsch-history.json\"");
    res.SetContent(HistoryToJson(rows, search), "application/json; charset=utf-8");
  }
}

void WebApp::HandleAsset(const http::Request& req, http::Response& res) {
  const Asset* asset = FindAsset(req.params.at(0));
  if (asset == nullptr) {
    res.status = 404;
    res.SetContent("not found\n", "text/plain; charset=utf-8");
    return;
  }
  const std::string etag = "\"" + asset->version + "\"";
  res.Set("ETag", etag);
  bool versioned = false;
  if (auto query = QueryFields(req); query.ok()) versioned = query->GetOr("v", "") == asset->version;
  res.Set("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "public, max-age=3600");
  if (req.Header("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.SetContent(std::string(asset->content), std::string(asset->content_type));
}

void WebApp::HandleReady(const http::Request&, http::Response& res) {
  Status translator = translator_.Ready();
  Status store_error;
  store::TranslationStore* store = Store(&store_error);
  Status database = store == nullptr ? store_error : store->Ping();
  json body = {{"ready", translator.ok()},
               {"translator", translator.ok() ? "ok" : translator.message()},
               {"database", database.ok() ? "ok" : database.message()},
               {"journal_pending", store == nullptr ? 0 : store->PendingJournalRecords()}};
  res.status = translator.ok() ? 200 : 503;
  res.Set("Cache-Control", "no-store");
  res.SetContent(body.dump(), "application/json");
}

std::string WebApp::TooLongMessage(const std::string& text) const {
  size_t chars = CountCharacters(text);
  if (chars <= options_.max_text_chars) return "";
  return "The text is too long: " + WithThousands(chars) + " characters; at most " +
         WithThousands(options_.max_text_chars) + " characters per translation. Translate it in parts.";
}

void WebApp::InstallRoutes() {
  http::Server& server = *server_;
  using Ex = std::shared_ptr<http::Exchange>;
  auto page = [this](void (WebApp::*handler)(const http::Request&, http::Response&)) {
    return [this, handler](const Ex& e) { (this->*handler)(e->request(), e->response()); };
  };
  // The empty page needs no database: rendered on the I/O thread, unless signing in checks a password hash
  // (bcrypt is slow on purpose).
  server.Route("GET", "/", page(&WebApp::HandleTranslatePage),
               options_.history_mode == HistoryMode::kUsers ? http::Run::kWorker : http::Run::kInline);
  server.Route("POST", "/translate",
               [this](const Ex& e) { jobs_->HandleTranslateForm(e->request(), e->response()); });
  jobs_->InstallRoutes(server);
  server.Route("POST", "/api/translate", [this](const Ex& e) { HandleTranslateApi(e); });
  server.Route("GET", "/history", page(&WebApp::HandleHistory));
  server.Route("GET", "/history/export.csv",
               [this](const Ex& e) { HandleExport(e->request(), e->response(), true); });
  server.Route("GET", "/history/export.json",
               [this](const Ex& e) { HandleExport(e->request(), e->response(), false); });
  server.Route("GET", R"(^/history/(\d{1,19}))", page(&WebApp::HandleEntry));
  server.Route("POST", R"(^/history/(\d{1,19})/delete)", page(&WebApp::HandleDelete));
  server.Route("GET", R"(^/static/([a-z]+\.(?:css|js|svg)))", page(&WebApp::HandleAsset), http::Run::kInline);
  server.Route(
      "GET", "/health",
      [](const Ex& e) {
        e->response().Set("Cache-Control", "no-store");
        e->response().SetContent("{\"status\":\"ok\"}", "application/json");
      },
      http::Run::kInline);
  server.Route("GET", "/ready", page(&WebApp::HandleReady));
}

Status WebApp::Listen() {
  if (server_ != nullptr) return Status::Internal("Listen was called twice");
  http::ServerOptions o;
  o.host = options_.host;
  o.port = options_.port;
  o.worker_threads = std::max(2, options_.http_threads);
  o.max_connections = options_.max_connections;
  o.max_body_bytes = options_.max_body_bytes;
  o.header_timeout_seconds = options_.header_timeout_seconds;
  o.idle_timeout_seconds = options_.keep_alive_seconds;
  o.body_min_rate_bytes = options_.body_min_rate_bytes;
  for (auto& [name, value] : SecurityHeaders(false)) o.default_headers.emplace_back(name, value);
  o.render_error = [this](const http::Request& req, http::Response& res, const std::string& detail) {
    PageContext page;  // no cookie or token on error pages of requests we did not route
    std::string title = "Error", message = "The request failed: " + detail + ".";
    switch (res.status) {
      case 400:
        title = "Bad request", message = "The request was malformed (" + detail + ").";
        break;
      case 404:
        title = "Not found", message = "There is no page at this address.";
        break;
      case 405:
        title = "Not allowed", message = detail + ".";
        break;
      case 408:
        title = "Too slow", message = "The request took too long to arrive (" + detail + ").";
        break;
      case 413:
        title = "Too large", message = "The request is larger than this server accepts (" +
                                       WithThousands(options_.max_body_bytes) + " bytes; texts up to " +
                                       WithThousands(options_.max_text_chars) + " characters fit).";
        break;
      case 431:
        title = "Header too large", message = "The request header is larger than this server accepts.";
        break;
      case 503:
        title = "Busy", message = "The server is busy; try again in a moment.";
        break;
      default:
        break;
    }
    if (req.path.rfind("/api/", 0) == 0) {
      res.SetContent(JsonError(message), "application/json");
    } else {
      res.Set("Cache-Control", "no-store");
      res.SetContent(RenderErrorPage(page, res.status, title, message), "text/html; charset=utf-8");
    }
  };
  if (options_.log_requests) {
    o.on_complete = [](const http::Exchange& e) {
      // Paths only: query strings carry search words, bodies carry the texts.
      std::cerr << "web: " << e.request().method.substr(0, 16) << " " << e.request().path.substr(0, 200)
                << " " << e.response().status << " id=" << e.request_id() << "\n";
    };
  }
  server_ = std::make_unique<http::Server>(o);
  InstallRoutes();
  if (Status s = server_->Listen(); !s.ok()) {
    server_.reset();
    return s;
  }
  bound_port_ = server_->port();
  languages_->Start();
  jobs_->Start();
  return Status::Ok();
}

void WebApp::StopAccepting() {
  // Job event streams end (their clients reconnect to another replica); running jobs go on until Stop, which
  // leaves their checkpoints to the next start or another replica.
  if (jobs_ != nullptr) jobs_->Drain();
  if (server_ != nullptr && !stopped_.load()) server_->StopAccepting();
}

size_t WebApp::connections() const { return server_ != nullptr ? server_->connections() : 0; }

void WebApp::Stop() {
  languages_->Stop();
  if (jobs_ != nullptr) jobs_->Stop();
  if (server_ != nullptr && !stopped_.exchange(true)) {
    server_->StopAccepting();
    server_->Stop();
  }
  std::lock_guard<std::mutex> lock(wait_mu_);
  wait_cv_.notify_all();
}

void WebApp::Wait() {
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait(lock, [this] { return server_ == nullptr || stopped_.load(); });
}

}  // namespace dolmetsch::web
