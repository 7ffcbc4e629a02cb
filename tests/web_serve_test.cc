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

namespace {

namespace fs = std::filesystem;
namespace http = dolmetsch::http;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

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

// A running `dolmetsch` subcommand; SIGTERM on destruction.
class Process {
 public:
  Process(std::vector<std::string> args, const fs::path& log, const fs::path& cwd = fs::current_path(),
          std::vector<std::string> extra_env = {}) {
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      if (chdir(cwd.c_str()) != 0) _exit(126);
      for (auto& e : extra_env) putenv(e.data());
      std::vector<char*> argv;
      std::string binary = DOLMETSCH_BINARY;
      argv.push_back(binary.data());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
  }
  ~Process() { Stop(); }
  // Sends SIGTERM and returns the exit code (-1 if it had to be killed after `limit`).
  int Stop(std::chrono::seconds limit = std::chrono::seconds(30)) {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    exit_code_ = WaitExit(limit);
    if (exit_code_ == -2) {
      kill(pid_, SIGKILL);
      WaitExit(std::chrono::seconds(5));
      exit_code_ = -1;
    }
    pid_ = -1;
    return exit_code_;
  }
  // Waits for the process to end by itself; -2 on timeout.
  int WaitExit(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -2;
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

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

TEST_F(WebServeTest, TranslatesAndKeepsThePrivateHistory) {
  Visitor anna{port_};
  anna.Open();
  ASSERT_FALSE(anna.token.empty());
  HttpResponse page =
      anna.Post("/translate", "text=" + FormEncode("Der Hund läuft.\r\n\r\nDie Katze schläft."));
  ASSERT_EQ(page.status, 200) << page.body;
  std::string output = OutputOf(page.body);
  EXPECT_NE(output, "<missing>");
  EXPECT_FALSE(output.empty());
  EXPECT_NE(output.find("\n\n"), std::string::npos) << "paragraphs kept: " << output;
  EXPECT_NE(page.body.find("Saved to the history"), std::string::npos);

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
  HttpResponse page = visitor.Post("/translate", "text=" + FormEncode(text));
  ASSERT_EQ(page.status, 200) << page.body.substr(0, 2000);
  size_t open = page.body.find("<div id=\"text-en\"");  // (std::regex overflows the stack on 5 MB)
  ASSERT_NE(open, std::string::npos);
  size_t start = page.body.find('>', open) + 1;
  EXPECT_GT(page.body.find("</div>", start) - start, 1000000u);
  EXPECT_NE(page.body.find("Saved to the history"), std::string::npos);
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
  HttpResponse page = visitor.Post("/translate", "text=" + FormEncode(payload));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(
      page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt; "
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
  HttpResponse page = visitor.Post("/translate", "text=" + FormEncode("Guten Morgen."));
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_FALSE(OutputOf(page.body).empty());
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
  EXPECT_NE(page.body.find("not reachable"), std::string::npos);
  // The visitor reads what to do, not the internal address; the log has it.
  EXPECT_EQ(page.body.find("127.0.0.1"), std::string::npos);
  EXPECT_NE(page.body.find("Try again"), std::string::npos);
  EXPECT_EQ(web.Stop(), 0);
  EXPECT_NE(ReadFile(dir / "web.log").find("is not reachable"), std::string::npos);
  fs::remove_all(dir);
}

TEST(WebCommandTest, SigtermLetsATranslationInFlightFinishWithinTheGrace) {
  fs::path dir = fs::temp_directory_path() / ("dolmetsch-web-grace-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int translator_port = FreePort(), port = FreePort();
  Process translator(
      {"translator", "--model", std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en", "--host",
       "127.0.0.1", "--port", std::to_string(translator_port), "--workers", "1", "--max-batch-sentences", "1",
       "--forced-new-tokens", "48"},
      dir / "translator.log");
  ASSERT_TRUE(WaitForStatus(translator_port, "/ready", 200, std::chrono::seconds(90)))
      << ReadFile(dir / "translator.log");
  Process web(
      {"web", "--translator", "http://127.0.0.1:" + std::to_string(translator_port), "--host", "127.0.0.1",
       "--port", std::to_string(port), "--db", "sqlite://" + (dir / "h.db").string(), "--grace", "60"},
      dir / "web.log");
  ASSERT_TRUE(WaitForStatus(port, "/ready", 200, std::chrono::seconds(30))) << ReadFile(dir / "web.log");
  std::string text;  // distinct sentences: a translation that takes a while
  for (int i = 0; i < 600; ++i) text += "Die Stra\u00dfe Nummer " + std::to_string(i) + " ist sch\u00f6n. ";
  Visitor visitor{port};
  visitor.Open();
  HttpResponse page;
  std::thread client([&] { page = visitor.Post("/translate", "text=" + FormEncode(text)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto signalled = std::chrono::steady_clock::now();
  // SIGTERM, then wait for the exit (long enough for the drain under the sanitizers).
  EXPECT_EQ(web.Stop(std::chrono::seconds(100)), 0) << ReadFile(dir / "web.log");
  client.join();
  // The answer in flight was completed before the process ended: the visitor loses nothing.
  EXPECT_EQ(page.status, 200) << ReadFile(dir / "web.log");
  // The page holds the German text and its translation (no regex over a page this large).
  EXPECT_GT(page.body.size(), 2 * text.size());
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
