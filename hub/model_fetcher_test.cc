#include "hub/model_fetcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hub/digest.h"
#include "hub/testing/fake_hub.h"

namespace dolmetsch::hub {
namespace {

namespace fs = std::filesystem;
using testing::FakeHub;
using testing::ReadWholeFile;
using testing::TinyModelFiles;

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class RecordingObserver : public FetchObserver {
 public:
  void OnTransferStart(const std::string& file, uint64_t offset, uint64_t total) override {
    starts.push_back(file + "@" + std::to_string(offset) + "/" + std::to_string(total));
  }
  void OnTransferProgress(const std::string& file, uint64_t done, uint64_t total) override {
    if (done == total) completed.push_back(file);
  }
  void OnFileFinished(const FetchedFile& file) override { finished.push_back(file.name); }
  void OnNotice(const std::string& text) override { notices.push_back(text); }
  std::vector<std::string> starts, completed, finished, notices;
};

class ModelFetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    files_ = TinyModelFiles();
    hub_.AddRepo("test-org/tiny-de-en", {files_, false});
    auto pytorch_only = files_;
    pytorch_only.erase("model.safetensors");
    hub_.AddRepo("test-org/tiny-de-en-pt", {pytorch_only, false});
    hub_.AddRepo("test-org/tiny-gated", {files_, true});
    root_ = fs::temp_directory_path() / ("dolmetsch_fetch_test_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  FetchOptions Options(const std::string& repo = "test-org/tiny-de-en") {
    FetchOptions options;
    options.repo_id = repo;
    options.models_dir = root_;
    options.endpoint = hub_.endpoint();
    options.connect_timeout = std::chrono::milliseconds(2000);
    options.read_timeout = std::chrono::milliseconds(5000);
    options.retry_delay = std::chrono::milliseconds(0);
    return options;
  }

  // Every file the repo has in `expected` is in the folder, byte for byte; nothing else but those.
  void ExpectFolderHolds(const fs::path& dir, const std::map<std::string, std::string>& expected) {
    std::set<std::string> present;
    for (const auto& entry : fs::directory_iterator(dir)) present.insert(entry.path().filename().string());
    std::set<std::string> wanted;
    for (const auto& [name, content] : expected) {
      wanted.insert(name);
      EXPECT_TRUE(ReadWholeFile(dir / name) == content) << name << " differs from the original";
    }
    EXPECT_EQ(present, wanted);
  }

  std::map<std::string, std::string> files_;
  FakeHub hub_;
  fs::path root_;
};

TEST_F(ModelFetcherTest, DownloadsEveryFileByteForByte) {
  RecordingObserver observer;
  auto result = FetchModel(Options(), &observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->directory, root_ / "tiny-de-en");
  EXPECT_EQ(result->commit, FakeHub::kCommit);
  auto expected = files_;
  expected.erase("pytorch_model.bin");  // safetensors are preferred
  ExpectFolderHolds(result->directory, expected);
  uint64_t total = 0;
  for (const auto& [name, content] : expected) total += content.size();
  EXPECT_EQ(result->bytes_transferred, total);
  std::map<std::string, std::string> verified;
  for (const FetchedFile& file : result->files) {
    EXPECT_EQ(file.outcome, FetchedFile::Outcome::kDownloaded) << file.name;
    EXPECT_EQ(file.size, files_[file.name].size()) << file.name;
    verified[file.name] = file.verified_by;
  }
  EXPECT_EQ(verified["model.safetensors"], "sha256");
  EXPECT_EQ(verified["source.spm"], "sha256");
  EXPECT_EQ(verified["config.json"], "git-sha1");
  EXPECT_EQ(observer.finished.size(), expected.size());
  EXPECT_EQ(observer.completed.size(), expected.size());
  // LFS bodies came from the CDN path, the others straight from resolve; every one from byte 0, once.
  for (const auto& response : hub_.responses()) {
    EXPECT_EQ(response.cdn, FakeHub::IsLfs(response.file)) << response.file;
    EXPECT_EQ(response.range, "") << response.file;
  }
  EXPECT_EQ(hub_.responses().size(), expected.size());
}

TEST_F(ModelFetcherTest, FollowsRedirectsToAnotherHost) {
  hub_.SetCdnStyle(FakeHub::CdnStyle::kOtherHost);
  auto result = FetchModel(Options());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadWholeFile(result->directory / "model.safetensors"), files_["model.safetensors"]);
  EXPECT_EQ(ReadWholeFile(result->directory / "target.spm"), files_["target.spm"]);
}

