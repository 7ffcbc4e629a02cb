#include "web/pages.h"

#include <gtest/gtest.h>

#include "web/history_export.h"

namespace dolmetsch::web {
namespace {

const char* const kPayloads[] = {
    "<script>alert('xss')</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "javascript:alert(document.cookie)",
    "</textarea><script>alert(1)</script>",
    "'; DROP TABLE translations; --",
};

PageContext Context() {
  PageContext ctx;
  ctx.csrf_token = "tok\"en";
  return ctx;
}

TEST(PagesTest, TranslatePageEscapesInputOutputAndToken) {
  for (const char* payload : kPayloads) {
    TranslateView view{payload, payload, Notice{NoticeKind::kWarning, payload}, 0};
    std::string html = RenderTranslatePage(Context(), view);
    if (std::string(payload).find('<') != std::string::npos) {
      EXPECT_EQ(html.find(payload), std::string::npos) << payload;
    }
    EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    EXPECT_EQ(html.find("onerror=alert(1)>"), std::string::npos);
    EXPECT_EQ(html.find("tok\"en"), std::string::npos);
    EXPECT_NE(html.find("value=\"tok&quot;en\""), std::string::npos);
  }
}

TEST(PagesTest, NoInlineScriptsOrStyles) {
  std::string html = RenderTranslatePage(Context(), TranslateView{"a", "b", std::nullopt, 1});
  EXPECT_NE(html.find("<script src=\"/static/app.js?v="), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find(" onclick"), std::string::npos);
}

TEST(PagesTest, TranslatePageHasLanguagesAndLabels) {
  std::string html = RenderTranslatePage(Context(), TranslateView{});
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("lang=\"de\""), std::string::npos);
  EXPECT_NE(html.find("<label for=\"text-de\">"), std::string::npos);
  EXPECT_NE(html.find("id=\"text-en\" class=\"output\" lang=\"en\""), std::string::npos);
  EXPECT_NE(html.find("name=\"csrf_token\""), std::string::npos);
  EXPECT_NE(html.find("method=\"post\" action=\"/translate\""), std::string::npos);
}

TEST(PagesTest, HistoryPageEscapesEntriesAndQuery) {
  HistoryView view;
  view.query = "\"><script>alert(1)</script>";
  view.total = 45;
  view.page = 2;
  view.pages = 3;
  for (int i = 0; i < 3; ++i) {
    store::TranslationRecord record;
    record.id = 10 + i;
    record.text_de = kPayloads[i];
    record.text_en = kPayloads[i + 3];
    record.created_at_unix = 1700000000;
    view.items.push_back(record);
  }
  std::string html = RenderHistoryPage(Context(), view);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""), std::string::npos);
  // Pagination and export links carry the search percent-encoded.
  EXPECT_NE(html.find("/history/export.csv?q=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"),
            std::string::npos);
  EXPECT_NE(html.find("page=3"), std::string::npos);
  EXPECT_NE(html.find("Page 2 of 3"), std::string::npos);
  EXPECT_NE(html.find("action=\"/history/12/delete\""), std::string::npos);
  EXPECT_NE(html.find("<p lang=\"de\">"), std::string::npos);
}

TEST(PagesTest, EmptyHistorySaysSo) {
  HistoryView view;
  EXPECT_NE(RenderHistoryPage(Context(), view).find("No translations yet"), std::string::npos);
  view.query = "x";
  EXPECT_NE(RenderHistoryPage(Context(), view).find("Nothing matches"), std::string::npos);
}

TEST(PagesTest, EntryPageShowsFullTextEscaped) {
  store::TranslationRecord record;
  record.id = 5;
  record.text_de = "Absatz 1\n\n<b>Absatz</b> 2";
  record.text_en = "Paragraph 1\n\nParagraph 2";
  record.model = "m<1>";
  std::string html = RenderEntryPage(Context(), record);
  EXPECT_NE(html.find("Absatz 1\n\n&lt;b&gt;Absatz&lt;/b&gt; 2"), std::string::npos);
  EXPECT_NE(html.find("m&lt;1&gt;"), std::string::npos);
  EXPECT_NE(html.find("unknown date"), std::string::npos);
}

TEST(SnippetTest, CutsAtCodePoints) {
  EXPECT_EQ(Snippet("äöü", 2), "äö…");
  EXPECT_EQ(Snippet("äöü", 3), "äöü");
  EXPECT_EQ(Snippet("", 3), "");
}

