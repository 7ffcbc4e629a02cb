// Integration tests of `dolmetsch serve` and `dolmetsch web`: start the real binary, drive it over HTTP
// (a small blocking HTTP/1.1 client over a socket, so this test needs nothing but the binary), stop it.
// `serve` runs the fixture model tests/fixtures/tiny-de-en (outputs are gibberish by design, but real).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/testing/raw_client.h"
#include "tests/testing/child_process.h"

namespace {

namespace fs = std::filesystem;
namespace http = dolmetsch::http;
using dolmetsch::testing::ChildOptions;
using dolmetsch::testing::ChildProcess;
using dolmetsch::testing::FreePort;

struct HttpResponse {
  int status = 0;                                   // 0: no connection / no answer
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string DecodeChunked(const std::string& raw) {
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) break;
    size_t size = std::stoul(raw.substr(pos, line_end - pos), nullptr, 16);
    if (size == 0) break;
    out += raw.substr(line_end + 2, size);
    pos = line_end + 2 + size + 2;
  }
  return out;
}

HttpResponse Request(int port, const std::string& method, const std::string& target,
                     std::vector<std::string> headers = {}, const std::string& body = "") {
  HttpResponse response;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{120, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return response;
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  if (method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[65536];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return response;
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (line.size() > 12) response.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(tolower(c));
    response.headers.emplace(name, line.substr(colon + 2));
  }
  response.body = raw.substr(head_end + 4);
  if (response.Header("transfer-encoding") == "chunked") response.body = DecodeChunked(response.body);
  return response;
}

std::string FormEncode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A running `dolmetsch` subcommand, its stdout and stderr in `log`; SIGTERM on destruction.
class Process : public ChildProcess {
 public:
  Process(std::vector<std::string> args, const fs::path& log, const fs::path& cwd = fs::current_path(),
          std::vector<std::string> extra_env = {})
      : ChildProcess(WithBinary(std::move(args)),
                     ChildOptions(log.string()).Cwd(cwd.string()).Env(std::move(extra_env))) {}
  ~Process() { Stop(); }

 private:
  static std::vector<std::string> WithBinary(std::vector<std::string> args) {
    args.insert(args.begin(), DOLMETSCH_BINARY);
    return args;
  }
};

std::string ReadFile(const fs::path& path) { return dolmetsch::testing::ReadFile(path.string()); }

bool WaitForStatus(int port, const std::string& path, int status, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Request(port, "GET", path).status == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

// A visitor: the session cookie and the page's CSRF token.
struct Visitor {
  explicit Visitor(int port_number, std::string session_cookie = "", std::string csrf_token = "")
      : port(port_number), cookie(std::move(session_cookie)), token(std::move(csrf_token)) {}
  int port;
  std::string cookie;
  std::string token;
  void Open() {
    HttpResponse page =
        Request(port, "GET", "/",
                cookie.empty() ? std::vector<std::string>{} : std::vector<std::string>{"Cookie: " + cookie});
    std::string set = page.Header("set-cookie");
    if (!set.empty()) cookie = set.substr(0, set.find(';'));
    std::smatch m;
    if (std::regex_search(page.body, m, std::regex("name=\"csrf_token\" value=\"([0-9a-f]+)\"")))
      token = m[1];
  }
  HttpResponse Post(const std::string& path, const std::string& form) {
    return Request(port, "POST", path,
                   {"Cookie: " + cookie, "Content-Type: application/x-www-form-urlencoded"},
                   form + "&csrf_token=" + token);
  }
  HttpResponse Get(const std::string& path) { return Request(port, "GET", path, {"Cookie: " + cookie}); }
};

class WebServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("dolmetsch-web-serve-" + std::to_string(getpid())));
    fs::create_directories(*dir_);
    port_ = FreePort();
    translator_port_ = FreePort();
    serve_ = new Process(
        {"serve", "--model", std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--port",
         std::to_string(port_), "--translator-port", std::to_string(translator_port_), "--db",
         "sqlite://" + (*dir_ / "history.db").string(), "--journal", (*dir_ / "history.journal").string()},
        *dir_ / "serve.log");
    ready_ = WaitForStatus(port_, "/ready", 200, std::chrono::seconds(90));
  }
  static void TearDownTestSuite() {
    // A clean exit also means no sanitizer report at shutdown (leaks, races) under the sanitizer presets.
    EXPECT_EQ(serve_->Stop(), 0) << ReadFile(*dir_ / "serve.log");
    delete serve_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(ready_) << ReadFile(*dir_ / "serve.log"); }

  static fs::path* dir_;
  static int port_;
  static int translator_port_;
  static Process* serve_;
  static bool ready_;
};
fs::path* WebServeTest::dir_ = nullptr;
int WebServeTest::port_ = 0;
int WebServeTest::translator_port_ = 0;
Process* WebServeTest::serve_ = nullptr;
bool WebServeTest::ready_ = false;

std::string OutputOf(const std::string& page) {
  std::smatch m;
  if (!std::regex_search(page, m, std::regex("<div id=\"text-en\"[^>]*>([^<]*)</div>"))) return "<missing>";
  return m[1];
}

// The English of a job page (GET /jobs/ID).
std::string JobOutputOf(const std::string& page) {
  const std::string open = "id=\"job-text-en\" lang=\"en\">";
  size_t start = page.find(open);  // (std::regex overflows the stack on large pages)
  if (start == std::string::npos) return "<missing>";
  start += open.size();
  return page.substr(start, page.find("</div>", start) - start);
}

