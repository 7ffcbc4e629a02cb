#include "hub/model_fetcher.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "hub/digest.h"
#include "hub/http_client.h"
#include "hub/url.h"
#include "util/percent_encoding.h"

namespace dolmetsch::hub {
namespace fs = std::filesystem;

namespace {

constexpr char kOfflineHint[] =
    "To download, make the hub reachable or set HF_ENDPOINT to a reachable mirror; to use a model that is "
    "already on disk, pass --model DIR";

std::string ErrnoText() { return std::strerror(errno); }

bool ParseUint(std::string_view text, uint64_t* value) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

// `W/"abc"` -> `abc`, lower case (huggingface_hub's _normalize_etag, plus case folding for hex).
std::string NormalizeEtag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  std::transform(etag.begin(), etag.end(), etag.begin(), [](unsigned char c) { return std::tolower(c); });
  return etag;
}

bool IsRetryableHttpStatus(int status) { return status == 408 || status == 429 || status >= 500; }

// What the hub says about one file of the repo.
struct RemoteFile {
  std::string name;
  std::optional<uint64_t> size;  // X-Linked-Size, else Content-Length of a 2xx answer
  std::string etag;              // normalized X-Linked-Etag, else ETag
  std::string commit;            // X-Repo-Commit
  Url download_url;              // where the bytes are (a CDN URL for LFS files)
};

// How a finished file is checked, from the kind of ETag the hub sent.
enum class DigestKind { kSha256, kGitSha1, kNone };

DigestKind DigestKindOf(const std::string& etag) {
  if (IsSha256Hex(etag)) return DigestKind::kSha256;
  if (IsSha1Hex(etag)) return DigestKind::kGitSha1;
  return DigestKind::kNone;
}

const char* DigestName(DigestKind kind) {
  switch (kind) {
    case DigestKind::kSha256:
      return "sha256";
    case DigestKind::kGitSha1:
      return "git-sha1";
    case DigestKind::kNone:
      break;
  }
  return "size";
}

// Writes a download into `<file>.part`, hashing sha256 on the way, and checks the response's range.
class PartFileSink : public BodySink {
 public:
  PartFileSink(int fd, const fs::path& path, uint64_t offset, std::optional<uint64_t> expected_size,
               Sha256Stream* hasher, const std::string& name, FetchObserver* observer)
      : fd_(fd),
        path_(path),
        offset_(offset),
        written_(offset),
        expected_size_(expected_size),
        hasher_(hasher),
        name_(name),
        observer_(observer) {}

  Status OnResponse(const ResponseHead& head) override {
    uint64_t content_length = 0;
    bool has_length = ParseUint(head.Header("content-length"), &content_length);
    if (head.status == 206) {
      // "bytes START-END/TOTAL"
      std::string range = head.Header("content-range");
      uint64_t start = 0, end = 0, total = 0;
      size_t dash = range.find('-'), slash = range.find('/');
      if (range.rfind("bytes ", 0) != 0 || dash == std::string::npos || slash == std::string::npos ||
          !ParseUint(std::string_view(range).substr(6, dash - 6), &start) ||
          !ParseUint(std::string_view(range).substr(dash + 1, slash - dash - 1), &end)) {
        return Status::IoError(name_ + ": the server answered 206 with a malformed Content-Range '" + range +
                               "'");
      }
      if (start != offset_) {
        return Status::IoError(name_ + ": asked for bytes from " + std::to_string(offset_) +
                               " but the server sent from " + std::to_string(start));
      }
      if (ParseUint(std::string_view(range).substr(slash + 1), &total) && expected_size_ &&
          total != *expected_size_) {
        return Status::Corruption(name_ + ": the server sends " + std::to_string(total) +
                                  " bytes but the hub announced " + std::to_string(*expected_size_));
      }
      total_ = end + 1;
    } else {
      if (offset_ > 0) {
        // The server ignored our Range header: the body is the whole file, so start the part over.
        if (observer_) observer_->OnNotice(name_ + ": the server does not resume downloads; starting over");
        if (ftruncate(fd_, 0) != 0 || lseek(fd_, 0, SEEK_SET) != 0) {
          return Status::IoError(path_.string() + ": cannot truncate: " + ErrnoText());
        }
        hasher_->Reset();
        offset_ = 0;
        written_ = 0;
        restarted_ = true;
      }
      if (has_length && expected_size_ && content_length != *expected_size_) {
        return Status::Corruption(name_ + ": the server sends " + std::to_string(content_length) +
                                  " bytes but the hub announced " + std::to_string(*expected_size_));
      }
      total_ = has_length ? std::optional<uint64_t>(content_length) : expected_size_;
    }
    if (observer_) observer_->OnTransferStart(name_, offset_, total_.value_or(0));
    return Status::Ok();
  }

