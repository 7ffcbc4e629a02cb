// ZipPackage: a zip container (.docx .pptx .odt .odp .epub) read and rewritten in memory through libzip,
// with limits for hostile files. ZipWriter: builds a new package (tests, tools).
//
// Opening checks, before any entry is decompressed: the archive's structure (libzip with ZIP_CHECKCONS:
// central directory against local headers), the entry count, every entry name (no empty name, no `..`
// component, no absolute path `/x` or `C:`, no backslash, no duplicate), no encryption, the sum of the
// declared uncompressed sizes and each entry's compression ratio (uncompressed / compressed, checked for
// entries above ZipLimits::ratio_check_min_bytes). Reading an entry is bounded by its declared size and by
// ZipLimits::max_entry_bytes, so an entry whose data inflates beyond what its header says is refused, not
// followed. Every error is a Status whose message names the entry and the limit.
//
// Write() returns the package with the entries given to Replace() changed (same position, same
// compression method, same modification time); every other entry's compressed data is copied raw by
// libzip (not decompressed, not recompressed), so its bytes, and its order in the archive (an ODF/EPUB
// `mimetype` first and stored), stay as they were. libzip writes the local and central headers again.
//
// Thread-safety: a ZipPackage or ZipWriter is used by one thread at a time; distinct objects are
// independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace dolmetsch::markup {

struct ZipLimits {
  std::size_t max_entries = 10000;
  std::uint64_t max_total_uncompressed = 512ull << 20;  // sum of the declared sizes of all entries
  std::uint64_t max_entry_bytes = 64ull << 20;          // one entry read into memory
  double max_compression_ratio = 100.0;                 // uncompressed / compressed
  std::uint64_t ratio_check_min_bytes = 1ull << 20;     // small entries may compress better
};

struct ZipEntryInfo {
  std::string name;
  std::uint64_t size = 0;             // declared uncompressed size
  std::uint64_t compressed_size = 0;  //
  bool stored = false;                // method 0 (no compression)
};

// Refuses empty names, names with a `..` component, absolute names (`/x`, `C:...`) and backslashes.
Status CheckEntryName(std::string_view name);

class ZipPackage {
 public:
  // `bytes` is copied. Errors: not a zip / truncated / inconsistent (InvalidArgument), a limit exceeded
  // (ResourceExhausted), a refused name or encryption (InvalidArgument / Unsupported).
  static StatusOr<std::unique_ptr<ZipPackage>> Open(std::string_view bytes, const ZipLimits& limits = {});
  ~ZipPackage();
  ZipPackage(const ZipPackage&) = delete;
  ZipPackage& operator=(const ZipPackage&) = delete;

  const std::vector<ZipEntryInfo>& entries() const { return entries_; }
  bool Has(std::string_view name) const;
  // The decompressed content (CRC checked). NotFound when there is no such entry.
  StatusOr<std::string> Read(std::string_view name) const;
  // Sets the new content of an existing entry; written by Write().
  Status Replace(std::string_view name, std::string content);
  // The rewritten package. Call once; the package cannot be used afterwards.
  StatusOr<std::string> Write();

 private:
  ZipPackage() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<ZipEntryInfo> entries_;
};

class ZipWriter {
 public:
  ZipWriter();
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  // Adds an entry (in call order); `stored` writes it uncompressed, else deflated. The name is checked
  // with CheckEntryName.
  Status Add(std::string_view name, std::string content, bool stored = false);
  // The archive. Call once.
  StatusOr<std::string> Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dolmetsch::markup