// The form answered 303 to a job page: follows it until the job is done (or failed), returns the page.
std::string FollowJob(Visitor& visitor, const HttpResponse& redirect,
                      std::chrono::seconds limit = std::chrono::seconds(120)) {
  std::string location = redirect.Header("location");
  if (redirect.status != 303 || location.rfind("/jobs/", 0) != 0) {
    ADD_FAILURE() << "not a job: " << redirect.status << " " << redirect.body.substr(0, 2000);
    return "";
  }
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResponse page = visitor.Get(location);
    if (page.body.find("data-status=\"done\"") != std::string::npos ||
        page.body.find("data-status=\"failed\"") != std::string::npos) {
      return page.body;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "the job at " << location << " did not finish";
  return "";
}

TEST_F(WebServeTest, TranslatesAndKeepsThePrivateHistory) {
  Visitor anna{port_};
  anna.Open();
  ASSERT_FALSE(anna.token.empty());
  HttpResponse posted =
      anna.Post("/translate", "text=" + FormEncode("Der Hund läuft.\r\n\r\nDie Katze schläft."));
  std::string page = FollowJob(anna, posted);
  std::string output = JobOutputOf(page);
  EXPECT_NE(output, "<missing>");
  EXPECT_FALSE(output.empty());
  EXPECT_NE(output.find("\n\n"), std::string::npos) << "paragraphs kept: " << output;
  EXPECT_NE(page.find("Open in the history"), std::string::npos);

  HttpResponse history = anna.Get("/history?q=" + FormEncode("katze"));
  EXPECT_EQ(history.status, 200);
  EXPECT_NE(history.body.find("1 translation matching"), std::string::npos);
  HttpResponse exported = anna.Get("/history/export.json");
  EXPECT_NE(exported.body.find("\"text_de\": \"Der Hund läuft.\\n\\nDie Katze schläft.\""), std::string::npos)
      << exported.body;
  EXPECT_NE(exported.body.find("\"model\": \"tiny-de-en\""), std::string::npos);

  Visitor ben{port_};
  ben.Open();
  EXPECT_NE(ben.Get("/history").body.find("0 translations"), std::string::npos);
}

// A 5 MB text goes through the form (no JavaScript) and through the page's script: nothing in the HTTP layer
// caps it below the documented limit. Identical sentences are decoded once, so this stays quick.
TEST_F(WebServeTest, FiveMegabyteTextThroughTheFormAndTheScript) {
  std::string text;
  while (text.size() < 5 * 1000 * 1000) text += "Grüße aus München. ";
  Visitor visitor{port_};
  visitor.Open();
  std::string page =
      FollowJob(visitor, visitor.Post("/translate", "text=" + FormEncode(text)), std::chrono::seconds(600));
  EXPECT_GT(JobOutputOf(page).size(), 1000000u);
  EXPECT_NE(page.find("Open in the history"), std::string::npos);
  HttpResponse stream = Request(port_, "POST", "/api/translate",
                                {"Cookie: " + visitor.cookie, "X-CSRF-Token: " + visitor.token,
                                 "Content-Type: application/x-www-form-urlencoded"},
                                "text=" + FormEncode(text));
  ASSERT_EQ(stream.status, 200);
  EXPECT_NE(stream.body.find("event: done\ndata: {"), std::string::npos) << stream.body.substr(0, 2000);
  // Over the limit the answer names it in characters.
  std::string too_long(10 * 1000 * 1000 + 1, 'a');
  HttpResponse refused = visitor.Post("/translate", "text=" + too_long);
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.body.find("at most 10,000,000 characters"), std::string::npos);
}

TEST_F(WebServeTest, StreamsProgressToTheScript) {
  Visitor visitor{port_};
  visitor.Open();
  HttpResponse stream = Request(port_, "POST", "/api/translate",
                                {"Cookie: " + visitor.cookie, "X-CSRF-Token: " + visitor.token,
                                 "Content-Type: application/x-www-form-urlencoded"},
                                "text=" + FormEncode("Eins. Zwei. Drei."));
  ASSERT_EQ(stream.status, 200);
  EXPECT_EQ(stream.Header("content-type"), "text/event-stream");
  EXPECT_NE(stream.body.find("event: progress\ndata: {\"done\":1,\"total\":3}"), std::string::npos)
      << stream.body;
  EXPECT_NE(stream.body.find("event: progress\ndata: {\"done\":3,\"total\":3}"), std::string::npos);
  EXPECT_NE(stream.body.find("event: done\ndata: {"), std::string::npos);
  EXPECT_NE(stream.body.find("\"saved\":true"), std::string::npos);
}

TEST_F(WebServeTest, PayloadsAreStoredVerbatimAndRenderedAsText) {
  Visitor visitor{port_};
  visitor.Open();
  const std::string payload =
      "<script>alert(1)</script>\"><img src=x onerror=alert(2)> '; DROP TABLE translations; --";
  std::string page = FollowJob(visitor, visitor.Post("/translate", "text=" + FormEncode(payload)));
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img src=x"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt; "
                      "&#39;; DROP TABLE translations; --"),
            std::string::npos);
  HttpResponse csv = visitor.Get("/history/export.csv");
  EXPECT_NE(csv.body.find("\"<script>alert(1)</script>\"\"><img src=x onerror=alert(2)> '; DROP TABLE "
                          "translations; --\""),
            std::string::npos)
      << csv.body;
  HttpResponse history = visitor.Get("/history");
  EXPECT_EQ(history.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(history.Header("content-security-policy").find("script-src 'self'"), std::string::npos);
}

TEST_F(WebServeTest, RejectsForgedAndMalformedRequests) {
  Visitor visitor{port_};
  visitor.Open();
  Visitor forger{port_, visitor.cookie, std::string(64, '0')};
  EXPECT_EQ(forger.Post("/translate", "text=Hallo").status, 403);
  EXPECT_EQ(visitor.Post("/translate", "text=%E0%80").status, 400);
  // A body over the limit (64 MiB) is refused from its Content-Length, before it is sent.
  {
    int fd = http::testing::Connect(port_, 5000);
    ASSERT_GE(fd, 0);
    http::testing::SendAll(fd,
                           "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: "
                           "application/x-www-form-urlencoded\r\nContent-Length: 70000000\r\n\r\n");
    std::string answer = http::testing::ReadAll(fd);
    ::close(fd);
    auto reply = http::testing::TakeReply(answer);
    EXPECT_EQ(reply.status, 413);
    EXPECT_NE(reply.body.find("10,000,000 characters"), std::string::npos) << reply.body;
  }
  EXPECT_EQ(visitor.Get("/history?page=x").status, 400);
  EXPECT_EQ(visitor.Get("/nope").status, 404);
  EXPECT_EQ(Request(port_, "GET", "/health").status, 200);
}

TEST_F(WebServeTest, WebTalksToASeparateTranslatorOverHttp) {
  int web_port = FreePort();
  Process web(
      {"web", "--translator", "http://127.0.0.1:" + std::to_string(translator_port_), "--host", "127.0.0.1",
       "--port", std::to_string(web_port), "--db", "sqlite://" + (*dir_ / "web.db").string(), "--no-journal"},
      *dir_ / "web.log");
  ASSERT_TRUE(WaitForStatus(web_port, "/ready", 200, std::chrono::seconds(30)))
      << ReadFile(*dir_ / "web.log");
  Visitor visitor{web_port};
  visitor.Open();
  std::string page = FollowJob(visitor, visitor.Post("/translate", "text=" + FormEncode("Guten Morgen.")));
  EXPECT_FALSE(JobOutputOf(page).empty());
  EXPECT_EQ(JobOutputOf(page).find("<missing>"), std::string::npos);
  EXPECT_EQ(web.Stop(), 0);
}

