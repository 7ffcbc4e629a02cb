#include "web/pages.h"

#include <gtest/gtest.h>

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

TEST(CountsLabelTest, CountsCharactersAndSentences) {
  EXPECT_EQ(CountsLabel(""), "0 characters · 0 sentences");
  EXPECT_EQ(CountsLabel("Ä"), "1 character · 1 sentence");
  EXPECT_EQ(CountsLabel("Hallo Welt. Wie geht's? Gut!"), "28 characters · 3 sentences");
  EXPECT_EQ(CountsLabel("Erstens. Zweitens ohne Punkt"), "28 characters · 2 sentences");
  EXPECT_EQ(CountsLabel("Version 1.5 ist da."), "19 characters · 1 sentence");
  EXPECT_EQ(CountsLabel("Warte… Ja.\n\nNein?!"), "18 characters · 3 sentences");
}

}  // namespace
}  // namespace dolmetsch::web
