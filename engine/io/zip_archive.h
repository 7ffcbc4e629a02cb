// ZipReader / ZipWriter: just enough of the zip format for torch.save() archives.
//
// Contract: ZipReader::Open parses the central directory of an in-memory archive (the bytes must outlive
// the reader); it understands stored and deflated entries (via zlib) and zip64 records, and checks every
// offset and size against the actual bytes before using or allocating anything. Read() verifies the
// CRC-32. Encrypted, multi-disk or otherwise compressed archives give Unsupported; damaged ones give
// Corruption. Messages say what is wrong but not the file name (callers add it with WithContext).
// ZipWriter builds archives of stored (or deflated) entries, for tests, fuzz seeds and tools.
// Thread-safety: a ZipReader is immutable after Open; concurrent Read() calls are safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::engine {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
};

class ZipReader {
 public:
  static StatusOr<ZipReader> Open(std::string_view archive);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when there is no entry of that name.
  const ZipEntry* Find(std::string_view name) const;

  // The entry's uncompressed bytes: a view into the archive for stored entries, else inflated into
  // *scratch (which the view then points into).
  StatusOr<std::string_view> Read(const ZipEntry& entry, std::string* scratch) const;

 private:
  std::string_view archive_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

class ZipWriter {
 public:
  struct Options {
    bool deflate = false;  // compress entries with zlib's deflate instead of storing them
    bool zip64 = false;    // write zip64 extra fields and end records (as if the archive were huge)
  };
  ZipWriter() = default;
  explicit ZipWriter(Options options) : options_(options) {}

  void Add(std::string name, std::string_view data);
  // The whole archive. Entries and the archive must stay below 4 GiB unless zip64 is set.
  std::string Finish() const;

 private:
  Options options_;
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace dolmetsch::engine