TEST(WebCommandTest, UnreachableTranslatorKeepsTheInputAndIsNotReady) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-down-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int port = FreePort();
  Process web({"web", "--translator", "http://127.0.0.1:" + std::to_string(FreePort()), "--host", "127.0.0.1",
               "--port", std::to_string(port), "--db", "sqlite://" + (dir / "h.db").string(), "--journal",
               (dir / "j").string()},
              dir / "web.log");
  ASSERT_TRUE(WaitForStatus(port, "/health", 200, std::chrono::seconds(30))) << ReadFile(dir / "web.log");
  EXPECT_EQ(Request(port, "GET", "/ready").status, 503);
  Visitor visitor{port};
  visitor.Open();
  HttpResponse page = visitor.Post("/translate", "text=" + FormEncode("Bitte übersetzen <b>"));
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find(">Bitte übersetzen &lt;b&gt;</textarea>"), std::string::npos);
  EXPECT_NE(page.body.find("not available right now"), std::string::npos);
  EXPECT_EQ(page.body.find("127.0.0.1"), std::string::npos);  // no internal addresses
  EXPECT_EQ(web.Stop(), 0);
  fs::remove_all(dir);
}

// A translator that decodes one sentence at a time with a forced length: a text stays in flight for a
// while (the grace tests). Its log is dir/translator.log.
std::unique_ptr<Process> StartSlowTranslator(int port, const fs::path& dir) {
  return std::make_unique<Process>(
      std::vector<std::string>{"translator", "--model",
                               std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--host",
                               "127.0.0.1", "--port", std::to_string(port), "--workers", "1",
                               "--max-batch-sentences", "1", "--forced-new-tokens", "48"},
      dir / "translator.log");
}

TEST(WebCommandTest, SigtermLetsATranslationInFlightFinishWithinTheGrace) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-grace-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int translator_port = FreePort(), port = FreePort();
  auto translator = StartSlowTranslator(translator_port, dir);
  ASSERT_TRUE(WaitForStatus(translator_port, "/ready", 200, std::chrono::seconds(90)))
      << ReadFile(dir / "translator.log");
  Process web(
      {"web", "--translator", "http://127.0.0.1:" + std::to_string(translator_port), "--host", "127.0.0.1",
       "--port", std::to_string(port), "--db", "sqlite://" + (dir / "h.db").string(), "--grace", "60"},
      dir / "web.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web.log");
  std::string text;  // distinct sentences: a translation that takes a while
#if defined(__SANITIZE_THREAD__)
  const int sentences = 120;  // ThreadSanitizer decodes ~50x slower: still long enough to be in flight
#else
  const int sentences = 600;
#endif
  for (int i = 0; i < sentences; ++i)
    text += "Die Stra\u00dfe Nummer " + std::to_string(i) + " ist sch\u00f6n. ";
  Visitor visitor{port};
  visitor.Open();
  HttpResponse page;
  // The form makes a job now (its worker stops at SIGTERM and the job resumes at the next start); the
  // answer held open is the page script's direct translation.
  std::thread client([&] {
    page = Request(port, "POST", "/api/translate",
                   {"Cookie: " + visitor.cookie, "X-CSRF-Token: " + visitor.token,
                    "Content-Type: application/x-www-form-urlencoded"},
                   "text=" + FormEncode(text));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto signalled = std::chrono::steady_clock::now();
  // SIGTERM, then wait for the exit (long enough for the drain under the sanitizers).
  EXPECT_EQ(web.Stop(std::chrono::seconds(100)), 0) << ReadFile(dir / "web.log");
  client.join();
  // The answer in flight was completed before the process ended: the visitor loses nothing.
  EXPECT_EQ(page.status, 200) << ReadFile(dir / "web.log");
  // The stream ended with the translation (no regex over an answer this large).
  EXPECT_NE(page.body.find("event: done\ndata: {"), std::string::npos) << page.body.substr(0, 2000);
  EXPECT_GT(page.body.size(), text.size());
  std::printf("web drained a translation in flight for %.2f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count());
  EXPECT_NE(ReadFile(dir / "web.log").find("requests in flight have 60 s"), std::string::npos);
  fs::remove_all(dir);
}

TEST(WebCommandTest, RestartReplaysTheJournalIntoTheDatabase) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-journal-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int model_port = FreePort(), translator_port = FreePort();
  Process serve({"serve", "--model", std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en",
                 "--port", std::to_string(model_port), "--translator-port", std::to_string(translator_port),
                 "--db", "sqlite://" + (dir / "serve.db").string(), "--no-journal"},
                dir / "serve.log");
  ASSERT_TRUE(WaitForStatus(model_port, "/ready", 200, std::chrono::seconds(90)))
      << ReadFile(dir / "serve.log");
  const std::string journal = (dir / "history.journal").string();
  const std::string translator = "http://127.0.0.1:" + std::to_string(translator_port);
  std::string cookie;
  {
    // The database is down (nothing listens on its port): the translation is answered and journaled.
    int port = FreePort();
    Process web(
        {"web", "--translator", translator, "--host", "127.0.0.1", "--port", std::to_string(port), "--db",
         "mysql://root@127.0.0.1:" + std::to_string(FreePort()) + "/translation", "--journal", journal},
        dir / "web1.log");
    ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web1.log");
    Visitor visitor{port};
    visitor.Open();
    cookie = visitor.cookie;
    HttpResponse page = visitor.Post("/translate", "text=" + FormEncode("Das Tagebuch bleibt."));
    EXPECT_EQ(page.status, 200);
    EXPECT_FALSE(OutputOf(page.body).empty());
    EXPECT_NE(page.body.find("will appear in the history when the database is back"), std::string::npos);
    EXPECT_EQ(web.Stop(), 0);
  }
  EXPECT_GT(fs::file_size(journal), 0u);
  {
    // Restarted against a reachable database with the same journal: the row is replayed.
    int port = FreePort();
    Process web({"web", "--translator", translator, "--host", "127.0.0.1", "--port", std::to_string(port),
                 "--db", "sqlite://" + (dir / "web.db").string(), "--journal", journal},
                dir / "web2.log");
    ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web2.log");
    Visitor visitor{port, cookie, ""};
    std::string body;
    for (int attempt = 0; attempt < 50; ++attempt) {
      body = visitor.Get("/history/export.json").body;
      if (body.find("Das Tagebuch bleibt.") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_NE(body.find("\"text_de\": \"Das Tagebuch bleibt.\""), std::string::npos) << body;
    EXPECT_EQ(web.Stop(), 0);
  }
  serve.Stop();
  fs::remove_all(dir);
}

// --compute-type reaches the engine and is reported (start-up line and the translator's /metrics); whether
// int8 changes the outputs is the engine's business.
TEST(WebCommandTest, ServeReportsTheComputeType) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-serve-int8-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int port = FreePort();
  int translator_port = FreePort();
  {
    Process serve(
        {"serve", "--compute-type", "int8", "--model",
         std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--port", std::to_string(port),
         "--translator-port", std::to_string(translator_port), "--db",
         "sqlite://" + (dir / "history.db").string(), "--journal", (dir / "history.journal").string()},
        dir / "serve.log", dir);
    ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve.log");
    std::string metrics = Request(translator_port, "GET", "/metrics").body;
    EXPECT_NE(metrics.find("dolmetsch_model_info{model=\"tiny-de-en\",compute_type=\"int8\"} 1"),
              std::string::npos)
        << metrics;
    EXPECT_EQ(serve.Stop(), 0);
    std::string log = ReadFile(dir / "serve.log");
    EXPECT_NE(log.find("compute type int8"), std::string::npos) << log;
  }
  fs::remove_all(dir);
}

TEST(WebCommandTest, BadOptionsExitWithAMessage) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-opts-" + std::to_string(getpid()));
  fs::create_directories(dir);
  {
    Process web({"web", "--port", std::to_string(FreePort())}, dir / "a.log", dir);
    EXPECT_EQ(web.WaitExit(std::chrono::seconds(20)), 2);
    EXPECT_NE(ReadFile(dir / "a.log").find("--translator"), std::string::npos);
  }
  {
    Process web({"web", "--translator", "http://127.0.0.1:1", "--db", "postgres://x/y"}, dir / "b.log", dir);
    EXPECT_EQ(web.WaitExit(std::chrono::seconds(20)), 2);
    EXPECT_NE(ReadFile(dir / "b.log").find("--db"), std::string::npos);
  }
  {
    Process serve({"serve", "--model", (dir / "no-such-model").string()}, dir / "c.log", dir);
    EXPECT_EQ(serve.WaitExit(std::chrono::seconds(20)), 1);
    EXPECT_NE(ReadFile(dir / "c.log").find("--model"), std::string::npos);
  }
  {
    Process serve({"serve", "--compute-type", "float16", "--model",
                   std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en"},
                  dir / "e.log", dir);
    EXPECT_EQ(serve.WaitExit(std::chrono::seconds(20)), 2);
    EXPECT_NE(ReadFile(dir / "e.log").find("\"float16\" is not one of float32, int8, auto"),
              std::string::npos)
        << ReadFile(dir / "e.log");
  }
  {
    // No model and no internet (the hub endpoint refuses connections): a clear message and a non-zero exit.
    Process serve({"serve", "--port", std::to_string(FreePort())}, dir / "d.log", dir,
                  {"HF_ENDPOINT=http://127.0.0.1:" + std::to_string(FreePort())});
    int code = serve.WaitExit(std::chrono::seconds(60));
    EXPECT_NE(code, 0);
    EXPECT_NE(code, -2);
    std::string log = ReadFile(dir / "d.log");
    EXPECT_NE(log.find("--model DIR"), std::string::npos) << log;
    EXPECT_EQ(log.find("--model DIR"), log.rfind("--model DIR")) << "the advice is given once: " << log;
    EXPECT_NE(log.find("Helsinki-NLP/opus-mt-de-en"), std::string::npos) << log;
    // A first run that could not start leaves no empty folders behind.
    EXPECT_FALSE(fs::exists(dir / "models")) << log;
    EXPECT_FALSE(fs::exists(dir / "data")) << log;
  }
  fs::remove_all(dir);
}

}  // namespace

// ---- Translation jobs (web/job_api.h) on the real binary ----

struct SseEvent {
  std::string id, event, data;
};

std::vector<SseEvent> ParseSse(const std::string& body) {
  std::vector<SseEvent> out;
  size_t start = 0;
  for (;;) {
    size_t end = body.find("\n\n", start);
    if (end == std::string::npos) break;
    std::string block = body.substr(start, end - start);
    start = end + 2;
    SseEvent e;
    std::istringstream lines(block);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("id: ", 0) == 0) e.id = line.substr(4);
      if (line.rfind("event: ", 0) == 0) e.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) e.data = line.substr(6);
    }
    if (!e.event.empty()) out.push_back(std::move(e));
  }
  return out;
}

