#include "store/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "store/store_util.h"

namespace dolmetsch::store {
namespace {

constexpr uint64_t kHeaderSize = sizeof(kJournalMagic);

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("journal '" + path + "': write");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

StatusOr<std::string> ReadRange(int fd, uint64_t offset, uint64_t size, const std::string& path) {
  std::string buf(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, buf.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("journal '" + path + "': read");
    }
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
  }
  buf.resize(done);
  return buf;
}

Status SyncDirectoryOf(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("journal: opening directory '" + dir + "'");
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return Errno("journal: fsync of directory '" + dir + "'");
  return Status::Ok();
}

StatusOr<NewTranslation> DecodePayload(const std::string& payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::Corruption("payload is not a JSON object");
  auto str = [&](const char* key, std::string* out) -> bool {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  NewTranslation row;
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int>() != 1) {
    return Status::Corruption("payload has no version \"v\":1");
  }
  auto t = j.find("t");
  if (!str("key", &row.client_key) || !str("de", &row.text_de) || !str("en", &row.text_en) ||
      !str("owner", &row.owner) || !str("model", &row.model) || t == j.end() || !t->is_number_integer()) {
    return Status::Corruption("payload lacks one of key/de/en/owner/model/t");
  }
  row.created_at_unix = t->get<int64_t>();
  // Records journaled before language pairs existed have no "src"/"tgt": they are de -> en.
  if (j.contains("src") && !str("src", &row.source_lang))
    return Status::Corruption("payload's src is not a string");
  if (j.contains("tgt") && !str("tgt", &row.target_lang))
    return Status::Corruption("payload's tgt is not a string");
  // An uploaded document's name (schema version 4); absent for texts and older records.
  if (j.contains("file") && !str("file", &row.file_name))
    return Status::Corruption("payload's file is not a string");
  return row;
}

}  // namespace

std::string EncodeJournalRecord(const NewTranslation& row) {
  nlohmann::json j = {{"v", 1},
                      {"key", row.client_key},
                      {"de", row.text_de},
                      {"en", row.text_en},
                      {"owner", row.owner},
                      {"model", row.model},
                      {"src", row.source_lang},
                      {"tgt", row.target_lang},
                      {"t", row.created_at_unix}};
  if (!row.file_name.empty()) j["file"] = row.file_name;
  const std::string payload = j.dump();
  std::string out;
  out.reserve(payload.size() + 8);
  PutU32(&out, static_cast<uint32_t>(payload.size()));
  const uint32_t crc = Crc32(payload.data(), payload.size(), Crc32(out.data(), 4));
  PutU32(&out, crc);
  out += payload;
  return out;
}

Journal::Journal(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);  // also releases the flock
}