  Status OnData(const char* data, size_t size) override {
    if (total_ && written_ + size > *total_) {
      return Status::Corruption(name_ + ": the server sent more than the announced " +
                                std::to_string(*total_) + " bytes");
    }
    const char* p = data;
    size_t left = size;
    while (left > 0) {
      ssize_t n = write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::IoError(path_.string() + ": write failed: " + ErrnoText());
      p += n;
      left -= static_cast<size_t>(n);
    }
    hasher_->Update(data, size);
    written_ += size;
    received_ += size;
    if (observer_) observer_->OnTransferProgress(name_, written_, total_.value_or(0));
    return Status::Ok();
  }

  uint64_t written() const { return written_; }  // bytes in the part file
  uint64_t received() const { return received_; }
  bool restarted() const { return restarted_; }

 private:
  int fd_;
  const fs::path& path_;
  uint64_t offset_;
  uint64_t written_;
  uint64_t received_ = 0;
  std::optional<uint64_t> expected_size_;
  std::optional<uint64_t> total_;
  Sha256Stream* hasher_;
  const std::string& name_;
  FetchObserver* observer_;
  bool restarted_ = false;
};

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class Fetcher {
 public:
  Fetcher(const FetchOptions& options, FetchObserver* observer, Url endpoint, fs::path directory)
      : options_(options),
        observer_(observer),
        endpoint_(std::move(endpoint)),
        directory_(std::move(directory)),
        revision_(options.revision),
        http_(MakeSettings(options, endpoint_)) {}

  const std::string& commit() const { return commit_; }
  const fs::path& directory() const { return directory_; }

  // Asks the hub about `name`; nullopt when the repo has no such file (404 EntryNotFound).
  StatusOr<std::optional<RemoteFile>> Describe(const std::string& name) {
    for (int attempt = 1;; ++attempt) {
      auto described = DescribeOnce(name);
      if (described.ok() || described.status().code() != Status::Code::kIoError ||
          attempt >= options_.max_attempts) {
        return described;
      }
      Notice(name + ": " + described.status().message() + "; retrying (attempt " +
             std::to_string(attempt + 1) + " of " + std::to_string(options_.max_attempts) + ")");
      Sleep(attempt);
    }
  }

  // Downloads (or keeps) `remote` into the directory.
  StatusOr<FetchedFile> Fetch(const RemoteFile& remote) {
    FetchedFile result;
    result.name = remote.name;
    DigestKind kind = DigestKindOf(remote.etag);
    result.verified_by = DigestName(kind);
    const fs::path final_path = directory_ / remote.name;
    const fs::path part_path = directory_ / (remote.name + ".part");
    std::error_code ec;

    if (!options_.force && fs::exists(final_path, ec)) {
      DOLMETSCH_ASSIGN_OR_RETURN(bool matches, Matches(final_path, remote, kind));
      if (matches) {
        fs::remove(part_path, ec);
        result.outcome = FetchedFile::Outcome::kAlreadyPresent;
        result.size = fs::file_size(final_path, ec);
        return result;
      }
      Notice(remote.name + ": the copy on disk differs from the hub's; downloading it again");
    }
    if (options_.force) fs::remove(part_path, ec);

    uint64_t offset = 0;
    if (fs::exists(part_path, ec)) {
      offset = fs::file_size(part_path, ec);
      if (ec || (remote.size && offset > *remote.size)) {
        Notice(remote.name + ": discarding a partial download that is larger than the file");
        fs::remove(part_path, ec);
        offset = 0;
      }
    }
    const bool resumed = offset > 0;
    result.outcome = resumed ? FetchedFile::Outcome::kResumed : FetchedFile::Outcome::kDownloaded;

    for (int attempt = 1;; ++attempt) {
      bool started_at_zero = offset == 0;
      Status status = TransferAndVerify(remote, kind, part_path, &offset, &result);
      if (status.ok()) break;
      bool last = attempt >= options_.max_attempts;
      if (status.code() == Status::Code::kCorruption && !started_at_zero && !last) {
        // The partial data may come from an older version of the file: start over once.
        fs::remove(part_path, ec);
        offset = 0;
        result.outcome = FetchedFile::Outcome::kDownloaded;
        Notice(remote.name + ": " + status.message() + "; starting over from the first byte");
        continue;
      }
      if (status.code() == Status::Code::kCorruption) {
        fs::remove(part_path, ec);
        return status.WithContext("download rejected, partial file deleted");
      }
      if (status.code() != Status::Code::kIoError || last) {
        if (status.code() == Status::Code::kIoError && offset > 0) {
          return Status::IoError(status.message() + "; " + std::to_string(offset) + " bytes are kept in " +
                                 part_path.string() + ": run the command again to resume");
        }
        return status;
      }
      Notice(remote.name + ": " + status.message() + " after " + std::to_string(offset) +
             " bytes; resuming (attempt " + std::to_string(attempt + 1) + " of " +
             std::to_string(options_.max_attempts) + ")");
      Sleep(attempt);
    }

    if (std::rename(part_path.c_str(), final_path.c_str()) != 0) {
      return Status::IoError("cannot rename " + part_path.string() + " to " + final_path.string() + ": " +
                             ErrnoText());
    }
    SyncDirectory();
    result.size = fs::file_size(final_path, ec);
    return result;
  }

  void Notice(const std::string& text) {
    if (observer_) observer_->OnNotice(text);
  }

 private:
  static HttpSettings MakeSettings(const FetchOptions& options, const Url& endpoint) {
    HttpSettings settings;
    settings.connect_timeout = options.connect_timeout;
    settings.read_timeout = options.read_timeout;
    settings.max_redirects = options.max_redirects;
    settings.bearer_token = options.token;
    settings.credential_origin = endpoint;
    settings.offline_hint = kOfflineHint;
    return settings;
  }

  void Sleep(int attempt) const {
    auto delay = options_.retry_delay * (1 << std::min(attempt - 1, 6));
    std::this_thread::sleep_for(delay);
  }

  std::string RepoRef() const { return "'" + options_.repo_id + "' on " + endpoint_.ToString(); }

  Url ResolveUrl(const std::string& name) const {
    Url url = endpoint_;
    std::string prefix = url.target == "/" ? "" : url.target;
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    url.target = prefix + "/" + options_.repo_id + "/resolve/" + PercentEncode(revision_, false) + "/" +
                 PercentEncode(name, true);
    return url;
  }

  StatusOr<std::optional<RemoteFile>> DescribeOnce(const std::string& name) {
    const Url url = ResolveUrl(name);
    DOLMETSCH_ASSIGN_OR_RETURN(HeadResult head, http_.Head(url));
    const int status = head.head.status;
    const std::string error_code = head.head.Header("x-error-code");
    std::string server_message = head.head.Header("x-error-message");
    if (!server_message.empty()) server_message = " (the hub says: " + server_message + ")";
    if (error_code == "RepoNotFound") {
      return Status::NotFound("model repository " + RepoRef() + " does not exist" + server_message +
                              ". Check the spelling (e.g. Helsinki-NLP/opus-mt-de-en); if the repository is "
                              "private or gated, set HF_TOKEN to a token that can read it");
    }
    if (error_code == "RevisionNotFound") {
      return Status::NotFound("revision '" + options_.revision + "' does not exist in " + RepoRef() +
                              server_message);
    }
    if (status == 401 || status == 403) {
      return Status::Unavailable(
          "access to " + RepoRef() + " was denied (HTTP " + std::to_string(status) + ")" + server_message +
          ": the repository is gated or private. Accept its terms on " + endpoint_.ToString() + "/" +
          options_.repo_id + " and set HF_TOKEN to a token with read access");
    }
    if (status == 404) return std::optional<RemoteFile>();  // EntryNotFound, or a mirror without error codes
    if (IsRetryableHttpStatus(status)) {
      return Status::IoError("the hub answered HTTP " + std::to_string(status) + " for " + url.ToString());
    }
    const bool redirected = head.redirect_to.has_value();
    if (!(status >= 200 && status < 300) && !redirected) {
      return Status::IoError("unexpected HTTP " + std::to_string(status) + " for " + url.ToString());
    }
    RemoteFile remote;
    remote.name = name;
    remote.download_url = redirected ? *head.redirect_to : head.url;
    // The hub's own headers can sit on any response of the (relative-redirect) chain: take the latest.
    auto latest = [&](const char* header) {
      for (auto it = head.chain.rbegin(); it != head.chain.rend(); ++it) {
        std::string value = it->Header(header);
        if (!value.empty()) return value;
      }
      return std::string();
    };
    remote.commit = latest("x-repo-commit");
    std::string linked_etag = latest("x-linked-etag");
    remote.etag = NormalizeEtag(linked_etag.empty() ? latest("etag") : linked_etag);
    uint64_t size = 0;
    if (ParseUint(latest("x-linked-size"), &size) ||
        (!redirected && ParseUint(head.head.Header("content-length"), &size))) {
      remote.size = size;
    }
    if (!remote.commit.empty() && commit_.empty()) {
      commit_ = remote.commit;
      // Pin the rest of the files to this commit, so a branch that moves mid-fetch gives one snapshot.
      if (IsSha1Hex(commit_)) revision_ = commit_;
    }
    return std::optional<RemoteFile>(std::move(remote));
  }

  // True when the file at `path` has the size and digest the hub announced.
  StatusOr<bool> Matches(const fs::path& path, const RemoteFile& remote, DigestKind kind) {
    std::error_code ec;
    uint64_t size = fs::file_size(path, ec);
    if (ec) return Status::IoError(path.string() + ": " + ec.message());
    if (remote.size && size != *remote.size) return false;
    if (kind == DigestKind::kSha256) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string digest, Sha256OfFile(path));
      return digest == remote.etag;
    }
    if (kind == DigestKind::kGitSha1) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string digest, GitBlobSha1OfFile(path));
      return digest == remote.etag;
    }
    return remote.size.has_value();  // nothing to compare but a size: trust a matching size only
  }

  // One attempt: GET from *offset into the part file, then fsync and verify. *offset is updated to the
  // bytes on disk, also on failure, so the next attempt resumes there.
  Status TransferAndVerify(const RemoteFile& remote, DigestKind kind, const fs::path& part_path,
                           uint64_t* offset, FetchedFile* result) {
    UniqueFd fd(open(part_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    if (fd.get() < 0)
      return Status::IoError(part_path.string() + ": cannot open for writing: " + ErrnoText());
    if (ftruncate(fd.get(), static_cast<off_t>(*offset)) != 0 ||
        lseek(fd.get(), static_cast<off_t>(*offset), SEEK_SET) < 0) {
      return Status::IoError(part_path.string() + ": cannot seek: " + ErrnoText());
    }
    Sha256Stream hasher;
    if (*offset > 0 && kind == DigestKind::kSha256) {
      DOLMETSCH_RETURN_IF_ERROR(HashFilePrefix(part_path, *offset, hasher));
    }
    bool complete_already = remote.size && *offset == *remote.size;
    if (!complete_already) {
      PartFileSink sink(fd.get(), part_path, *offset, remote.size, &hasher, remote.name, observer_);
      StatusOr<ResponseHead> head = http_.Get(remote.download_url, *offset, sink);
      *offset = sink.written();
      result->bytes_transferred += sink.received();
      if (sink.restarted()) result->outcome = FetchedFile::Outcome::kDownloaded;
      if (!head.ok()) return head.status();
      const int status = head->status;
      if (status == 416) {
        // Range not satisfiable: the part cannot be continued; the next attempt starts over.
        *offset = 0;
        return Status::IoError(remote.name + ": the server cannot resume at byte " +
                               std::to_string(sink.written()));
      }
      if (status == 404) {
        return Status::NotFound(remote.name + " disappeared from " + RepoRef() + " during the download");
      }
      if (status < 200 || status >= 300) {
        return Status::IoError(remote.name + ": HTTP " + std::to_string(status) + " from " +
                               remote.download_url.Origin());
      }
      if (remote.size && *offset < *remote.size) {
        return Status::IoError(remote.name + ": the connection ended after " + std::to_string(*offset) +
                               " of " + std::to_string(*remote.size) + " bytes");
      }
    }
    if (fsync(fd.get()) != 0) return Status::IoError(part_path.string() + ": fsync failed: " + ErrnoText());
    if (close(fd.release()) != 0)
      return Status::IoError(part_path.string() + ": close failed: " + ErrnoText());

    if (remote.size && *offset != *remote.size) {
      return Status::Corruption(remote.name + ": downloaded " + std::to_string(*offset) +
                                " bytes but the hub announced " + std::to_string(*remote.size));
    }
    std::string digest;
    if (kind == DigestKind::kSha256) {
      digest = hasher.FinishHex();
    } else if (kind == DigestKind::kGitSha1) {
      DOLMETSCH_ASSIGN_OR_RETURN(digest, GitBlobSha1OfFile(part_path));
    }
    if (kind != DigestKind::kNone && digest != remote.etag) {
      return Status::Corruption(remote.name + ": " + DigestName(kind) + " of the downloaded data is " +
                                digest + " but the hub announced " + remote.etag);
    }
    return Status::Ok();
  }

  void SyncDirectory() {
    int fd = open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      fsync(fd);  // makes the rename durable; failure here loses nothing already verified
      close(fd);
    }
  }

  const FetchOptions& options_;
  FetchObserver* observer_;
  const Url endpoint_;
  const fs::path directory_;
  std::string revision_;
  std::string commit_;
  HttpClient http_;
};