// A JSON string field of a JSON answer ("" when absent; the first occurrence), decoded enough for these
// tests. Scanned by hand: std::regex recurses per character and overflows the stack on 100 KB strings.
std::string JsonString(const std::string& json, const std::string& field) {
  const std::string key = "\"" + field + "\":\"";
  size_t at = json.find(key);
  if (at == std::string::npos) return "";
  std::string out;
  for (size_t i = at + key.size(); i < json.size(); ++i) {
    char c = json[i];
    if (c == '"') break;
    if (c != '\\' || i + 1 >= json.size()) {
      out += c;
      continue;
    }
    char e = json[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'u':
        out += "\\u" + json.substr(i + 1, 4);  // kept as written: both sides of a comparison agree
        i += 4;
        break;
      default:
        out += e;
    }
  }
  return out;
}

long long JsonNumber(const std::string& json, const std::string& field) {
  const std::string key = "\"" + field + "\":";
  size_t at = json.find(key);
  if (at == std::string::npos) return -1;
  size_t start = at + key.size();
  if (start >= json.size() || !(isdigit(static_cast<unsigned char>(json[start])) || json[start] == '-'))
    return -1;
  return std::stoll(json.substr(start, 24));
}

// Opens an event stream and reads until `max_progress` progress events (or the end), then hangs up.
std::vector<SseEvent> ReadSomeEvents(int port, const std::string& target, std::vector<std::string> headers,
                                     int max_progress) {
  // Generous: under ThreadSanitizer on a busy machine the first pieces may take several seconds.
  int fd = http::testing::Connect(port, 60000);
  if (fd < 0) return {};
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  http::testing::SendAll(fd, request + "\r\n");
  std::string raw;
  char buffer[65536];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    size_t head = raw.find("\r\n\r\n");
    if (head == std::string::npos) continue;
    auto events = ParseSse(DecodeChunked(raw.substr(head + 4)));
    int progress = 0;
    bool ended = false;
    for (const auto& e : events) {
      progress += e.event == "progress";
      ended |= e.event == "end";
    }
    if (progress >= max_progress || ended) break;
  }
  ::close(fd);
  size_t head = raw.find("\r\n\r\n");
  return head == std::string::npos ? std::vector<SseEvent>{} : ParseSse(DecodeChunked(raw.substr(head + 4)));
}

