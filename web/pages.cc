#include "web/pages.h"

#include <ctime>

#include "util/percent_encoding.h"
#include "web/assets.h"
#include "web/history_export.h"
#include "web/html.h"
#include "web/upload.h"

namespace dolmetsch::web {
namespace {

std::string AssetUrl(std::string_view name) {
  const Asset* asset = FindAsset(name);
  return "/static/" + std::string(name) + (asset ? "?v=" + asset->version : "");
}

const char* NoticeClass(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::kOk:
      return "notice ok";
    case NoticeKind::kWarning:
      return "notice warning";
    case NoticeKind::kError:
      return "notice error";
  }
  return "notice";
}

std::string RenderNotice(const std::optional<Notice>& notice, const char* id) {
  std::string id_attr = id ? std::string(" id=\"") + id + "\"" : "";
  if (!notice || notice->message.empty()) {
    return id ? "<div" + id_attr + " class=\"notice\" role=\"status\" hidden></div>\n" : "";
  }
  return "<div" + id_attr + " class=\"" + NoticeClass(notice->kind) + "\" role=\"" +
         (notice->kind == NoticeKind::kError ? "alert" : "status") + "\">" + EscapeHtml(notice->message) +
         "</div>\n";
}

std::string CsrfField(const PageContext& ctx) {
  return "<input type=\"hidden\" name=\"csrf_token\" value=\"" + EscapeHtml(ctx.csrf_token) + "\">";
}

enum class Nav { kTranslate, kHistory, kNone };

std::string Layout(const PageContext& ctx, Nav nav, const std::string& title, const std::string& body,
                   const std::string& head_extra = "") {
  auto nav_link = [&](Nav which, const char* href, const std::string& label) {
    return std::string("<a href=\"") + href + "\"" + (nav == which ? " aria-current=\"page\"" : "") + ">" +
           EscapeHtml(label) + "</a>";
  };
  std::string html;
  html.reserve(body.size() + 2048);
  html += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta name=\"color-scheme\" content=\"light dark\">\n";
  html += head_extra;
  html += "<title>" + EscapeHtml(title) + " \xC2\xB7 dolmetsch</title>\n";
  html += "<link rel=\"stylesheet\" href=\"" + AssetUrl("app.css") + "\">\n";
  html += "<link rel=\"icon\" type=\"image/svg+xml\" href=\"" + AssetUrl("icon.svg") + "\">\n";
  html += "<script src=\"" + AssetUrl("app.js") + "\" defer></script>\n";
  html += "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n";
  html += "<header class=\"site-header\"><div class=\"inner\">";
  html += "<a class=\"brand\" href=\"/\">dolmetsch<span>.</span></a>";
  html += "<nav class=\"site-nav\" aria-label=\"Main\">" + nav_link(Nav::kTranslate, "/", "Translate") +
          nav_link(Nav::kHistory, "/history", ctx.history_label) + "</nav>";
  if (!ctx.user.empty()) html += "<span class=\"user\">Signed in as " + EscapeHtml(ctx.user) + "</span>";
  html += "</div></header>\n<main id=\"main\" class=\"inner\">\n" + body + "</main>\n";
  html += "<footer class=\"inner\">Translated on this server. Nothing leaves it.</footer>\n";
  html += "</body>\n</html>\n";
  return html;
}

std::string HistoryUrl(const std::string& query, int64_t page) {
  std::string url = "/history";
  std::string sep = "?";
  if (!query.empty()) {
    url += sep + "q=" + PercentEncode(query);
    sep = "&";
  }
  if (page > 1) url += sep + "page=" + std::to_string(page);
  return url;
}

// The delete button of one entry. Without JavaScript the POST (no `confirmed`) answers with a confirm page;
// app.js asks with confirm() and sets `confirmed=yes` itself.
std::string DeleteForm(const PageContext& ctx, const store::TranslationRecord& record,
                       const std::string& return_to, bool small = true) {
  const std::string title = EntryTitle(record.text_de);
  return "<form class=\"inline-form delete-form\" method=\"post\" action=\"/history/" +
         std::to_string(record.id) + "/delete\" data-title=\"" + EscapeHtml(title) + "\">" + CsrfField(ctx) +
         "<input type=\"hidden\" name=\"return_to\" value=\"" + EscapeHtml(return_to) +
         "\"><input type=\"hidden\" name=\"confirmed\" value=\"\">" +
         "<button type=\"submit\" class=\"danger" + std::string(small ? " small" : "") +
         "\" aria-label=\"Delete \xE2\x80\x9C" + EscapeHtml(title) + "\xE2\x80\x9D\">Delete</button></form>";
}

// <time> in UTC (what a browser without JavaScript shows); app.js turns it into local time and keeps the
// UTC text as the title.
std::string TimeElement(int64_t unix_seconds) {
  std::string iso = FormatIsoTime(unix_seconds);
  std::string shown = FormatDisplayTime(unix_seconds);
  if (iso.empty()) return EscapeHtml(shown);
  return "<time datetime=\"" + iso + "\" title=\"" + EscapeHtml(shown) + "\">" + EscapeHtml(shown) +
         "</time>";
}

std::string Option(const std::string& value, const std::string& label, bool selected,
                   const std::string& extra = "") {
  return "<option value=\"" + EscapeHtml(value) + "\"" + extra + (selected ? " selected" : "") + ">" +
         EscapeHtml(label) + "</option>";
}

// "de → en", with the names as the title ("German → English"). Rows stored before languages were kept
// read back as de -> en (store/translation_store.h).
std::string PairLabel(const PageContext& ctx, const std::string& source, const std::string& target) {
  const LanguageList* list = ctx.languages.get();
  return "<span class=\"langs\" title=\"" +
         EscapeHtml(LanguageName(list, source) + " \xE2\x86\x92 " + LanguageName(list, target)) + "\">" +
         EscapeHtml(source + " \xE2\x86\x92 " + target) + "</span>";
}

// The source picker ("Detect language" first) and the target picker, filled from the translator's list;
// plain <select>s of the form, so that they work without JavaScript. Each source option lists its targets
// (data-targets) for the script, which disables the targets a source cannot reach.
std::string LanguagePickers(const PageContext& ctx, const std::string& source, const std::string& target) {
  const LanguageList* list = ctx.languages.get();
  std::string sources, targets;
  bool source_listed = false, target_listed = false;
  if (list == nullptr) {
    sources += Option("de", "German", source == "de");
    targets += Option("en", "English", target == "en");
    source_listed = source == "de";
    target_listed = target == "en";
  } else {
    bool any_source = false;
    for (const Language& language : *list) any_source = any_source || !language.targets.empty();
    if (any_source) {
      sources += Option(std::string(kAutoSource), "Detect language", source == kAutoSource);
      source_listed = source == kAutoSource;
    }
    for (const Language& language : *list) {
      if (language.targets.empty()) continue;
      std::string reachable;
      for (const std::string& t : language.targets) reachable += (reachable.empty() ? "" : " ") + t;
      sources += Option(language.code, language.name, source == language.code,
                        " data-targets=\"" + EscapeHtml(reachable) + "\"");
      source_listed = source_listed || source == language.code;
    }
    for (const Language& language : *list) {
      bool is_target = false;
      for (const Language& from : *list) {
        for (const std::string& t : from.targets) is_target = is_target || t == language.code;
      }
      if (!is_target) continue;
      targets += Option(language.code, language.name, target == language.code);
      target_listed = target_listed || target == language.code;
    }
  }
  // A pair that came with the request stays selected even when the list does not have it (the server
  // says why it is refused).
  if (!source_listed && IsLanguageCode(source)) sources += Option(source, LanguageName(list, source), true);
  if (!target_listed && IsLanguageCode(target)) targets += Option(target, LanguageName(list, target), true);
  return "<div class=\"lang-bar\"><label for=\"source-lang\">From</label><select id=\"source-lang\" "
         "name=\"source\">" +
         sources +
         "</select><button type=\"button\" id=\"swap-button\" class=\"secondary small\" "
         "title=\"Swap languages\" aria-label=\"Swap languages\" hidden" +
         std::string(source == kAutoSource ? " disabled" : "") +
         ">\xE2\x87\x84</button><label for=\"target-lang\">Into</label><select id=\"target-lang\" "
         "name=\"target\">" +
         targets + "</select></div>\n";
}

// lang="de" for a known source; nothing for "auto".
std::string LangAttr(const std::string& code) {
  if (code.empty() || code == kAutoSource || !IsLanguageCode(code)) return "";
  return " lang=\"" + EscapeHtml(code) + "\"";
}

}  // namespace