StatusOr<nlohmann::json> ReadJson(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError(path.string() + ": cannot open: " + ErrnoText());
  nlohmann::json json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::Corruption(path.string() + ": not a JSON object");
  }
  return json;
}

Status ValidateRevision(const std::string& revision) {
  if (revision.empty() || revision.size() > 256) {
    return Status::InvalidArgument("revision '" + revision + "' must have 1 to 256 characters");
  }
  for (unsigned char c : revision) {
    if (c <= 0x20 || c == 0x7f) {
      return Status::InvalidArgument("revision '" + revision + "' contains a space or control character");
    }
  }
  return Status::Ok();
}

}  // namespace

std::string EndpointFromEnvironment() {
  const char* value = std::getenv("HF_ENDPOINT");
  std::string endpoint = value != nullptr && *value != '\0' ? value : kDefaultEndpoint;
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

std::string TokenFromEnvironment() {
  for (const char* name : {"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return value;
  }
  return "";
}

Status ValidateRepoId(const std::string& repo_id) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("repository id '" + repo_id + "' " + why +
                                   " (expected owner/name, e.g. Helsinki-NLP/opus-mt-de-en)");
  };
  if (repo_id.empty()) return bad("is empty");
  if (repo_id.size() > 96) return bad("is longer than 96 characters");
  if (std::count(repo_id.begin(), repo_id.end(), '/') > 1) return bad("has more than one '/'");
  if (repo_id.find("--") != std::string::npos || repo_id.find("..") != std::string::npos) {
    return bad("contains '--' or '..'");
  }
  size_t slash = repo_id.find('/');
  std::vector<std::string> parts;
  if (slash == std::string::npos) {
    parts = {repo_id};
  } else {
    parts = {repo_id.substr(0, slash), repo_id.substr(slash + 1)};
  }
  for (const std::string& part : parts) {
    if (part.empty()) return bad("has an empty owner or name");
    for (unsigned char c : part) {
      if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) {
        return bad("contains the character '" + std::string(1, static_cast<char>(c)) + "'");
      }
    }
    if (part.front() == '-' || part.front() == '.' || part.back() == '-' || part.back() == '.') {
      return bad("starts or ends with '-' or '.'");
    }
  }
  return Status::Ok();
}

