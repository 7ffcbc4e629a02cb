#include "translator/file_store.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

namespace dolmetsch::translator {
namespace {

namespace fs = std::filesystem;

bool IsToken(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Mib(std::size_t bytes) {
  std::ostringstream out;
  out.precision(bytes < (std::size_t{10} << 20) ? 2 : 0);
  out << std::fixed << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return out.str();
}

}  // namespace

StatusOr<std::string> RandomToken() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static const char* kHex = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  return token;
}

FileStore::FileStore(FileStoreOptions options, std::string dir, bool owned)
    : options_(std::move(options)), dir_(std::move(dir)), owned_(owned) {}

StatusOr<std::unique_ptr<FileStore>> FileStore::Open(FileStoreOptions options) {
  std::error_code ec;
  std::string dir = options.dir;
  bool owned = false;
  if (dir.empty()) {
    std::string pattern = (fs::temp_directory_path(ec) / "dolmetsch-files-XXXXXX").string();
    if (ec) pattern = "/tmp/dolmetsch-files-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      return Status::IoError("cannot create a folder for translated files (" + pattern +
                             "): " + std::strerror(errno) + "; set --files-dir");
    }
    dir = buf.data();
    owned = true;
  } else {
    fs::create_directories(dir, ec);
    if (ec) return Status::IoError("cannot create the files folder " + dir + ": " + ec.message());
    // Token folders of an earlier run: nobody has their tokens any more.
    for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_directory() && IsToken(entry.path().filename().string())) {
        std::error_code ignored;
        fs::remove_all(entry.path(), ignored);
      }
    }
    if (ec) return Status::IoError("cannot read the files folder " + dir + ": " + ec.message());
  }
  return std::unique_ptr<FileStore>(new FileStore(std::move(options), std::move(dir), owned));
}

FileStore::~FileStore() {
  std::error_code ec;
  if (owned_) {
    fs::remove_all(dir_, ec);
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  while (!entries_.empty()) RemoveLocked(entries_.begin());
}

void FileStore::RemoveLocked(std::map<std::string, Entry>::iterator it) {
  std::error_code ec;
  fs::remove_all(fs::path(dir_) / it->first, ec);
  used_ -= it->second.bytes;
  entries_.erase(it);
}

void FileStore::SweepLocked(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.expires <= now) RemoveLocked(it);
    it = next;
  }
}

void FileStore::Sweep() {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(Clock::now());
}

bool FileStore::Fits(std::size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(Clock::now());
  return used_ + bytes <= options_.quota_bytes;
}

std::size_t FileStore::used_bytes() {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

std::size_t FileStore::files() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

StatusOr<FileStore::Stored> FileStore::Put(const std::string& name, const std::string& content) {
  Stored stored;
  stored.name = SanitizeFileName(name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    SweepLocked(Clock::now());
    if (used_ + content.size() > options_.quota_bytes) {
      return Status::ResourceExhausted("the folder of translated files is full (" + Mib(used_) +
                                       " of its quota of " + Mib(options_.quota_bytes) +
                                       " kept, this file needs " + Mib(content.size()) + "); files expire " +
                                       std::to_string(static_cast<long long>(options_.ttl_seconds)) +
                                       " s after translation: retry later, or raise --files-quota-mib");
    }
    do {
      DOLMETSCH_ASSIGN_OR_RETURN(stored.token, RandomToken());
    } while (entries_.count(stored.token) > 0);
    // Reserved now (the quota holds while the file is written outside the lock); readable once written.
    used_ += content.size();
    entries_[stored.token] = Entry{"", content.size(), Clock::time_point::max()};
  }
  auto undo = [&](Status status) -> Status {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(stored.token);
    if (it != entries_.end()) RemoveLocked(it);
    return status;
  };
  std::error_code ec;
  const fs::path folder = fs::path(dir_) / stored.token;
  fs::create_directory(folder, ec);
  if (ec) return undo(Status::IoError("cannot create " + folder.string() + ": " + ec.message()));
  const fs::path path = folder / stored.name;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) return undo(Status::IoError("cannot write the translated file " + path.string()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(stored.token);
  if (it == entries_.end()) return Status::Internal("a stored file vanished while it was written");
  it->second.name = stored.name;
  it->second.expires =
      Clock::now() + std::chrono::milliseconds(static_cast<long long>(options_.ttl_seconds * 1000));
  return stored;
}

StatusOr<std::string> FileStore::Get(const std::string& token, const std::string& name) {
  const Status not_found = Status::NotFound(
      "no such file: the link is wrong or the file expired (files are kept " +
      std::to_string(static_cast<long long>(options_.ttl_seconds)) + " s after translation)");
  fs::path path;
  {
    std::lock_guard<std::mutex> lock(mu_);
    SweepLocked(Clock::now());
    auto it = entries_.find(token);
    if (it == entries_.end() || it->second.name.empty() || it->second.name != name) return not_found;
    path = fs::path(dir_) / token / it->second.name;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found;  // swept meanwhile
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read the stored file " + path.string());
  return bytes.str();
}

}  // namespace dolmetsch::translator