StatusOr<std::unique_ptr<Journal>> Journal::Open(const std::string& path, OpenReport* report) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("journal: opening '" + path + "'");
  std::unique_ptr<Journal> journal(new Journal(path, fd));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("journal '" + path + "' is in use by another process (flock)");
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("journal: stat '" + path + "'");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  auto move_aside = [&](uint64_t from, const std::string& why) -> Status {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string bad, ReadRange(fd, from, file_size - from, path));
    const std::string aside = path + ".corrupt-" + std::to_string(UnixNow());
    const int afd = ::open(aside.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (afd < 0) return Errno("journal: creating '" + aside + "'");
    Status s = WriteAll(afd, bad.data(), bad.size(), aside);
    if (s.ok() && ::fsync(afd) != 0) s = Errno("journal: fsync '" + aside + "'");
    ::close(afd);
    DOLMETSCH_RETURN_IF_ERROR(s);
    report->warnings.push_back("journal '" + path + "': " + why + " at byte " + std::to_string(from) + "; " +
                               std::to_string(bad.size()) + " bytes moved to '" + aside + "'");
    return Status::Ok();
  };

  if (file_size < kHeaderSize) {
    if (file_size > 0) {
      DOLMETSCH_ASSIGN_OR_RETURN(std::string head, ReadRange(fd, 0, file_size, path));
      if (std::memcmp(head.data(), kJournalMagic, file_size) != 0) {
        DOLMETSCH_RETURN_IF_ERROR(move_aside(0, "not a journal (bad header)"));
      } else {
        report->warnings.push_back("journal '" + path + "': truncated header rewritten");
      }
    }
    if (::ftruncate(fd, 0) != 0) return Errno("journal: truncate '" + path + "'");
    DOLMETSCH_RETURN_IF_ERROR(WriteAll(fd, kJournalMagic, kHeaderSize, path));
    if (::fdatasync(fd) != 0) return Errno("journal: fdatasync '" + path + "'");
    DOLMETSCH_RETURN_IF_ERROR(SyncDirectoryOf(path));
    journal->size_ = kHeaderSize;
    return journal;
  }
  DOLMETSCH_ASSIGN_OR_RETURN(std::string head, ReadRange(fd, 0, kHeaderSize, path));
  if (std::memcmp(head.data(), kJournalMagic, kHeaderSize) != 0) {
    DOLMETSCH_RETURN_IF_ERROR(move_aside(0, "not a journal (bad header)"));
    if (::ftruncate(fd, 0) != 0) return Errno("journal: truncate '" + path + "'");
    if (::pwrite(fd, kJournalMagic, kHeaderSize, 0) != static_cast<ssize_t>(kHeaderSize)) {
      return Errno("journal: write header '" + path + "'");
    }
    if (::fdatasync(fd) != 0) return Errno("journal: fdatasync '" + path + "'");
    journal->size_ = kHeaderSize;
    return journal;
  }
  std::vector<NewTranslation> rows;
  uint64_t valid_end = 0;
  std::string damage;
  DOLMETSCH_RETURN_IF_ERROR(journal->Scan(&rows, &valid_end, &damage));
  if (valid_end < file_size) {
    if (damage.empty()) {
      report->warnings.push_back("journal '" + path + "': incomplete last record (" +
                                 std::to_string(file_size - valid_end) +
                                 " bytes, from a crash during a write) ignored; " +
                                 std::to_string(rows.size()) + " earlier records kept");
    } else {
      DOLMETSCH_RETURN_IF_ERROR(move_aside(valid_end, damage));
    }
    if (::ftruncate(fd, static_cast<off_t>(valid_end)) != 0) return Errno("journal: truncate '" + path + "'");
    if (::fdatasync(fd) != 0) return Errno("journal: fdatasync '" + path + "'");
  }
  journal->size_ = valid_end;
  journal->pending_ = rows.size();
  return journal;
}

Status Journal::Scan(std::vector<NewTranslation>* rows, uint64_t* valid_end, std::string* damage) {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Errno("journal: stat '" + path_ + "'");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  uint64_t pos = kHeaderSize;
  *valid_end = kHeaderSize;
  damage->clear();
  while (pos < file_size) {
    if (file_size - pos < 8) return Status::Ok();  // truncated frame header
    DOLMETSCH_ASSIGN_OR_RETURN(std::string frame, ReadRange(fd_, pos, 8, path_));
    const uint32_t len = GetU32(frame.data());
    const uint32_t crc = GetU32(frame.data() + 4);
    if (len > kMaxJournalRecordBytes) {
      *damage = "record length " + std::to_string(len) + " is impossible";
      return Status::Ok();
    }
    if (file_size - pos - 8 < len) return Status::Ok();  // truncated payload: the crash case
    DOLMETSCH_ASSIGN_OR_RETURN(std::string payload, ReadRange(fd_, pos + 8, len, path_));
    if (Crc32(payload.data(), payload.size(), Crc32(frame.data(), 4)) != crc) {
      *damage = "record checksum mismatch";
      return Status::Ok();
    }
    StatusOr<NewTranslation> row = DecodePayload(payload);
    if (!row.ok()) {
      *damage = "undecodable record (" + row.status().message() + ")";
      return Status::Ok();
    }
    rows->push_back(std::move(row).value());
    pos += 8 + len;
    *valid_end = pos;
  }
  return Status::Ok();
}