std::string Snippet(const std::string& raw, size_t max_chars) {
  std::string text = SanitizeUtf8(raw);
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return text.substr(0, i) + "\xE2\x80\xA6";
      ++chars;
    }
  }
  return text;
}

std::string CountsLabel(const std::string& text) {
  size_t chars = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
  }
  // No sentence estimate here: the one sentence count the page shows is the segmenter's, with the progress.
  return std::to_string(chars) + (chars == 1 ? " character" : " characters");
}

std::string EntryTitle(const std::string& text_de, size_t max_chars) {
  // Whitespace runs (line breaks included) become one space; cut at a word boundary when one is near.
  std::string flat;
  bool space = false;
  for (char c : SanitizeUtf8(text_de)) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = !flat.empty();
      continue;
    }
    if (space) flat += ' ';
    space = false;
    flat += c;
  }
  if (flat.empty()) return "Empty text";
  std::string cut = Snippet(flat, max_chars);
  if (cut.size() == flat.size()) return flat;
  std::string head = cut.substr(0, cut.size() - 3);  // without the "…"
  size_t last_space = head.rfind(' ');
  if (last_space != std::string::npos && last_space >= head.size() / 2) head.resize(last_space);
  while (!head.empty() &&
         (head.back() == ',' || head.back() == ';' || head.back() == ':' || head.back() == '-'))
    head.pop_back();
  return head + "\xE2\x80\xA6";
}

