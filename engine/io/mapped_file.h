// MappedFile: a read-only memory map of a whole file, so checkpoints are parsed without a copy.
//
// Contract: Open returns the mapping or an IoError/NotFound naming the path and the OS reason. An empty
// file maps to an empty view. The view stays valid until the MappedFile is destroyed.
// Thread-safety: immutable after Open; movable, not copyable.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace dolmetsch::engine {

class MappedFile {
 public:
  static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

  // Tells the kernel that [begin, begin + size) (inside bytes()) is not needed for now: the whole pages in
  // it leave this process's resident memory and are read again from the file if touched. The view stays
  // valid. Used after weights are converted (int8) so that peak memory holds only one copy.
  void DropPages(const void* begin, size_t size) const;
  void DropAllPages() const { DropPages(data_, size_); }

  // Copies [begin, begin + size) (inside bytes()) to dst by reading the file (pread), not the mapping, so
  // no page of the mapping becomes resident. Why: the kernel maps a whole page-cache folio on a fault, and
  // a file written a moment ago in large writes sits in folios of up to 2 MB; reading one 2 KB embedding
  // row through the mapping then made up to 2 MB resident (issue 14: 275 instead of 115 MiB). Falls back
  // to copying from the mapping if the read fails. Thread-safe.
  void CopyOut(const void* begin, size_t size, void* dst) const;
  bool Contains(const void* p) const {
    return data_ != nullptr && p >= data_ && p < static_cast<const char*>(data_) + size_;
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // kept open for CopyOut
};

}  // namespace dolmetsch::engine