TEST_F(ModelFetcherTest, FallsBackToPytorchWeightsWhenTheRepoHasNoSafetensors) {
  RecordingObserver observer;
  auto result = FetchModel(Options("test-org/tiny-de-en-pt"), &observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->directory, root_ / "tiny-de-en-pt");
  auto expected = files_;
  expected.erase("model.safetensors");
  ExpectFolderHolds(result->directory, expected);
  EXPECT_EQ(result->files.back().name, "pytorch_model.bin");
  EXPECT_EQ(result->files.back().verified_by, "sha256");
}

TEST_F(ModelFetcherTest, ResumesAnInterruptedDownloadFetchingOnlyTheRemainingBytes) {
  const std::string& weights = files_["model.safetensors"];
  hub_.DropAfter("model.safetensors", 100000, 1);
  FetchOptions options = Options();
  options.max_attempts = 1;
  auto first = FetchModel(options);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), Status::Code::kIoError);
  EXPECT_NE(first.status().message().find("run the command again to resume"), std::string::npos)
      << first.status().ToString();
  const fs::path dir = root_ / "tiny-de-en";
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  ASSERT_TRUE(fs::exists(dir / "model.safetensors.part"));
  const uint64_t kept = fs::file_size(dir / "model.safetensors.part");
  EXPECT_GT(kept, 0u);
  EXPECT_LE(kept, 100000u);
  EXPECT_EQ(ReadWholeFile(dir / "model.safetensors.part"), weights.substr(0, kept));

  hub_.ClearLog();
  RecordingObserver observer;
  auto second = FetchModel(options, &observer);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(ReadWholeFile(dir / "model.safetensors"), weights);
  EXPECT_FALSE(fs::exists(dir / "model.safetensors.part"));
  auto responses = hub_.ResponsesFor("model.safetensors");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].range, "bytes=" + std::to_string(kept) + "-");
  EXPECT_EQ(responses[0].status, 206);
  EXPECT_EQ(responses[0].bytes_sent, weights.size() - kept);
  EXPECT_EQ(second->files.back().outcome, FetchedFile::Outcome::kResumed);
  EXPECT_EQ(second->files.back().bytes_transferred, weights.size() - kept);
  // The other files were complete from the first run: no body was sent for them again.
  EXPECT_EQ(hub_.responses().size(), 1u);
  EXPECT_EQ(second->bytes_transferred, weights.size() - kept);
  EXPECT_NE(std::find(observer.starts.begin(), observer.starts.end(),
                      "model.safetensors@" + std::to_string(kept) + "/" + std::to_string(weights.size())),
            observer.starts.end());
}

TEST_F(ModelFetcherTest, RetriesDroppedConnectionsWithinOneRun) {
  const std::string& weights = files_["model.safetensors"];
  hub_.DropAfter("model.safetensors", 150000, 2);
  RecordingObserver observer;
  auto result = FetchModel(Options(), &observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadWholeFile(result->directory / "model.safetensors"), weights);
  auto responses = hub_.ResponsesFor("model.safetensors");
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].range, "");
  EXPECT_EQ(responses[1].range, "bytes=150000-");
  EXPECT_EQ(responses[2].range, "bytes=300000-");
  uint64_t sent = 0;
  for (const auto& r : responses) sent += r.bytes_sent;
  EXPECT_EQ(sent, weights.size());  // no byte was fetched twice
  EXPECT_EQ(result->files.back().bytes_transferred, weights.size());
  int resumes = 0;
  for (const auto& notice : observer.notices)
    resumes += notice.find("resuming (attempt") != std::string::npos;
  EXPECT_EQ(resumes, 2);
}

