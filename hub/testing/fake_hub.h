// A local stand-in for the Hugging Face hub, for tests only (header-only so it stays out of the library).
//
// Serves repos the way huggingface.co does: `GET|HEAD /{owner}/{name}/resolve/{revision}/{file}`
//   - LFS files (*.safetensors, *.bin, *.spm): 302 to `/cdn/{owner}/{name}/{file}` (relative, or absolute
//     on http://localhost:PORT to act as another host), with X-Linked-Etag (sha256), X-Linked-Size, ETag;
//   - other files: 200 with the content and ETag = git blob sha1;
//   - X-Repo-Commit on every resolve answer; 404 + X-Error-Code RepoNotFound / RevisionNotFound /
//     EntryNotFound; 401 + GatedRepo for gated repos without the right bearer token.
// Bodies honour Range (206) unless IgnoreRanges; knobs drop the connection mid-body or announce a wrong
// sha256. Binds 127.0.0.1 on a free port; stops in the destructor. Thread-safe (knobs under a mutex).
#pragma once

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hub/digest.h"

namespace dolmetsch::hub::testing {

inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The fixture model's files, as a repo would hold them.
inline std::map<std::string, std::string> TinyModelFiles() {
  const std::filesystem::path dir = std::filesystem::path(DOLMETSCH_SOURCE_DIR) / "tests/fixtures/tiny-de-en";
  std::map<std::string, std::string> files;
  for (const char* name :
       {"config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.json", "source.spm", "target.spm", "model.safetensors", "pytorch_model.bin"}) {
    files[name] = ReadWholeFile(dir / name);
  }
  return files;
}

class FakeHub {
 public:
  static constexpr char kCommit[] = "0123456789abcdef0123456789abcdef01234567";

  struct Repo {
    std::map<std::string, std::string> files;
    bool gated = false;
  };
  enum class CdnStyle { kRelative, kOtherHost };
  // One body response: which file, the Range header asked for, the status, body bytes written.
  struct BodyResponse {
    std::string file;
    std::string range;
    int status = 0;
    uint64_t bytes_sent = 0;
    bool authorization = false;
    bool cdn = false;
  };