std::string FormatDisplayTime(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "unknown date";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "unknown date";
  char buffer[40];
  size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M UTC", &tm);
  return std::string(buffer, n);
}

std::string RenderTranslatePage(const PageContext& ctx, const TranslateView& view) {
  const auto [default_source, default_target] = DefaultPair(ctx.languages.get());
  const std::string source = view.source.empty() ? default_source : view.source;
  const std::string target = view.target.empty() ? default_target : view.target;
  const LanguageList* list = ctx.languages.get();
  const std::string source_name = source == kAutoSource ? "Text" : LanguageName(list, source);
  const std::string target_name = LanguageName(list, target);
  std::string body;
  body += "<h1 class=\"visually-hidden\">Translate</h1>\n";
  body += RenderNotice(view.notice, "notice");
  body += "<form id=\"translate-form\" method=\"post\" action=\"/translate\"" +
          std::string(view.pair_chosen ? " data-pair-chosen=\"1\"" : "") + ">\n" + CsrfField(ctx) + "\n";
  body += LanguagePickers(ctx, source, target);
  body += "<div class=\"panes\">\n";
  body +=
      "<section class=\"pane\">\n<div class=\"pane-head\"><label for=\"text-de\"><span id=\"source-label\">" +
      EscapeHtml(source_name) + "</span></label></div>\n";
  body += "<textarea id=\"text-de\" name=\"text\"" + LangAttr(source) +
          " spellcheck=\"true\" autofocus required placeholder=\"" +
          EscapeHtml(source == "de" ? "Deutschen Text hier einf\xC3\xBCgen\xE2\x80\xA6"
                                    : "Enter text\xE2\x80\xA6") +
          "\" aria-describedby=\"counts\">" + EscapeHtml(view.text_de) + "</textarea>\n";
  body += "<div class=\"pane-foot\"><span id=\"counts\" aria-live=\"polite\">" +
          EscapeHtml(CountsLabel(view.text_de)) + "</span><span id=\"detected\" class=\"detected\"" +
          (view.detected.empty() ? " hidden" : "") + ">" + EscapeHtml(view.detected) +
          "</span></div>\n</section>\n";
  body +=
      "<section class=\"pane\" aria-labelledby=\"en-label\">\n<div class=\"pane-head\"><h2 id=\"en-label\">" +
      EscapeHtml(target_name) +
      "</h2><button type=\"button\" id=\"copy-button\" class=\"secondary small\" "
      "hidden>Copy</button></div>\n";
  body += "<div id=\"text-en\" class=\"output\"" + LangAttr(target) +
          " aria-live=\"polite\" data-placeholder=\"The translation appears here.\">" +
          EscapeHtml(view.text_en) + "</div>\n";
  body += "<div class=\"pane-foot\" id=\"counts-en\">";
  if (view.saved_id > 0) {
    body += "<a href=\"/history/" + std::to_string(view.saved_id) + "\">Saved to the history</a>";
  }
  body += "</div>\n</section>\n</div>\n";
  // A document instead of a text: without JavaScript the second button posts the whole form (pickers
  // included) as multipart to /translate-file; the script sends a chosen or dropped file at once.
  body +=
      "<div class=\"file-row\" id=\"file-row\"><label for=\"file-input\">Or a document</label> <input "
      "type=\"file\" id=\"file-input\" name=\"file\" accept=\"" +
      EscapeHtml(AcceptedFileExtensions()) +
      "\"> <button type=\"submit\" id=\"file-button\" class=\"secondary\" formaction=\"/translate-file\" "
      "formenctype=\"multipart/form-data\" formnovalidate>Translate file</button><span class=\"hint\">" +
      "HTML, Markdown, subtitles (SRT, WebVTT), Word, OpenDocument, PowerPoint, EPUB, PDF or text; the "
      "formatting is kept. You can also drop a file on the text box.</span>"
      "<span id=\"file-result\" class=\"file-result\"></span></div>\n";
  body +=
      "<div class=\"actions\"><button type=\"submit\" id=\"translate-button\">Translate</button>"
      "<button type=\"button\" id=\"cancel-button\" class=\"secondary\" hidden>Cancel</button>"
      "<span class=\"hint key-hint\"><kbd>Ctrl</kbd> + <kbd>Enter</kbd></span>"
      "<div class=\"progress\" id=\"progress\" hidden><progress id=\"progress-bar\" max=\"1\" value=\"0\" "
      "aria-label=\"Sentences translated\"></progress><span id=\"progress-text\" class=\"hint\"></span></div>"
      "</div>\n</form>\n";
  return Layout(ctx, Nav::kTranslate, "Translate", body);
}

