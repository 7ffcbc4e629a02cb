// FileStore: the translated files of POST /translate_file, kept in a folder until GET /download_file fetches
// them (any number of times) or they expire.
//
// Each file lives in <dir>/<token>/<name>. The token is 128 random bits from the kernel's CSPRNG
// (getrandom), written as 32 hex digits: the only way to a file, so one client's files cannot be guessed
// by another. The name is the upload's file name made safe (SanitizeFileName): never a path, never "..".
// A file is deleted `ttl` after it was stored (expired files are swept on every call and by Sweep());
// the files together stay within `quota_bytes` (Put refuses beyond it with ResourceExhausted).
// With an empty `dir` a private folder is made under the system's temporary directory (mkdtemp) and
// removed with the store; a given `dir` is created if missing, and token folders left in it by an earlier
// run are deleted at start (their tokens are gone with that process).
// Thread-safety: all methods may be called from any thread (one mutex; file I/O happens outside it only
// for reading a stored file).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "util/file_name.h"  // SanitizeFileName, which names the stored files
#include "util/status.h"

namespace dolmetsch::translator {

struct FileStoreOptions {
  std::string dir;  // "": a private temporary folder
  double ttl_seconds = 3600;
  std::size_t quota_bytes = std::size_t{1} << 30;
};

class FileStore {
 public:
  using Clock = std::chrono::steady_clock;

  // Creates (or cleans) the folder; errors name it.
  static StatusOr<std::unique_ptr<FileStore>> Open(FileStoreOptions options);
  ~FileStore();  // removes a private folder with its files (a given one keeps them until the next start)

  struct Stored {
    std::string token;
    std::string name;
  };
  // Stores `content` as `name` (sanitized). ResourceExhausted when the quota would be exceeded; IoError
  // when the disk fails.
  StatusOr<Stored> Put(const std::string& name, const std::string& content);
  // The bytes of a stored, unexpired file; NotFound otherwise (a wrong token, a wrong name, expired).
  StatusOr<std::string> Get(const std::string& token, const std::string& name);
  // Deletes expired files.
  void Sweep();

  // Whether another `bytes` would fit now (a hint before translating; Put decides).
  bool Fits(std::size_t bytes);
  std::size_t used_bytes();
  std::size_t files();
  const std::string& dir() const { return dir_; }
  const FileStoreOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string name;
    std::size_t bytes = 0;
    Clock::time_point expires;
  };
  FileStore(FileStoreOptions options, std::string dir, bool owned);
  void SweepLocked(Clock::time_point now);
  void RemoveLocked(std::map<std::string, Entry>::iterator it);

  const FileStoreOptions options_;
  const std::string dir_;
  const bool owned_;  // a private folder: removed by the destructor
  std::mutex mu_;
  std::map<std::string, Entry> entries_;  // by token (guarded by mu_)
  std::size_t used_ = 0;                  // guarded by mu_
};

// 32 hex digits from getrandom(2) (128 bits); Internal if the kernel's generator fails.
StatusOr<std::string> RandomToken();

}  // namespace dolmetsch::translator