TEST_F(ModelFetcherTest, GivesUpAfterMaxAttemptsAndKeepsThePart) {
  hub_.DropAfter("source.spm", 50000, 10);
  FetchOptions options = Options();
  options.max_attempts = 2;
  auto result = FetchModel(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kIoError);
  EXPECT_EQ(hub_.ResponsesFor("source.spm").size(), 2u);
  EXPECT_EQ(fs::file_size(root_ / "tiny-de-en" / "source.spm.part"), 100000u);
  EXPECT_FALSE(fs::exists(root_ / "tiny-de-en" / "source.spm"));
}

TEST_F(ModelFetcherTest, RestartsFromZeroWhenTheServerIgnoresRange) {
  const fs::path dir = root_ / "tiny-de-en";
  fs::create_directories(dir);
  const std::string& spm = files_["source.spm"];
  std::ofstream(dir / "source.spm.part", std::ios::binary) << spm.substr(0, 1000);
  hub_.IgnoreRanges(true);
  RecordingObserver observer;
  auto result = FetchModel(Options(), &observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadWholeFile(dir / "source.spm"), spm);
  auto responses = hub_.ResponsesFor("source.spm");
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_EQ(responses[0].range, "bytes=1000-");
  EXPECT_EQ(responses[0].status, 200);
  for (const auto& file : result->files) {
    if (file.name == "source.spm") {
      EXPECT_EQ(file.outcome, FetchedFile::Outcome::kDownloaded);
    }
  }
}

TEST_F(ModelFetcherTest, RejectsAWrongSha256AndLeavesNothingAtTheFinalName) {
  hub_.AnnounceWrongSha256("model.safetensors");
  auto result = FetchModel(Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kCorruption);
  EXPECT_NE(result.status().message().find("model.safetensors: sha256 of the downloaded data is " +
                                           Sha256Hex(files_["model.safetensors"])),
            std::string::npos)
      << result.status().ToString();
  const fs::path dir = root_ / "tiny-de-en";
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / "model.safetensors.part"));
  EXPECT_EQ(ReadWholeFile(dir / "config.json"), files_["config.json"]);  // earlier files are fine
}

TEST_F(ModelFetcherTest, CorruptPartialDataIsDiscardedAndDownloadedAgain) {
  const fs::path dir = root_ / "tiny-de-en";
  fs::create_directories(dir);
  std::string wrong = files_["target.spm"].substr(0, 5000);
  wrong[10] ^= 0x55;
  std::ofstream(dir / "target.spm.part", std::ios::binary) << wrong;
  RecordingObserver observer;
  auto result = FetchModel(Options(), &observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadWholeFile(dir / "target.spm"), files_["target.spm"]);
  auto responses = hub_.ResponsesFor("target.spm");
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].range, "bytes=5000-");
  EXPECT_EQ(responses[1].range, "");
}

TEST_F(ModelFetcherTest, RejectsASizeMismatch) {
  hub_.AnnounceWrongSize("target.spm");
  auto result = FetchModel(Options());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kCorruption);
  EXPECT_NE(result.status().message().find("target.spm"), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "tiny-de-en" / "target.spm"));
  EXPECT_FALSE(fs::exists(root_ / "tiny-de-en" / "target.spm.part"));
}

TEST_F(ModelFetcherTest, SkipsCompleteFilesAndRefetchesChangedOnes) {
  ASSERT_TRUE(FetchModel(Options()).ok());
  const fs::path dir = root_ / "tiny-de-en";
  hub_.ClearLog();
  auto again = FetchModel(Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->bytes_transferred, 0u);
  EXPECT_TRUE(hub_.responses().empty());
  for (const auto& file : again->files)
    EXPECT_EQ(file.outcome, FetchedFile::Outcome::kAlreadyPresent) << file.name;

  // Same size, different bytes: the digest catches it (git sha1 for JSON, sha256 for LFS files).
  for (const char* name : {"vocab.json", "model.safetensors"}) {
    std::string changed = files_[name];
    changed[changed.size() / 2] ^= 1;
    std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << changed;
  }
  hub_.ClearLog();
  auto repaired = FetchModel(Options());
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ(ReadWholeFile(dir / "vocab.json"), files_["vocab.json"]);
  EXPECT_EQ(ReadWholeFile(dir / "model.safetensors"), files_["model.safetensors"]);
  std::set<std::string> fetched;
  for (const auto& response : hub_.responses()) fetched.insert(response.file);
  EXPECT_EQ(fetched, (std::set<std::string>{"vocab.json", "model.safetensors"}));

  FetchOptions force = Options();
  force.force = true;
  hub_.ClearLog();
  auto forced = FetchModel(force);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(hub_.responses().size(), forced->files.size());
}