std::string RenderHistoryPage(const PageContext& ctx, const HistoryView& view) {
  std::string body = "<h1>" + EscapeHtml(ctx.history_label) + "</h1>\n";
  body += RenderNotice(view.notice, nullptr);
  body +=
      "<div class=\"toolbar\"><form class=\"search\" method=\"get\" action=\"/history\" role=\"search\">"
      "<label for=\"q\" class=\"visually-hidden\">Search the texts and their translations</label>"
      "<input type=\"search\" id=\"q\" name=\"q\" value=\"" +
      EscapeHtml(view.query) +
      "\" placeholder=\"Search both languages\xE2\x80\xA6\" maxlength=\"500\">"
      "<button type=\"submit\">Search</button></form>";
  std::string export_query = view.query.empty() ? "" : "?q=" + PercentEncode(view.query);
  body += "<div class=\"exports\"><a class=\"button secondary small\" href=\"/history/export.csv" +
          export_query +
          "\" download>Export CSV</a><a class=\"button secondary small\" href=\"/history/export.json" +
          export_query + "\" download>Export JSON</a></div></div>\n";
  if (!view.active_jobs.empty()) {
    body +=
        "<section class=\"active-jobs\" aria-labelledby=\"active-jobs-title\"><h2 id=\"active-jobs-title\">"
        "In progress</h2>\n<ul class=\"job-list\">\n";
    for (const store::JobRecord& job : view.active_jobs) {
      std::string id = std::to_string(job.id);
      // A file job's pieces are its blocks (paragraphs, cells, cue runs), a text's its sentences.
      const std::string units = job.file_name.empty() ? " sentences" : " blocks";
      std::string counts = job.total_units > 0 ? std::to_string(job.done_units) + " of " +
                                                     std::to_string(job.total_units) + units
                                               : "not started";
      const std::string state(store::JobStateName(job.state));
      // Titled like the history entries below it (by its first words); "Job N" only without a text.
      const std::string title = !job.file_name.empty() ? job.file_name
                                : job.text_de.empty()  ? "Job " + id
                                                       : EntryTitle(job.text_de);
      body += "<li class=\"job\" id=\"job-" + id + "\"><a href=\"/jobs/" + id + "\"" +
              LangAttr(job.source_lang) + ">" + EscapeHtml(title) + "</a> " +
              PairLabel(ctx, job.source_lang, job.target_lang) + " <span class=\"badge " + EscapeHtml(state) +
              "\">" + EscapeHtml(state) + "</span>";
      if (job.total_units > 0) {
        body += "<progress max=\"" + std::to_string(job.total_units) + "\" value=\"" +
                std::to_string(job.done_units) + "\" aria-label=\"" +
                (job.file_name.empty() ? "Sentences" : "Blocks") + " translated, job " + id +
                "\"></progress>";
      }
      body += "<span class=\"muted\">" + EscapeHtml(counts) + " \xC2\xB7 started " +
              TimeElement(job.created_at_unix) + "</span></li>\n";
    }
    body += "</ul></section>\n";
  }
  std::string summary = std::to_string(view.total) + (view.total == 1 ? " translation" : " translations");
  if (!view.query.empty()) summary += " matching \xE2\x80\x9C" + view.query + "\xE2\x80\x9D";
  body += "<p class=\"summary\">" + EscapeHtml(summary) + "</p>\n";
  if (view.items.empty()) {
    body += view.query.empty()
                ? "<div class=\"empty\">No translations yet. <a href=\"/\">Translate something</a>; it will "
                  "be kept "
                  "here.</div>\n"
                : "<div class=\"empty\">Nothing matches. <a href=\"/history\">Show all</a></div>\n";
  } else {
    const std::string here = HistoryUrl(view.query, view.page);
    body += "<ol class=\"history-list\">\n";
    for (const auto& item : view.items) {
      std::string id = std::to_string(item.id);
      body +=
          "<li class=\"entry\" id=\"entry-" + id +
          "\"><div class=\"entry-head\"><div class=\"head-left\"><a class=\"entry-title\" href=\"/history/" +
          id + "\"" + LangAttr(item.source_lang) + ">" +
          EscapeHtml(item.file_name.empty() ? EntryTitle(item.text_de) : item.file_name) +
          "</a><span class=\"when\">" + TimeElement(item.created_at_unix) + "</span>" +
          PairLabel(ctx, item.source_lang, item.target_lang) + "</div>" + DeleteForm(ctx, item, here) +
          "</div><div class=\"entry-body\"><p" + LangAttr(item.source_lang) + ">" +
          EscapeHtml(Snippet(item.text_de, 280)) + "</p><p" + LangAttr(item.target_lang) + ">" +
          EscapeHtml(Snippet(item.text_en, 280)) + "</p></div></li>\n";
    }
    body += "</ol>\n";
  }
  if (view.pages > 1) {
    body += "<nav class=\"pagination\" aria-label=\"Pages\">";
    body += view.page > 1
                ? "<a class=\"button secondary small\" rel=\"prev\" href=\"" +
                      EscapeHtml(HistoryUrl(view.query, view.page - 1)) + "\">\xE2\x86\x90 Newer</a>"
                : "<span></span>";
    body += "<span class=\"muted\">Page " + std::to_string(view.page) + " of " + std::to_string(view.pages) +
            "</span>";
    body += view.page < view.pages
                ? "<a class=\"button secondary small\" rel=\"next\" href=\"" +
                      EscapeHtml(HistoryUrl(view.query, view.page + 1)) + "\">Older \xE2\x86\x92</a>"
                : "<span></span>";
    body += "</nav>\n";
  }
  return Layout(ctx, Nav::kHistory, view.query.empty() ? "History" : "Search: " + view.query, body);
}

