// In-process tests of the job API (web/job_api.h) against the fake translator and an in-memory SQLite store.
// tests/web_jobs_test.cc drives the real binary (restart, SIGKILL, two replicas on MariaDB).
#include "web/job_api.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "web/testing/fake_translator.h"
#include "web/web_app.h"

namespace dolmetsch::web {
namespace {

using json = nlohmann::json;

struct Event {
  std::string id, event;
  json data;
};

std::vector<Event> ParseEvents(const std::string& body) {
  std::vector<Event> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) break;
    Event e;
    std::string block = body.substr(start, end - start);
    start = end + 2;
    size_t pos = 0;
    while (pos < block.size()) {
      size_t eol = block.find('\n', pos);
      if (eol == std::string::npos) eol = block.size();
      std::string line = block.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
      if (line.rfind("event: ", 0) == 0) e.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) e.data = json::parse(line.substr(6));
    }
    if (!e.event.empty()) out.push_back(std::move(e));
  }
  return out;
}

// A visitor: a session cookie and its CSRF token.
class Visitor {
 public:
  explicit Visitor(int port) : client_("127.0.0.1", port) {
    client_.set_read_timeout(30, 0);
    auto res = client_.Get("/");
    std::string set = res->get_header_value("Set-Cookie");
    cookie_ = set.substr(0, set.find(';'));
    std::smatch m;
    if (std::regex_search(res->body, m, std::regex("name=\"csrf_token\" value=\"([0-9a-f]{64})\"")))
      token = m[1];
  }
  httplib::Result PostJson(const std::string& path, const std::string& body, bool with_token = true) {
    return client_.Post(path, Headers(with_token), body, "application/json");
  }
  // A multipart upload as the page sends it: `file` (when name is not empty), the pair, the token.
  httplib::Result PostFile(const std::string& path, const std::string& name, const std::string& content,
                           std::vector<std::pair<std::string, std::string>> fields = {},
                           bool with_token = true) {
    httplib::MultipartFormDataItems items;
    if (!name.empty()) items.push_back({"file", content, name, "application/octet-stream"});
    for (auto& [field, value] : fields) items.push_back({field, value, "", ""});
    if (with_token) items.push_back({"csrf_token", token, "", ""});
    return client_.Post(path, Headers(false), items);
  }
  httplib::Result PostRaw(const std::string& path, const std::string& body, const std::string& type) {
    return client_.Post(path, Headers(true), body, type);
  }
  httplib::Result PostItems(const std::string& path, const httplib::MultipartFormDataItems& items) {
    return client_.Post(path, Headers(false), items);
  }
  httplib::Result PostForm(const std::string& path, const std::string& body) {
    return client_.Post(path, Headers(false), body, "application/x-www-form-urlencoded");
  }
  httplib::Result Get(const std::string& path, httplib::Headers extra = {}) {
    httplib::Headers h = Headers(false);
    h.insert(extra.begin(), extra.end());
    return client_.Get(path, h);
  }
  httplib::Result Delete(const std::string& path, bool with_token = true) {
    return client_.Delete(path, Headers(with_token));
  }
  json Job(int64_t id) { return json::parse(Get("/api/jobs/" + std::to_string(id))->body); }
  json WaitUntilFinal(int64_t id) {
    for (int i = 0; i < 2000; ++i) {
      json j = Job(id);
      std::string status = j.value("status", "");
      if (status == "done" || status == "failed" || status == "cancelled") return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " did not end";
    return json();
  }
  int64_t Create(const std::string& text) {
    auto res = PostJson("/api/jobs", json{{"text", text}}.dump());
    EXPECT_EQ(res->status, 202) << res->body;
    return json::parse(res->body).value("id", int64_t{0});
  }
  std::string token;

 private:
  httplib::Headers Headers(bool with_token) {
    httplib::Headers h = {{"Cookie", cookie_}};
    if (with_token) h.emplace("X-CSRF-Token", token);
    return h;
  }
  httplib::Client client_;
  std::string cookie_;
};

class JobApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.translator = {fake_.url(), "", 2, 10};
    options.store.url = "sqlite://:memory:";
    options.max_text_chars = 200 * 1024;
    options.max_body_bytes = 1024 * 1024;
    options.max_file_bytes = 256 * 1024;
    options.log_requests = false;
    options.jobs.workers = 2;
    options.jobs.events_poll = std::chrono::milliseconds(20);
    auto app = WebApp::Create(options);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->Listen().ok());
  }
  int port() const { return app_->port(); }

  testing::FakeTranslator fake_;
  std::unique_ptr<WebApp> app_;
};