struct JobClient {
  Visitor visitor;
  HttpResponse Create(const std::string& text) {
    std::string body = "{\"text\":\"";
    for (unsigned char c : text) {
      if (c == '"' || c == '\\') {
        body += '\\';
        body += static_cast<char>(c);
      } else if (c == '\n') {
        body += "\\n";
      } else if (c < 0x20) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\u%04x", c);
        body += hex;
      } else {
        body += static_cast<char>(c);
      }
    }
    body += "\"}";
    return Request(
        visitor.port, "POST", "/api/jobs",
        {"Cookie: " + visitor.cookie, "X-CSRF-Token: " + visitor.token, "Content-Type: application/json"},
        body);
  }
  long long CreateId(const std::string& text) {
    HttpResponse r = Create(text);
    EXPECT_EQ(r.status, 202) << r.body;
    return JsonNumber(r.body, "id");
  }
  HttpResponse Get(const std::string& path) { return visitor.Get(path); }
  std::string Job(long long id) { return Get("/api/jobs/" + std::to_string(id)).body; }
  std::string WaitFinal(long long id, std::chrono::seconds limit = std::chrono::seconds(300)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::string job;
    while (std::chrono::steady_clock::now() < deadline) {
      job = Job(id);
      std::string status = JsonString(job, "status");
      if (status == "done" || status == "failed" || status == "cancelled") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job " << id << " did not end: " << job.substr(0, 500);
    return job;
  }
  HttpResponse Cancel(long long id) {
    return Request(visitor.port, "DELETE", "/api/jobs/" + std::to_string(id),
                   {"Cookie: " + visitor.cookie, "X-CSRF-Token: " + visitor.token});
  }
};

// Distinct sentences (the translator's cache and duplicate merging would make repeats free).
std::string DistinctSentences(size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) {
    text += "Der Bericht Nummer " + std::to_string(i) + " beschreibt die Stadt am Fluss.";
    text += i % 7 == 6 ? "\n\n" : " ";
  }
  return text;
}

// The direct translation of `text` by the translator (the non-streaming native API).
std::string TranslateDirectly(int translator_port, const std::string& text) {
  std::string body = "{\"text\":\"";
  for (char c : text) body += c == '\n' ? std::string("\\n") : std::string(1, c);
  body += "\"}";
  HttpResponse r =
      Request(translator_port, "POST", "/v1/translate", {"Content-Type: application/json"}, body);
  std::smatch m;
  if (r.status != 200) return "<status " + std::to_string(r.status) + ">";
  std::string json = r.body;
  size_t at = json.find("\"translations\":[{\"text\":\"");
  if (at == std::string::npos) return "<missing>";
  return JsonString(json.substr(at + 15), "text");
}

TEST_F(WebServeTest, JobTranslatesLikeTheTranslatorWithEventsPerSentence) {
  JobClient client{Visitor{port_}};
  client.visitor.Open();
  const std::string text = "Der Hund läuft im Park.\n\nDie Katze schläft.\nEin Vogel singt. Es regnet.";
  long long id = client.CreateId(text);
  ASSERT_GT(id, 0);
  HttpResponse events = client.Get("/api/jobs/" + std::to_string(id) + "/events");
  ASSERT_EQ(events.status, 200);
  EXPECT_EQ(events.Header("content-type"), "text/event-stream");
  auto parsed = ParseSse(events.body);
  ASSERT_FALSE(parsed.empty());
  EXPECT_EQ(parsed.back().event, "end");
  EXPECT_EQ(JsonString(parsed.back().data, "status"), "done");
  std::string job = client.WaitFinal(id);
  EXPECT_EQ(JsonString(job, "status"), "done");
  EXPECT_EQ(JsonNumber(job, "total"), 4);
  EXPECT_EQ(JsonNumber(job, "done"), 4);
  const std::string direct = TranslateDirectly(translator_port_, text);
  EXPECT_EQ(JsonString(job, "text_en"), direct);
  EXPECT_EQ(JsonString(parsed.back().data, "text_en"), direct);
  std::string pieces;
  for (const auto& e : parsed) {
    if (e.event == "progress") pieces += JsonString(e.data, "piece");
  }
  EXPECT_EQ(direct.substr(0, pieces.size()), pieces);
  std::string history_url = JsonString(job, "history_url");
  ASSERT_FALSE(history_url.empty()) << job;
  EXPECT_EQ(client.Get(history_url).status, 200);
}

TEST_F(WebServeTest, JobEventsResumeFromLastEventId) {
  JobClient client{Visitor{port_}};
  client.visitor.Open();
  long long id = client.CreateId(DistinctSentences(60 * 1000));
  const std::string path = "/api/jobs/" + std::to_string(id) + "/events";
  auto first = ReadSomeEvents(port_, path, {"Cookie: " + client.visitor.cookie}, 3);
  ASSERT_FALSE(first.empty());
  if (first.back().event == "end") GTEST_SKIP() << "the job finished before the stream could be cut";
  // Pieces come as they were saved (several at a time); ids are 1, 2, 3, ... in order.
  ASSERT_GE(first.size(), 3u);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].event, "progress");
    EXPECT_EQ(first[i].id, std::to_string(i + 1));
    EXPECT_EQ(JsonNumber(first[i].data, "index"), static_cast<long long>(i));
  }
  const std::string last = first.back().id;
  auto resumed =
      ReadSomeEvents(port_, path, {"Cookie: " + client.visitor.cookie, "Last-Event-ID: " + last}, 2);
  ASSERT_FALSE(resumed.empty());
  if (resumed[0].event == "progress") {
    EXPECT_EQ(JsonNumber(resumed[0].data, "index"), std::stoll(last));
    EXPECT_EQ(resumed[0].id, std::to_string(std::stoll(last) + 1));
  }
  auto by_query = ReadSomeEvents(port_, path + "?last_event_id=5", {"Cookie: " + client.visitor.cookie}, 1);
  ASSERT_FALSE(by_query.empty());
  if (by_query[0].event == "progress") {
    EXPECT_EQ(JsonNumber(by_query[0].data, "index"), 5);
  }
  client.Cancel(id);
}

