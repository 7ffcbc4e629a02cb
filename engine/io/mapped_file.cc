#include "engine/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace dolmetsch::engine {

StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string msg = path + ": cannot open: " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IoError(path + ": cannot stat: " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path + ": not a regular file");
  }
  MappedFile file;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return Status::IoError(path + ": cannot map into memory: " + std::strerror(err));
    }
    file.data_ = data;
  }
  file.fd_ = fd;
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
}

void MappedFile::CopyOut(const void* begin, size_t size, void* dst) const {
  const char* p = static_cast<const char*>(begin);
  const off_t offset = p - static_cast<const char*>(data_);
  size_t done = 0;
  while (fd_ >= 0 && done < size) {
    const ssize_t n = ::pread(fd_, static_cast<char*>(dst) + done, size - done, offset + done);
    if (n <= 0 && !(n < 0 && errno == EINTR)) break;
    if (n > 0) done += static_cast<size_t>(n);
  }
  if (done < size) std::memcpy(static_cast<char*>(dst) + done, p + done, size - done);
}

void MappedFile::DropPages(const void* begin, size_t size) const {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = reinterpret_cast<uintptr_t>(begin), hi = lo + size;
  const uintptr_t map_lo = reinterpret_cast<uintptr_t>(data_), map_hi = map_lo + size_;
  if (data_ == nullptr || lo < map_lo || hi > map_hi) return;
  const uintptr_t first = (lo + page - 1) / page * page, last = hi / page * page;  // whole pages only
  if (first < last) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace dolmetsch::engine