TEST_F(JobApiTest, CreateFollowAndFinish) {
  Visitor anna(port());
  auto created = anna.PostJson("/api/jobs", json{{"text", "Eins. Zwei. Drei."}}.dump());
  ASSERT_EQ(created->status, 202) << created->body;
  json answer = json::parse(created->body);
  int64_t id = answer["id"];
  EXPECT_EQ(answer["status_url"], "/api/jobs/" + std::to_string(id));
  EXPECT_EQ(answer["events_url"], "/api/jobs/" + std::to_string(id) + "/events");
  EXPECT_EQ(answer["page_url"], "/jobs/" + std::to_string(id));
  json job = anna.WaitUntilFinal(id);
  EXPECT_EQ(job["status"], "done");
  EXPECT_EQ(job["done"], 3);
  EXPECT_EQ(job["total"], 3);
  EXPECT_EQ(job["text_en"], "EN(Eins.) EN(Zwei.) EN(Drei.)");
  EXPECT_TRUE(job["eta_seconds"].is_null());
  EXPECT_TRUE(job["error"].is_null());
  EXPECT_TRUE(std::regex_match(job["created_at"].get<std::string>(),
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
  ASSERT_TRUE(job["history_url"].is_string());
  EXPECT_EQ(anna.Get(job["history_url"].get<std::string>())->status, 200);

  // The events of a finished job: the end event at once, with the whole translation.
  auto events = ParseEvents(anna.Get("/api/jobs/" + std::to_string(id) + "/events")->body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "end");
  EXPECT_EQ(events[0].data["status"], "done");
  EXPECT_EQ(events[0].data["text_en"], "EN(Eins.) EN(Zwei.) EN(Drei.)");
  EXPECT_EQ(events[0].data["history_url"], job["history_url"]);

  // A form works too.
  auto form = anna.PostForm("/api/jobs", "text=Hallo+Welt.&csrf_token=" + anna.token);
  ASSERT_EQ(form->status, 202) << form->body;
  EXPECT_EQ(anna.WaitUntilFinal(json::parse(form->body)["id"])["text_en"], "EN(Hallo Welt.)");
}

TEST_F(JobApiTest, JobsCarryTheirLanguagePair) {
  Visitor anna(port());
  auto created =
      anna.PostJson("/api/jobs", json{{"text", "Un. Deux."}, {"source", "fr"}, {"target", "de"}}.dump());
  ASSERT_EQ(created->status, 202) << created->body;
  json job = anna.WaitUntilFinal(json::parse(created->body)["id"]);
  EXPECT_EQ(job["source"], "fr");
  EXPECT_EQ(job["target"], "de");
  auto form = anna.PostForm("/api/jobs", "text=Hola.&source=es&target=en&csrf_token=" + anna.token);
  ASSERT_EQ(form->status, 202) << form->body;
  EXPECT_EQ(anna.WaitUntilFinal(json::parse(form->body)["id"])["source"], "es");
  auto plain = anna.PostJson("/api/jobs", json{{"text", "Hallo."}}.dump());
  ASSERT_EQ(plain->status, 202) << plain->body;
  EXPECT_EQ(anna.WaitUntilFinal(json::parse(plain->body)["id"])["source"], "de");
  // Not language codes, or one language twice: 400 before any job exists.
  EXPECT_EQ(anna.PostJson("/api/jobs", json{{"text", "x"}, {"source", 5}}.dump())->status, 400);
  EXPECT_EQ(anna.PostJson("/api/jobs", json{{"text", "x"}, {"target", "<b>"}}.dump())->status, 400);
  EXPECT_EQ(
      anna.PostJson("/api/jobs", json{{"text", "x"}, {"source", "en"}, {"target", "en"}}.dump())->status,
      400);
}

TEST_F(JobApiTest, EventsStreamEveryPieceAndResumeFromLastEventId) {
  fake_.set_slow_ms(30);
  Visitor anna(port());
  std::string text;
  for (int i = 0; i < 12; ++i) text += "SLOW Satz " + std::to_string(i) + ". ";
  text.pop_back();
  int64_t id = anna.Create(text);
  const std::string events_url = "/api/jobs/" + std::to_string(id) + "/events";
  auto stream = anna.Get(events_url);
  ASSERT_EQ(stream->status, 200);
  EXPECT_EQ(stream->get_header_value("Content-Type"), "text/event-stream");
  auto events = ParseEvents(stream->body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "end");
  EXPECT_EQ(events.back().data["status"], "done");
  std::string assembled;
  int64_t expected = 0;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].event, "progress");
    EXPECT_EQ(events[i].data["index"], expected);
    EXPECT_EQ(events[i].id, std::to_string(expected + 1));
    EXPECT_EQ(events[i].data["total"], 12);
    assembled += events[i].data["piece"].get<std::string>();
    ++expected;
  }
  // The stream may have missed the last pieces to the end (they are dropped when the job completes): the end
  // event's text_en is the whole translation, and what came as pieces is its beginning.
  std::string whole = events.back().data["text_en"];
  EXPECT_EQ(whole.substr(0, assembled.size()), assembled);
  EXPECT_GE(expected, 6);  // pieces arrived one by one while the job ran (30 ms per sentence, 20 ms polls)
  EXPECT_EQ(anna.Job(id)["text_en"], whole);

  // Reconnecting with Last-Event-ID while a job runs: only the pieces after it.
  fake_.set_slow_ms(100);
  int64_t second = anna.Create(text);
  for (int i = 0; i < 500 && anna.Job(second)["done"].get<int64_t>() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto resumed = ParseEvents(
      anna.Get("/api/jobs/" + std::to_string(second) + "/events", {{"Last-Event-ID", "2"}})->body);
  ASSERT_GE(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].event, "progress");
  EXPECT_EQ(resumed[0].data["index"], 2);
  EXPECT_EQ(resumed[0].id, "3");
  EXPECT_EQ(resumed.back().event, "end");
  auto by_query =
      ParseEvents(anna.Get("/api/jobs/" + std::to_string(second) + "/events?last_event_id=12")->body);
  ASSERT_EQ(by_query.size(), 1u);
  EXPECT_EQ(by_query[0].event, "end");
}

