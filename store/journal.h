// Journal: a local append-only file of translations that could not be written to the database yet.
//
// Format (docs/store.md has the full description): an 8-byte header "DMJRNL01", then records, each
//   u32 little-endian payload length | u32 little-endian CRC-32 of (the 4 length bytes + payload) | payload
// where the payload is one JSON object {"v":1,"key":…,"de":…,"en":…,"owner":…,"model":…,"t":…}, plus
// "src", "tgt" and, for an uploaded document, "file" (optional: older records lack them).
// Append() writes one whole record with a single write(2) and fdatasync()s before returning, so a record
// that Append() reported as written survives a crash or power loss.
//
// Recovery on Open(): records are read up to the first damaged one. A truncated tail (a crash during
// Append) is cut off with a warning. A record with a bad CRC, an impossible length or bad JSON stops the
// scan: the damaged bytes from there to the end are copied to "<path>.corrupt-<unix time>" for a person to
// inspect, then cut off; the records before it are kept. A file without the header (garbage) is moved
// aside the same way and a fresh journal is started. Warnings are returned in OpenReport, never fatal.
//
// Thread-safety: all methods may be called concurrently (one mutex). One process per file: Open() takes an
// exclusive flock() and fails with kUnavailable if another process holds it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/translation_store.h"
#include "util/status.h"

namespace dolmetsch::store {

inline constexpr char kJournalMagic[8] = {'D', 'M', 'J', 'R', 'N', 'L', '0', '1'};
inline constexpr uint32_t kMaxJournalRecordBytes = 256u << 20;  // 256 MiB

// Encodes one row as a framed record (length + CRC + JSON payload). The row must be valid UTF-8.
std::string EncodeJournalRecord(const NewTranslation& row);

class Journal {
 public:
  struct OpenReport {
    std::vector<std::string> warnings;  // what recovery did (truncated tail, moved-aside corrupt bytes)
  };

  // Opens or creates the journal at `path` (its directory must exist).
  static StatusOr<std::unique_ptr<Journal>> Open(const std::string& path, OpenReport* report);

  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends one record and syncs it to disk. Errors: kIoError (disk full, ...; the file is restored to
  // its previous length), kResourceExhausted (record larger than kMaxJournalRecordBytes).
  Status Append(const NewTranslation& row);

  // The pending records, oldest first.
  StatusOr<std::vector<NewTranslation>> ReadAll();

  // Removes the `n` oldest records (they were replayed): the remaining ones are written to
  // "<path>.tmp", synced and renamed over the journal, so a crash leaves either the old or the new file.
  Status DropFirst(size_t n);

  size_t pending() const;
  const std::string& path() const { return path_; }

 private:
  Journal(std::string path, int fd);
  // Reads records from the open file; stops at the first damaged one. `valid_end` is the offset after the
  // last good record.
  Status Scan(std::vector<NewTranslation>* rows, uint64_t* valid_end, std::string* damage);

  const std::string path_;
  int fd_;
  mutable std::mutex mu_;
  size_t pending_ = 0;
  uint64_t size_ = 0;  // bytes of valid data (header + whole records)
};

}  // namespace dolmetsch::store