std::string RepoDirectoryName(const std::string& repo_id) {
  if (!ValidateRepoId(repo_id).ok()) return "";
  return repo_id.substr(repo_id.find('/') + 1);
}

namespace {

StatusOr<FetchResult> FetchModelInto(const FetchOptions& options, FetchObserver* observer);

// Removes `dir` if it is an empty folder; false when it could not be removed.
void RemoveIfEmpty(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec) && fs::is_empty(dir, ec)) fs::remove(dir, ec);
}

}  // namespace

StatusOr<FetchResult> FetchModel(const FetchOptions& options, FetchObserver* observer) {
  // A fetch that fails before any byte arrived (offline, unknown repository) leaves no empty folders
  // behind; a partial download stays, so that the next run continues it.
  std::error_code ec;
  const bool models_dir_existed = fs::exists(options.models_dir, ec);
  const std::string name = RepoDirectoryName(options.repo_id);
  const bool directory_existed = name.empty() || fs::exists(options.models_dir / name, ec);
  StatusOr<FetchResult> result = FetchModelInto(options, observer);
  if (!result.ok()) {
    if (!directory_existed) RemoveIfEmpty(options.models_dir / name);
    if (!models_dir_existed) RemoveIfEmpty(options.models_dir);
  }
  return result;
}