TEST_F(JobApiTest, CancelStopsTheWorkAndSavesNothing) {
  fake_.set_slow_ms(200);
  Visitor anna(port());
  std::string text;
  for (int i = 0; i < 50; ++i) text += "SLOW Satz " + std::to_string(i) + ". ";
  int64_t id = anna.Create(text);
  for (int i = 0; i < 500 && fake_.sentences_sent() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto cancelled = anna.Delete("/api/jobs/" + std::to_string(id));
  ASSERT_EQ(cancelled->status, 200) << cancelled->body;
  EXPECT_EQ(json::parse(cancelled->body)["status"], "cancelled");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const int sent = fake_.sentences_sent();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(fake_.sentences_sent(), sent);  // the translator's stream was closed: no more work
  EXPECT_LT(sent, 20);
  json job = anna.Job(id);
  EXPECT_EQ(job["status"], "cancelled");
  EXPECT_TRUE(job["history_url"].is_null());
  EXPECT_EQ(json::parse(anna.Get("/history/export.json")->body)["count"], 0);
  // Cancelling again answers the cancelled job; cancelling a done job is a 409.
  EXPECT_EQ(anna.Delete("/api/jobs/" + std::to_string(id))->status, 200);
  int64_t done = anna.Create("Kurz.");
  anna.WaitUntilFinal(done);
  EXPECT_EQ(anna.Delete("/api/jobs/" + std::to_string(done))->status, 409);
  // The form route.
  fake_.set_slow_ms(200);
  int64_t third = anna.Create(text);
  auto form = anna.PostForm("/api/jobs/" + std::to_string(third) + "/cancel", "csrf_token=" + anna.token);
  EXPECT_EQ(form->status, 200);
  EXPECT_EQ(json::parse(form->body)["status"], "cancelled");
}

TEST_F(JobApiTest, AnotherOwnersJobIsNotFoundEverywhere) {
  Visitor anna(port()), ben(port());
  int64_t id = anna.Create("Annas Geheimnis.");
  anna.WaitUntilFinal(id);
  const std::string base = "/api/jobs/" + std::to_string(id);
  EXPECT_EQ(ben.Get(base)->status, 404);
  EXPECT_EQ(ben.Get(base + "/events")->status, 404);
  EXPECT_EQ(ben.Delete(base)->status, 404);
  EXPECT_EQ(ben.PostForm(base + "/cancel", "csrf_token=" + ben.token)->status, 404);
  EXPECT_EQ(ben.Get("/jobs/" + std::to_string(id))->status, 404);
  EXPECT_EQ(ben.Get(base)->body.find("Geheimnis"), std::string::npos);
}

TEST_F(JobApiTest, MalformedRequestsAreRejected) {
  Visitor anna(port());
  auto status = [](const httplib::Result& r) { return r ? r->status : -1; };
  EXPECT_EQ(status(anna.PostJson("/api/jobs", "{\"text\": \"x\"", true)), 400);        // bad JSON
  EXPECT_EQ(status(anna.PostJson("/api/jobs", "[\"text\"]", true)), 400);              // not an object
  EXPECT_EQ(status(anna.PostJson("/api/jobs", "{\"text\": 5}", true)), 400);           // not a string
  EXPECT_EQ(status(anna.PostJson("/api/jobs", "{\"text\": \"  \\n \"}", true)), 400);  // blank
  EXPECT_EQ(status(anna.PostJson("/api/jobs", "{\"text\": \"Hallo\"}", false)), 403);  // no CSRF token
  EXPECT_EQ(status(anna.PostForm("/api/jobs", "text=Hallo")), 403);
  EXPECT_EQ(status(anna.PostForm("/api/jobs", "text=%ZZ&csrf_token=" + anna.token)), 400);
  auto too_long = anna.PostJson("/api/jobs", json{{"text", std::string(200 * 1024 + 1, 'a')}}.dump());
  EXPECT_EQ(status(too_long), 413);
  EXPECT_NE(too_long->body.find("204,800 characters"), std::string::npos) << too_long->body;
  EXPECT_EQ(status(anna.Delete("/api/jobs/1", false)), 403);
  for (const char* path :
       {"/api/jobs/0", "/api/jobs/abc", "/api/jobs/99999999999999999999", "/api/jobs/9223372036854775807",
        "/api/jobs/9999999999999999999", "/api/jobs/-1"}) {
    EXPECT_EQ(status(anna.Get(path)), 404) << path;
  }
  int64_t id = anna.Create("Eins.");
  anna.WaitUntilFinal(id);
  EXPECT_EQ(status(anna.Get("/api/jobs/" + std::to_string(id) + "/events", {{"Last-Event-ID", "x"}})), 400);
  EXPECT_EQ(status(anna.Get("/api/jobs/" + std::to_string(id) + "/events?last_event_id=-1")), 400);
  EXPECT_EQ(fake_.requests(), 1);
}

TEST_F(JobApiTest, LargeTextGoesThroughInOrder) {
  Visitor anna(port());
  std::string text;
  int sentences = 0;
  while (text.size() < 100 * 1024) {
    text += "Das ist der Satz Nummer " + std::to_string(sentences++) + " eines langen Textes. ";
  }
  text.pop_back();
  int64_t id = anna.Create(text);
  json job = anna.WaitUntilFinal(id);
  ASSERT_EQ(job["status"], "done");
  EXPECT_EQ(job["total"], sentences);
  std::string expected;
  for (int i = 0; i < sentences; ++i) {
    expected += (i ? " " : "") + std::string("EN(Das ist der Satz Nummer ") + std::to_string(i) +
                " eines langen Textes.)";
  }
  EXPECT_EQ(job["text_en"], expected);
}

// A Markdown document: three blocks for the web app's check (markup::ExtractBlocks) and for the fake
// translator (which cuts at blank lines).
const char kNotes[] = "# Titel\n\nEins. Zwei.\n\n- Drei";

TEST_F(JobApiTest, AFileBecomesAJobWhosePiecesAreItsBlocksAndWhoseResultIsDownloaded) {
  Visitor anna(port());
  auto created = anna.PostFile("/api/jobs", "Notizen ü.md", kNotes, {{"source", "de"}, {"target", "en"}});
  ASSERT_EQ(created->status, 202) << created->body;
  json answer = json::parse(created->body);
  EXPECT_EQ(answer["file_name"], "Notizen ü.md");
  const int64_t id = answer["id"];
  json job = anna.WaitUntilFinal(id);
  ASSERT_EQ(job["status"], "done") << job.dump();
  EXPECT_EQ(job["total"], 3);
  EXPECT_EQ(job["done"], 3);
  EXPECT_EQ(job["text_en"], "EN(# Titel)\n\nEN(Eins. Zwei.)\n\nEN(- Drei)");
  EXPECT_EQ(job["file_name"], "Notizen ü.md");
  EXPECT_EQ(job["output_file_name"], "Notizen ü.md");
  ASSERT_EQ(job["download_url"], "/jobs/" + std::to_string(id) + "/file");
  EXPECT_EQ(fake_.files(), std::vector<std::string>{"Notizen ü.md"});

  // The translated file, byte for byte (the fake appends a NUL and 0xFF), as an attachment.
  auto file = anna.Get(job["download_url"]);
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body, std::string("TRANSLATED ") + kNotes + std::string("\x00\xff", 2));
  EXPECT_EQ(file->get_header_value("Content-Type"), "text/markdown; charset=utf-8");
  // (cpp-httplib percent-decodes header values it reads; upload_test.cc checks the encoded form.)
  EXPECT_EQ(file->get_header_value("Content-Disposition")
                .rfind("attachment; filename=\"Notizen __.md\"; filename*=UTF-8''", 0),
            0u)
      << file->get_header_value("Content-Disposition");
  EXPECT_EQ(file->get_header_value("X-Content-Type-Options"), "nosniff");

  // The end event names the download; the history keeps the file's name and its text.
  auto events = ParseEvents(anna.Get("/api/jobs/" + std::to_string(id) + "/events")->body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["download_url"], job["download_url"]);
  EXPECT_EQ(events[0].data["file_name"], "Notizen ü.md");
  json history = json::parse(anna.Get("/history/export.json")->body);
  ASSERT_EQ(history["count"], 1);
  const std::string entry = anna.Get(job["history_url"])->body;
  EXPECT_NE(entry.find("Notizen ü.md"), std::string::npos);
  EXPECT_NE(entry.find("/jobs/" + std::to_string(id) + "/file"), std::string::npos);
  EXPECT_NE(entry.find("Eins. Zwei."), std::string::npos);  // the file's text, as the job kept it
  const std::string page = anna.Get("/jobs/" + std::to_string(id))->body;
  EXPECT_NE(page.find("Download Notizen ü.md"), std::string::npos);
  EXPECT_NE(page.find("3 of 3 blocks"), std::string::npos);

  // Another visitor gets nothing.
  Visitor ben(port());
  EXPECT_EQ(ben.Get("/jobs/" + std::to_string(id) + "/file")->status, 404);
  // A text job has no file.
  const int64_t text_job = anna.Create("Hallo.");
  anna.WaitUntilFinal(text_job);
  EXPECT_EQ(anna.Get("/jobs/" + std::to_string(text_job) + "/file")->status, 404);
}