  FakeHub() {
    server_.Get(R"(/([^/]+)/([^/]+)/resolve/([^/]+)/(.+))",
                [this](const httplib::Request& req, httplib::Response& res) { Resolve(req, res); });
    server_.Get(R"(/cdn/([^/]+)/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto repo = repos_.find(req.matches[1].str() + "/" + req.matches[2].str());
      if (repo == repos_.end() || !repo->second.files.count(req.matches[3].str())) {
        res.status = 404;
        return;
      }
      ServeBody(req, res, req.matches[3].str(), repo->second.files.at(req.matches[3].str()), /*cdn=*/true);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens; wait for the accept loop so that stop() cannot miss it.
    for (int i = 0; i < 5000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void AddRepo(const std::string& id, Repo repo) {
    std::lock_guard<std::mutex> lock(mutex_);
    repos_[id] = std::move(repo);
  }
  // The next `times` body responses for `file` stop after `bytes` body bytes and drop the connection.
  void DropAfter(const std::string& file, uint64_t bytes, int times) {
    std::lock_guard<std::mutex> lock(mutex_);
    drops_[file] = {bytes, times};
  }
  void AnnounceWrongSha256(const std::string& file) {
    std::lock_guard<std::mutex> lock(mutex_);
    wrong_sha_.insert(file);
  }
  void AnnounceWrongSize(const std::string& file) {
    std::lock_guard<std::mutex> lock(mutex_);
    wrong_size_.insert(file);
  }
  void SetCdnStyle(CdnStyle style) {
    std::lock_guard<std::mutex> lock(mutex_);
    cdn_style_ = style;
  }
  void IgnoreRanges(bool ignore) {
    std::lock_guard<std::mutex> lock(mutex_);
    ignore_ranges_ = ignore;
  }
  void SetToken(const std::string& token) {
    std::lock_guard<std::mutex> lock(mutex_);
    token_ = token;
  }
  std::vector<BodyResponse> responses() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return responses_;
  }
  std::vector<BodyResponse> ResponsesFor(const std::string& file) const {
    std::vector<BodyResponse> out;
    for (const BodyResponse& r : responses()) {
      if (r.file == file) out.push_back(r);
    }
    return out;
  }
  // Authorization headers the resolve endpoint saw (HEAD and GET).
  int resolve_requests_with_auth() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return resolve_with_auth_;
  }
  void ClearLog() {
    std::lock_guard<std::mutex> lock(mutex_);
    responses_.clear();
    resolve_with_auth_ = 0;
  }

  static bool IsLfs(const std::string& file) {
    auto ends = [&](const std::string& suffix) {
      return file.size() >= suffix.size() &&
             file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return ends(".safetensors") || ends(".bin") || ends(".spm");
  }

 private:
  void Resolve(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string repo_id = req.matches[1].str() + "/" + req.matches[2].str();
    const std::string revision = req.matches[3].str();
    const std::string file = req.matches[4].str();
    if (req.has_header("Authorization")) ++resolve_with_auth_;
    auto repo = repos_.find(repo_id);
    if (repo == repos_.end()) {
      res.status = 404;
      res.set_header("X-Error-Code", "RepoNotFound");
      res.set_header("X-Error-Message", "Repository not found");
      return;
    }
    if (repo->second.gated && req.get_header_value("Authorization") != "Bearer " + token_) {
      res.status = 401;
      res.set_header("X-Error-Code", "GatedRepo");
      res.set_header("X-Error-Message", "Access to model " + repo_id + " is restricted.");
      return;
    }
    if (revision != "main" && revision != kCommit) {
      res.status = 404;
      res.set_header("X-Error-Code", "RevisionNotFound");
      return;
    }
    auto content = repo->second.files.find(file);
    if (content == repo->second.files.end()) {
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      res.set_header("X-Error-Message", "Entry not found");
      return;
    }
    res.set_header("X-Repo-Commit", kCommit);
    if (IsLfs(file)) {
      std::string sha = Sha256Hex(content->second);
      if (wrong_sha_.count(file)) sha = Sha256Hex("not the content");
      uint64_t size = content->second.size() + (wrong_size_.count(file) ? 7 : 0);
      res.set_header("X-Linked-Etag", "\"" + sha + "\"");
      res.set_header("ETag", "\"" + sha + "\"");
      res.set_header("X-Linked-Size", std::to_string(size));
      std::string path = "/cdn/" + repo_id + "/" + file + "?signature=abc%2Fdef";
      res.set_header("Location", cdn_style_ == CdnStyle::kRelative
                                     ? path
                                     : "http://localhost:" + std::to_string(port_) + path);
      res.status = 302;
      return;
    }
    res.set_header("ETag", "\"" + GitBlobSha1Hex(content->second) + "\"");
    ServeBody(req, res, file, content->second, /*cdn=*/false);
  }

  // Called with mutex_ held.
  void ServeBody(const httplib::Request& req, httplib::Response& res, const std::string& file,
                 const std::string& content, bool cdn) {
    if (req.method == "HEAD") {  // httplib sends the length and no body; the provider is never called
      res.set_content_provider(content.size(), "application/octet-stream",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    if (ignore_ranges_) {
      // The handler gets the server's own Request object; clearing its parsed ranges makes httplib answer
      // 200 with the whole body, like a server without Range support.
      const_cast<httplib::Request&>(req).ranges.clear();
    }
    auto index = responses_.size();
    responses_.push_back({file, req.get_header_value("Range"), req.ranges.empty() ? 200 : 206, 0,
                          req.has_header("Authorization"), cdn});
    uint64_t drop_after = UINT64_MAX;
    auto drop = drops_.find(file);
    if (drop != drops_.end() && drop->second.second > 0) {
      drop_after = drop->second.first;
      --drop->second.second;
    }
    auto body = std::make_shared<std::string>(content);
    auto sent = std::make_shared<uint64_t>(0);
    res.set_content_provider(
        body->size(), "application/octet-stream",
        [this, body, sent, index, drop_after](size_t offset, size_t length, httplib::DataSink& sink) {
          size_t chunk = std::min<size_t>(length, 8192);
          if (*sent + chunk > drop_after) chunk = static_cast<size_t>(drop_after - *sent);
          if (chunk > 0 && !sink.write(body->data() + offset, chunk)) return false;
          *sent += chunk;
          {
            std::lock_guard<std::mutex> lock(mutex_);
            responses_[index].bytes_sent = *sent;
          }
          return *sent < drop_after;  // false: httplib closes the connection mid-body
        });
  }

  mutable std::mutex mutex_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::map<std::string, Repo> repos_;
  std::map<std::string, std::pair<uint64_t, int>> drops_;
  std::set<std::string> wrong_sha_;
  std::set<std::string> wrong_size_;
  CdnStyle cdn_style_ = CdnStyle::kRelative;
  bool ignore_ranges_ = false;
  std::string token_ = "hf_test_token";
  std::vector<BodyResponse> responses_;
  int resolve_with_auth_ = 0;
};

}  // namespace dolmetsch::hub::testing