namespace {

StatusOr<FetchResult> FetchModelInto(const FetchOptions& options, FetchObserver* observer) {
  DOLMETSCH_RETURN_IF_ERROR(ValidateRepoId(options.repo_id));
  DOLMETSCH_RETURN_IF_ERROR(ValidateRevision(options.revision));
  if (options.max_attempts < 1 || options.max_redirects < 0) {
    return Status::InvalidArgument("max_attempts must be at least 1 and max_redirects not negative");
  }
  auto endpoint = ParseUrl(options.endpoint);
  if (!endpoint.ok()) return endpoint.status().WithContext("hub endpoint (--endpoint or HF_ENDPOINT)");
  if (endpoint->target.find('?') != std::string::npos) {
    return Status::InvalidArgument("hub endpoint '" + options.endpoint + "' must not have a query");
  }

  const fs::path directory = options.models_dir / RepoDirectoryName(options.repo_id);
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) return Status::IoError("cannot create " + directory.string() + ": " + ec.message());
  // One fetch per folder at a time: the lock lives on the folder itself and ends with the process.
  UniqueFd lock(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (lock.get() < 0) return Status::IoError("cannot open " + directory.string() + ": " + ErrnoText());
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("another fetch-model is already writing into " + directory.string());
  }

  Fetcher fetcher(options, observer, *endpoint, directory);
  FetchResult result;
  result.directory = directory;