TEST_F(JobApiTest, BadUploadsAreRefusedBeforeAJobExists) {
  Visitor anna(port());
  auto status_of = [](const httplib::Result& r) { return r ? r->status : -1; };
  auto message = [](const httplib::Result& r) { return r ? json::parse(r->body).value("error", "") : ""; };

  auto unsupported = anna.PostFile("/api/jobs", "tool.exe", "MZ\x90\x00binary");
  EXPECT_EQ(status_of(unsupported), 400);
  EXPECT_NE(message(unsupported).find(".docx"), std::string::npos) << message(unsupported);
  auto broken = anna.PostFile("/api/jobs", "brief.docx", "PK\x03\x04 not really a zip");
  EXPECT_EQ(status_of(broken), 400);
  EXPECT_NE(message(broken).find("brief.docx"), std::string::npos) << message(broken);
  auto empty_text = anna.PostFile("/api/jobs", "leer.md", "\n\n   \n");
  EXPECT_EQ(status_of(empty_text), 400);
  EXPECT_NE(message(empty_text).find("no text"), std::string::npos) << message(empty_text);
  EXPECT_EQ(status_of(anna.PostFile("/api/jobs", "leer.md", "")), 400);  // an empty file
  EXPECT_EQ(status_of(anna.PostFile("/api/jobs", "notes.md", kNotes, {}, /*with_token=*/false)), 403);
  // Two files in one upload.
  auto two = anna.PostItems(
      "/api/jobs",
      {{"file", kNotes, "a.md", ""}, {"file", kNotes, "b.md", ""}, {"csrf_token", anna.token, "", ""}});
  EXPECT_EQ(status_of(two), 400);
  EXPECT_NE(message(two).find("one file at a time"), std::string::npos) << message(two);
  auto not_utf8 = anna.PostItems(
      "/api/jobs",
      {{"file", kNotes, "a.md", ""}, {"source", "\xff\xfe", "", ""}, {"csrf_token", anna.token, "", ""}});
  EXPECT_EQ(status_of(not_utf8), 400);
  auto garbled = anna.PostRaw("/api/jobs", "--abc\r\nno header end", "multipart/form-data; boundary=abc");
  EXPECT_EQ(status_of(garbled), 400);
  EXPECT_NE(message(garbled).find("malformed"), std::string::npos) << message(garbled);
  // The size limit: this app takes files up to 256 KiB (SetUp sets max_file_bytes below).
  auto over = anna.PostFile("/api/jobs", "big.md", std::string(256 * 1024 + 1, 'a'));
  EXPECT_EQ(status_of(over), 413);
  EXPECT_NE(message(over).find("262144 bytes"), std::string::npos) << message(over);
  EXPECT_EQ(fake_.requests(), 0);  // nothing reached the translator
  EXPECT_EQ(json::parse(anna.Get("/history/export.json")->body)["count"], 0);

  // A file the translator refuses fails its job with a message for its owner.
  auto refused = anna.PostFile("/api/jobs", "kaputt.md", "# FAIL400\n\nText.");
  ASSERT_EQ(status_of(refused), 202) << refused->body;
  json job = anna.WaitUntilFinal(json::parse(refused->body)["id"]);
  EXPECT_EQ(job["status"], "failed");
  EXPECT_NE(job["error"].get<std::string>().find("did not accept this file"), std::string::npos)
      << job.dump();
  EXPECT_TRUE(job["download_url"].is_null());
}