std::string RenderJobPage(const PageContext& ctx, const JobView& view) {
  const store::JobRecord& job = view.job;
  const std::string id = std::to_string(job.id);
  const bool active = !store::IsFinal(job.state);
  const std::string status(store::JobStateName(job.state));
  const std::string title = !job.file_name.empty() ? job.file_name
                            : job.text_de.empty()  ? "Translation job " + id
                                                   : EntryTitle(job.text_de);
  // A file job's pieces are the document's blocks (paragraphs, cells, cues), a text's its sentences.
  const char* units = job.file_name.empty() ? " sentences" : " blocks";
  const LanguageList* list = ctx.languages.get();
  std::string body = "<h1" + (job.text_de.empty() ? std::string() : LangAttr(job.source_lang)) + ">" +
                     EscapeHtml(title) + "</h1>\n";
  std::string meta;
  if (job.total_units > 0) {
    meta += std::to_string(job.state == store::JobState::kDone ? job.total_units : job.done_units) + " of " +
            std::to_string(job.total_units) + units;
  }
  if (active && view.eta_seconds >= 0) {
    const int64_t seconds = static_cast<int64_t>(view.eta_seconds + 0.5);
    meta += " \xC2\xB7 about " +
            (seconds < 60 ? std::to_string(std::max<int64_t>(seconds, 1)) + " s"
                          : std::to_string((seconds + 30) / 60) + " min") +
            " left";
  }
  body += "<div class=\"job-status\" id=\"job-status\" data-status=\"" + EscapeHtml(status) +
          "\" role=\"status\"><span class=\"badge " + EscapeHtml(status) + "\">" + EscapeHtml(status) +
          "</span>";
  if (active && job.total_units > 0) {
    body += "<progress id=\"job-progress\" max=\"" + std::to_string(job.total_units) + "\" value=\"" +
            std::to_string(job.done_units) + "\" aria-label=\"" +
            (job.file_name.empty() ? "Sentences" : "Blocks") + " translated\"></progress>";
  }
  body += "<span>" + EscapeHtml(meta) + (meta.empty() ? "" : " \xC2\xB7 ") + "started " +
          TimeElement(job.created_at_unix) + "</span>" + PairLabel(ctx, job.source_lang, job.target_lang) +
          (view.detected.empty()
               ? ""
               : "<span class=\"detected\" id=\"detected\">" + EscapeHtml(view.detected) + "</span>") +
          "</div>\n";
  switch (job.state) {
    case store::JobState::kQueued:
    case store::JobState::kRunning:
      body += RenderNotice(
          Notice{NoticeKind::kOk, job.state == store::JobState::kQueued
                                      ? "Waiting for a free translator; this page refreshes itself."
                                      : "Translating; this page refreshes itself. You may leave "
                                        "it: the job goes on and appears in the history."},
          nullptr);
      break;
    case store::JobState::kDone:
      body += RenderNotice(
          Notice{NoticeKind::kOk, job.output_file_name.empty()
                                      ? "Done. The translation is saved in the history."
                                      : "Done. Download the translated file below; its text is saved in the "
                                        "history."},
          nullptr);
      break;
    case store::JobState::kFailed:
      body += RenderNotice(Notice{NoticeKind::kError, "The translation failed: " + job.error}, nullptr);
      break;
    case store::JobState::kCancelled:
      body +=
          RenderNotice(Notice{NoticeKind::kWarning, "The job was cancelled; nothing was saved."}, nullptr);
      break;
  }
  body +=
      "<div class=\"panes\">\n<section class=\"pane\" aria-labelledby=\"en-label\"><div "
      "class=\"pane-head\"><h2 "
      "id=\"en-label\">" +
      EscapeHtml(LanguageName(list, job.target_lang)) +
      "</h2></div><div class=\"text-block\" id=\"job-text-en\"" + LangAttr(job.target_lang) + ">" +
      EscapeHtml(view.text_en) + "</div></section>\n";
  body +=
      "<section class=\"pane\" aria-labelledby=\"de-label\"><div class=\"pane-head\"><h2 "
      "id=\"de-label\">" +
      EscapeHtml(LanguageName(list, job.source_lang)) +
      "</h2></div><div class=\"text-block\" id=\"job-text-de\"" + LangAttr(job.source_lang) + ">" +
      EscapeHtml(job.text_de) + "</div></section>\n</div>\n";
  body += "<div class=\"actions\">";
  if (active) {
    body += "<form class=\"inline-form\" method=\"post\" action=\"/jobs/" + id + "/cancel\">" +
            CsrfField(ctx) +
            "<button type=\"submit\" class=\"danger\" aria-label=\"Cancel the translation of \xE2\x80\x9C" +
            EscapeHtml(title) + "\xE2\x80\x9D\">Cancel</button></form>";
  }
  if (job.state == store::JobState::kDone && !job.output_file_name.empty()) {
    body += "<a class=\"button\" id=\"download-file\" href=\"/jobs/" + id + "/file\" download>Download " +
            EscapeHtml(job.output_file_name) + "</a>";
  }
  if (job.state == store::JobState::kDone && job.history_id > 0) {
    body += "<a class=\"button" + std::string(job.output_file_name.empty() ? "" : " secondary") +
            "\" href=\"/history/" + std::to_string(job.history_id) + "\">Open in the history</a>";
  }
  // The next translation starts from the same choice (also without JavaScript).
  const std::string again =
      "/?source=" + PercentEncode(view.source_was_auto ? std::string(kAutoSource) : job.source_lang) +
      "&target=" + PercentEncode(job.target_lang);
  body += "<a class=\"button secondary\" id=\"new-translation\" href=\"" + EscapeHtml(again) +
          "\">New translation</a></div>\n";
  const std::string refresh = active ? "<meta http-equiv=\"refresh\" content=\"2\">\n" : "";
  return Layout(ctx, Nav::kNone, title + " (" + status + ")", body, refresh);
}