TEST_F(WebServeTest, CancelledJobStopsAndLeavesNoHistoryRow) {
  JobClient client{Visitor{port_}};
  client.visitor.Open();
  long long id = client.CreateId(DistinctSentences(200 * 1000));
  for (int i = 0; i < 300 && JsonNumber(client.Job(id), "done") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  HttpResponse cancelled = client.Cancel(id);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(JsonString(cancelled.body, "status"), "cancelled");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::string job = client.Job(id);
  EXPECT_EQ(JsonString(job, "status"), "cancelled");
  EXPECT_NE(job.find("\"history_url\":null"), std::string::npos);
  EXPECT_NE(client.Get("/history/export.json").body.find("\"count\": 0"), std::string::npos);
  // Another job gets the worker (the cancelled one does not hold it).
  long long next = client.CreateId("Noch ein Satz.");
  EXPECT_EQ(JsonString(client.WaitFinal(next, std::chrono::seconds(60)), "status"), "done");
}

TEST_F(WebServeTest, AnotherOwnersJobIsNotFound) {
  JobClient anna{Visitor{port_}}, ben{Visitor{port_}};
  anna.visitor.Open();
  ben.visitor.Open();
  long long id = anna.CreateId("Annas geheimer Satz.");
  anna.WaitFinal(id);
  const std::string base = "/api/jobs/" + std::to_string(id);
  EXPECT_EQ(ben.Get(base).status, 404);
  EXPECT_EQ(ben.Get(base + "/events").status, 404);
  EXPECT_EQ(ben.Cancel(id).status, 404);
  EXPECT_EQ(ben.Get("/jobs/" + std::to_string(id)).status, 404);
  EXPECT_EQ(ben.Get(base).body.find("geheimer"), std::string::npos);
  EXPECT_EQ(anna.Get(base).status, 200);
}

TEST_F(WebServeTest, MalformedJobRequestsAreRejected) {
  JobClient client{Visitor{port_}};
  client.visitor.Open();
  auto post = [&](const std::string& body, bool token, const std::string& type = "application/json") {
    std::vector<std::string> headers = {"Cookie: " + client.visitor.cookie, "Content-Type: " + type};
    if (token) headers.push_back("X-CSRF-Token: " + client.visitor.token);
    return Request(port_, "POST", "/api/jobs", headers, body).status;
  };
  EXPECT_EQ(post("{\"text\": ", true), 400);
  EXPECT_EQ(post("{\"text\": 1}", true), 400);
  EXPECT_EQ(post("{\"text\": \"\\ud800\"}", true), 400);  // a lone surrogate is not text
  EXPECT_EQ(post("{\"text\": \"   \"}", true), 400);
  EXPECT_EQ(post("{\"text\": \"Hallo\"}", false), 403);
  EXPECT_EQ(post("text=Hallo", false, "application/x-www-form-urlencoded"), 403);
  EXPECT_EQ(post("Hallo", true, "text/plain"), 415);
  HttpResponse too_long = client.Create(std::string(10 * 1000 * 1000 + 1, 'a'));
  EXPECT_EQ(too_long.status, 413);
  EXPECT_NE(too_long.body.find("10,000,000 characters"), std::string::npos);
  for (const char* path : {"/api/jobs/0", "/api/jobs/x", "/api/jobs/-5", "/api/jobs/99999999999999999999",
                           "/api/jobs/9223372036854775807", "/api/jobs/9223372036854775808",
                           "/api/jobs/1/events/x", "/jobs/abc"}) {
    EXPECT_EQ(client.Get(path).status, 404) << path;
  }
  HttpResponse bad_last = Request(port_, "GET", "/api/jobs/1/events",
                                  {"Cookie: " + client.visitor.cookie, "Last-Event-ID: nope"});
  EXPECT_TRUE(bad_last.status == 400 || bad_last.status == 404) << bad_last.status;
}

TEST_F(WebServeTest, HundredKilobyteTextThroughTheJobApi) {
  JobClient client{Visitor{port_}};
  client.visitor.Open();
  const std::string text = DistinctSentences(100 * 1024);
  long long id = client.CreateId(text);
  std::string job = client.WaitFinal(id, std::chrono::seconds(600));
  ASSERT_EQ(JsonString(job, "status"), "done") << job.substr(0, 1000);
  EXPECT_GT(JsonNumber(job, "total"), 1000);
  EXPECT_EQ(JsonNumber(job, "done"), JsonNumber(job, "total"));
  EXPECT_EQ(JsonString(job, "text_en"), TranslateDirectly(translator_port_, text));
}

// `serve` with the fixture model, one job worker and a 2 s lease on the SQLite database in `dir`: the
// process the kill-and-restart tests stop and start again on the same database.
std::unique_ptr<Process> StartJobServe(int port, const fs::path& dir, const std::string& log) {
  return std::make_unique<Process>(
      std::vector<std::string>{"serve", "--model",
                               std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--port",
                               std::to_string(port), "--db", "sqlite://" + (dir / "h.db").string(),
                               "--no-journal", "--job-lease", "2", "--job-workers", "1"},
      dir / log);
}

// `serve` killed with SIGKILL while a job runs, restarted on the same database: the job resumes from its
// checkpoint, finishes, and the history has exactly one row for it.
TEST(WebJobsTest, SigkillMidJobThenRestartFinishesWithOneHistoryRow) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-jobs-kill-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int port = FreePort();
  auto start = [&](const std::string& log) { return StartJobServe(port, dir, log); };
  auto serve = start("serve1.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve1.log");
  JobClient client{Visitor{port}};
  client.visitor.Open();
  long long id = client.CreateId(DistinctSentences(150 * 1000));
  long long done_before = 0;
  for (int i = 0; i < 600 && done_before < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    done_before = JsonNumber(client.Job(id), "done");
  }
  ASSERT_GE(done_before, 20) << "the job did not start: " << ReadFile(dir / "serve1.log");
  const std::string before_kill = client.Job(id);
  serve->Kill();
  ASSERT_EQ(JsonString(before_kill, "status"), "running")
      << "finished before the kill: " << before_kill.substr(0, 300);
  serve = start("serve2.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve2.log");
  std::string after_restart = client.Job(id);
  EXPECT_GE(JsonNumber(after_restart, "done"), 1)
      << "the checkpoint survived: " << after_restart.substr(0, 300);
  std::string job = client.WaitFinal(id, std::chrono::seconds(600));
  ASSERT_EQ(JsonString(job, "status"), "done") << job.substr(0, 500) << ReadFile(dir / "serve2.log");
  std::string exported = client.Get("/history/export.json").body;
  EXPECT_NE(exported.find("\"count\": 1"), std::string::npos) << exported.substr(0, 300);
  EXPECT_NE(JsonString(job, "history_url"), "");
  EXPECT_EQ(serve->Stop(), 0);
  fs::remove_all(dir);
}

