// In-process tests of the web app's routes against a fake translator and an in-memory SQLite history.
#include "web/web_app.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "util/percent_encoding.h"
#include "web/html.h"
#include "web/testing/fake_translator.h"

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;

// A browser: keeps the session cookie and the page's CSRF token.
class Browser {
 public:
  explicit Browser(int port) : client_("127.0.0.1", port) { client_.set_read_timeout(20, 0); }

  httplib::Result Get(const std::string& path, httplib::Headers extra = {}) {
    auto res = client_.Get(path, WithCookie(std::move(extra)));
    Remember(res);
    return res;
  }
  httplib::Result Post(const std::string& path, const httplib::Params& fields, httplib::Headers extra = {}) {
    auto res = client_.Post(path, WithCookie(std::move(extra)), httplib::detail::params_to_query_str(fields),
                            "application/x-www-form-urlencoded");
    Remember(res);
    return res;
  }
  httplib::Result PostRaw(const std::string& path, const std::string& body, const std::string& type) {
    auto res = client_.Post(path, WithCookie({}), body, type.c_str());
    Remember(res);
    return res;
  }
  void set_read_timeout_ms(int ms) { client_.set_read_timeout(ms / 1000, (ms % 1000) * 1000); }
  // Loads the translate page and returns its CSRF token.
  std::string Token() {
    auto res = Get("/");
    std::smatch m;
    std::string body = res ? res->body : "";
    if (!std::regex_search(body, m, std::regex("name=\"csrf_token\" value=\"([0-9a-f]{64})\""))) return "";
    return m[1];
  }
  std::string cookie;

 private:
  httplib::Headers WithCookie(httplib::Headers headers) {
    if (!cookie.empty()) headers.emplace("Cookie", cookie);
    return headers;
  }
  void Remember(const httplib::Result& res) {
    if (!res) return;
    std::string set = res->get_header_value("Set-Cookie");
    if (!set.empty()) cookie = set.substr(0, set.find(';'));
  }
  httplib::Client client_;
};

