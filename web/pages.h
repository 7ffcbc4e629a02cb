// HTML pages of the web app, as pure functions of what they show. Every value that is not a literal of
// pages.cc is escaped with EscapeHtml (html.h); no page contains inline script or style (CSP).
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/job_store.h"
#include "store/translation_store.h"
#include "web/languages.h"

namespace dolmetsch::web {

enum class NoticeKind { kOk, kWarning, kError };

struct Notice {
  NoticeKind kind = NoticeKind::kOk;
  std::string message;
};

// What every page needs.
struct PageContext {
  std::string csrf_token;
  std::string user;                            // users mode: the signed-in user; "" otherwise
  std::string history_label = "Your history";  // "Shared history" in shared mode
  // The translator's languages (web/languages.h); null while unknown: the pickers offer German -> English.
  std::shared_ptr<const LanguageList> languages;
};

struct TranslateView {
  std::string text_de;  // the text to translate (in `source`), whatever the language
  std::string text_en;  // its translation (in `target`)
  std::optional<Notice> notice;
  int64_t saved_id = 0;  // > 0: link to the stored entry
  // The pickers' selection; "" = the default pair (German -> English when served, else the first served).
  // `pair_chosen`: the selection came with the request (a submitted form, ?source=&target=); the page's
  // script then keeps it instead of the one remembered in the browser.
  std::string source{};
  std::string target{};
  bool pair_chosen = false;
  std::string detected{};  // "Detected: German (93%)" after a translation from "auto"
};

struct HistoryView {
  std::vector<store::TranslationRecord> items;
  std::string query;
  int64_t total = 0;
  int64_t page = 1;  // 1-based
  int64_t pages = 1;
  std::optional<Notice> notice;
  std::vector<store::JobRecord> active_jobs;  // the owner's queued and running jobs, listed on top
};

// A translation job (web/job_api.h): its state, the English so far and the German text (job.text_de).
struct JobView {
  store::JobRecord job;
  std::string text_en;           // the finished part, in document order (all of it when done)
  double eta_seconds = -1;       // < 0: unknown
  std::string detected;          // "Detected: German (93%)" when the visitor chose "Detect language"
  bool source_was_auto = false;  // the visitor chose "Detect language" (the "New translation" link keeps it)
};

std::string RenderTranslatePage(const PageContext& ctx, const TranslateView& view);
std::string RenderHistoryPage(const PageContext& ctx, const HistoryView& view);
// Refreshes itself every 2 s while the job is queued or running (works without JavaScript); a cancel
// button (form POST /jobs/ID/cancel) while it is active; the history link when done.
std::string RenderJobPage(const PageContext& ctx, const JobView& view);
std::string RenderEntryPage(const PageContext& ctx, const store::TranslationRecord& record);
// No-JS confirmation of a delete: the entry's start and a form that posts `confirmed=yes`.
std::string RenderDeleteConfirmPage(const PageContext& ctx, const store::TranslationRecord& record,
                                    const std::string& return_to);
std::string RenderErrorPage(const PageContext& ctx, int status, const std::string& title,
                            const std::string& message);

// The first `max_chars` code points of `text` (whole code points), with "…" when cut.
std::string Snippet(const std::string& text, size_t max_chars);

// "1,234 characters" (code points) under the German text. No sentence estimate: the page shows the
// segmenter's sentence count only, with the progress of a job.
std::string CountsLabel(const std::string& text);

// An entry's title: the first words of its German text (whitespace collapsed), at most about `max_chars`
// code points, cut at a word boundary with "…"; "Empty text" when there are none.
std::string EntryTitle(const std::string& text_de, size_t max_chars = 60);

// "2026-11-29 08:00 UTC"; "unknown date" for 0.
std::string FormatDisplayTime(int64_t unix_seconds);

}  // namespace dolmetsch::web
