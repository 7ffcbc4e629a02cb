// Content digests the hub announces in its ETags, computed with OpenSSL EVP:
//   - LFS files (weights, SentencePiece models): ETag = sha256 of the content, 64 hex digits;
//   - plain git files (JSON): ETag = git blob id, sha1("blob <size>\0" + content), 40 hex digits.
//
// Contract: hex output is lower case. File functions return IoError naming the file when it cannot be
// read. Thread-safety: a Sha256Stream is used by one thread at a time; the free functions are reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/status.h"

namespace dolmetsch::hub {

// Incremental sha256 (for hashing a download while it is written, resumed or not).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void Update(const void* data, size_t size);
  // Lower-case hex digest of everything given since construction or Reset(); resets the stream.
  std::string FinishHex();
  void Reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string Sha256Hex(std::string_view data);
std::string GitBlobSha1Hex(std::string_view data);

// Feeds the first `length` bytes of `path` into `stream` (used to continue hashing a partial file).
Status HashFilePrefix(const std::filesystem::path& path, uint64_t length, Sha256Stream& stream);
StatusOr<std::string> Sha256OfFile(const std::filesystem::path& path);
StatusOr<std::string> GitBlobSha1OfFile(const std::filesystem::path& path);

// True for exactly 64 (resp. 40) hex digits, either case.
bool IsSha256Hex(std::string_view text);
bool IsSha1Hex(std::string_view text);

}  // namespace dolmetsch::hub