// A document as a job through the real binary: uploaded as the page does, the process SIGKILLed while the
// job runs, restarted on the same database: the job is translated again from the file it kept, the pieces
// already saved are not sent again, and the download is the whole document (every paragraph and bold
// span), with one history row that names the file.
TEST(WebJobsTest, SigkillMidFileJobThenRestartDeliversTheDocumentOnce) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-file-kill-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int port = FreePort();
  auto start = [&](const std::string& log) { return StartJobServe(port, dir, log); };
  auto serve = start("serve1.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve1.log");
  JobClient client{Visitor{port}};
  client.visitor.Open();
  // About 300 KB of HTML: one paragraph per five sentences, a bold word in each.
  const std::string text = DistinctSentences(300 * 1000);
  std::string html = "<!doctype html><html><head><title>Bericht</title></head><body>\n";
  size_t paragraphs = 0;
  for (size_t start_at = 0; start_at < text.size();) {
    size_t end = text.find("\n\n", start_at);
    if (end == std::string::npos) end = text.size();
    std::string paragraph = text.substr(start_at, end - start_at);
    const size_t space = paragraph.find(' ');
    if (space != std::string::npos)
      paragraph = "<b>" + paragraph.substr(0, space) + "</b>" + paragraph.substr(space);
    html += "<p>" + paragraph + "</p>\n";
    ++paragraphs;
    start_at = end + 2;
  }
  html += "</body></html>\n";
  ASSERT_GT(paragraphs, 100u);
  const std::string boundary = "dolmetschTestBoundary7";
  const std::string body = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Bericht.html\"\r\n"
                           "Content-Type: text/html\r\n\r\n" +
                           html + "\r\n--" + boundary + "--\r\n";
  HttpResponse created = Request(port, "POST", "/api/jobs",
                                 {"Cookie: " + client.visitor.cookie, "X-CSRF-Token: " + client.visitor.token,
                                  "Content-Type: multipart/form-data; boundary=" + boundary},
                                 body);
  ASSERT_EQ(created.status, 202) << created.body;
  const long long id = JsonNumber(created.body, "id");
  long long done_before = 0;
  for (int i = 0; i < 1200 && done_before < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    done_before = JsonNumber(client.Job(id), "done");
  }
  ASSERT_GE(done_before, 10) << "the job did not start: " << ReadFile(dir / "serve1.log");
  const std::string before_kill = client.Job(id);
  serve->Kill();
  ASSERT_EQ(JsonString(before_kill, "status"), "running")
      << "finished before the kill: " << before_kill.substr(0, 300);
  serve = start("serve2.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve2.log");
  std::string job = client.WaitFinal(id, std::chrono::seconds(600));
  ASSERT_EQ(JsonString(job, "status"), "done") << job.substr(0, 500) << ReadFile(dir / "serve2.log");
  EXPECT_EQ(JsonString(job, "download_url"), "/jobs/" + std::to_string(id) + "/file");
  HttpResponse file = client.Get("/jobs/" + std::to_string(id) + "/file");
  ASSERT_EQ(file.status, 200);
  auto count = [](const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(file.body, "<p>"), paragraphs);
  EXPECT_EQ(count(file.body, "<b>"), paragraphs);
  EXPECT_EQ(count(file.body, "</b>"), paragraphs);
  EXPECT_NE(file.body.find("<title>"), std::string::npos);
  std::string exported = client.Get("/history/export.json").body;
  EXPECT_NE(exported.find("\"count\": 1"), std::string::npos) << exported.substr(0, 300);
  EXPECT_NE(client.Get(JsonString(job, "history_url")).body.find("Bericht.html"), std::string::npos);
  EXPECT_EQ(serve->Stop(), 0);
  fs::remove_all(dir);
}