TEST(CountsLabelTest, CountsCharactersOnly) {
  // The sentence count is the segmenter's and comes with a job's progress; no second estimate here.
  EXPECT_EQ(CountsLabel(""), "0 characters");
  EXPECT_EQ(CountsLabel("Ä"), "1 character");
  EXPECT_EQ(CountsLabel("Warte… Ja.\n\nNein?!"), "18 characters");
}

TEST(EntryTitleTest, FirstWordsCutAtAWordBoundary) {
  EXPECT_EQ(EntryTitle("Der Hund läuft."), "Der Hund läuft.");
  EXPECT_EQ(EntryTitle("  Habe nun,\n  ach!  Philosophie,\n"), "Habe nun, ach! Philosophie,");
  EXPECT_EQ(EntryTitle("Der Hund läuft schnell über die Wiese, und die Katze schläft im Haus.", 30),
            "Der Hund läuft schnell über…");
  EXPECT_EQ(EntryTitle("Donaudampfschifffahrtsgesellschaftskapitän", 10), "Donaudampf…");
  EXPECT_EQ(EntryTitle(" \n\t"), "Empty text");
}

TEST(FormatTimeTest, IsoAndDisplay) {
  EXPECT_EQ(FormatIsoTime(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatDisplayTime(1700000000), "2023-11-14 22:13 UTC");
  EXPECT_EQ(FormatIsoTime(0), "");
}

TEST(PagesTest, HistoryEntriesAreTitledTimedAndLabelled) {
  HistoryView view;
  view.total = 2;
  const char* texts[] = {"Die Sonne scheint heute.", "Das Fahrrad steht im Garten."};
  for (int i = 0; i < 2; ++i) {
    store::TranslationRecord record;
    record.id = 100 + i;
    record.text_de = texts[i];
    record.text_en = "x";
    record.created_at_unix = 1700000000;
    view.items.push_back(record);
  }
  std::string html = RenderHistoryPage(Context(), view);
  // Links read as the entries' first words, not as their time or database id.
  EXPECT_NE(html.find(">Die Sonne scheint heute.</a>"), std::string::npos);
  EXPECT_NE(html.find(">Das Fahrrad steht im Garten.</a>"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"Delete “Das Fahrrad steht im Garten.”\""), std::string::npos);
  EXPECT_NE(html.find("<time datetime=\"2023-11-14T22:13:20Z\" title=\"2023-11-14 22:13 UTC\">"),
            std::string::npos);
  EXPECT_NE(html.find("class=\"inline-form delete-form\""), std::string::npos);
  EXPECT_NE(html.find("name=\"confirmed\" value=\"\""), std::string::npos);
}

TEST(PagesTest, RunningJobsAreTitledByTheirFirstWordsEscaped) {
  HistoryView view;
  store::JobRecord running;
  running.id = 41;
  running.state = store::JobState::kRunning;
  running.text_de = "<b>Sehr geehrte</b> Damen und Herren,\nwir schreiben Ihnen wegen Ihrer Bestellung.";
  running.total_units = 10;
  running.done_units = 3;
  running.created_at_unix = 1700000000;
  store::JobRecord queued;
  queued.id = 42;  // no preview (e.g. an older store): its number
  view.active_jobs = {running, queued};
  std::string html = RenderHistoryPage(Context(), view);
  EXPECT_NE(html.find("<a href=\"/jobs/41\" lang=\"de\">&lt;b&gt;Sehr geehrte&lt;/b&gt; Damen und Herren,"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("<b>Sehr"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/jobs/42\" lang=\"de\">Job 42</a>"), std::string::npos);
  EXPECT_NE(html.find("3 of 10 sentences"), std::string::npos);
}

TEST(PagesTest, FileJobsAndEntriesAreTitledByTheFileAndCountBlocks) {
  HistoryView view;
  store::JobRecord running;
  running.id = 7;
  running.state = store::JobState::kRunning;
  running.text_de = "Kopf\n\nText.";
  running.file_name = "Brief <an> Anna.docx";
  running.total_units = 9;
  running.done_units = 3;
  view.active_jobs = {running};
  std::string html = RenderHistoryPage(Context(), view);
  EXPECT_NE(html.find(">Brief &lt;an&gt; Anna.docx</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("3 of 9 blocks"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"Blocks translated, job 7\""), std::string::npos);

  JobView job;
  job.job = running;
  job.job.state = store::JobState::kDone;
  job.job.output_file_name = "Brief <an> Anna.docx";
  job.job.history_id = 5;
  html = RenderJobPage(Context(), job);
  EXPECT_NE(
      html.find("<a class=\"button\" id=\"download-file\" href=\"/jobs/7/file\" download>Download Brief "
                "&lt;an&gt; Anna.docx</a>"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("9 of 9 blocks"), std::string::npos);

  store::TranslationRecord record;
  record.id = 5;
  record.text_de = "Kopf";
  record.file_name = "Brief <an> Anna.docx";
  record.client_key = "job-7";
  html = RenderEntryPage(Context(), record);
  EXPECT_NE(html.find("file Brief &lt;an&gt; Anna.docx"), std::string::npos) << html;
  EXPECT_NE(html.find("href=\"/jobs/7/file\""), std::string::npos);
  record.client_key = "job-7\"><script>";  // not a job key: no link built from it
  html = RenderEntryPage(Context(), record);
  EXPECT_EQ(html.find("/file\""), std::string::npos);
}

TEST(PagesTest, EntryPageIsTitledByItsFirstWords) {
  store::TranslationRecord record;
  record.id = 11;
  record.text_de = "Sehr geehrte Damen und Herren,\nich schreibe Ihnen wegen meiner Bestellung.";
  std::string html = RenderEntryPage(Context(), record);
  EXPECT_EQ(html.find("Translation 11"), std::string::npos);
  EXPECT_NE(html.find("<h1 lang=\"de\">Sehr geehrte Damen und Herren, ich schreibe Ihnen wegen…</h1>"),
            std::string::npos)
      << html;
}

TEST(PagesTest, DeleteConfirmPagePostsConfirmedAndEscapes) {
  store::TranslationRecord record;
  record.id = 7;
  record.text_de = "<script>alert(1)</script> Hallo";
  std::string html = RenderDeleteConfirmPage(Context(), record, "/history?q=a&page=2");
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("action=\"/history/7/delete\""), std::string::npos);
  EXPECT_NE(html.find("name=\"confirmed\" value=\"yes\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/history?q=a&amp;page=2\">Keep it</a>"), std::string::npos);
}

TEST(PagesTest, TranslatePageHasACancelButton) {
  std::string html = RenderTranslatePage(Context(), TranslateView{});
  EXPECT_NE(html.find("id=\"cancel-button\""), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::web

namespace dolmetsch::web {
namespace {

PageContext WithLanguages(const std::string& body) {
  PageContext ctx = Context();
  auto list = ParseLanguages(body);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (list.ok()) ctx.languages = std::make_shared<const LanguageList>(std::move(*list));
  return ctx;
}

constexpr char kTwoPairs[] =
    R"([{"code":"de","name":"German","targets":["en"]},{"code":"en","name":"English","targets":["de"]}])";

TEST(PagesTest, WithoutALanguageListThePickersOfferGermanEnglishOnly) {
  std::string html = RenderTranslatePage(Context(), TranslateView{});
  EXPECT_NE(
      html.find("<select id=\"source-lang\" name=\"source\"><option value=\"de\" selected>German</option>"
                "</select>"),
      std::string::npos)
      << html;
  EXPECT_NE(
      html.find("<select id=\"target-lang\" name=\"target\"><option value=\"en\" selected>English</option>"
                "</select>"),
      std::string::npos);
  EXPECT_EQ(html.find("value=\"auto\""), std::string::npos);
}

TEST(PagesTest, PickersAreFilledFromTheListWithDetectAndSwap) {
  std::string html = RenderTranslatePage(WithLanguages(kTwoPairs), TranslateView{});
  EXPECT_NE(
      html.find("<option value=\"auto\">Detect language</option><option value=\"de\" data-targets=\"en\" "
                "selected>German</option><option value=\"en\" data-targets=\"de\">English</option>"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("<option value=\"de\">German</option><option value=\"en\" selected>English</option>"),
            std::string::npos);
  EXPECT_NE(html.find("id=\"swap-button\""), std::string::npos);
  EXPECT_EQ(html.find("data-pair-chosen"), std::string::npos);
  // The panes are titled by the pair.
  EXPECT_NE(html.find("<span id=\"source-label\">German</span>"), std::string::npos);
  EXPECT_NE(html.find("<h2 id=\"en-label\">English</h2>"), std::string::npos);
}

TEST(PagesTest, ASubmittedPairStaysSelected) {
  TranslateView view;
  view.source = "en";
  view.target = "de";
  view.pair_chosen = true;
  std::string html = RenderTranslatePage(WithLanguages(kTwoPairs), view);
  EXPECT_NE(html.find("<option value=\"en\" data-targets=\"de\" selected>English</option>"),
            std::string::npos);
  EXPECT_NE(html.find("<option value=\"de\" selected>German</option>"), std::string::npos);
  EXPECT_NE(html.find("data-pair-chosen=\"1\""), std::string::npos);
  EXPECT_NE(html.find("<textarea id=\"text-de\" name=\"text\" lang=\"en\""), std::string::npos);
  // "auto": the swap button is disabled; the detected language is shown.
  view.source = "auto";
  view.detected = "Detected: German (93%)";
  html = RenderTranslatePage(WithLanguages(kTwoPairs), view);
  EXPECT_NE(html.find("<option value=\"auto\" selected>Detect language</option>"), std::string::npos);
  EXPECT_NE(html.find("hidden disabled>"), std::string::npos);
  EXPECT_NE(html.find(">Detected: German (93%)</span>"), std::string::npos);
  // A pair the list does not have (refused by the server) is still shown as chosen.
  view.source = "fr";
  html = RenderTranslatePage(WithLanguages(kTwoPairs), view);
  EXPECT_NE(html.find("<option value=\"fr\" selected>fr</option>"), std::string::npos);
}

TEST(PagesTest, LanguageNamesAndCodesAreEscaped) {
  PageContext ctx = WithLanguages(
      R"([{"code":"de","name":"<script>alert(1)</script>","targets":["x-y"]},{"code":"x-y","name":"\"><img src=x>"}])");
  TranslateView view;
  view.detected = "Detected: <b>";
  std::string html = RenderTranslatePage(ctx, view);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("Detected: <b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(PagesTest, HistoryEntryAndJobShowTheLanguages) {
  PageContext ctx = WithLanguages(kTwoPairs);
  HistoryView view;
  store::TranslationRecord old_row;  // stored before languages were kept: reads back as de -> en
  old_row.id = 1;
  old_row.text_de = "Hallo";
  old_row.text_en = "Hello";
  store::TranslationRecord reverse = old_row;
  reverse.id = 2;
  reverse.text_de = "Good morning";
  reverse.text_en = "Guten Morgen";
  reverse.source_lang = "en";
  reverse.target_lang = "de";
  view.items = {reverse, old_row};
  view.total = 2;
  std::string html = RenderHistoryPage(ctx, view);
  EXPECT_NE(
      html.find("<span class=\"langs\" title=\"English \xE2\x86\x92 German\">en \xE2\x86\x92 de</span>"),
      std::string::npos)
      << html;
  EXPECT_NE(
      html.find("<span class=\"langs\" title=\"German \xE2\x86\x92 English\">de \xE2\x86\x92 en</span>"),
      std::string::npos);
  EXPECT_NE(html.find("<p lang=\"en\">Good morning</p><p lang=\"de\">Guten Morgen</p>"), std::string::npos);

  std::string entry = RenderEntryPage(ctx, reverse);
  EXPECT_NE(entry.find("en \xE2\x86\x92 de</span>"), std::string::npos);
  EXPECT_NE(entry.find("id=\"de-label\">English</h2>"), std::string::npos);

  JobView job;
  job.job.id = 9;
  job.job.state = store::JobState::kDone;
  job.job.source_lang = "en";
  job.job.target_lang = "de";
  job.detected = "Detected: English (88%)";
  job.source_was_auto = true;
  std::string page = RenderJobPage(ctx, job);
  EXPECT_NE(page.find("en \xE2\x86\x92 de</span>"), std::string::npos);
  EXPECT_NE(page.find(">Detected: English (88%)</span>"), std::string::npos);
  EXPECT_NE(page.find("href=\"/?source=auto&amp;target=de\">New translation"), std::string::npos);
  job.source_was_auto = false;
  EXPECT_NE(RenderJobPage(ctx, job).find("href=\"/?source=en&amp;target=de\">New translation"),
            std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::web
