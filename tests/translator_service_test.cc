// Integration tests of `dolmetsch translator`: the real binary, the fixture model
// (tests/fixtures/tiny-de-en), a free loopback port, plain HTTP. Expected translations come from the
// fixture's golden.json (what Hugging Face transformers produced for single sentences with the model's
// default beam search).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <tuple>

#include "http/testing/raw_client.h"
#include "tests/testing/child_process.h"
#include "translator/mini_http_client.h"

namespace {

using json = nlohmann::json;
namespace http = dolmetsch::translator::mini_http;
using Clock = std::chrono::steady_clock;
using dolmetsch::testing::ChildOptions;
using dolmetsch::testing::ChildProcess;
using dolmetsch::testing::ReadFile;

const std::string kModel = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

// golden.json: case text -> beam-search output of transformers (the model's default search).
std::string Golden(int case_id) {
  static const json golden = json::parse(ReadFile(kModel + "/golden.json"));
  return golden["cases"][case_id]["beam"]["text"].get<std::string>();
}
std::string GoldenSource(int case_id) {
  static const json golden = json::parse(ReadFile(kModel + "/golden.json"));
  return golden["cases"][case_id]["text"].get<std::string>();
}

// A running `dolmetsch translator ARGS` on a free port; stderr goes to a file the test reads for the port
// and the logs. Killed (SIGKILL) on destruction if still running.
class Server {
 public:
  explicit Server(std::vector<std::string> extra_args = {}, std::vector<std::string> env = {})
      : process_(Args(std::move(extra_args)),
                 ChildOptions(NewLogPath()).StdoutToNull().Env(std::move(env)).RemoveLogAtExit()) {}
  // Waits for the "listening" log line; returns the port or 0.
  int WaitListening(int timeout_s = 30) {
    port_ = process_.WaitListeningPort(std::chrono::seconds(timeout_s));
    return port_;
  }
  bool WaitReady(int timeout_s = 60) {
    auto end = Clock::now() + std::chrono::seconds(timeout_s);
    while (Clock::now() < end && process_.Running()) {
      if (http::Request(port_, "GET", "/ready").status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Waits for the process to end; its exit code (128 + signal when a signal ended it; -2 after the timeout).
  int WaitExit(int timeout_s = 40) { return process_.WaitExit(std::chrono::seconds(timeout_s)); }
  void Signal(int sig) { process_.Signal(sig); }
  std::string Log() { return process_.Log(); }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }

 private:
  static std::vector<std::string> Args(std::vector<std::string> extra) {
    std::vector<std::string> args = {DOLMETSCH_BINARY, "translator", "--model", kModel,
                                     "--host",         "127.0.0.1",  "--port",  "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  static std::string NewLogPath() {
    static int counter = 0;
    return ::testing::TempDir() + "translator_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++) + ".log";
  }
  ChildProcess process_;
  int port_ = 0;
};

// The value of an unlabelled metric in a /metrics answer (-1 when absent).
double MetricValue(const std::string& metrics, const std::string& name) {
  std::smatch m;
  std::regex re("(^|\n)" + name + " ([0-9.e+-]+)\n");
  return std::regex_search(metrics, m, re) ? std::stod(m[2].str()) : -1;
}

class TranslatorServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new Server();
    ASSERT_GT(server_->WaitListening(), 0) << server_->Log();
    ASSERT_TRUE(server_->WaitReady()) << server_->Log();
  }
  static void TearDownTestSuite() {
    // A clean exit also means no sanitizer report at shutdown (leaks, races) under the sanitizer presets.
    server_->Signal(SIGTERM);
    EXPECT_EQ(server_->WaitExit(60), 0) << server_->Log();
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port(); }
  static http::Response Post(const std::string& path, const std::string& body,
                             const std::string& type = "application/json") {
    return http::Request(port(), "POST", path, body, type);
  }
  static json Parse(const http::Response& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.status << " " << r.body;
    return j;
  }
  static inline Server* server_ = nullptr;
};

TEST_F(TranslatorServiceTest, InfoEndpoints) {
  auto root = http::Request(port(), "GET", "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(Parse(root), json::parse(R"({"How to": "Use endpoint /translate"})"));
  EXPECT_EQ(http::Request(port(), "GET", "/health").status, 200);
  EXPECT_EQ(http::Request(port(), "GET", "/ready").status, 200);
  auto languages = Parse(http::Request(port(), "GET", "/languages"));
  ASSERT_TRUE(languages.is_array());
  EXPECT_EQ(languages[0]["code"], "de");
  auto openapi = Parse(http::Request(port(), "GET", "/openapi.json"));
  EXPECT_EQ(openapi["openapi"], "3.0.3");
  EXPECT_TRUE(openapi["paths"].contains("/v1/translate"));
  EXPECT_EQ(http::Request(port(), "GET", "/frontend/settings").status, 200);
}

TEST_F(TranslatorServiceTest, LegacyContractMatchesTransformers) {
  for (int id : {0, 1, 6, 7}) {
    auto r = Post("/translate", json{{"text_de", GoldenSource(id)}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, (json{{"text_en", Golden(id)}}.dump())) << "case " << id;
  }
}

TEST_F(TranslatorServiceTest, DocumentKeepsStructure) {
  std::string text = GoldenSource(0) + " " + GoldenSource(6) + "\n\n  " + GoldenSource(1) + "\n";
  auto r = Post("/translate", json{{"text_de", text}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Parse(r)["text_en"], Golden(0) + " " + Golden(6) + "\n\n  " + Golden(1) + "\n");
}

TEST_F(TranslatorServiceTest, LibreTranslateShapes) {
  auto one =
      Parse(Post("/translate", json{{"q", GoldenSource(0)}, {"source", "de"}, {"target", "en"}}.dump()));
  EXPECT_EQ(one, (json{{"translatedText", Golden(0)}}));
  auto many = Parse(Post("/translate", json{{"q", {GoldenSource(0), GoldenSource(1)}},
                                            {"source", "auto"},
                                            {"target", "en"},
                                            {"alternatives", 1}}
                                           .dump()));
  EXPECT_EQ(many["translatedText"], json({Golden(0), Golden(1)}));
  ASSERT_TRUE(many["alternatives"].is_array());
  EXPECT_EQ(many["alternatives"].size(), 2u);
  EXPECT_EQ(many["detectedLanguage"][0]["language"], "de");
  auto form =
      Parse(Post("/translate", "q=Guten+Morgen%21&source=de&target=en", "application/x-www-form-urlencoded"));
  EXPECT_EQ(form["translatedText"], Golden(1));
  auto other_format = Post("/translate", json{{"q", "Hallo"}, {"format", "rtf"}}.dump());
  EXPECT_EQ(other_format.status, 400);
  EXPECT_NE(Parse(other_format)["error"].get<std::string>().find("'format' must be"), std::string::npos);
}

// What `dolmetsch translate --file` makes of `content` (saved with `extension`) with the same model.
std::string TranslateFileWithCli(const std::string& content, const std::string& extension) {
  const std::string path = ::testing::TempDir() + "service-markup-" + std::to_string(::getpid()) + extension;
  std::ofstream(path, std::ios::binary) << content;
  const std::string command =
      std::string(DOLMETSCH_BINARY) + " translate --model " + kModel + " --file " + path + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; pipe != nullptr && (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  EXPECT_NE(pipe, nullptr) << command;
  if (pipe != nullptr) {
    EXPECT_EQ(pclose(pipe), 0) << command;
  }
  std::remove(path.c_str());
  return out;
}

// format html / markdown: the same engine, the same alignment, the same markup code as the CLI's --file
// (translate_file_cli_test.cc checks that the bold span follows the engine's word alignment there), so the
// answer must be the CLI's output byte for byte: the sentence with its bold word is one sentence, and the
// span lands where the alignment puts it.
TEST_F(TranslatorServiceTest, HtmlAndMarkdownMatchTheCommandLine) {
  // On these sentences the proportional fallback puts the spans elsewhere (checked with --no-alignment),
  // so equality with the CLI shows that the server used the engine's alignment.
  const std::string html = "<p><b>Der</b> Frosch sitzt auf dem Stein. <code>x = 1</code></p>\n";
  auto r =
      Post("/translate", json{{"q", html}, {"source", "de"}, {"target", "en"}, {"format", "html"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string out = Parse(r)["translatedText"];
  EXPECT_EQ(out, TranslateFileWithCli(html, ".html"));
  EXPECT_NE(out.find("<b>"), std::string::npos) << out;
  EXPECT_NE(out.find("<code>x = 1</code></p>"), std::string::npos) << out;
  const std::string markdown = "**Der** Frosch sitzt auf [dem Stein](https://example.org/stein).\n";
  auto md = Post("/v1/translate", json{{"text", markdown}, {"format", "markdown"}}.dump());
  ASSERT_EQ(md.status, 200) << md.body;
  const std::string md_out = Parse(md)["translations"][0]["text"];
  EXPECT_EQ(md_out, TranslateFileWithCli(markdown, ".md"));
  EXPECT_NE(md_out.find("](https://example.org/stein)"), std::string::npos) << md_out;
}

TEST_F(TranslatorServiceTest, TranslateFileAndDownload) {
  const std::string srt =
      "1\n00:00:01,000 --> 00:00:02,000\nDer Frosch sitzt\n\n2\n00:00:02,500 --> "
      "00:00:04,000\nauf dem Stein.\n";
  const std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"frosch.srt\"\r\n"
      "Content-Type: application/x-subrip\r\n\r\n" +
      srt +
      "\r\n--b0undary\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nde\r\n"
      "--b0undary\r\nContent-Disposition: form-data; name=\"target\"\r\n\r\nen\r\n"
      "--b0undary--\r\n";
  auto r = Post("/translate_file", body, "multipart/form-data; boundary=b0undary");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string url = Parse(r)["translatedFileUrl"];
  ASSERT_NE(url.find("/download_file/"), std::string::npos) << url;
  auto got = http::Request(port(), "GET", url.substr(url.find("/download_file/")));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.body, TranslateFileWithCli(srt, ".srt"));
  EXPECT_NE(got.body.find("00:00:02,500 --> 00:00:04,000\n"), std::string::npos) << got.body;
  auto settings = Parse(http::Request(port(), "GET", "/frontend/settings"));
  EXPECT_EQ(settings["filesTranslation"], true);
}

// Requests go through the document pipeline (text/document_translator.h): a sentence over two lines
// reaches the model on one line and its line break is put back into the translation (short lines are
// kept, text/line_breaks.h), list markers and segments without letters are copied, blank lines and
// indentation stay.
TEST_F(TranslatorServiceTest, TextsGoThroughTheDocumentPipeline) {
  std::string wrapped = "\u00dcber den Wolken muss die Freiheit\nwohl grenzenlos sein.";
  ASSERT_EQ(GoldenSource(7), "\u00dcber den Wolken muss die Freiheit wohl grenzenlos sein.");
  auto r = Post("/translate", json{{"text_de", wrapped}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  std::string text_en = Parse(r)["text_en"];
  ASSERT_EQ(std::count(text_en.begin(), text_en.end(), '\n'), 1) << text_en;
  std::replace(text_en.begin(), text_en.end(), '\n', ' ');
  EXPECT_EQ(text_en, Golden(7));
  std::string text =
      "\u2022 " + GoldenSource(0) + "\n\u2022 " + GoldenSource(6) + "\n\n   " + GoldenSource(17) + "\n";
  auto list = Post("/translate", json{{"q", text}}.dump());
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Parse(list)["translatedText"],
            "\u2022 " + Golden(0) + "\n\u2022 " + Golden(6) + "\n\n   " + GoldenSource(17) + "\n");
  EXPECT_NE(Golden(17), GoldenSource(17));  // the model would have changed "3 + 4 = 7"
}

// Identical sentences of a request are decoded once; later requests get them from the sentence cache.
TEST_F(TranslatorServiceTest, RepeatedSentencesAreTranslatedOnce) {
  auto metrics = [&] { return http::Request(port(), "GET", "/metrics").body; };
  const std::string before = metrics();
  std::string sentence = GoldenSource(27);  // used by no other test of this suite
  auto r =
      Post("/v1/translate", json{{"text", {sentence + " " + sentence + "\n\n" + sentence, sentence}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Parse(r);
  EXPECT_EQ(j["translations"][0]["text"], Golden(27) + " " + Golden(27) + "\n\n" + Golden(27));
  EXPECT_EQ(j["translations"][1]["text"], Golden(27));
  const std::string after = metrics();
  EXPECT_EQ(MetricValue(after, "dolmetsch_sentences_translated_total") -
                MetricValue(before, "dolmetsch_sentences_translated_total"),
            1);
  EXPECT_EQ(MetricValue(after, "dolmetsch_sentence_duplicates_total") -
                MetricValue(before, "dolmetsch_sentence_duplicates_total"),
            3);
  // Again: served by the cache, nothing decoded.
  auto again = Post("/translate", json{{"text_de", sentence}}.dump());
  EXPECT_EQ(Parse(again)["text_en"], Golden(27));
  const std::string cached = metrics();
  EXPECT_EQ(MetricValue(cached, "dolmetsch_sentences_translated_total"),
            MetricValue(after, "dolmetsch_sentences_translated_total"));
  EXPECT_EQ(
      MetricValue(cached, "dolmetsch_cache_hits_total") - MetricValue(after, "dolmetsch_cache_hits_total"),
      1);
  EXPECT_GT(MetricValue(cached, "dolmetsch_cache_entries"), 0);
  EXPECT_NE(cached.find("dolmetsch_model_info{model=\"tiny-de-en\",compute_type=\"float32\"} 1"),
            std::string::npos)
      << cached;
}

TEST_F(TranslatorServiceTest, NativeApiAndStreaming) {
  auto r = Post("/v1/translate", json{{"text", {GoldenSource(0), GoldenSource(7)}},
                                      {"options", {{"beam_size", 4}, {"n_best", 2}}}}
                                     .dump());
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Parse(r);
  EXPECT_EQ(j["translations"][0]["text"], Golden(0));
  EXPECT_EQ(j["translations"][1]["text"], Golden(7));
  EXPECT_EQ(j["translations"][0]["alternatives"].size(), 1u);
  EXPECT_EQ(j["model"]["name"], "tiny-de-en");
  EXPECT_GT(j["usage"]["target_tokens"].get<int>(), 0);

  std::string doc = GoldenSource(0) + " " + GoldenSource(6) + " " + GoldenSource(7);
  auto s = Post("/v1/translate", json{{"text", doc}, {"stream", true}}.dump());
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.headers["content-type"], "text/event-stream");
  std::regex event_re("event: (\\w+)\ndata: ([^\n]*)\n\n");
  std::vector<std::string> kinds;
  std::string assembled;
  json done;
  for (std::sregex_iterator it(s.body.begin(), s.body.end(), event_re), end; it != end; ++it) {
    kinds.push_back((*it)[1]);
    json data = json::parse((*it)[2].str());
    if (kinds.back() == "progress") assembled += data["piece"].get<std::string>();
    if (kinds.back() == "done") done = data;
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"progress", "progress", "progress", "done"})) << s.body;
  std::string expected = Golden(0) + " " + Golden(6) + " " + Golden(7);
  EXPECT_EQ(assembled, expected);
  EXPECT_EQ(done["translations"][0]["text"], expected);
}

TEST_F(TranslatorServiceTest, ErrorsAreJsonAndActionable) {
  auto check = [](const http::Response& r, int status, const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.body;
    json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j["error"].is_string()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };
  check(Post("/translate", "{\"text_de\": "), 400, "not valid JSON");
  check(Post("/translate", "{\"text_de\": \"\xc3\x28\"}"), 400, "UTF-8");
  check(Post("/translate", R"({"text_de": 42})"), 400, "'text_de' must be a string");
  check(Post("/translate", R"({"something": "else"})"), 400, "missing field");
  check(Post("/v1/translate", R"({"text": "a", "options": {"beam_size": 0}})"), 400, "beam_size");
  check(Post("/v1/translate", R"({"text": "a", "options": {"top_k": 5}})"), 400, "unknown option");
  check(http::Request(port(), "GET", "/translate"), 405, "not allowed");
  check(http::Request(port(), "PUT", "/v1/translate", "{}"), 405, "not allowed");
  check(http::Request(port(), "GET", "/no/such/path"), 404, "no endpoint");
}

TEST_F(TranslatorServiceTest, MalformedHttpNeverCrashesTheServer) {
  auto raw = [&](const std::string& bytes, bool half_close = true) {
    int fd = http::Connect(port(), 3000);
    if (fd < 0) return std::string("connect failed");
    http::SendAll(fd, bytes);
    if (half_close) ::shutdown(fd, SHUT_WR);
    std::string answer = http::ReadAll(fd);
    ::close(fd);
    return answer;
  };
  // Unparsable requests get a 400 or a closed connection, never a crash.
  auto rejected = [](const std::string& answer) {
    return answer.empty() || answer.rfind("HTTP/1.1 400", 0) == 0;
  };
  EXPECT_TRUE(rejected(raw("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")));
  // A header line without a colon: the HTTP library either drops the connection or skips the line.
  std::string lenient = raw("GET / HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n");
  EXPECT_TRUE(lenient.empty() || lenient.rfind("HTTP/1.1 ", 0) == 0) << lenient;
  EXPECT_TRUE(rejected(raw("FOO / HTTP/1.1\r\n\r\n")));
  raw("POST /translate HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"text_de\": ");  // truncated body
  raw("POST /translate HTTP/1.1\r\nContent-Length: -5\r\n\r\n");
  raw("POST /translate HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n");
  raw(std::string(20000, 'A') + "\r\n\r\n");  // an over-long request line
  raw("GET /" + std::string(9000, 'x') + " HTTP/1.1\r\n\r\n");
  raw("");
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 7919) % 256);
  raw(binary);
  // A slow client: the request trickles in byte by byte, well within the read timeout.
  {
    int fd = http::Connect(port(), 10000);
    ASSERT_GE(fd, 0);
    std::string body = json{{"text_de", GoldenSource(1)}}.dump();
    std::string req =
        "POST /translate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t i = 0; i < req.size(); i += 8) {
      http::SendAll(fd, req.substr(i, 8));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto answer = http::Parse(http::ReadAll(fd));
    ::close(fd);
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(json::parse(answer.body)["text_en"], Golden(1));
  }
  // A client that opens connections and sends nothing (slowloris) does not block others.
  std::vector<int> idle;
  for (int i = 0; i < 10; ++i) idle.push_back(http::Connect(port()));
  auto ok = Post("/translate", json{{"text_de", GoldenSource(0)}}.dump());
  for (int fd : idle) ::close(fd);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(http::Request(port(), "GET", "/health").status, 200);
  auto after = Post("/translate", json{{"text_de", GoldenSource(7)}}.dump());
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(json::parse(after.body)["text_en"], Golden(7));
}

TEST(TranslatorConcurrencyTest, ConcurrentClientsGetTheSameResultsAsOneAtATime) {
  // Without the sentence cache, so that the concurrent requests really are decoded (batched together).
  Server server({"--cache-entries", "0", "--workers", "2"});
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  auto post = [&](int id) {
    return http::Request(server.port(), "POST", "/translate", json{{"text_de", GoldenSource(id)}}.dump())
        .body;
  };
  std::vector<int> ids = {0, 1, 6, 7, 8, 11, 12, 14, 15, 18, 20, 22};
  std::vector<std::string> sequential;
  for (int id : ids) sequential.push_back(post(id));
  auto metrics_text = [&] { return http::Request(server.port(), "GET", "/metrics").body; };
  // Some of these texts have several sentences: count what one pass decodes (minus the warm-up sentence).
  const double one_pass = MetricValue(metrics_text(), "dolmetsch_sentences_translated_total") - 1;
  std::vector<std::string> concurrent(ids.size() * 4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < concurrent.size(); ++t) {
    threads.emplace_back([&, t] { concurrent[t] = post(ids[t % ids.size()]); });
  }
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < concurrent.size(); ++t) EXPECT_EQ(concurrent[t], sequential[t % ids.size()]) << t;
  auto metrics = metrics_text();
  EXPECT_EQ(MetricValue(metrics, "dolmetsch_cache_hits_total"), 0);
  EXPECT_EQ(MetricValue(metrics, "dolmetsch_sentences_translated_total"), 1 + 5 * one_pass);
  EXPECT_NE(metrics.find("dolmetsch_batches_total"), std::string::npos);
  EXPECT_NE(metrics.find("dolmetsch_http_requests_total{endpoint=\"/translate\",status=\"200\"}"),
            std::string::npos);
  EXPECT_EQ(metrics.find(GoldenSource(0)), std::string::npos);
}

TEST(TranslatorLifecycleTest, SigtermFinishesInFlightWorkThenExitsZero) {
  // One worker and one-sentence batches make a long document take a while.
  Server server({"--max-batch-sentences", "1", "--grace", "60"});
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  std::string doc;  // distinct sentences (identical ones would be decoded once)
  for (int i = 0; i < 150; ++i)
    doc += "Die Stra\u00dfe Nummer " + std::to_string(i) + " ist sehr sch\u00f6n. ";
  http::Response in_flight;
  std::thread client([&] {
    in_flight = http::Request(server.port(), "POST", "/translate", json{{"text_de", doc}}.dump());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  server.Signal(SIGTERM);
  client.join();
  EXPECT_EQ(server.WaitExit(90), 0) << server.Log();
  EXPECT_EQ(in_flight.status, 200) << in_flight.body << server.Log();
  EXPECT_NE(server.Log().find("\"event\":\"draining\""), std::string::npos);
  // Logs carry no request text.
  EXPECT_EQ(server.Log().find("Nummer"), std::string::npos);
}

TEST(TranslatorLifecycleTest, MissingModelSaysHowToGetIt) {
  ChildProcess translator(
      {DOLMETSCH_BINARY, "translator", "--model", "/nonexistent/opus-mt-de-en", "--port", "0"},
      ChildOptions(::testing::TempDir() + "translator_missing.log").RemoveLogAtExit());
  EXPECT_EQ(translator.WaitExit(std::chrono::seconds(60)), 2);
  EXPECT_NE(translator.Log().find("dolmetsch fetch-model"), std::string::npos) << translator.Log();
}

// int8 is accepted and reported (its outputs are the engine's business: engine tests compare them).
TEST(TranslatorLifecycleTest, ComputeTypeIsAcceptedAndReported) {
  for (const auto& [args, env, expected] :
       std::vector<std::tuple<std::vector<std::string>, std::vector<std::string>, std::string>>{
           {{"--compute-type", "int8"}, {}, "int8"},
           {{}, {"DOLMETSCH_COMPUTE_TYPE=int8"}, "int8"},
           {{}, {}, "float32"}}) {
    Server server(args, env);
    ASSERT_GT(server.WaitListening(), 0) << server.Log();
    ASSERT_TRUE(server.WaitReady()) << server.Log();
    auto r = http::Request(server.port(), "POST", "/translate", json{{"text_de", GoldenSource(1)}}.dump());
    EXPECT_EQ(r.status, 200) << r.body;
    auto metrics = http::Request(server.port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("dolmetsch_model_info{model=\"tiny-de-en\",compute_type=\"" + expected + "\"} 1"),
              std::string::npos)
        << metrics;
    server.Signal(SIGTERM);
    EXPECT_EQ(server.WaitExit(), 0);
    std::smatch m;
    std::string log = server.Log();
    EXPECT_TRUE(std::regex_search(log, m, std::regex("[^\n]*\"event\":\"ready\"[^\n]*")) &&
                m.str().find("\"compute_type\":\"" + expected + "\"") != std::string::npos)
        << log;
  }
  // auto resolves to what the CPU runs: int8 or float32, never "auto".
  Server automatic({"--compute-type", "auto"});
  ASSERT_GT(automatic.WaitListening(), 0) << automatic.Log();
  ASSERT_TRUE(automatic.WaitReady()) << automatic.Log();
  auto metrics = http::Request(automatic.port(), "GET", "/metrics").body;
  EXPECT_TRUE(metrics.find("compute_type=\"int8\"") != std::string::npos ||
              metrics.find("compute_type=\"float32\"") != std::string::npos)
      << metrics;
}

TEST(TranslatorLifecycleTest, InvalidComputeTypeExitsTwoWithAMessage) {
  Server server({"--compute-type", "float16"});
  EXPECT_EQ(server.WaitExit(), 2) << server.Log();
  EXPECT_NE(server.Log().find("compute type \"float16\" is not one of float32, int8, auto"),
            std::string::npos)
      << server.Log();
  EXPECT_EQ(server.Log().find("\"event\":\"listening\""), std::string::npos) << server.Log();
  // From the environment the value is refused the same way.
  Server from_env({}, {"DOLMETSCH_COMPUTE_TYPE=INT8"});
  EXPECT_EQ(from_env.WaitExit(), 2) << from_env.Log();
  EXPECT_NE(from_env.Log().find("INT8"), std::string::npos) << from_env.Log();
  EXPECT_NE(from_env.Log().find("float32"), std::string::npos) << from_env.Log();
  EXPECT_EQ(from_env.Log().find("\"event\":\"listening\""), std::string::npos) << from_env.Log();
}

TEST(TranslatorLifecycleTest, ConfiguredThroughEnvironment) {
  Server server({}, {"DOLMETSCH_MAX_BODY_BYTES=200", "DOLMETSCH_API_KEYS=k1,k2"});
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  auto big = http::Request(server.port(), "POST", "/translate",
                           json{{"q", std::string(500, 'a')}, {"api_key", "k1"}}.dump());
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(http::Request(server.port(), "POST", "/translate", R"({"q": "Haus"})").status, 403);
  EXPECT_EQ(http::Request(server.port(), "POST", "/translate", R"({"q": "Haus", "api_key": "k2"})").status,
            200);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(), 0);
}

// --- The HTTP front door of the real binary (http/server.h): hostile and unusual clients. ---

namespace raw = dolmetsch::http::testing;

// Under the sanitizers everything runs several times slower: time bounds stay bounds, scaled.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kTimeScale = 10;
#else
constexpr int kTimeScale = 1;
#endif

// VmRSS (KiB) and thread count of a process, from /proc.
std::pair<long, long> RssKibAndThreads(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  long rss = -1, threads = -1;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
    if (line.rfind("Threads:", 0) == 0) threads = std::atol(line.c_str() + 8);
  }
  return {rss, threads};
}

std::string TranslateRequest(const std::string& text, const std::string& extra_headers = "") {
  std::string body = json{{"text_de", text}}.dump();
  return "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(TranslatorHttpTest, SlowAndIdleClientsDoNotStarveOthers) {
  Server server;
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  std::vector<int> idle, slow;
  for (int i = 0; i < 500; ++i) {
    int fd = raw::Connect(server.port());
    ASSERT_GE(fd, 0) << i;
    idle.push_back(fd);
  }
  for (int i = 0; i < 80; ++i) {  // slowloris: a body announced and trickled a byte at a time
    int fd = raw::Connect(server.port());
    ASSERT_GE(fd, 0) << i;
    raw::SendAll(fd,
                 "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 100000\r\n\r\n{");
    slow.push_back(fd);
  }
  // How many of the slow clients have had an answer (a 408) so far.
  auto slow_answered = [&] {
    int n = 0;
    for (int fd : slow) {
      pollfd p{fd, POLLIN, 0};
      n += ::poll(&p, 1, 0) > 0;
    }
    return n;
  };
  const int kCases[] = {0, 1, 7};
  int answered = 0;
  for (int round = 0; round < 10; ++round) {
    for (int fd : slow) raw::SendAll(fd, " ");
    int fd = raw::Connect(server.port(), 10000 * kTimeScale);
    ASSERT_GE(fd, 0) << "round " << round;
    raw::SendAll(fd, TranslateRequest(GoldenSource(kCases[round % 3]), "Connection: close\r\n"));
    std::string data = raw::ReadAll(fd);
    ::close(fd);
    auto reply = raw::TakeReply(data);
    EXPECT_EQ(reply.status, 200) << "round " << round;
    EXPECT_EQ(json::parse(reply.body, nullptr, false).value("text_en", ""), Golden(kCases[round % 3]));
    // Not starved: the first answer came while every slow client still held its connection (a server
    // whose threads they took would answer only after dropping them).
    if (round == 0) {
      EXPECT_EQ(slow_answered(), 0);
    }
    answered += reply.status == 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(answered, 10);
  // The trickling bodies arrive far below the minimum rate (1 KB per 10 s): those clients are answered 408.
  int dropped = 0;
  for (int fd : slow) {
    std::string data = raw::ReadAll(fd);
    dropped += raw::TakeReply(data).status == 408;
    ::close(fd);
  }
  EXPECT_EQ(dropped, 80);
  for (int fd : idle) ::close(fd);
}

TEST(TranslatorHttpTest, PipeliningHalfCloseFramingAndRequestIds) {
  Server server;
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  auto exchange = [&](const std::string& bytes, bool half_close) {
    int fd = raw::Connect(server.port());
    raw::SendAll(fd, bytes);
    if (half_close) ::shutdown(fd, SHUT_WR);
    std::string data = raw::ReadAll(fd);
    ::close(fd);
    return raw::TakeReplies(data);
  };
  // Three requests in one write: three answers, in order.
  auto pipelined = exchange("GET /health HTTP/1.1\r\nHost: x\r\n\r\n" + TranslateRequest(GoldenSource(1)) +
                                "GET /languages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                            false);
  ASSERT_EQ(pipelined.size(), 3u);
  EXPECT_EQ(json::parse(pipelined[0].body)["status"], "ok");
  EXPECT_EQ(json::parse(pipelined[1].body)["text_en"], Golden(1));
  EXPECT_TRUE(json::parse(pipelined[2].body).is_array());
  // A client that half-closes after its request still gets the answer.
  auto half =
      exchange(TranslateRequest(GoldenSource(7), "Connection: close\r\nX-Request-Id: half-42\r\n"), true);
  ASSERT_EQ(half.size(), 1u);
  EXPECT_EQ(json::parse(half[0].body)["text_en"], Golden(7));
  EXPECT_EQ(half[0].headers["x-request-id"], "half-42");
  // Ambiguous framing: 400 (431 for an oversized header), a JSON error, and the connection closed.
  const std::vector<std::pair<std::string, int>> bad = {
      {"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n{}xx", 400},
      {"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"POST /translate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400},
      {"POST /translate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked, x\r\n\r\n0\r\n\r\n", 400},
      {"GET /health HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n", 400},
      {"GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n", 400},
      {"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40000, 'b') + "\r\n\r\n", 431},
  };
  for (const auto& [request, status] : bad) {
    auto replies = exchange(request, false);
    ASSERT_EQ(replies.size(), 1u) << request.substr(0, 80);
    EXPECT_EQ(replies[0].status, status) << request.substr(0, 80);
    EXPECT_EQ(replies[0].headers["connection"], "close");
    EXPECT_TRUE(json::parse(replies[0].body, nullptr, false).contains("error")) << replies[0].body;
  }
  // HEAD and OPTIONS.
  auto head = exchange("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
  EXPECT_TRUE(head.empty()) << "a HEAD answer has no body; TakeReplies reads it as incomplete";
  int fd = raw::Connect(server.port());
  raw::SendAll(fd, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string head_data = raw::ReadAll(fd);
  ::close(fd);
  auto head_reply = raw::TakeReply(head_data, /*head=*/true);
  EXPECT_EQ(head_reply.status, 200);
  EXPECT_EQ(head_reply.headers["content-length"], "15");
  EXPECT_TRUE(head_data.empty());
  auto options = exchange("OPTIONS /translate HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false);
  ASSERT_EQ(options.size(), 1u);
  EXPECT_EQ(options[0].status, 204);
  EXPECT_EQ(options[0].headers["allow"], "POST, OPTIONS");
  // Every log line carries the request id.
  server.Signal(SIGTERM);
  EXPECT_EQ(server.WaitExit(30), 0) << server.Log();
  EXPECT_NE(server.Log().find("\"request_id\":\"half-42\""), std::string::npos) << server.Log();
}

TEST(TranslatorHttpTest, TwoThousandStreamsCostMemoryNotThreads) {
  constexpr int kStreams = 2000;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 2 * kStreams + 200) {
    GTEST_SKIP() << "needs " << 2 * kStreams + 200 << " file descriptors (ulimit -Hn is " << limit.rlim_max
                 << ")";
  }
  limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, 2 * kStreams + 200);
  setrlimit(RLIMIT_NOFILE, &limit);  // the server inherits it
  // One sentence per batch and several sentences per stream: round-robin keeps every stream open a while.
  Server server({"--max-batch-sentences", "1", "--max-active-requests", "4096", "--workers", "1"});
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  auto [rss_before, threads_before] = RssKibAndThreads(server.pid());
  std::vector<int> fds;
  std::vector<std::string> data(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    int fd = raw::Connect(server.port(), 60000);
    ASSERT_GE(fd, 0) << i;
    std::string text;
    for (int k = 0; k < 4; ++k) text += "Satz " + std::to_string(i) + " Nummer " + std::to_string(k) + ". ";
    std::string body = json{{"text", text}, {"stream", true}}.dump();
    raw::SendAll(fd,
                 "POST /v1/translate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                 "application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
    fds.push_back(fd);
  }
  // Wait until every stream has its headers, then measure while they are open.
  std::vector<bool> headers(kStreams, false), done(kStreams, false);
  int with_headers = 0, finished = 0;
  long rss_open = 0, threads_open = 0;
  auto deadline = Clock::now() + std::chrono::seconds(240);
  char buf[16384];
  while (finished < kStreams && Clock::now() < deadline) {
    std::vector<pollfd> polls;
    for (int i = 0; i < kStreams; ++i) {
      if (!done[i]) polls.push_back({fds[i], POLLIN, 0});
    }
    ::poll(polls.data(), polls.size(), 100);
    for (const pollfd& p : polls) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int i = static_cast<int>(std::find(fds.begin(), fds.end(), p.fd) - fds.begin());
      ssize_t n = ::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) data[i].append(buf, static_cast<size_t>(n));
      if (!headers[i] && data[i].find("\r\n\r\n") != std::string::npos) {
        headers[i] = true;
        ++with_headers;
        if (with_headers == kStreams) std::tie(rss_open, threads_open) = RssKibAndThreads(server.pid());
      }
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        done[i] = true;
        ++finished;
      }
    }
  }
  int complete = 0;
  for (int i = 0; i < kStreams; ++i) {
    ::close(fds[i]);
    complete += data[i].rfind("HTTP/1.1 200", 0) == 0 && data[i].find("event: done") != std::string::npos;
  }
  EXPECT_EQ(complete, kStreams);
  ASSERT_GT(rss_open, 0) << "the streams never were all open at once";
  double kib_per_stream = static_cast<double>(rss_open - rss_before) / kStreams;
  std::printf("streams: %d open at once; RSS %ld -> %ld KiB (%.1f KiB per stream); threads %ld -> %ld\n",
              kStreams, rss_before, rss_open, kib_per_stream, threads_before, threads_open);
  RecordProperty("kib_per_stream", std::to_string(kib_per_stream));
  EXPECT_LT(kib_per_stream, 256) << "a stream should cost a few KiB";
  EXPECT_LE(threads_open, threads_before + 2) << "streams must not take threads";
}

TEST(TranslatorHttpTest, ShutdownDuringALongDocumentAnswers503WithinTheGrace) {
  Server server(
      {"--max-batch-sentences", "1", "--workers", "1", "--grace", "5", "--forced-new-tokens", "48"});
  ASSERT_GT(server.WaitListening(), 0) << server.Log();
  ASSERT_TRUE(server.WaitReady()) << server.Log();
  std::string doc;  // distinct sentences, far more than 5 s of decoding
  for (int i = 0; i < 20000; ++i) doc += "Die Stra\u00dfe Nummer " + std::to_string(i) + " ist sch\u00f6n. ";
  raw::Reply plain, stream;
  std::thread plain_client([&] {
    int fd = raw::Connect(server.port(), 60000);
    raw::SendAll(fd, TranslateRequest(doc, "Connection: close\r\n"));
    std::string data = raw::ReadAll(fd);
    ::close(fd);
    plain = raw::TakeReply(data);
  });
  std::thread stream_client([&] {
    int fd = raw::Connect(server.port(), 60000);
    std::string body = json{{"text", doc.substr(0, 400000)}, {"stream", true}}.dump();
    raw::SendAll(fd,
                 "POST /v1/translate HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                 "application/json\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body);
    std::string data = raw::ReadAll(fd);
    ::close(fd);
    stream = raw::TakeReply(data);
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto signalled = Clock::now();
  server.Signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(raw::Connect(server.port(), 500), 0) << "new connections are refused while draining";
  plain_client.join();
  stream_client.join();
  EXPECT_EQ(server.WaitExit(60), 0) << server.Log();
  double took = std::chrono::duration<double>(Clock::now() - signalled).count();
  std::printf("shutdown with a 5 s grace took %.2f s\n", took);
  EXPECT_LT(took, 5 + 3 * kTimeScale) << "the grace covers the whole shutdown";
  EXPECT_EQ(plain.status, 503) << plain.body;
  EXPECT_NE(plain.headers["retry-after"], "");
  EXPECT_NE(json::parse(plain.body, nullptr, false).value("error", "").find("shutting down"),
            std::string::npos)
      << plain.body;
  EXPECT_EQ(stream.status, 200);
  EXPECT_NE(stream.body.find("event: error"), std::string::npos)
      << stream.body.substr(stream.body.size() > 600 ? stream.body.size() - 600 : 0);
  EXPECT_NE(stream.body.find("\"status\":503"), std::string::npos);
}

}  // namespace