// POST /api/translate runs its text as a job. When the grace of a standalone `web` ends before the job
// does, the stream ends with a 503 event that names the job (nothing is lost), the process exits 0, and
// after a restart the job finishes with exactly one history row. The translator decodes one sentence at a
// time with a forced length, so the job is still running when the grace (1 s) ends.
TEST(WebJobsTest, ApiTranslateStreamGets503NamingItsJobWhenTheGraceEndsAndTheJobFinishesLater) {
#if defined(__SANITIZE_THREAD__)
  const size_t kGraceTestBytes = 60 * 1000;  // ~100 s of decoding under TSan
#else
  const size_t kGraceTestBytes = 240 * 1000;  // ~8 s here: several times the grace on a faster machine
#endif
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-jobs-grace-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int translator_port = FreePort(), port = FreePort();
  auto translator = StartSlowTranslator(translator_port, dir);
  ASSERT_TRUE(WaitForStatus(translator_port, "/ready", 200, std::chrono::seconds(90)))
      << ReadFile(dir / "translator.log");
  auto start = [&](const std::string& log) {
    return std::make_unique<Process>(
        std::vector<std::string>{"web", "--translator", "http://127.0.0.1:" + std::to_string(translator_port),
                                 "--host", "127.0.0.1", "--port", std::to_string(port), "--db",
                                 "sqlite://" + (dir / "h.db").string(), "--no-journal", "--job-lease", "2",
                                 "--job-workers", "1", "--grace", "1"},
        dir / log);
  };
  auto web = start("web1.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web1.log");
  JobClient client{Visitor{port}};
  client.visitor.Open();
  HttpResponse stream;
  std::thread follower([&] {
    stream = Request(port, "POST", "/api/translate",
                     {"Cookie: " + client.visitor.cookie, "X-CSRF-Token: " + client.visitor.token,
                      "Content-Type: application/x-www-form-urlencoded"},
                     "text=" + FormEncode(DistinctSentences(kGraceTestBytes)));
  });
  // SIGTERM once the job (the first in this fresh database) has translated something.
  for (int i = 0; i < 1200 && JsonNumber(client.Job(1), "done") < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto signalled = std::chrono::steady_clock::now();
  EXPECT_EQ(web->Stop(std::chrono::seconds(60)), 0) << ReadFile(dir / "web1.log");
  follower.join();
  std::printf("web stopped %.2f s after SIGTERM (grace 1 s)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count());
  ASSERT_EQ(stream.status, 200) << ReadFile(dir / "web1.log");
  ASSERT_EQ(stream.body.rfind("event: job\ndata: ", 0), 0u) << stream.body.substr(0, 300);
  const long long id = JsonNumber(stream.body.substr(18, stream.body.find('\n', 18) - 18), "id");
  ASSERT_EQ(id, 1);
  EXPECT_EQ(stream.body.find("event: done"), std::string::npos) << "finished within the grace";
  const size_t error = stream.body.rfind("event: error\ndata: ");
  ASSERT_NE(error, std::string::npos)
      << stream.body.substr(stream.body.size() - std::min<size_t>(500, stream.body.size()));
  const std::string last = stream.body.substr(error);
  EXPECT_NE(last.find("\"status\":503"), std::string::npos) << last;
  EXPECT_NE(last.find("\"page_url\":\"/jobs/1\""), std::string::npos) << last;

  web = start("web2.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web2.log");
  std::string job = client.WaitFinal(id, std::chrono::seconds(600));
  ASSERT_EQ(JsonString(job, "status"), "done") << job.substr(0, 500) << ReadFile(dir / "web2.log");
  std::string exported = client.Get("/history/export.json").body;
  EXPECT_NE(exported.find("\"count\": 1"), std::string::npos) << exported.substr(0, 300);
  EXPECT_EQ(web->Stop(), 0);
  EXPECT_EQ(translator->Stop(), 0);
  fs::remove_all(dir);
}

// Two `web` replicas on one MariaDB: the one running a job is SIGKILLed, the other takes the job over after
// the lease and finishes it, with exactly one history row. Needs scripts/with-mariadb (skipped without).
TEST(WebJobsTest, SecondReplicaTakesOverAfterTheLease) {
  const char* mysql_url = std::getenv("DOLMETSCH_TEST_MYSQL_URL");
  if (mysql_url == nullptr || *mysql_url == '\0') {
    GTEST_SKIP() << "DOLMETSCH_TEST_MYSQL_URL is not set (run under scripts/with-mariadb)";
  }
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-jobs-replicas-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int translator_port = FreePort();
  Process translator(
      {"translator", "--model", std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--host",
       "127.0.0.1", "--port", std::to_string(translator_port)},
      dir / "translator.log");
  ASSERT_TRUE(WaitForStatus(translator_port, "/ready", 200, std::chrono::seconds(90)))
      << ReadFile(dir / "translator.log");
  const int port_a = FreePort(), port_b = FreePort();
  auto web = [&](int port, const std::string& workers, const std::string& log) {
    return std::make_unique<Process>(
        std::vector<std::string>{"web", "--translator", "http://127.0.0.1:" + std::to_string(translator_port),
                                 "--host", "127.0.0.1", "--port", std::to_string(port), "--db", mysql_url,
                                 "--no-journal", "--history", "shared", "--job-lease", "3", "--job-workers",
                                 workers},
        dir / log, fs::current_path(),
        std::vector<std::string>{"DOLMETSCH_SECRET=replicas-share-this-secret"});
  };
  // A runs the job alone (B starts without workers' competition: it starts after A claimed the job).
  auto a = web(port_a, "1", "a.log");
  ASSERT_TRUE(WaitForStatus(port_a, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "a.log");
  JobClient client{Visitor{port_a}};
  client.visitor.Open();
  const std::string text = DistinctSentences(120 * 1000);
  long long id = client.CreateId(text);
  for (int i = 0; i < 600 && JsonNumber(client.Job(id), "done") < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(JsonNumber(client.Job(id), "done"), 10) << ReadFile(dir / "a.log");
  auto b = web(port_b, "1", "b.log");
  ASSERT_TRUE(WaitForStatus(port_b, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "b.log");
  a->Kill();
  JobClient via_b{Visitor{port_b, client.visitor.cookie, ""}};
  const std::string at_kill = via_b.Job(id);
  ASSERT_EQ(JsonString(at_kill, "status"), "running")
      << "A finished before it was killed: " << at_kill.substr(0, 300);
  JobClient on_b{Visitor{port_b, client.visitor.cookie, client.visitor.token}};
  std::string job = on_b.WaitFinal(id, std::chrono::seconds(600));
  ASSERT_EQ(JsonString(job, "status"), "done") << job.substr(0, 500) << ReadFile(dir / "b.log");
  EXPECT_EQ(JsonString(job, "text_en"), TranslateDirectly(translator_port, text));
  // Exactly one history row carries this job's text (shared history: the test's own rows only).
  std::string exported = on_b.Get("/history/export.json?q=" + FormEncode("Bericht Nummer 0 beschreibt")).body;
  EXPECT_NE(exported.find("\"count\": 1"), std::string::npos) << exported.substr(0, 300);
  EXPECT_EQ(b->Stop(), 0);
  fs::remove_all(dir);
}

namespace {

// The web page against a real translator serving two pairs (copies of the fixture model named
// opus-mt-de-en and opus-mt-en-de, as in languages_service_test.cc): the pickers come from its /languages,
// the chosen pair is translated and kept in the history, an unserved pair is refused, "auto" is detected.
TEST(WebLanguagesTest, PickersTranslateTheChosenPairAndTheHistoryShowsIt) {
  const fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-languages-" + std::to_string(getpid()));
  fs::create_directories(dir / "models");
  const std::string fixture = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";
  fs::create_directory_symlink(fixture, dir / "models" / "opus-mt-de-en");
  fs::create_directory_symlink(fixture, dir / "models" / "opus-mt-en-de");
  const int port = FreePort();
  Process serve({"serve", "--models-dir", (dir / "models").string(), "--port", std::to_string(port),
                 "--translator-port", std::to_string(FreePort()), "--db",
                 "sqlite://" + (dir / "history.db").string(), "--no-journal"},
                dir / "serve.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(90))) << ReadFile(dir / "serve.log");
  Visitor visitor{port};
  // The web app fetches the translator's languages in the background (again 5 s after a failure).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    visitor.Open();
    if (visitor.Get("/").body.find("value=\"auto\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string page = visitor.Get("/").body;
  EXPECT_NE(page.find("<option value=\"de\" data-targets=\"en\" selected>German</option>"), std::string::npos)
      << page;
  EXPECT_NE(page.find("<option value=\"en\" data-targets=\"de\">English</option>"), std::string::npos);

  // English -> German through the form.
  HttpResponse posted =
      visitor.Post("/translate", "text=" + FormEncode("Good morning.") + "&source=en&target=de");
  std::string job = FollowJob(visitor, posted);
  EXPECT_NE(job.find("data-status=\"done\""), std::string::npos) << job;
  EXPECT_NE(job.find("en \xE2\x86\x92 de</span>"), std::string::npos);
  EXPECT_NE(job.find("id=\"job-text-en\" lang=\"de\">"), std::string::npos);

  // An unserved pair: 400 at submit, naming the served pairs.
  HttpResponse refused = visitor.Post("/translate", "text=Bonjour.&source=fr&target=de");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("German \xE2\x86\x92 English, English \xE2\x86\x92 German"), std::string::npos)
      << refused.body;
  HttpResponse api = Request(
      port, "POST", "/api/jobs",
      {"Cookie: " + visitor.cookie, "Content-Type: application/json", "X-CSRF-Token: " + visitor.token},
      R"({"text":"Hola.","source":"es","target":"en"})");
  EXPECT_EQ(api.status, 400) << api.body;

  // "Detect language": the translator detects German, the job translates de -> en and says so.
  HttpResponse detected = visitor.Post(
      "/translate",
      "text=" + FormEncode("Der Hund läuft jeden Morgen mit seinem Besitzer durch den großen Park.") +
          "&source=auto&target=en");
  EXPECT_NE(detected.Header("location").find("detected=de"), std::string::npos)
      << detected.Header("location");
  std::string auto_job = FollowJob(visitor, detected);
  EXPECT_NE(auto_job.find(">Detected: German ("), std::string::npos) << auto_job;

  // The history shows each entry's languages; the export names them.
  std::string history = visitor.Get("/history").body;
  EXPECT_NE(history.find("title=\"English \xE2\x86\x92 German\">en \xE2\x86\x92 de</span>"),
            std::string::npos)
      << history;
  EXPECT_NE(history.find("title=\"German \xE2\x86\x92 English\">de \xE2\x86\x92 en</span>"),
            std::string::npos);
  std::string exported = visitor.Get("/history/export.json").body;
  EXPECT_NE(exported.find("\"source\": \"en\""), std::string::npos) << exported;
  EXPECT_NE(exported.find("\"source\": \"de\""), std::string::npos);
  EXPECT_EQ(serve.Stop(), 0) << ReadFile(dir / "serve.log");
  fs::remove_all(dir);
}

}  // namespace