  // Fetches `name`; a missing file is an error unless `optional`.
  auto fetch = [&](const std::string& name, bool optional) -> Status {
    auto remote = fetcher.Describe(name);
    if (!remote.ok()) {
      Status status = remote.status();
      if (status.code() == Status::Code::kUnavailable && fs::exists(directory / "config.json", ec)) {
        status = Status::Unavailable(status.message() + " (" + directory.string() +
                                     " holds files from an earlier fetch: --model " + directory.string() +
                                     " may work)");
      }
      return status;
    }
    if (!remote->has_value()) {
      if (!optional) {
        return Status::NotFound(name + " does not exist in model repository '" + options.repo_id +
                                "' (revision '" + options.revision + "') on " + endpoint->ToString() +
                                ": is it a MarianMT (OPUS-MT) model?");
      }
      FetchedFile absent;
      absent.name = name;
      absent.outcome = FetchedFile::Outcome::kAbsent;
      if (observer) observer->OnFileFinished(absent);
      result.files.push_back(absent);
      return Status::Ok();
    }
    DOLMETSCH_ASSIGN_OR_RETURN(FetchedFile file, fetcher.Fetch(**remote));
    if (observer) observer->OnFileFinished(file);
    result.bytes_transferred += file.bytes_transferred;
    result.files.push_back(std::move(file));
    return Status::Ok();
  };