class WebAppTest : public ::testing::Test {
 protected:
  void Start(HistoryMode mode = HistoryMode::kPrivate,
             std::string db = "sqlite://:memory:", std::string journal = "", std::string users_file = "") {
    WebOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.translator = {fake_.url(), "", 2, 10};
    options.store.url = db;
    options.store.journal_path = journal;
    options.store.mysql_connect_timeout_seconds = 1;
    options.history_mode = mode;
    options.users_file = users_file;
    options.trusted_proxies = {"127.0.0.1"};
    options.max_body_bytes = 64 * 1024;
    options.max_text_chars = 16 * 1024;
    options.page_size = 3;
    options.log_requests = false;
    auto app = WebApp::Create(options);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->Listen().ok());
  }
  int port() const { return app_->port(); }
  // Sends the form: it creates a job (303 to its page), whose page is followed until the job is done; with
  // the job database down the form is answered directly (200).
  std::string Translate(Browser& browser, const std::string& text) {
    std::string token = browser.Token();
    auto res = browser.Post("/translate", {{"csrf_token", token}, {"text", text}});
    EXPECT_TRUE(res);
    if (!res) return "";
    if (res->status == 200) return res->body;
    EXPECT_EQ(res->status, 303) << res->body;
    std::string location = res->get_header_value("Location");
    EXPECT_TRUE(std::regex_match(location, std::regex("/jobs/\\d+"))) << location;
    return WaitForJobPage(browser, location);
  }
  std::string WaitForJobPage(Browser& browser, const std::string& location) {
    for (int i = 0; i < 1000; ++i) {
      auto page = browser.Get(location);
      if (!page || page->status != 200) return "";
      if (page->body.find("data-status=\"done\"") != std::string::npos ||
          page->body.find("data-status=\"failed\"") != std::string::npos) {
        return page->body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the job at " << location << " did not finish";
    return "";
  }

  testing::FakeTranslator fake_;
  std::unique_ptr<WebApp> app_;
};

TEST_F(WebAppTest, FirstVisitGetsSessionCookieAndSecurityHeaders) {
  Start();
  httplib::Client client("127.0.0.1", port());
  auto res = client.Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  std::string cookie = res->get_header_value("Set-Cookie");
  EXPECT_TRUE(std::regex_search(
      cookie, std::regex("^dolmetsch_session=[0-9a-f]{32}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$")))
      << cookie;
  EXPECT_NE(res->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(res->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(res->get_header_value("Cache-Control"), "no-store");
  EXPECT_TRUE(res->get_header_value("Strict-Transport-Security").empty());
}

TEST_F(WebAppTest, SecureCookieOnlyBehindTrustedHttpsProxy) {
  Start();
  httplib::Client client("127.0.0.1", port());
  auto res = client.Get("/", {{"X-Forwarded-Proto", "https"}});
  ASSERT_TRUE(res);
  EXPECT_NE(res->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
  EXPECT_FALSE(res->get_header_value("Strict-Transport-Security").empty());
  res = client.Get("/", {{"X-Forwarded-Proto", "http"}});
  EXPECT_EQ(res->get_header_value("Set-Cookie").find("; Secure"), std::string::npos);
}

TEST_F(WebAppTest, UntrustedProxyHeaderIsIgnored) {
  WebOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.translator = {fake_.url(), "", 2, 10};
  options.store.url = "sqlite://:memory:";
  options.log_requests = false;  // no trusted proxies
  auto app = WebApp::Create(options);
  ASSERT_TRUE(app.ok());
  ASSERT_TRUE((*app)->Listen().ok());
  httplib::Client client("127.0.0.1", (*app)->port());
  auto res = client.Get("/", {{"X-Forwarded-Proto", "https"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Set-Cookie").find("Secure"), std::string::npos);
}

TEST_F(WebAppTest, StateChangingRequestsNeedTheCsrfToken) {
  Start();
  Browser browser(port());
  std::string token = browser.Token();
  ASSERT_FALSE(token.empty());
  auto res = browser.Post("/translate", {{"text", "Hallo"}});
  EXPECT_EQ(res->status, 403);
  res = browser.Post("/translate", {{"text", "Hallo"}, {"csrf_token", std::string(64, 'a')}});
  EXPECT_EQ(res->status, 403);
  // Another browser's valid token does not work with this cookie.
  Browser other(port());
  res = browser.Post("/translate", {{"text", "Hallo"}, {"csrf_token", other.Token()}});
  EXPECT_EQ(res->status, 403);
  // No cookie at all.
  Browser stranger(port());
  res = stranger.Post("/translate", {{"text", "Hallo"}, {"csrf_token", token}});
  EXPECT_EQ(res->status, 403);
  res = browser.Post("/api/translate", {{"text", "Hallo"}});
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(fake_.requests(), 0);
  res = browser.Post("/history/1/delete", {{"csrf_token", "x"}});
  EXPECT_EQ(res->status, 403);
  res = browser.Post("/translate", {{"text", "Hallo"}, {"csrf_token", token}});
  EXPECT_EQ(res->status, 303);
  WaitForJobPage(browser, res->get_header_value("Location"));
  EXPECT_EQ(fake_.requests(), 1);
}

TEST_F(WebAppTest, FormTranslationIsShownAndStoredPrivately) {
  Start();
  Browser anna(port());
  std::string page = Translate(anna, "Guten Tag. Wie geht es?\n\nZweiter Absatz");
  EXPECT_NE(page.find("EN(Guten Tag.) EN(Wie geht es?\n\nZweiter Absatz)"), std::string::npos);
  EXPECT_NE(page.find("lang=\"de\">Guten Tag. Wie geht es?\n\nZweiter Absatz</div>"), std::string::npos);
  EXPECT_NE(page.find("Open in the history"), std::string::npos);
  EXPECT_EQ(page.find("http-equiv=\"refresh\""), std::string::npos);  // done: no more refreshing

  auto history = anna.Get("/history");
  ASSERT_EQ(history->status, 200);
  EXPECT_NE(history->body.find("1 translation"), std::string::npos);
  EXPECT_NE(history->body.find("Guten Tag."), std::string::npos);

  Browser ben(port());
  history = ben.Get("/history");
  EXPECT_NE(history->body.find("0 translations"), std::string::npos);
  EXPECT_EQ(history->body.find("Guten Tag."), std::string::npos);
  std::smatch m;
  std::string anna_history = anna.Get("/history")->body;
  ASSERT_TRUE(std::regex_search(anna_history, m, std::regex("href=\"/history/(\\d+)\"")));
  std::string id = m[1];
  EXPECT_EQ(ben.Get("/history/" + id)->status, 404);
  EXPECT_EQ(ben.Post("/history/" + id + "/delete", {{"csrf_token", ben.Token()}})->status, 404);
  EXPECT_EQ(anna.Get("/history/" + id)->status, 200);
}

TEST_F(WebAppTest, CrLfFromFormsIsStoredAsLf) {
  Start();
  Browser browser(port());
  Translate(browser, "Eins.\r\n\r\nZwei.");
  auto exported = json::parse(browser.Get("/history/export.json")->body);
  EXPECT_EQ(exported["translations"][0]["text_de"], "Eins.\n\nZwei.");
}

TEST_F(WebAppTest, XssAndSqlPayloadsAreStoredVerbatimAndShownAsText) {
  Start();
  Browser browser(port());
  const std::vector<std::string> payloads = {
      "<script>alert('xss')</script>",
      "\"><img src=x onerror=alert(1)>",
      "' onmouseover='alert(1)' x='",
      "javascript:alert(document.cookie)",
      "</textarea><script>alert(2)</script>",
      "'; DROP TABLE translations; --",
      "\" OR 1=1 --",
      "1' UNION SELECT owner, text_de FROM translations --",
  };
  for (const auto& payload : payloads) {
    std::string page = Translate(browser, payload);
    EXPECT_EQ(page.find("<script>alert"), std::string::npos) << payload;
    EXPECT_EQ(page.find("<img src=x"), std::string::npos) << payload;
    EXPECT_NE(page.find(EscapeHtml(payload)), std::string::npos) << payload;
  }
  auto exported = json::parse(browser.Get("/history/export.json")->body);
  ASSERT_EQ(exported["translations"].size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    // Newest first.
    EXPECT_EQ(exported["translations"][payloads.size() - 1 - i]["text_de"], payloads[i]);
  }
  for (int page = 1; page <= 3; ++page) {
    auto history = browser.Get("/history?page=" + std::to_string(page));
    EXPECT_EQ(history->status, 200);
    EXPECT_EQ(history->body.find("<script>alert"), std::string::npos);
    EXPECT_EQ(history->body.find("<img src=x"), std::string::npos);
  }
  // Searching with SQL and markup is just text, too.
  auto search = browser.Get("/history?q=" + PercentEncode("DROP TABLE"));
  EXPECT_NE(search->body.find("1 translation matching"), std::string::npos);
  search = browser.Get("/history?q=" + PercentEncode("' OR '1'='1"));
  EXPECT_EQ(search->status, 200);
  EXPECT_NE(search->body.find("&#39; OR &#39;1&#39;=&#39;1"), std::string::npos);
  EXPECT_EQ(json::parse(browser.Get("/history/export.json")->body)["count"], payloads.size());
}

TEST_F(WebAppTest, HistoryPaginatesSearchesDeletesAndExports) {
  Start();  // page size 3
  Browser browser(port());
  for (int i = 1; i <= 7; ++i)
    Translate(browser, "Satz Nummer " + std::to_string(i) + (i % 2 ? " Apfel" : " Birne"));
  auto first = browser.Get("/history");
  EXPECT_NE(first->body.find("Page 1 of 3"), std::string::npos);
  EXPECT_LT(first->body.find("Nummer 7"), first->body.find("Nummer 6"));  // newest first
  EXPECT_EQ(first->body.find("Nummer 4"), std::string::npos);
  auto third = browser.Get("/history?page=3");
  EXPECT_NE(third->body.find("Nummer 1"), std::string::npos);
  EXPECT_EQ(browser.Get("/history?page=99")->status, 200);  // clamped to the last page
  for (const char* bad :
       {"/history?page=0", "/history?page=abc", "/history?page=-1", "/history?q=%ZZ", "/history?q=%C3%28"}) {
    EXPECT_EQ(browser.Get(bad)->status, 400) << bad;
  }
  EXPECT_EQ(browser.Get("/history?q=" + std::string(501, 'a'))->status, 400);

  auto search = browser.Get("/history?q=apfel");
  EXPECT_NE(search->body.find("4 translations matching"), std::string::npos);
  EXPECT_NE(browser.Get("/history?q=EN%28Satz")->body.find("7 translations"), std::string::npos);

  auto csv = browser.Get("/history/export.csv?q=birne");
  ASSERT_EQ(csv->status, 200);
  EXPECT_EQ(csv->get_header_value("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_NE(csv->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 4);  // header + 3 rows
  auto exported = json::parse(browser.Get("/history/export.json")->body);
  EXPECT_EQ(exported["count"], 7);

  int64_t id = exported["translations"][0]["id"];
  // Without `confirmed=yes` (no JavaScript asked) the answer is a confirm page, and nothing is deleted.
  auto asked = browser.Post("/history/" + std::to_string(id) + "/delete",
                            {{"csrf_token", browser.Token()}, {"return_to", "/history?q=apfel"}});
  EXPECT_EQ(asked->status, 200);
  EXPECT_NE(asked->body.find("Delete this translation?"), std::string::npos);
  EXPECT_NE(asked->body.find("name=\"confirmed\" value=\"yes\""), std::string::npos);
  EXPECT_NE(asked->body.find("Satz Nummer 7"), std::string::npos);
  EXPECT_EQ(browser.Get("/history/" + std::to_string(id))->status, 200);
  auto deleted = browser.Post(
      "/history/" + std::to_string(id) + "/delete",
      {{"csrf_token", browser.Token()}, {"return_to", "/history?q=apfel"}, {"confirmed", "yes"}});
  EXPECT_EQ(deleted->status, 303);
  EXPECT_EQ(deleted->get_header_value("Location"), "/history?q=apfel&deleted=1");
  EXPECT_NE(browser.Get("/history?q=apfel&deleted=1")->body.find("The translation was deleted."),
            std::string::npos);
  EXPECT_EQ(browser.Get("/history/" + std::to_string(id))->status, 404);
  EXPECT_EQ(json::parse(browser.Get("/history/export.json")->body)["count"], 6);
  // Deleting again is a 404; a foreign return_to is not followed.
  EXPECT_EQ(
      browser.Post("/history/" + std::to_string(id) + "/delete", {{"csrf_token", browser.Token()}})->status,
      404);
  EXPECT_EQ(browser
                .Post("/history/" + std::to_string(id) + "/delete",
                      {{"csrf_token", browser.Token()}, {"confirmed", "yes"}})
                ->status,
            404);
  int64_t other = exported["translations"][1]["id"];
  deleted = browser.Post(
      "/history/" + std::to_string(other) + "/delete",
      {{"csrf_token", browser.Token()}, {"return_to", "https://evil.example/"}, {"confirmed", "yes"}});
  EXPECT_EQ(deleted->get_header_value("Location"), "/history?deleted=1");
  deleted = browser.Post(
      "/history/" + std::to_string(exported["translations"][2]["id"].get<int64_t>()) + "/delete",
      {{"csrf_token", browser.Token()}, {"return_to", "/history//evil.example"}, {"confirmed", "yes"}});
  EXPECT_EQ(deleted->get_header_value("Location"), "/history?deleted=1");
}

TEST_F(WebAppTest, MalformedRequestsAreRejected) {
  Start();
  Browser browser(port());
  std::string token = browser.Token();
  EXPECT_EQ(
      browser.PostRaw("/translate", "text=%G1&csrf_token=" + token, "application/x-www-form-urlencoded")
          ->status,
      400);
  EXPECT_EQ(browser.PostRaw("/translate", "{\"text\":\"x\"}", "application/json")->status, 415);
  EXPECT_EQ(browser.PostRaw("/api/translate", "text=%C3%28", "application/x-www-form-urlencoded")->status,
            400);
  EXPECT_EQ(browser.Post("/translate", {{"csrf_token", token}, {"text", "  \n "}})->status, 400);
  EXPECT_EQ(
      browser.Post("/translate", {{"csrf_token", token}, {"text", std::string(17 * 1024, 'a')}})->status,
      413);
  auto huge = browser.Post("/translate", {{"csrf_token", token}, {"text", std::string(70 * 1024, 'a')}});
  EXPECT_EQ(huge->status, 413);
  EXPECT_EQ(browser.Get("/no/such/page")->status, 404);
  EXPECT_EQ(browser.Get("/history/abc")->status, 404);
  EXPECT_EQ(browser.Get("/history/99999999999999999999")->status, 404);
  EXPECT_EQ(browser.Get("/static/nope.css")->status, 404);
  EXPECT_EQ(fake_.requests(), 0);
}

TEST_F(WebAppTest, TranslatorErrorsKeepTheInput) {
  Start();
  Browser browser(port());
  fake_.set_ready(false);  // the translator is down: the form comes back with the text in it
  auto res = browser.Post("/translate", {{"csrf_token", browser.Token()}, {"text", "Bitte <b>"}});
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find(">Bitte &lt;b&gt;</textarea>"), std::string::npos);
  EXPECT_NE(res->body.find("not available right now"), std::string::npos);
  EXPECT_EQ(res->body.find("127.0.0.1"), std::string::npos);
  fake_.set_ready(true);
  // An error during the job: the job page says what happened, without addresses, and keeps the German text.
  res = browser.Post("/translate", {{"csrf_token", browser.Token()}, {"text", "Bitte FAIL500 <b>"}});
  ASSERT_EQ(res->status, 303);
  std::string page = WaitForJobPage(browser, res->get_header_value("Location"));
  EXPECT_NE(page.find("data-status=\"failed\""), std::string::npos);
  EXPECT_NE(page.find("The translator failed on this text"), std::string::npos);
  EXPECT_EQ(page.find("10.0.0.7"), std::string::npos);
  EXPECT_NE(page.find(">Bitte FAIL500 &lt;b&gt;</div>"), std::string::npos);
  EXPECT_EQ(json::parse(browser.Get("/history/export.json")->body)["count"], 0);
  // 400 and 413 show the form again with the text.
  res = browser.Post("/translate", {{"csrf_token", browser.Token()}, {"text", std::string(17 * 1024, 'a')}});
  EXPECT_EQ(res->status, 413);
  EXPECT_NE(res->body.find(std::string(100, 'a') + "</textarea>"), std::string::npos);
  EXPECT_NE(res->body.find("16,384 characters"), std::string::npos);
}

TEST_F(WebAppTest, ApiStreamsProgressAndFinalEvent) {
  Start();
  Browser browser(port());
  std::string token = browser.Token();
  auto res = browser.Post("/api/translate", {{"text", "Eins. Zwei. Drei."}}, {{"X-CSRF-Token", token}});
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/event-stream");
  // The text ran as a job: its first event names it.
  EXPECT_EQ(res->body.rfind("event: job\ndata: {\"events_url\":\"/api/jobs/", 0), 0u) << res->body;
  EXPECT_NE(res->body.find("event: progress\ndata: {\"done\":3,\"total\":3}"), std::string::npos);
  size_t done = res->body.find("event: done\ndata: ");
  ASSERT_NE(done, std::string::npos);
  std::string data = res->body.substr(done + 18);
  auto event = json::parse(data.substr(0, data.find('\n')));
  EXPECT_EQ(event["text_en"], "EN(Eins.) EN(Zwei.) EN(Drei.)");
  EXPECT_EQ(event["saved"], true);
  EXPECT_GT(event["id"].get<int64_t>(), 0);
  EXPECT_GT(event["job_id"].get<int64_t>(), 0);
  EXPECT_EQ(event["sentences"], 3);
  EXPECT_FALSE(event.contains("notice"));

  res = browser.Post("/api/translate", {{"text", "STREAMERROR. x"}}, {{"X-CSRF-Token", token}});
  EXPECT_NE(res->body.find("event: error"), std::string::npos);
  EXPECT_NE(res->body.find("The translator failed on this text"), std::string::npos) << res->body;
  EXPECT_NE(res->body.find("\"status\":502"), std::string::npos);
  EXPECT_EQ(res->body.find("backend exploded"), std::string::npos) << "the backend's words go to the log";
  // A translator that is not ready: a JSON 503 at once, no job (a job would wait for it).
  fake_.set_ready(false);
  res = browser.Post("/api/translate", {{"text", "Noch nicht."}}, {{"X-CSRF-Token", token}});
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("not available right now"), std::string::npos) << res->body;
  EXPECT_EQ(res->get_header_value("Retry-After"), "5");
  fake_.set_ready(true);
}

// /api/translate runs the text as a job: a client that leaves halfway loses nothing, the job finishes and
// its translation is in the history, once.
TEST_F(WebAppTest, ApiClientThatLeavesHalfwayStillGetsItsTranslationIntoTheHistory) {
  Start();
  fake_.set_slow_ms(100);
  Browser browser(port());
  std::string token = browser.Token();
  browser.set_read_timeout_ms(350);  // leaves after the first few sentences
  auto res = browser.Post("/api/translate", {{"text", "SLOW Eins. Zwei. Drei. Vier. Fünf. Sechs. Sieben."}},
                          {{"X-CSRF-Token", token}});
  EXPECT_FALSE(res) << "the client was meant to leave before the end";
  browser.set_read_timeout_ms(20000);
  json rows;
  for (int i = 0; i < 200; ++i) {
    rows = json::parse(browser.Get("/history/export.json")->body);
    if (rows["count"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(rows["count"], 1) << rows.dump();
  EXPECT_EQ(rows["translations"][0]["text_en"],
            "EN(SLOW Eins.) EN(Zwei.) EN(Drei.) EN(Vier.) EN(Fünf.) EN(Sechs.) EN(Sieben.)")
      << rows.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(json::parse(browser.Get("/history/export.json")->body)["count"], 1) << "exactly once";
}

TEST_F(WebAppTest, DatabaseDownJournalsAndStillAnswers) {
  char dir_template[] = "/tmp/dolmetsch-web-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string journal = std::string(dir_template) + "/history.journal";
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  Start(HistoryMode::kPrivate, "mysql://root@127.0.0.1:1/translation", journal);
  Browser browser(port());
  std::string page = Translate(browser, "Die Datenbank schläft.");
  EXPECT_NE(page.find("EN(Die Datenbank schläft.)"), std::string::npos);
  EXPECT_NE(page.find("will appear in the history when the database is back"), std::string::npos);
  EXPECT_GT(std::filesystem::file_size(journal), 0u);
  auto res = browser.Post("/api/translate", {{"text", "Noch einer."}}, {{"X-CSRF-Token", browser.Token()}});
  EXPECT_NE(res->body.find("\"journaled\":true"), std::string::npos);
  EXPECT_NE(res->body.find("EN(Noch einer.)"), std::string::npos);
  EXPECT_EQ(browser.Get("/history")->status, 503);
  auto ready = browser.Get("/ready");
  EXPECT_EQ(ready->status, 200);  // translations work; the journal keeps them
  EXPECT_EQ(json::parse(ready->body)["journal_pending"], 2);
  app_.reset();
  std::filesystem::remove_all(dir_template);
}

TEST_F(WebAppTest, SharedModeShowsEveryonesHistory) {
  Start(HistoryMode::kShared);
  Browser anna(port()), ben(port());
  Translate(anna, "Gemeinsam");
  auto history = ben.Get("/history");
  EXPECT_NE(history->body.find("Shared history"), std::string::npos);
  EXPECT_NE(history->body.find("Gemeinsam"), std::string::npos);
}

int JobPageStatusForBen(int port, const std::string& job_page) {
  httplib::Client ben("127.0.0.1", port);
  ben.set_basic_auth("ben", "correct horse");
  return ben.Get(job_page)->status;
}

TEST_F(WebAppTest, UsersModeNeedsBasicAuth) {
  char path[] = "/tmp/dolmetsch-users-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string users = "anna:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\nben:{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=\n";
  ASSERT_EQ(write(fd, users.data(), users.size()), static_cast<ssize_t>(users.size()));
  close(fd);
  Start(HistoryMode::kUsers, "sqlite://:memory:", "", path);
  httplib::Client client("127.0.0.1", port());
  auto res = client.Get("/history");
  EXPECT_EQ(res->status, 401);
  EXPECT_NE(res->get_header_value("WWW-Authenticate").find("Basic realm="), std::string::npos);
  client.set_basic_auth("anna", "wrong");
  EXPECT_EQ(client.Get("/")->status, 401);
  EXPECT_EQ(client.Get("/health")->status, 200);
  EXPECT_EQ(client.Get("/static/app.css")->status, 200);

  Browser anna(port()), ben(port());
  // Browser does not do basic auth; use raw clients with cookies instead.
  httplib::Client anna_client("127.0.0.1", port());
  anna_client.set_basic_auth("anna", "correct horse");
  res = anna_client.Get("/");
  ASSERT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("Signed in as anna"), std::string::npos);
  std::string cookie = res->get_header_value("Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(res->body, m, std::regex("value=\"([0-9a-f]{64})\"")));
  auto posted =
      anna_client.Post("/translate", {{"Cookie", cookie}}, "text=Annas+Text&csrf_token=" + std::string(m[1]),
                       "application/x-www-form-urlencoded");
  ASSERT_EQ(posted->status, 303);
  const std::string job_page = posted->get_header_value("Location");
  for (int i = 0; i < 1000; ++i) {
    if (anna_client.Get(job_page, {{"Cookie", cookie}})->body.find("data-status=\"done\"") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(anna_client.Get("/history")->body.find("Annas Text"), std::string::npos);
  EXPECT_EQ(JobPageStatusForBen(port(), job_page), 404);
  httplib::Client ben_client("127.0.0.1", port());
  ben_client.set_basic_auth("ben", "correct horse");
  EXPECT_EQ(ben_client.Get("/history")->body.find("Annas Text"), std::string::npos);
  app_.reset();
  unlink(path);
}

TEST_F(WebAppTest, AssetsAreCachedAndVersioned) {
  Start();
  httplib::Client client("127.0.0.1", port());
  std::string page = client.Get("/")->body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page, m, std::regex("/static/app\\.js\\?v=([0-9a-f]{16})")));
  auto res = client.Get("/static/app.js?v=" + std::string(m[1]));
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(res->get_header_value("Cache-Control").find("immutable"), std::string::npos);
  std::string etag = res->get_header_value("ETag");
  EXPECT_EQ(client.Get("/static/app.js", {{"If-None-Match", etag}})->status, 304);
  EXPECT_EQ(client.Get("/static/app.css")->get_header_value("Cache-Control"), "public, max-age=3600");
}

TEST_F(WebAppTest, HealthAndReadiness) {
  Start();
  httplib::Client client("127.0.0.1", port());
  EXPECT_EQ(client.Get("/health")->status, 200);
  auto ready = client.Get("/ready");
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(json::parse(ready->body)["database"], "ok");
  fake_.set_ready(false);
  EXPECT_EQ(client.Get("/ready")->status, 503);
}

TEST(WebAppCreateTest, RejectsBadOptions) {
  WebOptions options;
  options.translator.base_url = "http://127.0.0.1:1";
  options.store.url = "postgres://x";
  EXPECT_EQ(WebApp::Create(options).status().code(), Status::Code::kInvalidArgument);
  options.store.url = "sqlite://:memory:";
  options.translator.base_url = "nope";
  EXPECT_EQ(WebApp::Create(options).status().code(), Status::Code::kInvalidArgument);
  options.translator.base_url = "http://127.0.0.1:1";
  options.history_mode = HistoryMode::kUsers;
  EXPECT_EQ(WebApp::Create(options).status().code(), Status::Code::kInvalidArgument);
  options.users_file = "/nonexistent/users";
  EXPECT_FALSE(WebApp::Create(options).ok());
  EXPECT_FALSE(ParseHistoryMode("public").ok());
}

}  // namespace
}  // namespace dolmetsch::web

namespace dolmetsch::web {
namespace {

constexpr char kTwoPairs[] =
    R"([{"code":"de","name":"German","targets":["en"]},{"code":"en","name":"English","targets":["de"]}])";

class WebAppLanguagesTest : public WebAppTest {
 protected:
  // Serves de->en and en->de, and waits until the app's cached list has them (the page offers "auto").
  void StartWithTwoPairs(std::string db = "sqlite://:memory:", std::string journal = "") {
    fake_.set_languages(kTwoPairs);
    Start(HistoryMode::kPrivate, db, journal);
    Browser browser(port());
    for (int i = 0; i < 2000; ++i) {
      if (browser.Get("/")->body.find("value=\"auto\"") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "the page never showed the translator's languages";
  }
};

TEST_F(WebAppLanguagesTest, WithoutTheTranslatorsListThePageOffersGermanEnglishOnly) {
  Start();  // the fake answers 404 to /languages
  Browser browser(port());
  for (int i = 0; i < 200 && fake_.languages_requests() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GT(fake_.languages_requests(), 0);
  std::string page = browser.Get("/")->body;
  EXPECT_NE(
      page.find("<select id=\"source-lang\" name=\"source\"><option value=\"de\" selected>German</option>"
                "</select>"),
      std::string::npos)
      << page;
  EXPECT_EQ(page.find("value=\"auto\""), std::string::npos);
  // Submissions are not checked then: the translator decides.
  EXPECT_NE(Translate(browser, "Hallo.").find("EN(Hallo.)"), std::string::npos);
}

TEST_F(WebAppLanguagesTest, TheFormTranslatesTheChosenPairKeepsItAndTheHistoryShowsIt) {
  StartWithTwoPairs();
  Browser browser(port());
  std::string token = browser.Token();
  auto res = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Good morning."}, {"source", "en"}, {"target", "de"}});
  ASSERT_EQ(res->status, 303) << res->body;
  std::string location = res->get_header_value("Location");
  std::string page = WaitForJobPage(browser, location);
  EXPECT_NE(page.find("DE(Good morning.)"), std::string::npos) << page;
  EXPECT_NE(page.find("en \xE2\x86\x92 de</span>"), std::string::npos);
  EXPECT_NE(page.find("href=\"/?source=en&amp;target=de\">New translation"), std::string::npos);
  EXPECT_EQ(fake_.pairs().back(), "en>de");
  // The "New translation" link selects the same pair again (without JavaScript).
  std::string again = browser.Get("/?source=en&target=de")->body;
  EXPECT_NE(again.find("<option value=\"en\" data-targets=\"de\" selected>English</option>"),
            std::string::npos);
  EXPECT_NE(again.find("<option value=\"de\" selected>German</option>"), std::string::npos);
  // The history list, the entry and both exports name the languages.
  std::string history = browser.Get("/history")->body;
  EXPECT_NE(
      history.find("<span class=\"langs\" title=\"English \xE2\x86\x92 German\">en \xE2\x86\x92 de</span>"),
      std::string::npos)
      << history;
  json rows = json::parse(browser.Get("/history/export.json")->body);
  ASSERT_EQ(rows["count"], 1);
  EXPECT_EQ(rows["translations"][0]["source"], "en");
  EXPECT_EQ(rows["translations"][0]["target"], "de");
  EXPECT_NE(browser.Get("/history/export.csv")->body.find("\"en\",\"de\"\r\n"), std::string::npos);
  std::string entry =
      browser.Get("/history/" + std::to_string(rows["translations"][0]["id"].get<int64_t>()))->body;
  EXPECT_NE(entry.find("en \xE2\x86\x92 de</span>"), std::string::npos);
}

TEST_F(WebAppLanguagesTest, AnUnservedPairIsRefusedAtSubmitNamingTheServedPairs) {
  StartWithTwoPairs();
  Browser browser(port());
  std::string token = browser.Token();
  const int before = fake_.requests();
  const std::string served = "German \xE2\x86\x92 English, English \xE2\x86\x92 German";
  // The form: 400, the text and the choice kept.
  auto form = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Bonjour <b>"}, {"source", "fr"}, {"target", "de"}});
  EXPECT_EQ(form->status, 400);
  EXPECT_NE(form->body.find(served), std::string::npos) << form->body;
  EXPECT_NE(form->body.find("<option value=\"fr\" selected>fr</option>"), std::string::npos);
  EXPECT_NE(form->body.find("<option value=\"de\" selected>German</option>"), std::string::npos);
  EXPECT_NE(form->body.find("Bonjour &lt;b&gt;</textarea>"), std::string::npos);
  // POST /api/jobs (JSON and form) and POST /api/translate.
  auto json_job = browser.PostRaw(
      "/api/jobs", json{{"text", "x"}, {"source", "de"}, {"target", "fr"}, {"csrf_token", token}}.dump(),
      "application/json");
  EXPECT_EQ(json_job->status, 400);
  EXPECT_NE(json::parse(json_job->body)["error"].get<std::string>().find(served), std::string::npos);
  auto api = browser.Post("/api/translate", {{"text", "x"}, {"source", "en"}, {"target", "en"}},
                          {{"X-CSRF-Token", token}});
  EXPECT_EQ(api->status, 400);
  EXPECT_NE(json::parse(api->body)["error"].get<std::string>().find(served), std::string::npos);
  auto malformed = browser.Post("/api/jobs", {{"text", "x"}, {"source", "d\"e"}, {"csrf_token", token}});
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(fake_.requests(), before) << "nothing unserved reaches the translator";
}

TEST_F(WebAppLanguagesTest, DetectLanguageShowsWhatWasDetectedAndStoresIt) {
  StartWithTwoPairs();
  Browser browser(port());
  std::string token = browser.Token();
  auto res = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Guten Morgen."}, {"source", "auto"}, {"target", "en"}});
  ASSERT_EQ(res->status, 303) << res->body;
  std::string location = res->get_header_value("Location");
  EXPECT_NE(location.find("?detected=de&confidence=93"), std::string::npos) << location;
  std::string page = WaitForJobPage(browser, location);
  EXPECT_NE(page.find(">Detected: German (93%)</span>"), std::string::npos) << page;
  EXPECT_NE(page.find("href=\"/?source=auto&amp;target=en\">New translation"), std::string::npos);
  EXPECT_EQ(fake_.pairs().back(), "de>en") << "the job translates the detected pair";
  // The JSON API answers what it detected.
  auto api = browser.PostRaw(
      "/api/jobs",
      json{{"text", "Guten Abend."}, {"source", "auto"}, {"target", "en"}, {"csrf_token", token}}.dump(),
      "application/json");
  ASSERT_EQ(api->status, 202) << api->body;
  json created = json::parse(api->body);
  EXPECT_EQ(created["source"], "de");
  EXPECT_EQ(created["detected_language"]["language"], "de");
  EXPECT_EQ(created["detected_language"]["confidence"], 93);
  // A text detected in the target language is refused with a message.
  fake_.set_detected("en", 97);
  auto same = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Good evening."}, {"source", "auto"}, {"target", "en"}});
  EXPECT_EQ(same->status, 400);
  EXPECT_NE(same->body.find("The text looks like English"), std::string::npos) << same->body;
}

TEST_F(WebAppLanguagesTest, TheDirectPathTranslatesThePairToo) {
  char dir_template[] = "/tmp/dolmetsch-web-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string journal = std::string(dir_template) + "/history.journal";
  StartWithTwoPairs("mysql://root@127.0.0.1:1/translation", journal);
  Browser browser(port());
  std::string token = browser.Token();
  auto res = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Good night."}, {"source", "en"}, {"target", "de"}});
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_NE(res->body.find("DE(Good night.)"), std::string::npos);
  EXPECT_NE(res->body.find("<option value=\"en\" data-targets=\"de\" selected>"), std::string::npos);
  auto detected = browser.Post(
      "/translate", {{"csrf_token", token}, {"text", "Gute Nacht."}, {"source", "auto"}, {"target", "en"}});
  ASSERT_EQ(detected->status, 200) << detected->body;
  EXPECT_NE(detected->body.find(">Detected: German (93%)</span>"), std::string::npos);
  EXPECT_NE(detected->body.find("<option value=\"auto\" selected>"), std::string::npos);
  auto api = browser.Post("/api/translate", {{"text", "Hello."}, {"source", "en"}, {"target", "de"}},
                          {{"X-CSRF-Token", token}});
  EXPECT_NE(api->body.find("DE(Hello.)"), std::string::npos) << api->body;
  EXPECT_NE(api->body.find("\"source\":\"en\""), std::string::npos);
  auto refused = browser.Post("/api/translate", {{"text", "Hola."}, {"source", "es"}, {"target", "en"}},
                              {{"X-CSRF-Token", token}});
  EXPECT_EQ(refused->status, 400);
  app_.reset();
  std::filesystem::remove_all(dir_template);
}

}  // namespace
}  // namespace dolmetsch::web
