// Downloads the files a MarianMT model needs from the Hugging Face hub into a local folder.
//
// Layout: FetchModel(options) writes into `<models_dir>/<repo name>`, the part of the repo id after the
// '/' (Helsinki-NLP/opus-mt-de-en -> models/opus-mt-de-en), the flat Hugging Face layout the engine reads:
//   config.json  tokenizer_config.json  vocab.json  source.spm  target.spm
//   generation_config.json, special_tokens_map.json      (when the repo has them)
//   target_vocab.json                                    (when tokenizer_config.json sets separate_vocabs)
//   model.safetensors, or pytorch_model.bin when the repo has no safetensors
// While a file downloads it lives in `<file>.part`; it is renamed to `<file>` only once its size matches
// X-Linked-Size / Content-Length, its digest matches the hub's ETag (sha256 for LFS files, git blob sha1
// for plain files) and it has been fsync'ed. A later run continues a `.part` with `Range: bytes=N-`.
// Files already present with the right size and digest are kept without downloading (unless `force`).
// A fetch that fails removes the folders it created when they are still empty (nothing to continue).
//
// URLs follow huggingface_hub: `{endpoint}/{repo_id}/resolve/{revision}/{filename}`.
//
// Errors (Status codes): kInvalidArgument (malformed repo id/revision/endpoint), kNotFound (no such
// repo, revision or required file; the message names the repo id), kUnavailable (offline: the message
// says so and names HF_ENDPOINT and `--model DIR`; also 401/403 for gated or private repos),
// kIoError (connection lost after the retries, disk errors), kCorruption (size or digest mismatch; the
// partial file is deleted), kUnsupported (the repo is not a Marian model).
// Thread-safety: FetchModel may run concurrently for different target folders; a second fetch into the
// same folder fails fast (the folder is locked with flock while a fetch runs). The observer is called
// from the calling thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/status.h"

namespace dolmetsch::hub {

inline constexpr char kDefaultEndpoint[] = "https://huggingface.co";

struct FetchOptions {
  std::string repo_id;                          // "Helsinki-NLP/opus-mt-de-en"
  std::string revision = "main";                // branch, tag or commit
  std::filesystem::path models_dir = "models";  // the model goes to models_dir / <repo name>
  std::string endpoint = kDefaultEndpoint;      // see EndpointFromEnvironment()
  std::string token;   // bearer token for private/gated repos; sent to `endpoint` only
  bool force = false;  // download again even when a complete copy is present
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{60000};
  int max_redirects = 10;
  int max_attempts = 4;  // per file, for dropped connections and 5xx (resuming each time)
  std::chrono::milliseconds retry_delay{1000};  // doubled after each failed attempt
};

// $HF_ENDPOINT when set and non-empty, else kDefaultEndpoint; trailing '/' removed.
std::string EndpointFromEnvironment();
// $HF_TOKEN, else $HUGGING_FACE_HUB_TOKEN, else "".
std::string TokenFromEnvironment();

struct FetchedFile {
  enum class Outcome {
    kDownloaded,      // fetched from byte 0
    kResumed,         // continued from an earlier `.part`
    kAlreadyPresent,  // a complete, matching copy was on disk
    kAbsent,          // an optional file the repo does not have
  };
  std::string name;
  Outcome outcome = Outcome::kDownloaded;
  uint64_t size = 0;               // bytes of the complete file (0 when absent)
  uint64_t bytes_transferred = 0;  // body bytes received over the network for it in this run
  std::string verified_by;         // "sha256", "git-sha1" or "size" (the hub gave no usable ETag)
};

struct FetchResult {
  std::filesystem::path directory;  // models_dir / <repo name>
  std::string commit;               // X-Repo-Commit of the revision, when the hub sent it
  std::vector<FetchedFile> files;
  uint64_t bytes_transferred = 0;
};

// Sees the fetch as it goes (progress bars, log lines). Default methods do nothing.
class FetchObserver {
 public:
  virtual ~FetchObserver() = default;
  // A transfer of `file` starts at byte `offset` of `total` (total 0: unknown).
  virtual void OnTransferStart(const std::string& /*file*/, uint64_t /*offset*/, uint64_t /*total*/) {}
  // `done` bytes of `total` are on disk (called often; throttle in the observer).
  virtual void OnTransferProgress(const std::string& /*file*/, uint64_t /*done*/, uint64_t /*total*/) {}
  virtual void OnFileFinished(const FetchedFile& /*file*/) {}
  // Something a person may want to know: a retry, a stale partial file discarded, ...
  virtual void OnNotice(const std::string& /*text*/) {}
};

// The folder name for a repo id: the part after the last '/'. Empty when repo_id is malformed.
std::string RepoDirectoryName(const std::string& repo_id);

// Checks a repo id the way the hub does: "name" or "owner/name", [A-Za-z0-9._-], at most 96 characters,
// no "--" or "..", not starting or ending with '-' or '.'.
Status ValidateRepoId(const std::string& repo_id);

StatusOr<FetchResult> FetchModel(const FetchOptions& options, FetchObserver* observer = nullptr);

}  // namespace dolmetsch::hub