std::string RenderEntryPage(const PageContext& ctx, const store::TranslationRecord& record) {
  const std::string title = record.file_name.empty() ? EntryTitle(record.text_de) : record.file_name;
  const LanguageList* list = ctx.languages.get();
  std::string body = "<h1" + LangAttr(record.source_lang) + ">" + EscapeHtml(title) + "</h1>\n";
  body += "<p class=\"meta\">" + TimeElement(record.created_at_unix) + " \xC2\xB7 " +
          PairLabel(ctx, record.source_lang, record.target_lang) +
          (record.model.empty() ? "" : " \xC2\xB7 model " + EscapeHtml(record.model)) +
          (record.file_name.empty() ? "" : " \xC2\xB7 file " + EscapeHtml(record.file_name)) + "</p>\n";
  body +=
      "<div class=\"panes\">\n<section class=\"pane\" aria-labelledby=\"de-label\"><div "
      "class=\"pane-head\"><h2 "
      "id=\"de-label\">" +
      EscapeHtml(LanguageName(list, record.source_lang)) + "</h2></div><div class=\"text-block\"" +
      LangAttr(record.source_lang) + ">" + EscapeHtml(record.text_de) + "</div></section>\n";
  body +=
      "<section class=\"pane\" aria-labelledby=\"en-label\"><div class=\"pane-head\"><h2 "
      "id=\"en-label\">" +
      EscapeHtml(LanguageName(list, record.target_lang)) + "</h2></div><div class=\"text-block\"" +
      LangAttr(record.target_lang) + ">" + EscapeHtml(record.text_en) + "</div></section>\n</div>\n";
  body +=
      "<div class=\"actions\"><a class=\"button secondary\" href=\"/history\">\xE2\x86\x90 Back to the "
      "history</a>";
  // A file's translation is kept with its job (client key "job-<id>") until the job is deleted.
  if (!record.file_name.empty() && record.client_key.rfind("job-", 0) == 0 && record.client_key.size() > 4 &&
      record.client_key.find_first_not_of("0123456789", 4) == std::string::npos) {
    body += "<a class=\"button\" id=\"download-file\" href=\"/jobs/" + record.client_key.substr(4) +
            "/file\" download>Download the translated file</a>";
  }
  body += DeleteForm(ctx, record, "/history", /*small=*/false) + "</div>\n";
  return Layout(ctx, Nav::kHistory, title, body);
}

