// Integration test of `dolmetsch fetch-model`: runs the real binary against a minimal hub (plain POSIX
// sockets, so this test needs no HTTP library) that serves tests/fixtures/tiny-de-en without ETags, and
// against a closed port for the offline message.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;

std::string ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Answers HEAD/GET /test-org/<repo>/resolve/main/<file> (repo: tiny, opus-mt-de-en, opus-mt-en-de) with 200
// and the file, 404 + X-Error-Code otherwise.
// One connection at a time, `Connection: close`; the accept loop polls so that the destructor can stop it.
constexpr const char* kRepos[] = {"tiny", "opus-mt-de-en", "opus-mt-en-de"};

class MiniHub {
 public:
  explicit MiniHub(std::map<std::string, std::string> files) : files_(std::move(files)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listen_fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~MiniHub() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Serve() {
    for (int served = 0; !stop_ && served < 1000;) {
      pollfd pfd{listen_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++served;
      timeval timeout{5, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      std::istringstream line(request.substr(0, request.find("\r\n")));
      std::string method, target;
      line >> method >> target;
      // Every repository in kRepos serves the same files.
      std::string prefix;
      for (const char* repo : kRepos) {
        const std::string p = std::string("/test-org/") + repo + "/resolve/main/";
        if (target.rfind(p, 0) == 0) prefix = p;
      }
      std::string response;
      std::string body;
      if (prefix.empty()) {
        response = "HTTP/1.1 404 Not Found\r\nX-Error-Code: RepoNotFound\r\nContent-Length: 0\r\n";
      } else if (auto file = files_.find(target.substr(prefix.size())); file == files_.end()) {
        response = "HTTP/1.1 404 Not Found\r\nX-Error-Code: EntryNotFound\r\nContent-Length: 0\r\n";
      } else {
        response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(file->second.size()) + "\r\n";
        if (method == "GET") body = file->second;
      }
      response += "Connection: close\r\n\r\n" + body;
      for (size_t sent = 0; sent < response.size();) {
        ssize_t n = send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      close(fd);
    }
  }

  std::map<std::string, std::string> files_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct CommandRun {
  int exit_code = -1;
  std::string out, err;
};

class FetchModelCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("dolmetsch_fetch_cli_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  // Runs `env dolmetsch args` with stdout and stderr in files (so stderr is not a terminal).
  CommandRun Dolmetsch(const std::string& env, const std::string& args) {
    std::string command = "env -u HF_TOKEN " + env + " " + DOLMETSCH_BINARY + " " + args + " >" +
                          (root_ / "out").string() + " 2>" + (root_ / "err").string() + " </dev/null";
    int status = std::system(command.c_str());
    CommandRun run;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.out = ReadWholeFile(root_ / "out");
    run.err = ReadWholeFile(root_ / "err");
    return run;
  }

  fs::path root_;
};

std::map<std::string, std::string> FixtureFiles() {
  const fs::path dir = fs::path(DOLMETSCH_SOURCE_DIR) / "tests/fixtures/tiny-de-en";
  std::map<std::string, std::string> files;
  for (const char* name :
       {"config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.json", "source.spm", "target.spm", "model.safetensors"}) {
    files[name] = ReadWholeFile(dir / name);
  }
  return files;
}

TEST_F(FetchModelCommandTest, DownloadsIntoDirAndPrintsTheFolder) {
  auto files = FixtureFiles();
  MiniHub hub(files);
  const fs::path models = root_ / "models";
  CommandRun run =
      Dolmetsch("HF_ENDPOINT=" + hub.endpoint(), "fetch-model test-org/tiny --dir " + models.string());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, (models / "tiny").string() + "\n");
  for (const auto& [name, content] : files) {
    EXPECT_TRUE(ReadWholeFile(models / "tiny" / name) == content) << name;
  }
  EXPECT_FALSE(fs::exists(models / "tiny" / "pytorch_model.bin"));
  // stderr is a file here: plain lines, no carriage-return redraws.
  EXPECT_EQ(run.err.find('\r'), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("fetch-model: model.safetensors: downloading"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("is complete in " + (models / "tiny").string()), std::string::npos) << run.err;

  CommandRun again =
      Dolmetsch("HF_ENDPOINT=" + hub.endpoint(), "fetch-model test-org/tiny --dir " + models.string());
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("fetch-model: model.safetensors: already complete"), std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find("(0 B downloaded)"), std::string::npos) << again.err;
}

TEST_F(FetchModelCommandTest, UnknownRepoFailsNamingIt) {
  MiniHub hub(FixtureFiles());
  CommandRun run = Dolmetsch("", "fetch-model other-org/opus-mt-xx-yy --endpoint " + hub.endpoint() +
                                     " --dir " + (root_ / "models").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("'other-org/opus-mt-xx-yy'"), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST_F(FetchModelCommandTest, OfflineSaysSo) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  CommandRun run = Dolmetsch("HF_ENDPOINT=http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                             "fetch-model Helsinki-NLP/opus-mt-de-en --dir " + (root_ / "models").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("seems to be offline"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("HF_ENDPOINT"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--model DIR"), std::string::npos) << run.err;
  // Nothing arrived, so nothing is left behind: no empty models/opus-mt-de-en/ (nor models/).
  EXPECT_FALSE(fs::exists(root_ / "models")) << "an empty folder was left behind";
}

TEST_F(FetchModelCommandTest, FailedFetchKeepsFoldersThatExistedBefore) {
  fs::create_directories(root_ / "models" / "opus-mt-de-en");
  CommandRun run = Dolmetsch("HF_ENDPOINT=http://127.0.0.1:1",
                             "fetch-model Helsinki-NLP/opus-mt-de-en --dir " + (root_ / "models").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(fs::is_directory(root_ / "models" / "opus-mt-de-en"));
}

TEST_F(FetchModelCommandTest, SeveralRepositoriesThenListThem) {
  MiniHub hub(FixtureFiles());
  const fs::path models = root_ / "models";
  CommandRun run = Dolmetsch(
      "HF_ENDPOINT=" + hub.endpoint(),
      "fetch-model test-org/opus-mt-de-en test-org/missing test-org/opus-mt-en-de --dir " + models.string());
  EXPECT_EQ(run.exit_code, 1) << "one of three failed";
  EXPECT_EQ(run.out, (models / "opus-mt-de-en").string() + "\n" + (models / "opus-mt-en-de").string() + "\n");
  EXPECT_NE(run.err.find("test-org/missing"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("1 of 3 repositories failed"), std::string::npos) << run.err;
  // An interrupted download shows as partial.
  fs::create_directories(models / "opus-mt-fr-en");
  std::ofstream(models / "opus-mt-fr-en" / "config.json") << "{}";
  std::ofstream(models / "opus-mt-fr-en" / "model.safetensors.part") << "half";
  CommandRun list = Dolmetsch("", "fetch-model --list --dir " + models.string());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::istringstream lines(list.out);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u) << list.out;
  EXPECT_EQ(rows[1].rfind("opus-mt-de-en", 0), 0u) << list.out;
  EXPECT_NE(rows[1].find("de-en"), std::string::npos);
  EXPECT_NE(rows[1].find("complete"), std::string::npos);
  EXPECT_NE(rows[2].find("en-de"), std::string::npos);
  EXPECT_NE(rows[3].find("fr-en"), std::string::npos);
  EXPECT_NE(rows[3].find("partial"), std::string::npos) << list.out;
}

TEST_F(FetchModelCommandTest, BadArgumentsFail) {
  EXPECT_EQ(Dolmetsch("", "fetch-model").exit_code, 2);
  CommandRun bad_id = Dolmetsch("", "fetch-model 'a/b/c' --dir " + (root_ / "models").string());
  EXPECT_EQ(bad_id.exit_code, 1);
  EXPECT_NE(bad_id.err.find("repository id 'a/b/c'"), std::string::npos) << bad_id.err;
  EXPECT_NE(Dolmetsch("", "fetch-model x/y --attempts 0").exit_code, 0);
}

}  // namespace