Status Journal::Append(const NewTranslation& row) {
  const std::string record = EncodeJournalRecord(row);
  if (record.size() - 8 > kMaxJournalRecordBytes) {
    return Status::ResourceExhausted("journal: record of " + std::to_string(record.size()) +
                                     " bytes exceeds the limit");
  }
  std::lock_guard<std::mutex> lock(mu_);
  // pwrite at our own idea of the end: a failed partial write is simply overwritten / truncated away.
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t n =
        ::pwrite(fd_, record.data() + done, record.size() - done, static_cast<off_t>(size_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("journal '" + path_ + "': write");
      (void)!::ftruncate(fd_, static_cast<off_t>(size_));
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    Status s = Errno("journal '" + path_ + "': fdatasync");
    (void)!::ftruncate(fd_, static_cast<off_t>(size_));
    return s;
  }
  size_ += record.size();
  ++pending_;
  return Status::Ok();
}

StatusOr<std::vector<NewTranslation>> Journal::ReadAll() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NewTranslation> rows;
  uint64_t valid_end = 0;
  std::string damage;
  DOLMETSCH_RETURN_IF_ERROR(Scan(&rows, &valid_end, &damage));
  if (valid_end != size_ || !damage.empty()) {
    return Status::Corruption("journal '" + path_ + "' changed under us: valid up to byte " +
                              std::to_string(valid_end) + ", expected " + std::to_string(size_) +
                              (damage.empty() ? "" : " (" + damage + ")"));
  }
  return rows;
}

Status Journal::DropFirst(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (n == 0) return Status::Ok();
  if (n > pending_) return Status::Internal("journal: dropping more records than pending");
  if (n == pending_) {
    // Everything replayed: cut back to the header in place.
    if (::ftruncate(fd_, static_cast<off_t>(kHeaderSize)) != 0)
      return Errno("journal: truncate '" + path_ + "'");
    if (::fdatasync(fd_) != 0) return Errno("journal: fdatasync '" + path_ + "'");
    size_ = kHeaderSize;
    pending_ = 0;
    return Status::Ok();
  }
  // Find the offset after the n-th record, then rewrite the rest through a temporary file and rename.
  uint64_t pos = kHeaderSize;
  for (size_t i = 0; i < n; ++i) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string frame, ReadRange(fd_, pos, 8, path_));
    if (frame.size() != 8) return Status::Corruption("journal '" + path_ + "': short frame while dropping");
    pos += 8 + GetU32(frame.data());
  }
  DOLMETSCH_ASSIGN_OR_RETURN(std::string rest, ReadRange(fd_, pos, size_ - pos, path_));
  const std::string tmp = path_ + ".tmp";
  const int tfd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (tfd < 0) return Errno("journal: creating '" + tmp + "'");
  Status s = WriteAll(tfd, kJournalMagic, kHeaderSize, tmp);
  if (s.ok()) s = WriteAll(tfd, rest.data(), rest.size(), tmp);
  if (s.ok() && ::fsync(tfd) != 0) s = Errno("journal: fsync '" + tmp + "'");
  if (s.ok() && ::rename(tmp.c_str(), path_.c_str()) != 0) s = Errno("journal: rename '" + tmp + "'");
  if (!s.ok()) {
    ::close(tfd);
    ::unlink(tmp.c_str());
    return s;
  }
  DOLMETSCH_RETURN_IF_ERROR(SyncDirectoryOf(path_));
  // The new file replaces ours: move the lock over and keep appending to it.
  if (::flock(tfd, LOCK_EX | LOCK_NB) != 0) {
    ::close(tfd);
    return Errno("journal: locking '" + path_ + "' after rewrite");
  }
  ::close(fd_);
  fd_ = tfd;
  size_ = kHeaderSize + rest.size();
  pending_ -= n;
  return Status::Ok();
}

size_t Journal::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_;
}

}  // namespace dolmetsch::store