TEST_F(JobApiTest, TheFormWithoutJavaScriptUploadsAFile) {
  Visitor anna(port());
  const std::string page = anna.Get("/")->body;
  EXPECT_NE(page.find("formaction=\"/translate-file\""), std::string::npos);
  EXPECT_NE(page.find("formenctype=\"multipart/form-data\""), std::string::npos);
  EXPECT_NE(page.find("name=\"file\""), std::string::npos);
  auto posted = anna.PostFile("/translate-file", "notes.md", kNotes,
                              {{"text", "ignored"}, {"source", "de"}, {"target", "en"}});
  ASSERT_EQ(posted->status, 303) << posted->body;
  const std::string location = posted->get_header_value("Location");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(location, m, std::regex("/jobs/(\\d+)")));
  json job = anna.WaitUntilFinal(std::stoll(m[1]));
  EXPECT_EQ(job["status"], "done");
  const std::string job_page = anna.Get(location)->body;
  EXPECT_NE(job_page.find("href=\"" + location + "/file\""), std::string::npos);
  EXPECT_EQ(anna.Get(location + "/file")->status, 200);

  // No file chosen: the form again with its text and a notice; a bad file: its message.
  auto none = anna.PostFile("/translate-file", "", "", {{"text", "Mein Text"}});
  EXPECT_EQ(none->status, 400);
  EXPECT_NE(none->body.find("Choose a file"), std::string::npos);
  EXPECT_NE(none->body.find("Mein Text"), std::string::npos);
  auto bad = anna.PostFile("/translate-file", "x.exe", "MZ");
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("x.exe"), std::string::npos);
  auto forged = anna.PostFile("/translate-file", "notes.md", kNotes, {}, /*with_token=*/false);
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(anna.PostForm("/translate-file", "text=x")->status, 415);
}

TEST(EstimateSecondsTest, UnknownUntilSomethingIsDone) {
  EXPECT_LT(EstimateSeconds(0, 10, 0, 5), 0);
  EXPECT_LT(EstimateSeconds(10, 10, 10, 5), 0);
  EXPECT_DOUBLE_EQ(EstimateSeconds(2, 10, 2, 4), 16);
  EXPECT_DOUBLE_EQ(EstimateSeconds(6, 10, 2, 1), 2);
}

}  // namespace
}  // namespace dolmetsch::web