std::string RenderDeleteConfirmPage(const PageContext& ctx, const store::TranslationRecord& record,
                                    const std::string& return_to) {
  const std::string id = std::to_string(record.id);
  const std::string title = EntryTitle(record.text_de);
  std::string body = "<h1>Delete this translation?</h1>\n<div class=\"confirm\">\n";
  body += "<p>It is removed from the history for good; this cannot be undone.</p>\n";
  body += "<p class=\"meta\">" + TimeElement(record.created_at_unix) + "</p>\n";
  body += "<blockquote" + LangAttr(record.source_lang) + ">" + EscapeHtml(Snippet(record.text_de, 400)) +
          "</blockquote>\n";
  body += "<form method=\"post\" action=\"/history/" + id + "/delete\" class=\"actions\">" + CsrfField(ctx) +
          "<input type=\"hidden\" name=\"return_to\" value=\"" + EscapeHtml(return_to) +
          "\"><input type=\"hidden\" name=\"confirmed\" value=\"yes\">"
          "<button type=\"submit\" class=\"danger solid\" aria-label=\"Delete \xE2\x80\x9C" +
          EscapeHtml(title) + "\xE2\x80\x9D\">Delete</button><a class=\"button secondary\" href=\"" +
          EscapeHtml(return_to) + "\">Keep it</a></form>\n</div>\n";
  return Layout(ctx, Nav::kHistory, "Delete " + title, body);
}

std::string RenderErrorPage(const PageContext& ctx, int status, const std::string& title,
                            const std::string& message) {
  std::string body = "<h1>" + EscapeHtml(title) + "</h1>\n<div class=\"notice error\" role=\"alert\">" +
                     EscapeHtml(message) +
                     "</div>\n<p><a href=\"/\">Translate</a> \xC2\xB7 <a "
                     "href=\"/history\">History</a></p>\n<p class=\"hint\">HTTP " +
                     std::to_string(status) + "</p>\n";
  return Layout(ctx, Nav::kNone, title, body);
}

}  // namespace dolmetsch::web
