// In-process tests of the HTTP layer with a fake backend (tests/translator_service_test.cc drives the real
// binary with the real engine).
#include "translator/service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "markup/formats.h"
#include "markup/office_testing.h"
#include "markup/pdf_testing.h"
#include "markup/zip_package.h"
#include "translator/fake_backend_test_util.h"
#include "translator/mini_http_client.h"
#include "util/base64.h"

namespace dolmetsch::translator {
namespace {

using json = nlohmann::json;
namespace http = mini_http;

class ServiceTest : public ::testing::Test {
 protected:
  void Start(ServiceOptions options = {}, bool attach = true) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.grace_seconds = std::min(options.grace_seconds, 5.0);
    service_ = std::make_unique<Service>(options);
    service_->SetLogSink([this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    });
    ASSERT_TRUE(service_->Listen().ok());
    port_ = service_->port();
    if (attach) {
      ASSERT_TRUE(service_->AttachBackend(&backend_, ModelInfo{.name = "fake"}).ok());
    }
  }
  void TearDown() override {
    backend_.Open();
    service_.reset();
  }
  http::Response Post(const std::string& path, const std::string& body,
                      const std::string& type = "application/json", const std::string& headers = "") {
    return http::Request(port_, "POST", path, body, type, headers);
  }
  json Body(const http::Response& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  std::vector<std::string> Logs() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  FakeBackend backend_;
  std::unique_ptr<Service> service_;
  int port_ = 0;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(ServiceTest, HelpHealthReadyLanguagesOpenApi) {
  Start();
  auto root = http::Request(port_, "GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, R"({"How to":"Use endpoint /translate"})");
  EXPECT_EQ(http::Request(port_, "GET", "/health").status, 200);
  EXPECT_EQ(http::Request(port_, "GET", "/ready").status, 200);
  auto languages = Body(http::Request(port_, "GET", "/languages"));
  EXPECT_EQ(languages[0]["code"], "de");
  EXPECT_EQ(languages[0]["targets"][0], "en");
  auto settings = Body(http::Request(port_, "GET", "/frontend/settings"));
  EXPECT_EQ(settings["charLimit"], -1);
  auto openapi = Body(http::Request(port_, "GET", "/openapi.json"));
  for (const char* path :
       {"/", "/translate", "/v1/translate", "/detect", "/languages", "/health", "/ready", "/metrics",
        "/translate_file", "/v1/translate_file", "/download_file/{token}/{name}"}) {
    EXPECT_TRUE(openapi["paths"].contains(path)) << path;
  }
}

TEST_F(ServiceTest, OnePairServedOthersRefusedNamingIt) {
  Start();
  auto refused = Post("/translate", R"({"q": "Bonjour", "source": "fr", "target": "en"})");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Body(refused)["error"],
            "no model translates fr to en (also not through en); served pairs: de-en");
  EXPECT_EQ(Post("/translate", R"({"q": "Hallo", "source": "de", "target": "de"})").status, 400);
  auto native = Body(Post("/v1/translate", R"({"text": "hallo", "source": "de", "target": "en"})"));
  EXPECT_EQ(native["translations"][0]["text"], "0:HALLO");
  EXPECT_EQ(native["model"]["source"], "de");
  EXPECT_FALSE(native["model"].contains("pivot"));
}

TEST_F(ServiceTest, DetectAnswersLikeLibreTranslate) {
  Start();
  auto detected = Body(Post("/detect", R"({"q": "Das Wetter ist heute schön, und wir gehen in den Park."})"));
  ASSERT_TRUE(detected.is_array() && !detected.empty()) << detected.dump();
  EXPECT_EQ(detected[0]["language"], "de");
  EXPECT_GT(detected[0]["confidence"].get<double>(), 50);
  auto form = Body(Post("/detect", "q=The+weather+is+lovely+today+and+we+walk+in+the+park.",
                        "application/x-www-form-urlencoded"));
  EXPECT_EQ(form[0]["language"], "en");
  auto missing = Post("/detect", R"({"text": "x"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(Body(missing)["error"].get<std::string>().find("missing q"), std::string::npos);
  EXPECT_EQ(Post("/detect", "not json").status, 400);
}

TEST_F(ServiceTest, NotReadyUntilBackendAttached) {
  Start({}, /*attach=*/false);
  EXPECT_EQ(http::Request(port_, "GET", "/health").status, 200);
  auto ready = http::Request(port_, "GET", "/ready");
  EXPECT_EQ(ready.status, 503);
  auto r = Post("/translate", R"({"text_de": "Hallo."})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["retry-after"], "2");
  EXPECT_NE(Body(r)["error"].get<std::string>().find("loading"), std::string::npos);
  ASSERT_TRUE(service_->AttachBackend(&backend_, ModelInfo{}).ok());
  EXPECT_EQ(http::Request(port_, "GET", "/ready").status, 200);
  EXPECT_EQ(Post("/translate", R"({"text_de": "Hallo."})").status, 200);
}

TEST_F(ServiceTest, LegacyContract) {
  Start();
  auto r = Post("/translate", R"({"text_de": "Guten Tag. Wie geht es?\n\nZweiter Absatz."})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.body, R"({"text_en":"0:GUTEN TAG. 0:WIE GEHT ES?\n\n0:ZWEITER ABSATZ."})");
}

TEST_F(ServiceTest, LibreTranslateJsonFormAndMultipart) {
  Start();
  auto one = Body(Post("/translate", R"({"q": "Hallo Welt.", "source": "de", "target": "en"})"));
  EXPECT_EQ(one, json::parse(R"({"translatedText": "0:HALLO WELT."})"));
  auto many = Body(Post("/translate", R"({"q": ["Eins.", "Zwei."], "source": "auto", "target": "en",
                                          "alternatives": 1})"));
  EXPECT_EQ(many["translatedText"], json::parse(R"(["0:EINS.", "0:ZWEI."])"));
  EXPECT_EQ(many["alternatives"], json::parse(R"([["0:EINS.#1"], ["0:ZWEI.#1"]])"));
  EXPECT_EQ(many["detectedLanguage"][1]["language"], "de");
  auto form =
      Body(Post("/translate", "q=Guten+Morgen%21&source=de&target=en", "application/x-www-form-urlencoded"));
  EXPECT_EQ(form["translatedText"], "0:GUTEN MORGEN!");
  std::string multipart =
      "--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nMultipart.\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nde\r\n--XyZ--\r\n";
  auto mp = Post("/translate", multipart, "multipart/form-data; boundary=XyZ");
  ASSERT_EQ(mp.status, 200) << mp.body;
  EXPECT_EQ(Body(mp)["translatedText"], "0:MULTIPART.");
  auto pdf = Post("/translate", R"({"q": "x", "format": "pdf"})");
  EXPECT_EQ(pdf.status, 400);
  EXPECT_NE(Body(pdf)["error"].get<std::string>().find("'format' must be"), std::string::npos);
}

// All the batches' sentences, for asserting what the model saw.
std::string AllSentences(const FakeBackend& backend) {
  std::string all;
  for (const auto& batch : backend.batches()) {
    for (const std::string& s : batch) all += s + "\n";
  }
  return all;
}

TEST_F(ServiceTest, HtmlSentenceWithBoldWordIsOneSentenceAndKeepsItsTags) {
  Start();
  auto r =
      Post("/translate", R"({"q": "<p>Das ist ein <b>sehr</b> guter Tag. Setze <code>x = 1</code> ein.</p>)"
                         R"(<script>var a = \"<b>\";</script>", "source": "de", "target": "en",
                                  "format": "html"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string out = Body(r)["translatedText"];
  EXPECT_EQ(out,
            "<p>0:DAS IST EIN <b>SEHR</b> GUTER TAG. 0:SETZE <code>x = 1</code> EIN.</p>"
            "<script>var a = \"<b>\";</script>")
      << out;
  // One sentence with its bold word, never cut at the tags; code and script never reach the model.
  const std::string seen = AllSentences(backend_);
  EXPECT_NE(seen.find("Das ist ein sehr guter Tag.\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("x = 1"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("var a"), std::string::npos) << seen;
  EXPECT_TRUE(backend_.batch_options().back().alignment);
  bool logged = false;  // the log line is written once the answer went out: wait for it (bounded)
  for (int i = 0; i < 500 && !logged; ++i) {
    for (const std::string& line : Logs())
      logged = logged || line.find("\"format\":\"html\"") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(logged);
  for (const std::string& line : Logs()) EXPECT_EQ(line.find("sehr"), std::string::npos) << line;
}

TEST_F(ServiceTest, MarkdownKeepsLinkTargetsAndEmphasis) {
  Start();
  json body = {{"q", "# Titel\n\nLies [die Anleitung](https://example.com/a_b?x=1) **heute** bitte.\n"},
               {"format", "markdown"}};
  auto r = Post("/translate", body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["translatedText"],
            "# 0:TITEL\n\n0:LIES [DIE ANLEITUNG](https://example.com/a_b?x=1) **HEUTE** BITTE.\n");
  EXPECT_EQ(AllSentences(backend_).find("example.com"), std::string::npos);
}

TEST_F(ServiceTest, MarkupArraysFormsAndNativeApi) {
  Start();
  auto many = Body(Post("/translate", R"({"q": ["<i>Eins</i> zwei.", "<p>Drei.</p>"], "format": "html"})"));
  EXPECT_EQ(many["translatedText"], json::parse(R"(["<i>0:EINS</i> ZWEI.", "<p>0:DREI.</p>"])"));
  auto form = Body(
      Post("/translate", "q=%3Cb%3EHallo%3C%2Fb%3E+Welt.&format=html", "application/x-www-form-urlencoded"));
  EXPECT_EQ(form["translatedText"], "<b>0:HALLO</b> WELT.");
  auto native = Post("/v1/translate", R"({"text": ["*Guten* Morgen."], "format": "markdown"})");
  ASSERT_EQ(native.status, 200) << native.body;
  EXPECT_EQ(Body(native)["translations"][0]["text"], "*0:GUTEN* MORGEN.");
  EXPECT_EQ(Body(native)["usage"]["sentences"], 1);
  // Plain text is unchanged by the markup path: tags are text there.
  EXPECT_EQ(Body(Post("/translate", R"({"q": "<b>x</b>", "format": "text"})"))["translatedText"],
            "0:<B>X</B>");
}

TEST_F(ServiceTest, MarkupErrorsNameWhatIsWrong) {
  Start();
  auto expect_error = [&](const http::Response& r, const std::string& fragment) {
    EXPECT_EQ(r.status, 400) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "<div>";
  expect_error(
      Post("/translate", json{{"q", json::array({"<p>ok</p>", deep + "x"})}, {"format", "html"}}.dump()),
      "q[1]: html: ");
  expect_error(Post("/translate", R"({"q": "<b>x</b>", "format": "html", "alternatives": 1})"),
               "'alternatives' is not available");
  expect_error(Post("/v1/translate", R"({"text": "<b>x</b>", "format": "html", "stream": true})"),
               "cannot be combined");
  expect_error(Post("/v1/translate", R"({"text": "x", "format": "docx"})"), "'format' must be");
  EXPECT_EQ(Post("/translate", R"({"q": "<p>still served</p>", "format": "html"})").status, 200);
}

TEST_F(ServiceTest, LargeHtmlDocumentThroughTranslate) {
  Start();
  std::string html =
      "<!DOCTYPE html><html><head><title>Ein Titel</title><style>p{color:red}</style></head><body>";
  int paragraphs = 0;
  while (html.size() < 100 * 1024) {
    const std::string n = std::to_string(paragraphs++);
    html += "<h2>Abschnitt " + n + "</h2><p>Dies ist der <b>wichtige</b> Absatz nummer " + n +
            " mit einem <a href=\"https://example.org/" + n +
            "\" title=\"Mehr dazu\">Verweis</a> darin. Noch "
            "ein <em>zweiter</em> Satz folgt.</p><ul><li>Punkt eins</li><li><code>tar -x</code> "
            "aufrufen</li></ul>";
  }
  html += "</body></html>";
  auto r = Post("/translate", json{{"q", html}, {"format", "html"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 500);
  const std::string out = Body(r)["translatedText"];
  auto count = [](const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
  };
  for (const char* tag : {"<b>", "</b>", "<em>", "</em>", "<a href=", "</a>", "<li>", "<code>tar -x</code>",
                          "<h2>", "title=\"0:MEHR DAZU\""}) {
    EXPECT_EQ(count(out, tag), static_cast<size_t>(paragraphs) * (std::string(tag) == "<li>" ? 2 : 1)) << tag;
  }
  EXPECT_EQ(count(out, "<b>0:WICHTIGE</b>") + count(out, "<b>WICHTIGE</b>"), static_cast<size_t>(paragraphs));
  EXPECT_EQ(count(out, "ABSATZ NUMMER"), static_cast<size_t>(paragraphs));
  EXPECT_EQ(out.find("Absatz"), std::string::npos);  // every sentence translated
  EXPECT_NE(out.find("<style>p{color:red}</style>"), std::string::npos);
  EXPECT_NE(out.find("<title>0:EIN TITEL</title>"), std::string::npos);
  EXPECT_NE(out.find("https://example.org/7\""), std::string::npos);
}

TEST_F(ServiceTest, NativeApiWithOptions) {
  Start();
  auto r = Post("/v1/translate",
                R"({"text": ["Ein Satz. Noch einer.", ""], "options": {"beam_size": 3, "n_best": 2}})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Body(r);
  EXPECT_EQ(j["translations"][0]["text"], "3:EIN SATZ. 3:NOCH EINER.");
  EXPECT_EQ(j["translations"][0]["alternatives"][0], "3:EIN SATZ.#1 3:NOCH EINER.#1");
  EXPECT_EQ(j["translations"][1]["text"], "");
  EXPECT_EQ(j["model"]["name"], "fake");
  EXPECT_EQ(j["usage"]["sentences"], 2);
  EXPECT_TRUE(j["timing"]["total_seconds"].is_number());
  auto bad = Post("/v1/translate", R"({"text": "x", "options": {"beam_size": 100}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(Body(bad)["error"].get<std::string>().find("beam_size"), std::string::npos);
}

TEST_F(ServiceTest, StreamingSendsProgressPerSentenceThenDone) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  Start(o);
  auto r = Post("/v1/translate", R"({"text": "Erster Satz. Zweiter Satz. Dritter Satz.", "stream": true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["content-type"], "text/event-stream");
  std::vector<std::string> events;
  std::vector<json> data;
  size_t pos = 0;
  while ((pos = r.body.find("event: ", pos)) != std::string::npos) {
    size_t eol = r.body.find('\n', pos);
    events.push_back(r.body.substr(pos + 7, eol - pos - 7));
    size_t data_start = r.body.find("data: ", eol) + 6;
    data.push_back(json::parse(r.body.substr(data_start, r.body.find('\n', data_start) - data_start)));
    pos = eol;
  }
  ASSERT_EQ(events, (std::vector<std::string>{"progress", "progress", "progress", "done"})) << r.body;
  std::string assembled;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(data[i]["index"], i);
    EXPECT_EQ(data[i]["total"], 3);
    assembled += data[i]["piece"].get<std::string>();
  }
  EXPECT_EQ(assembled, "0:ERSTER SATZ. 0:ZWEITER SATZ. 0:DRITTER SATZ.");
  EXPECT_EQ(data[3]["translations"][0]["text"], assembled);
}

// Parses an event-stream body into (event, data) pairs.
std::vector<std::pair<std::string, json>> Events(const std::string& body) {
  std::vector<std::pair<std::string, json>> out;
  size_t pos = 0;
  while ((pos = body.find("event: ", pos)) != std::string::npos) {
    size_t eol = body.find('\n', pos);
    std::string event = body.substr(pos + 7, eol - pos - 7);
    size_t data_start = body.find("data: ", eol) + 6;
    out.emplace_back(event, json::parse(body.substr(data_start, body.find('\n', data_start) - data_start)));
    pos = eol;
  }
  return out;
}

TEST_F(ServiceTest, StreamingSkipsTheFirstSegmentsWithoutTranslatingThem) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  o.cache_entries = 0;
  Start(o);
  const std::string text = "Erster Satz. Zweiter Satz.\n\n2026\n\nDritter Satz. Vierter Satz.";
  auto full = Events(Post("/v1/translate", json{{"text", text}, {"stream", true}}.dump()).body);
  ASSERT_EQ(full.size(), 6u);  // 5 segments (the number is copied) + done
  const size_t batches_before = backend_.batches().size();

  auto r = Post("/v1/translate", json{{"text", text}, {"stream", true}, {"skip_segments", 2}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  auto events = Events(r.body);
  ASSERT_EQ(events.size(), 4u) << r.body;
  std::string assembled;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].first, "progress");
    EXPECT_EQ(events[i].second["index"], i + 2);  // document indices, as without skipping
    EXPECT_EQ(events[i].second["total"], 5);
    EXPECT_EQ(events[i].second["piece"], full[i + 2].second["piece"]);
    assembled += events[i].second["piece"].get<std::string>();
  }
  EXPECT_EQ(events[3].first, "done");
  EXPECT_EQ(events[3].second["translations"][0]["text"], assembled);
  // The skipped sentences were not decoded again: only "Dritter Satz." and "Vierter Satz." were.
  std::vector<std::string> decoded;
  auto batches = backend_.batches();
  for (size_t b = batches_before; b < batches.size(); ++b) {
    for (const std::string& s : batches[b]) decoded.push_back(s);
  }
  std::sort(decoded.begin(), decoded.end());
  EXPECT_EQ(decoded, (std::vector<std::string>{"Dritter Satz.", "Vierter Satz."}));

  // Skipping everything: no progress, an empty text, done at once.
  auto all =
      Events(Post("/v1/translate", json{{"text", text}, {"stream", true}, {"skip_segments", 9}}.dump()).body);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].first, "done");
  EXPECT_EQ(all[0].second["translations"][0]["text"], "");

  auto bad = [&](const json& body, const std::string& fragment) {
    auto answer = Post("/v1/translate", body.dump());
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_NE(answer.body.find(fragment), std::string::npos) << answer.body;
  };
  bad(json{{"text", text}, {"skip_segments", 1}}, "needs \\\"stream\\\": true");
  bad(json{{"text", text}, {"stream", true}, {"skip_segments", -1}}, "whole number");
  bad(json{{"text", text}, {"stream", true}, {"skip_segments", "1"}}, "whole number");
}

TEST_F(ServiceTest, ErrorsAreJsonWithTheRightStatus) {
  ServiceOptions o;
  o.max_body_bytes = 1000;
  Start(o);
  auto expect_error = [&](const http::Response& r, int status, const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };
  expect_error(Post("/translate", "{nope"), 400, "not valid JSON");
  expect_error(Post("/translate", "{\"text_de\": \"\xff\"}"), 400, "UTF-8");
  expect_error(Post("/translate", R"({"text_de": ["a"]})"), 400, "'text_de' must be a string");
  expect_error(http::Request(port_, "GET", "/translate"), 405, "GET is not allowed");
  EXPECT_EQ(http::Request(port_, "GET", "/translate").headers["allow"], "POST, OPTIONS");
  expect_error(http::Request(port_, "DELETE", "/health"), 405, "not allowed");
  expect_error(http::Request(port_, "GET", "/nowhere"), 404, "no endpoint /nowhere");
  auto too_big = Post("/translate", "{\"text_de\": \"" + std::string(2000, 'a') + "\"}");
  expect_error(too_big, 413, "limit of 1000 bytes");
  EXPECT_EQ(too_big.headers.count("retry-after"), 0u);
  expect_error(Post("/translate", "q=" + std::string(2000, 'a'), "application/x-www-form-urlencoded"), 413,
               "1000");
}

TEST_F(ServiceTest, QueueFullIs503WithRetryAfter) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_active_jobs = 1};
  Start(o);
  backend_.Close();
  std::thread first([&] { EXPECT_EQ(Post("/translate", R"({"text_de": "Eins."})").status, 200); });
  backend_.WaitEntered(2);  // warm-up + this request
  auto r = Post("/translate", R"({"text_de": "Zwei."})");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["retry-after"], "2");
  EXPECT_NE(Body(r)["error"].get<std::string>().find("retry later"), std::string::npos);
  backend_.Open();
  first.join();
}

TEST_F(ServiceTest, DeadlineIs504) {
  ServiceOptions o;
  o.request_timeout_seconds = 0.3;
  Start(o);
  backend_.Close();
  auto r = Post("/translate", R"({"text_de": "Langsam."})");
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(Body(r)["error"].get<std::string>().find("request timeout"), std::string::npos);
}

TEST_F(ServiceTest, ApiKeysWhenConfigured) {
  ServiceOptions o;
  o.api_keys = {"geheim"};
  Start(o);
  EXPECT_EQ(Post("/translate", R"({"q": "a"})").status, 403);
  EXPECT_EQ(Post("/translate", R"({"q": "a", "api_key": "falsch"})").status, 403);
  EXPECT_EQ(Post("/translate", R"({"q": "a", "api_key": "geheim"})").status, 200);
  EXPECT_EQ(
      Post("/translate", R"({"text_de": "a"})", "application/json", "Authorization: Bearer geheim").status,
      200);
}

TEST_F(ServiceTest, ClientDisconnectCancelsRemainingWork) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  Start(o);
  backend_.SetDelayMs(30);
  std::string text;
  for (int i = 0; i < 60; ++i) text += "Satz " + std::to_string(i) + ". ";
  int fd = http::Connect(port_);
  ASSERT_GE(fd, 0);
  std::string body = json{{"text_de", text}}.dump();
  ASSERT_TRUE(http::SendAll(fd,
                            "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            "Content-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t batches = backend_.batches().size();
  EXPECT_LT(batches, 60u);
  // Uncancelled, ~30 more 30-ms batches would run in the next second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_LE(backend_.batches().size(), batches + 1) << "the job should have been cancelled";
}

TEST_F(ServiceTest, MetricsAndLogsCarryNoText) {
  Start();
  ASSERT_EQ(Post("/translate", R"({"text_de": "Geheimnisvoller Inhalt."})").status, 200);
  EXPECT_EQ(http::Request(port_, "GET", "/nowhere/Geheimnisvoller").status, 404);
  auto metrics = http::Request(port_, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("dolmetsch_http_requests_total{endpoint=\"/translate\",status=\"200\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(
                "dolmetsch_http_request_duration_seconds_bucket{endpoint=\"/translate\",le=\"+Inf\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("dolmetsch_sentences_translated_total 2"), std::string::npos);  // warm-up + 1
  EXPECT_NE(metrics.body.find("dolmetsch_ready 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("dolmetsch_queue_sentences 0"), std::string::npos);
  EXPECT_EQ(metrics.body.find("Geheimnisvoll"), std::string::npos);
  auto logs = Logs();
  ASSERT_GE(logs.size(), 2u);
  bool saw_translate = false;
  for (const auto& line : logs) {
    json j = json::parse(line);
    if (j["endpoint"] == "/translate") {
      saw_translate = true;
      EXPECT_EQ(j["status"], 200);
      EXPECT_EQ(j["api"], "legacy");
      EXPECT_EQ(j["sentences"], 1);
    }
    EXPECT_EQ(line.find("Geheimnisvoller Inhalt"), std::string::npos) << line;
  }
  EXPECT_TRUE(saw_translate);
}

TEST_F(ServiceTest, DebugFlagLogsText) {
  ServiceOptions o;
  o.log_text = true;
  Start(o);
  ASSERT_EQ(Post("/translate", R"({"text_de": "Sichtbar."})").status, 200);
  bool found = false;
  for (const auto& line : Logs()) found |= line.find("Sichtbar.") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST_F(ServiceTest, ShutdownLetsInFlightFinishAndRefusesNewConnections) {
  ServiceOptions o;
  o.grace_seconds = 5;
  Start(o);
  backend_.Close();
  http::Response in_flight;
  std::thread client([&] { in_flight = Post("/translate", R"({"text_de": "Noch fertig."})"); });
  backend_.WaitEntered(2);
  std::thread stopper([&] { service_->Shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(service_->ready());
  EXPECT_LT(http::Connect(port_, 500), 0) << "new connections should be refused while draining";
  backend_.Open();
  client.join();
  stopper.join();
  ASSERT_EQ(in_flight.status, 200) << in_flight.error;
  EXPECT_EQ(Body(in_flight)["text_en"], "0:NOCH FERTIG.");
}

TEST_F(ServiceTest, ShutdownCancelsWorkLeftAfterGrace) {
  ServiceOptions o;
  o.grace_seconds = 0.3;
  Start(o);
  backend_.Close();
  http::Response in_flight;
  std::thread client([&] { in_flight = Post("/translate", R"({"text_de": "Zu spät."})"); });
  backend_.WaitEntered(2);
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    backend_.Open();
  });
  service_->Shutdown();
  client.join();
  opener.join();
  EXPECT_EQ(in_flight.status, 503) << in_flight.error;
}

TEST_F(ServiceTest, DocumentPipelineDedupAndCacheOverHttp) {
  Start();
  auto r = Post("/translate", json{{"q", {"Ja. Nein.\n\n\u2022 Ja.", "Nein,\nwirklich nicht."}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["translatedText"], json({"0:JA. 0:NEIN.\n\n\u2022 0:JA.", "0:NEIN,\nWIRKLICH NICHT."}));
  auto batches = backend_.batches();
  ASSERT_EQ(batches.size(), 2u);  // the warm-up, then one batch for the whole request
  EXPECT_EQ(batches[1], (std::vector<std::string>{"Ja.", "Nein.", "Nein, wirklich nicht."}));
  auto again = Post("/translate", R"({"text_de": "Nein. Ja."})");
  EXPECT_EQ(Body(again)["text_en"], "0:NEIN. 0:JA.");
  EXPECT_EQ(backend_.batches().size(), 2u);  // from the cache
  auto metrics = http::Request(port_, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("dolmetsch_sentence_duplicates_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("dolmetsch_cache_hits_total 2\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("dolmetsch_model_info{model=\"fake\",compute_type=\"float32\"} 1"),
            std::string::npos);
}

TEST_F(ServiceTest, ConcurrentClientsGetTheirOwnResults) {
  ServiceOptions o;
  o.scheduler = {.workers = 2, .max_batch_sentences = 8};
  Start(o);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string text = "Klient " + std::to_string(t) + " Anfrage " + std::to_string(i) + ".";
        auto r = Post("/translate", json{{"text_de", text}}.dump());
        std::string expect = "0:" + text;
        for (char& c : expect) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (r.status != 200 || json::parse(r.body)["text_en"] != expect) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

// --- POST /translate_file and GET /download_file ---

struct Part {
  std::string name, filename, value;
};

std::string MultipartBody(const std::vector<Part>& parts) {
  std::string body;
  for (const Part& p : parts) {
    body += "--BoUnDaRy7\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty())
      body += "; filename=\"" + p.filename + "\"\r\nContent-Type: application/octet-stream";
    body += "\r\n\r\n" + p.value + "\r\n";
  }
  return body + "--BoUnDaRy7--\r\n";
}

class FileServiceTest : public ServiceTest {
 protected:
  void StartFiles(ServiceOptions options = {}) {
    dir_ = ::testing::TempDir() + "dolmetsch-files-test-" + std::to_string(::getpid());
    options.files.dir = dir_;
    Start(options);
  }
  void TearDown() override {
    ServiceTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  http::Response Upload(const std::string& name, const std::string& content, const std::string& source = "de",
                        const std::string& target = "en") {
    return Post("/translate_file",
                MultipartBody({{"file", name, content}, {"source", "", source}, {"target", "", target}}),
                "multipart/form-data; boundary=BoUnDaRy7");
  }
  // The path of a translatedFileUrl ("http://127.0.0.1/download_file/..." -> "/download_file/...").
  std::string PathOf(const http::Response& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string url = Body(r).value("translatedFileUrl", "");
    EXPECT_EQ(url.rfind("http://127.0.0.1/download_file/", 0), 0u) << url;
    return url.substr(url.find("/download_file/"));
  }
  std::string dir_;
};

TEST_F(FileServiceTest, DocxRoundTripKeepsBoldInsideOneSentence) {
  StartFiles();
  const std::string body =
      "<w:p><w:r><w:t xml:space=\"preserve\">Das ist ein "
      "</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>sehr</w:t>"
      "</w:r><w:r><w:t xml:space=\"preserve\"> guter Tag.</w:t></w:r></w:p>";
  const std::string footer = "<w:p><w:r><w:t>Seite eins</w:t></w:r></w:p>";
  const std::string in = markup::testing::Docx(body, {{"footer1", footer}});
  auto r = Upload("Bericht.docx", in);
  const std::string path = PathOf(r);
  EXPECT_NE(path.find("/Bericht.docx"), std::string::npos) << path;
  // 128 bits of token: 32 hex digits.
  const std::string token = path.substr(std::string("/download_file/").size(), 32);
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  auto got = http::Request(port_, "GET", path);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.headers["content-type"],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_NE(got.headers["content-disposition"].find("Bericht.docx"), std::string::npos);
  auto package = markup::ZipPackage::Open(got.body);
  ASSERT_TRUE(package.ok()) << package.status().ToString();
  auto doc = (*package)->Read("word/document.xml");
  ASSERT_TRUE(doc.ok());
  EXPECT_NE(doc->find("<w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">SEHR</w:t>"), std::string::npos)
      << *doc;
  EXPECT_EQ(doc->find("Das ist"), std::string::npos) << *doc;
  auto foot = (*package)->Read("word/footer1.xml");
  ASSERT_TRUE(foot.ok());
  EXPECT_NE(foot->find("SEITE EINS"), std::string::npos) << *foot;
  EXPECT_NE(AllSentences(backend_).find("Das ist ein sehr guter Tag.\n"), std::string::npos);
  // Downloads may repeat until the file expires; the wrong token or name finds nothing.
  EXPECT_EQ(http::Request(port_, "GET", path).status, 200);
  std::string wrong = path;
  wrong[15] = wrong[15] == 'a' ? 'b' : 'a';
  auto not_found = http::Request(port_, "GET", wrong);
  EXPECT_EQ(not_found.status, 404);
  EXPECT_NE(Body(not_found)["error"].get<std::string>().find("no such file"), std::string::npos);
  EXPECT_EQ(http::Request(port_, "GET", path.substr(0, path.rfind('/')) + "/other.docx").status, 404);
  EXPECT_EQ(http::Request(port_, "GET", "/download_file/" + token + "/..%2F..%2Fetc%2Fpasswd").status, 404);
  EXPECT_EQ(http::Request(port_, "GET", "/download_file/nothing").status, 404);
  for (const std::string& line : Logs()) {
    EXPECT_EQ(line.find(token), std::string::npos) << line;  // download links are secrets
    EXPECT_EQ(line.find("Bericht"), std::string::npos) << line;
  }
}

TEST_F(FileServiceTest, SubripTextAndMarkdownFiles) {
  StartFiles();
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:03,000\nDas ist ein Satz,\n\n2\n00:00:03,500 --> 00:00:05,000\nder "
      "weitergeht.\n";
  auto got = http::Request(port_, "GET", PathOf(Upload("film.srt", srt)));
  ASSERT_EQ(got.status, 200);
  EXPECT_NE(got.body.find("00:00:01,000 --> 00:00:03,000\n"), std::string::npos) << got.body;
  EXPECT_NE(got.body.find("00:00:03,500 --> 00:00:05,000\n"), std::string::npos) << got.body;
  EXPECT_EQ(got.body.find("Satz"), std::string::npos) << got.body;
  // The sentence across the two cues reached the model as one.
  EXPECT_NE(AllSentences(backend_).find("Das ist ein Satz, der weitergeht.\n"), std::string::npos)
      << AllSentences(backend_);
  auto txt = http::Request(port_, "GET", PathOf(Upload("notiz.txt", "Erster Satz. Zweiter Satz.\n")));
  EXPECT_EQ(txt.body, "0:ERSTER SATZ. 0:ZWEITER SATZ.\n");
  EXPECT_EQ(txt.headers["content-type"], "text/plain; charset=utf-8");
  auto md = http::Request(port_, "GET",
                          PathOf(Upload("readme.md", "# Titel\n\nSiehe [hier](https://x.org/a) nach.\n")));
  EXPECT_EQ(md.body, "# 0:TITEL\n\n0:SIEHE [HIER](https://x.org/a) NACH.\n");
  auto settings = Body(http::Request(port_, "GET", "/frontend/settings"));
  EXPECT_EQ(settings["filesTranslation"], true);
  for (const char* ext :
       {".txt", ".html", ".md", ".srt", ".vtt", ".docx", ".odt", ".pptx", ".odp", ".epub", ".pdf"}) {
    EXPECT_NE(
        std::find(settings["supportedFilesFormat"].begin(), settings["supportedFilesFormat"].end(), ext),
        settings["supportedFilesFormat"].end())
        << ext;
  }
}

TEST_F(FileServiceTest, PdfComesBackAsMarkdown) {
  StartFiles();
  markup::testing::PdfPage page;
  double y = 720;
  markup::testing::AddParagraph(&page, {"Der erste Absatz steht", "auf zwei Zeilen."}, &y);
  y -= 20;
  markup::testing::AddParagraph(&page, {"Der zweite Absatz."}, &y);
  const std::string path = PathOf(Upload("Bericht.pdf", markup::testing::MakePdf({page})));
  EXPECT_EQ(path.substr(path.rfind('/')), "/Bericht.md");
  auto got = http::Request(port_, "GET", path);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.headers["content-type"], "text/markdown; charset=utf-8");
  EXPECT_NE(got.body.find("0:DER ERSTE ABSATZ STEHT AUF ZWEI ZEILEN."), std::string::npos) << got.body;
  EXPECT_NE(got.body.find("0:DER ZWEITE ABSATZ."), std::string::npos) << got.body;
  auto encrypted = Upload("geheim.pdf", markup::testing::MakePdf({page}, /*encrypt=*/true));
  EXPECT_EQ(encrypted.status, 400) << encrypted.body;
  EXPECT_NE(Body(encrypted)["error"].get<std::string>().find("file 'geheim.pdf': pdf: "), std::string::npos)
      << encrypted.body;
}

// Uploads, downloads, markup and plain requests at once: each client gets its own file (and TSan, in its
// preset, sees the FileStore and the markup jobs shared across threads).
TEST_F(FileServiceTest, ConcurrentUploadsAndRequestsGetTheirOwnResults) {
  StartFiles();
  std::vector<std::thread> clients;
  std::vector<std::string> errors(12);
  for (int c = 0; c < 12; ++c) {
    clients.emplace_back([&, c] {
      const std::string n = std::to_string(c);
      std::string got;
      if (c % 3 == 0) {
        auto r = Upload("k" + n + ".html", "<p>Kunde <b>" + n + "</b> fragt.</p>");
        got = r.status == 200 ? http::Request(port_, "GET", PathOf(r)).body : r.body;
        if (got != "<p>0:KUNDE <b>" + n + "</b> FRAGT.</p>") errors[c] = got;
      } else if (c % 3 == 1) {
        auto r = Upload("k" + n + ".txt", "Kunde " + n + " fragt.");
        got = r.status == 200 ? http::Request(port_, "GET", PathOf(r)).body : r.body;
        if (got != "0:KUNDE " + n + " FRAGT.") errors[c] = got;
      } else {
        auto r = Post("/translate", json{{"q", "<i>Kunde</i> " + n + "."}, {"format", "html"}}.dump());
        got = r.status == 200 ? Body(r)["translatedText"].get<std::string>() : r.body;
        if (got != "<i>0:KUNDE</i> " + n + ".") errors[c] = got;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (int c = 0; c < 12; ++c) EXPECT_EQ(errors[c], "") << "client " << c;
  EXPECT_EQ(service_->port(), port_);
}

TEST_F(FileServiceTest, NamesAreSanitized) {
  StartFiles();
  auto r = Upload("../../etc/passwd.html", "<p>Hallo Welt.</p>");
  const std::string path = PathOf(r);
  EXPECT_EQ(path.substr(path.rfind('/')), "/passwd.html");
  auto dots = Upload("..", "<p>Hallo.</p>", "de", "en");
  // Nothing but dots: no name left, and no format in it: the content decides (a '<' tag: HTML).
  const std::string dots_path = PathOf(dots);
  EXPECT_EQ(dots_path.substr(dots_path.rfind('/')), "/file");
  EXPECT_EQ(http::Request(port_, "GET", dots_path).body, "<p>0:HALLO.</p>");
  // Files land inside the folder, each in its token's folder.
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(entry.path().parent_path().parent_path(), std::filesystem::path(dir_));
    }
  }
  EXPECT_EQ(files, 2u);
}

TEST_F(FileServiceTest, HostileAndWrongUploadsAreRefusedNamingWhy) {
  ServiceOptions o;
  o.max_file_bytes = 64 << 10;
  StartFiles(o);
  auto expect_error = [&](const http::Response& r, int status, const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };
  expect_error(Upload("big.txt", std::string(65 << 10, 'a')), 413, "at most 65536 bytes");
  // A zip bomb: 8 MiB of zeros packed into a few KB.
  const std::string bomb = markup::testing::Zip(
      {{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", std::string(8u << 20, '\0')}});
  ASSERT_LT(bomb.size(), 64u << 10);
  expect_error(Upload("bomb.docx", bomb), 400, "file 'bomb.docx': docx: ");
  expect_error(Upload("broken.docx", "PK\x03\x04 not really a zip"), 400, "file 'broken.docx'");
  expect_error(Upload("daten.xyz", std::string("\x01\x02\x03", 3)), 400, "supported: .txt");
  expect_error(Upload("latin1.txt",
                      "Gr\xfc\xdf"
                      "e"),
               400, "must be UTF-8");
  expect_error(Post("/translate_file", R"({"q": "x"})"), 400, "multipart/form-data");
  expect_error(Post("/translate_file", MultipartBody({{"source", "", "de"}}),
                    "multipart/form-data; boundary=BoUnDaRy7"),
               400, "missing file");
  expect_error(Upload("x.html", "<p>x</p>", "fr", "en"), 400, "no model translates fr to en");
  EXPECT_EQ(http::Request(port_, "GET", "/translate_file").status, 405);
  EXPECT_EQ(Upload("fine.html", "<p>Noch da.</p>").status, 200);
}

TEST_F(FileServiceTest, ApiKeyIsChecked) {
  ServiceOptions o;
  o.api_keys = {"geheim"};
  StartFiles(o);
  EXPECT_EQ(Upload("a.txt", "Hallo.").status, 403);
  auto ok =
      Post("/translate_file",
           MultipartBody({{"file", "a.txt", "Hallo."}, {"source", "", "de"}, {"api_key", "", "geheim"}}),
           "multipart/form-data; boundary=BoUnDaRy7");
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(FileServiceTest, FilesExpire) {
  ServiceOptions o;
  o.files.ttl_seconds = 1;
  StartFiles(o);
  const std::string path = PathOf(Upload("kurz.txt", "Hallo."));
  EXPECT_EQ(http::Request(port_, "GET", path).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto gone = http::Request(port_, "GET", path);
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(Body(gone)["error"].get<std::string>().find("expired"), std::string::npos);
  // Deleted from the disk too.
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_))
    files += entry.is_regular_file();
  EXPECT_EQ(files, 0u);
}

TEST_F(FileServiceTest, QuotaRefusesWithAClearMessage) {
  ServiceOptions o;
  o.files.quota_bytes = 100;
  StartFiles(o);
  EXPECT_EQ(Upload("a.txt", std::string(30, 'a') + ".").status, 200);  // 33 bytes out
  EXPECT_EQ(Upload("b.txt", std::string(30, 'b') + ".").status, 200);
  auto full = Upload("c.txt", std::string(60, 'c') + ".");
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_NE(Body(full)["error"].get<std::string>().find("--files-quota-mib"), std::string::npos) << full.body;
  EXPECT_FALSE(full.headers["retry-after"].empty());
}

// --- POST /v1/translate_file: the streamed file translation ---

class FileStreamTest : public FileServiceTest {
 protected:
  http::Response Stream(const std::string& name, const std::string& content, const std::string& source = "de",
                        const std::string& skip_blocks = "") {
    std::vector<Part> parts = {{"file", name, content}, {"source", "", source}, {"target", "", "en"}};
    if (!skip_blocks.empty()) parts.push_back({"skip_blocks", "", skip_blocks});
    return Post("/v1/translate_file", MultipartBody(parts), "multipart/form-data; boundary=BoUnDaRy7");
  }
  // Streams `content`, checks the events (progress in order from `skip` on, index/done/total, then done) and
  // that the file equals what /translate_file + download gives; returns the concatenated pieces.
  std::string StreamAndCompare(const std::string& name, const std::string& content, size_t skip = 0) {
    auto r = Stream(name, content, "de", skip > 0 ? std::to_string(skip) : "");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.headers["content-type"], "text/event-stream");
    auto events = Events(r.body);
    EXPECT_FALSE(events.empty()) << r.body;
    if (events.empty()) return "";
    const auto [last, done] = events.back();
    EXPECT_EQ(last, "done") << r.body;
    const size_t blocks = done.value("blocks", size_t{0});
    EXPECT_EQ(events.size(), blocks - std::min(skip, blocks) + 1) << r.body;
    std::string pieces;
    for (size_t k = 0; k + 1 < events.size(); ++k) {
      const auto& [event, data] = events[k];
      EXPECT_EQ(event, "progress");
      EXPECT_EQ(data["index"], skip + k);
      EXPECT_EQ(data["done"], skip + k + 1);
      EXPECT_EQ(data["total"], blocks);
      const std::string piece = data["piece"];
      EXPECT_EQ(piece.rfind("\n\n", 0) == 0, skip + k > 0) << piece;
      pieces += piece;
    }
    const std::string downloaded = http::Request(port_, "GET", PathOf(Upload(name, content))).body;
    EXPECT_EQ(done["content_base64"], Base64Encode(downloaded));
    EXPECT_EQ(done["bytes"], downloaded.size());
    EXPECT_EQ(done["model"]["source"], "de");
    EXPECT_EQ(done["model"]["target"], "en");
    EXPECT_FALSE(done.contains("detected_language"));
    EXPECT_GT(done.value("sentences", 0), 0);
    return pieces;
  }
};

TEST_F(FileStreamTest, HtmlBlocksInOrderAndTheSameFile) {
  StartFiles();
  const std::string html =
      "<html><body><h1>Titel</h1><p>Das ist <b>fett</b>. Zweiter Satz.</p><p>42</p>"
      "<p><img src=\"a.png\" alt=\"Ein Bild\"> Siehe https://x.org/a hier.</p></body></html>";
  EXPECT_EQ(markup::ExtractBlocks(html, markup::Format::kHtml)->size(), 4u);
  EXPECT_EQ(StreamAndCompare("seite.html", html),
            "0:TITEL\n\n0:DAS IST FETT. 0:ZWEITER SATZ.\n\n0:EIN BILD\n\n0:SIEHE https://x.org/a HIER.");
}

TEST_F(FileStreamTest, MarkdownSubripAndText) {
  StartFiles();
  EXPECT_EQ(
      StreamAndCompare("readme.md", "# Titel\n\nSiehe [hier](https://x.org/a) nach.\n\n- Eins\n- Zwei\n"),
      "0:TITEL\n\n0:SIEHE HIER NACH.\n\n0:EINS\n\n0:ZWEI");
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:03,000\nDas ist ein Satz,\n\n2\n00:00:03,500 --> 00:00:05,000\nder "
      "weitergeht.\n";
  EXPECT_EQ(StreamAndCompare("film.srt", srt), "0:DAS IST EIN SATZ, DER WEITERGEHT.");
  // Plain text: the blocks are paragraphs (runs of sentences without a blank line); letterless ones are
  // copied into the file but are no block.
  EXPECT_EQ(
      StreamAndCompare("notiz.txt", "Erster Satz. Zweiter Satz.\nDritter.\n\n12345\n\nLetzter Absatz.\n"),
      "0:ERSTER SATZ. 0:ZWEITER SATZ.\n0:DRITTER.\n\n0:LETZTER ABSATZ.");
  EXPECT_EQ(markup::ExtractBlocks("Erster Satz. Zweiter Satz.\nDritter.\n\n12345\n\nLetzter Absatz.\n",
                                  markup::Format::kText)
                ->size(),
            2u);
}

TEST_F(FileStreamTest, DocxSkipBlocksAndDetection) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  StartFiles(o);
  const std::string body =
      "<w:p><w:r><w:t xml:space=\"preserve\">Das ist ein "
      "</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>sehr</w:t>"
      "</w:r><w:r><w:t xml:space=\"preserve\"> guter Tag f\u00fcr einen Ausflug in die "
      "Berge.</w:t></w:r></w:p>"
      "<w:p><w:r><w:t>Wir gehen morgen fr\u00fch los und kommen am Abend zur\u00fcck.</w:t></w:r></w:p>"
      "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Zelle</w:t></w:r></w:p></w:tc></w:tr></w:tbl>";
  const std::string docx =
      markup::testing::Docx(body, {{"footer1", "<w:p><w:r><w:t>Seite eins</w:t></w:r></w:p>"}});
  const std::string all = StreamAndCompare("Bericht.docx", docx);
  EXPECT_EQ(all,
            "0:DAS IST EIN SEHR GUTER TAG F\u00fcR EINEN AUSFLUG IN DIE BERGE.\n\n"
            "0:WIR GEHEN MORGEN FR\u00fcH LOS UND KOMMEN AM ABEND ZUR\u00fcCK.\n\n0:ZELLE\n\n0:SEITE EINS");
  // The client has two blocks: the rest comes, the file is whole.
  const std::string rest = StreamAndCompare("Bericht.docx", docx, 2);
  EXPECT_EQ(rest, "\n\n0:ZELLE\n\n0:SEITE EINS");
  EXPECT_EQ(StreamAndCompare("Bericht.docx", docx, 9), "");

  // source "auto" (or none): detected from the file's text, among the languages that translate into the
  // target.
  for (const std::string source : {"auto", ""}) {
    auto r = Stream("Bericht.docx", docx, source);
    auto events = Events(r.body);
    ASSERT_FALSE(events.empty()) << r.body;
    const json& done = events.back().second;
    EXPECT_EQ(done["model"]["source"], "de") << r.body;
    EXPECT_EQ(done["detected_language"]["language"], "de") << r.body;
    EXPECT_GT(done["detected_language"]["confidence"].get<double>(), 50) << r.body;
  }
  // English text: this server only has German -> English, so "de" is what it can try, with no confidence.
  const std::string english = markup::testing::Docx(
      "<w:p><w:r><w:t>The weather is lovely today and we are going for a long walk in the "
      "park.</w:t></w:r></w:p>");
  auto events = Events(Stream("report.docx", english, "auto").body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().second["detected_language"]["language"], "de");
  EXPECT_LT(events.back().second["detected_language"]["confidence"].get<double>(), 50);
  // LibreTranslate's /translate_file detects too.
  EXPECT_EQ(Upload("Bericht.docx", docx, "auto").status, 200);
}

TEST_F(FileStreamTest, RefusedBeforeStreaming) {
  ServiceOptions o;
  o.max_file_bytes = 64 << 10;
  StartFiles(o);
  auto expect_error = [&](const http::Response& r, int status, const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "application/json") << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };
  expect_error(Stream("big.txt", std::string(65 << 10, 'a')), 413, "at most 65536 bytes");
  expect_error(Stream("broken.docx", "PK\x03\x04 not really a zip"), 400, "file 'broken.docx'");
  expect_error(Stream("broken.docx", "PK\x03\x04 not really a zip", "auto"), 400, "file 'broken.docx'");
  expect_error(Stream("daten.xyz", std::string("\x01\x02\x03", 3)), 400, "supported: .txt");
  expect_error(Stream("latin1.txt",
                      "Gr\xfc\xdf"
                      "e"),
               400, "must be UTF-8");
  expect_error(Stream("x.html", "<p>x</p>", "de", "-1"), 400, "skip_blocks");
  expect_error(Stream("x.html", "<p>x</p>", "de", "zwei"), 400, "skip_blocks");
  expect_error(Stream("x.html", "<p>x</p>", "fr"), 400, "no model translates fr to en");
  EXPECT_EQ(http::Request(port_, "GET", "/v1/translate_file").status, 405);
}

TEST_F(FileStreamTest, StreamHasNoRequestTimeoutTranslateFileHasOne) {
  ServiceOptions o;
  o.request_timeout_seconds = 0.3;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  StartFiles(o);
  backend_.SetDelayMs(100);
  std::string html;
  for (int i = 0; i < 6; ++i) html += "<p>Satz " + std::to_string(i) + " hier.</p>";
  auto r = Stream("lang.html", html);
  auto events = Events(r.body);
  ASSERT_EQ(events.size(), 7u) << r.body;
  EXPECT_EQ(events.back().first, "done");
  EXPECT_EQ(Upload("lang.html", html).status, 504);
}

TEST_F(FileStreamTest, ClientDisconnectCancelsTheWork) {
  ServiceOptions o;
  o.scheduler = {.workers = 1, .max_batch_sentences = 1};
  StartFiles(o);
  backend_.SetDelayMs(30);
  std::string html;
  for (int i = 0; i < 60; ++i) html += "<p>Satz " + std::to_string(i) + ".</p>";
  const std::string body = MultipartBody({{"file", "lang.html", html}, {"source", "", "de"}});
  int fd = http::Connect(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(
      http::SendAll(fd,
                    "POST /v1/translate_file HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                    "boundary=BoUnDaRy7\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body));
  backend_.WaitEntered(3);
  ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t batches = backend_.batches().size();
  EXPECT_LT(batches, 60u);
  // Uncancelled, ~30 more 30-ms batches would run in the next second.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_LE(backend_.batches().size(), batches + 1) << "the job should have been cancelled";
}

TEST_F(FileStreamTest, ShutdownEndsTheStreamLikeTheOthers) {
  ServiceOptions o;
  o.grace_seconds = 0.3;
  StartFiles(o);
  backend_.Close();
  http::Response in_flight;
  std::thread client([&] { in_flight = Stream("spaet.html", "<p>Zu sp\u00e4t.</p>"); });
  backend_.WaitEntered(2);  // the warm-up, then the file's batch
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    backend_.Open();
  });
  service_->Shutdown();
  client.join();
  opener.join();
  ASSERT_EQ(in_flight.status, 200) << in_flight.error;
  auto events = Events(in_flight.body);
  ASSERT_EQ(events.size(), 1u) << in_flight.body;
  EXPECT_EQ(events[0].first, "error");
  EXPECT_EQ(events[0].second["status"], 503);
  EXPECT_NE(events[0].second["error"].get<std::string>().find("shutting down"), std::string::npos);
}

TEST_F(FileStreamTest, LargeDocumentStreamsEveryBlock) {
  StartFiles();
  std::string md;
  for (int i = 0; md.size() < (120 << 10); ++i) {
    md += "## Abschnitt " + std::to_string(i) + "\n\nDies ist der **Absatz** Nummer " + std::to_string(i) +
          ". Er hat zwei S\u00e4tze.\n\n";
  }
  const auto blocks = markup::ExtractBlocks(md, markup::Format::kMarkdown);
  ASSERT_TRUE(blocks.ok());
  const std::string pieces = StreamAndCompare("gross.md", md);
  size_t separators = 0;
  for (size_t p = pieces.find("\n\n"); p != std::string::npos; p = pieces.find("\n\n", p + 2)) ++separators;
  EXPECT_EQ(separators + 1, blocks->size());
}

}  // namespace
}  // namespace dolmetsch::translator