  DOLMETSCH_RETURN_IF_ERROR(fetch("config.json", false));
  DOLMETSCH_ASSIGN_OR_RETURN(nlohmann::json config, ReadJson(directory / "config.json"));
  if (config.contains("model_type") && config["model_type"] != "marian") {
    return Status::Unsupported("model repository '" + options.repo_id + "' has model_type " +
                               config["model_type"].dump() +
                               "; dolmetsch runs MarianMT (model_type \"marian\") "
                               "models such as Helsinki-NLP/opus-mt-de-en");
  }
  DOLMETSCH_RETURN_IF_ERROR(fetch("generation_config.json", true));
  DOLMETSCH_RETURN_IF_ERROR(fetch("tokenizer_config.json", false));
  DOLMETSCH_ASSIGN_OR_RETURN(nlohmann::json tokenizer_config, ReadJson(directory / "tokenizer_config.json"));
  const bool separate_vocabs = tokenizer_config.value("separate_vocabs", false) == true;
  DOLMETSCH_RETURN_IF_ERROR(fetch("special_tokens_map.json", true));
  DOLMETSCH_RETURN_IF_ERROR(fetch("vocab.json", false));
  if (separate_vocabs) DOLMETSCH_RETURN_IF_ERROR(fetch("target_vocab.json", false));
  DOLMETSCH_RETURN_IF_ERROR(fetch("source.spm", false));
  DOLMETSCH_RETURN_IF_ERROR(fetch("target.spm", false));

  // Weights: safetensors when the repo has them, else the PyTorch pickle.
  auto safetensors = fetcher.Describe("model.safetensors");
  if (!safetensors.ok()) return safetensors.status();
  if (safetensors->has_value()) {
    DOLMETSCH_ASSIGN_OR_RETURN(FetchedFile file, fetcher.Fetch(**safetensors));
    if (observer) observer->OnFileFinished(file);
    result.bytes_transferred += file.bytes_transferred;
    result.files.push_back(std::move(file));
  } else {
    fetcher.Notice("model.safetensors: not in the repository; fetching pytorch_model.bin instead");
    Status status = fetch("pytorch_model.bin", false);
    if (status.code() == Status::Code::kNotFound) {
      return Status::NotFound("model repository '" + options.repo_id +
                              "' has neither model.safetensors nor "
                              "pytorch_model.bin");
    }
    DOLMETSCH_RETURN_IF_ERROR(status);
  }
  result.commit = fetcher.commit();
  return result;
}

}  // namespace

}  // namespace dolmetsch::hub