TEST_F(ModelFetcherTest, OptionalFilesMayBeMissing) {
  auto minimal = files_;
  minimal.erase("generation_config.json");
  minimal.erase("special_tokens_map.json");
  hub_.AddRepo("test-org/minimal", {minimal, false});
  auto result = FetchModel(Options("test-org/minimal"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  int absent = 0;
  for (const auto& file : result->files) absent += file.outcome == FetchedFile::Outcome::kAbsent;
  EXPECT_EQ(absent, 2);
  minimal.erase("pytorch_model.bin");
  ExpectFolderHolds(result->directory, minimal);
}

TEST_F(ModelFetcherTest, FetchesTargetVocabOnlyWithSeparateVocabs) {
  auto separate = files_;
  separate["tokenizer_config.json"] = R"({"separate_vocabs": true, "source_lang": "de"})";
  hub_.AddRepo("test-org/separate", {separate, false});
  auto missing = FetchModel(Options("test-org/separate"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find(
                "target_vocab.json does not exist in model repository 'test-org/separate'"),
            std::string::npos)
      << missing.status().ToString();

  separate["target_vocab.json"] = R"({"<pad>": 0, "</s>": 1, "hello": 2})";
  hub_.AddRepo("test-org/separate", {separate, false});
  auto result = FetchModel(Options("test-org/separate"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(ReadWholeFile(result->directory / "target_vocab.json"), separate["target_vocab.json"]);
}

TEST_F(ModelFetcherTest, UnknownRepoNamesTheRepoId) {
  auto result = FetchModel(Options("Helsinki-NLP/opus-mt-xx-yy"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kNotFound);
  EXPECT_NE(result.status().message().find("'Helsinki-NLP/opus-mt-xx-yy'"), std::string::npos)
      << result.status().ToString();
  EXPECT_NE(result.status().message().find("does not exist"), std::string::npos);
}

TEST_F(ModelFetcherTest, UnknownRevisionIsNotFound) {
  FetchOptions options = Options();
  options.revision = "no-such-branch";
  auto result = FetchModel(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kNotFound);
  EXPECT_NE(result.status().message().find("revision 'no-such-branch'"), std::string::npos);
}

TEST_F(ModelFetcherTest, MissingRequiredFileIsNamed) {
  auto broken = files_;
  broken.erase("source.spm");
  hub_.AddRepo("test-org/broken", {broken, false});
  auto result = FetchModel(Options("test-org/broken"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kNotFound);
  EXPECT_NE(result.status().message().find("source.spm does not exist"), std::string::npos);
}

TEST_F(ModelFetcherTest, MissingWeightsNamesBothFormats) {
  auto no_weights = files_;
  no_weights.erase("model.safetensors");
  no_weights.erase("pytorch_model.bin");
  hub_.AddRepo("test-org/no-weights", {no_weights, false});
  auto result = FetchModel(Options("test-org/no-weights"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("neither model.safetensors nor pytorch_model.bin"),
            std::string::npos);
}

TEST_F(ModelFetcherTest, NonMarianModelsAreRefusedBeforeTheWeights) {
  auto bert = files_;
  bert["config.json"] = R"({"model_type": "bert"})";
  hub_.AddRepo("test-org/bert", {bert, false});
  auto result = FetchModel(Options("test-org/bert"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnsupported);
  EXPECT_TRUE(hub_.ResponsesFor("model.safetensors").empty());
}

TEST_F(ModelFetcherTest, MalformedConfigIsCorruption) {
  auto bad = files_;
  bad["config.json"] = "{not json";
  hub_.AddRepo("test-org/bad-config", {bad, false});
  auto result = FetchModel(Options("test-org/bad-config"));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kCorruption);
  EXPECT_NE(result.status().message().find("config.json: not a JSON object"), std::string::npos);
}

TEST_F(ModelFetcherTest, GatedRepoNeedsTheTokenWhichNeverReachesTheCdn) {
  hub_.SetCdnStyle(FakeHub::CdnStyle::kOtherHost);
  auto denied = FetchModel(Options("test-org/tiny-gated"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(denied.status().message().find("HF_TOKEN"), std::string::npos) << denied.status().ToString();
  EXPECT_NE(denied.status().message().find("test-org/tiny-gated"), std::string::npos);

  hub_.ClearLog();
  FetchOptions options = Options("test-org/tiny-gated");
  options.token = "hf_test_token";
  auto result = FetchModel(options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GT(hub_.resolve_requests_with_auth(), 0);
  for (const auto& response : hub_.responses()) {
    EXPECT_EQ(response.authorization, !response.cdn) << response.file;
  }
}

TEST_F(ModelFetcherTest, OfflineSaysSoAndNamesTheAlternatives) {
  FetchOptions options = Options();
  options.endpoint = "http://127.0.0.1:" + std::to_string(ClosedPort());
  auto result = FetchModel(options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kUnavailable);
  const std::string& message = result.status().message();
  EXPECT_NE(message.find("seems to be offline"), std::string::npos) << message;
  EXPECT_NE(message.find("HF_ENDPOINT"), std::string::npos) << message;
  EXPECT_NE(message.find("--model DIR"), std::string::npos) << message;
}

TEST_F(ModelFetcherTest, ASecondFetchIntoTheSameFolderFailsFast) {
  const fs::path dir = root_ / "tiny-de-en";
  fs::create_directories(dir);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
  auto result = FetchModel(Options());
  close(fd);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("another fetch-model"), std::string::npos);
  EXPECT_TRUE(hub_.responses().empty());
}

TEST(ModelFetcherOptions, RejectsMalformedInput) {
  FetchOptions options;
  options.models_dir = fs::temp_directory_path() / "dolmetsch_never_created";
  for (const char* bad :
       {"", "a/b/c", "/name", "owner/", "-x/y", "x/y.", "x--y/z", "x/..y", "ow ner/x", "x/y?z", "../etc"}) {
    options.repo_id = bad;
    auto result = FetchModel(options);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  options.repo_id = std::string(97, 'a');
  EXPECT_EQ(FetchModel(options).status().code(), Status::Code::kInvalidArgument);
  options.repo_id = "Helsinki-NLP/opus-mt-de-en";
  options.revision = "";
  EXPECT_EQ(FetchModel(options).status().code(), Status::Code::kInvalidArgument);
  options.revision = "main branch";
  EXPECT_EQ(FetchModel(options).status().code(), Status::Code::kInvalidArgument);
  options.revision = "main";
  for (const char* endpoint : {"huggingface.co", "ftp://x", "http://", "http://h/?q=1"}) {
    options.endpoint = endpoint;
    auto result = FetchModel(options);
    EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument) << endpoint;
  }
  EXPECT_FALSE(fs::exists(options.models_dir));
}

TEST(ModelFetcherOptions, RepoDirectoryNameAndEnvironment) {
  EXPECT_EQ(RepoDirectoryName("Helsinki-NLP/opus-mt-de-en"), "opus-mt-de-en");
  EXPECT_EQ(RepoDirectoryName("t5-small"), "t5-small");
  EXPECT_EQ(RepoDirectoryName("a/b/c"), "");
  EXPECT_TRUE(ValidateRepoId("Helsinki-NLP/opus-mt-tc-big-de-en").ok());
  EXPECT_TRUE(ValidateRepoId("facebook/wmt19-de-en_v1.2").ok());

  setenv("HF_ENDPOINT", "http://mirror.local:8080/hf/", 1);
  EXPECT_EQ(EndpointFromEnvironment(), "http://mirror.local:8080/hf");
  setenv("HF_ENDPOINT", "", 1);
  EXPECT_EQ(EndpointFromEnvironment(), kDefaultEndpoint);
  unsetenv("HF_ENDPOINT");
  EXPECT_EQ(EndpointFromEnvironment(), "https://huggingface.co");
  unsetenv("HUGGING_FACE_HUB_TOKEN");
  setenv("HF_TOKEN", "hf_abc", 1);
  EXPECT_EQ(TokenFromEnvironment(), "hf_abc");
  unsetenv("HF_TOKEN");
  EXPECT_EQ(TokenFromEnvironment(), "");
}

}  // namespace
}  // namespace dolmetsch::hub
