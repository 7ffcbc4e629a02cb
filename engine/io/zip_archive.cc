#include "engine/io/zip_archive.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "engine/io/numeric_formats.h"

namespace dolmetsch::engine {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kEnd64Signature = 0x06064b50;
constexpr uint32_t kEnd64LocatorSignature = 0x07064b50;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kEnd64Size = 56;
constexpr size_t kEnd64LocatorSize = 20;
constexpr uint16_t kZip64ExtraId = 0x0001;
// Deflate cannot expand data by more than about 1032:1; a larger claim is a lie we must not allocate for.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string Hex(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 0xf]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

// Fills the zip64 fields of `entry` that the 32-bit header marked as 0xffffffff.
Status ApplyZip64Extra(std::string_view extra, bool need_usize, bool need_csize, bool need_offset,
                       ZipEntry* entry) {
  size_t pos = 0;
  while (pos + 4 <= extra.size()) {
    const uint16_t id = LoadU16(extra.data() + pos);
    const uint16_t size = LoadU16(extra.data() + pos + 2);
    pos += 4;
    if (size > extra.size() - pos) {
      return Status::Corruption("entry '" + entry->name + "': extra field runs past its header");
    }
    if (id == kZip64ExtraId) {
      std::string_view field = extra.substr(pos, size);
      size_t at = 0;
      auto take = [&](uint64_t* out) -> bool {
        if (at + 8 > field.size()) return false;
        *out = LoadU64(field.data() + at);
        at += 8;
        return true;
      };
      if ((need_usize && !take(&entry->uncompressed_size)) ||
          (need_csize && !take(&entry->compressed_size)) ||
          (need_offset && !take(&entry->local_header_offset))) {
        return Status::Corruption("entry '" + entry->name + "': zip64 extra field is too short");
      }
      return Status::Ok();
    }
    pos += size;
  }
  if (need_usize || need_csize || need_offset) {
    return Status::Corruption("entry '" + entry->name +
                              "': sizes say zip64 but there is no zip64 extra field");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ZipReader> ZipReader::Open(std::string_view archive) {
  if (archive.size() < kEndSize) {
    return Status::Corruption("not a zip archive: only " + std::to_string(archive.size()) + " bytes");
  }
  // The end-of-central-directory record sits at the end, followed by a comment of at most 65535 bytes.
  const size_t last = archive.size() - kEndSize;
  const size_t first = last > 0xffff ? last - 0xffff : 0;
  size_t end_pos = std::string_view::npos;
  for (size_t pos = last + 1; pos-- > first;) {
    if (LoadU32(archive.data() + pos) == kEndSignature &&
        pos + kEndSize + LoadU16(archive.data() + pos + 20) <= archive.size()) {
      end_pos = pos;
      break;
    }
  }
  if (end_pos == std::string_view::npos) {
    return Status::Corruption("not a zip archive: no end-of-central-directory record");
  }
  const char* end = archive.data() + end_pos;
  const uint16_t disk = LoadU16(end + 4);
  const uint16_t cd_disk = LoadU16(end + 6);
  uint64_t entry_count = LoadU16(end + 10);
  uint64_t cd_size = LoadU32(end + 12);
  uint64_t cd_offset = LoadU32(end + 16);
  if (disk != 0 || cd_disk != 0 || LoadU16(end + 8) != entry_count) {
    return Status::Unsupported("multi-disk zip archives are not supported");
  }

  // A zip64 locator right before the record points to the zip64 end record, which then wins.
  if (end_pos >= kEnd64LocatorSize &&
      LoadU32(archive.data() + end_pos - kEnd64LocatorSize) == kEnd64LocatorSignature) {
    const char* locator = archive.data() + end_pos - kEnd64LocatorSize;
    const uint64_t end64_offset = LoadU64(locator + 8);
    if (LoadU32(locator + 4) != 0 || LoadU32(locator + 16) > 1) {
      return Status::Unsupported("multi-disk zip64 archives are not supported");
    }
    if (end64_offset > archive.size() || archive.size() - end64_offset < kEnd64Size) {
      return Status::Corruption("zip64 end record offset " + std::to_string(end64_offset) +
                                " is outside the archive");
    }
    const char* end64 = archive.data() + end64_offset;
    if (LoadU32(end64) != kEnd64Signature) {
      return Status::Corruption("zip64 locator does not point to a zip64 end record");
    }
    if (LoadU32(end64 + 16) != 0 || LoadU32(end64 + 20) != 0 || LoadU64(end64 + 24) != LoadU64(end64 + 32)) {
      return Status::Unsupported("multi-disk zip64 archives are not supported");
    }
    entry_count = LoadU64(end64 + 32);
    cd_size = LoadU64(end64 + 40);
    cd_offset = LoadU64(end64 + 48);
  } else if (entry_count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) {
    return Status::Corruption("end record says zip64 but there is no zip64 locator");
  }

  if (cd_offset > archive.size() || cd_size > archive.size() - cd_offset) {
    return Status::Corruption("central directory (offset " + std::to_string(cd_offset) + ", " +
                              std::to_string(cd_size) + " bytes) lies outside the archive of " +
                              std::to_string(archive.size()) + " bytes");
  }
  if (entry_count > cd_size / kCentralHeaderSize) {
    return Status::Corruption("central directory claims " + std::to_string(entry_count) +
                              " entries but has room for at most " +
                              std::to_string(cd_size / kCentralHeaderSize));
  }

  ZipReader reader;
  reader.archive_ = archive;
  reader.entries_.reserve(entry_count);
  std::string_view cd = archive.substr(cd_offset, cd_size);
  size_t pos = 0;
  for (uint64_t i = 0; i < entry_count; ++i) {
    if (cd.size() - pos < kCentralHeaderSize || LoadU32(cd.data() + pos) != kCentralHeaderSignature) {
      return Status::Corruption("central directory entry " + std::to_string(i) + " is damaged or truncated");
    }
    const char* h = cd.data() + pos;
    ZipEntry entry;
    entry.flags = LoadU16(h + 8);
    entry.method = LoadU16(h + 10);
    entry.crc32 = LoadU32(h + 16);
    entry.compressed_size = LoadU32(h + 20);
    entry.uncompressed_size = LoadU32(h + 24);
    const size_t name_len = LoadU16(h + 28);
    const size_t extra_len = LoadU16(h + 30);
    const size_t comment_len = LoadU16(h + 32);
    const uint16_t start_disk = LoadU16(h + 34);
    entry.local_header_offset = LoadU32(h + 42);
    if (cd.size() - pos - kCentralHeaderSize < name_len + extra_len + comment_len) {
      return Status::Corruption("central directory entry " + std::to_string(i) + " runs past the directory");
    }
    entry.name.assign(h + kCentralHeaderSize, name_len);
    std::string_view extra(h + kCentralHeaderSize + name_len, extra_len);
    DOLMETSCH_RETURN_IF_ERROR(ApplyZip64Extra(extra, entry.uncompressed_size == 0xffffffff,
                                              entry.compressed_size == 0xffffffff,
                                              entry.local_header_offset == 0xffffffff, &entry));
    pos += kCentralHeaderSize + name_len + extra_len + comment_len;
    if (start_disk != 0 && start_disk != 0xffff) {
      return Status::Unsupported("entry '" + entry.name + "' is on another disk of a multi-disk archive");
    }
    if (!reader.index_.emplace(entry.name, reader.entries_.size()).second) {
      return Status::Corruption("two entries are named '" + entry.name + "'");
    }
    reader.entries_.push_back(std::move(entry));
  }
  return reader;
}

const ZipEntry* ZipReader::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

StatusOr<std::string_view> ZipReader::Read(const ZipEntry& entry, std::string* scratch) const {
  const std::string where = "entry '" + entry.name + "'";
  if (entry.flags & 0x1) return Status::Unsupported(where + " is encrypted");
  if (entry.method != 0 && entry.method != 8) {
    return Status::Unsupported(where + " uses compression method " + std::to_string(entry.method) +
                               "; only stored (0) and deflate (8) are supported");
  }
  const uint64_t offset = entry.local_header_offset;
  if (offset > archive_.size() || archive_.size() - offset < kLocalHeaderSize) {
    return Status::Corruption(where + ": local header at " + std::to_string(offset) +
                              " is outside the archive");
  }
  const char* local = archive_.data() + offset;
  if (LoadU32(local) != kLocalHeaderSignature) {
    return Status::Corruption(where + ": no local header signature at offset " + std::to_string(offset));
  }
  const uint64_t data_offset = offset + kLocalHeaderSize + LoadU16(local + 26) + LoadU16(local + 28);
  if (data_offset > archive_.size() || archive_.size() - data_offset < entry.compressed_size) {
    return Status::Corruption(where + ": its " + std::to_string(entry.compressed_size) +
                              " bytes of data run past the end of the archive (truncated file?)");
  }
  std::string_view raw = archive_.substr(data_offset, entry.compressed_size);
  std::string_view data;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.uncompressed_size) {
      return Status::Corruption(where + " is stored but its compressed and uncompressed sizes differ");
    }
    data = raw;
  } else {
    if (entry.uncompressed_size / kMaxDeflateRatio > entry.compressed_size + 1) {
      return Status::Corruption(where + " claims " + std::to_string(entry.uncompressed_size) +
                                " bytes from " + std::to_string(entry.compressed_size) +
                                " compressed bytes, more than deflate can produce");
    }
    scratch->assign(entry.uncompressed_size, '\0');
    z_stream stream{};
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) return Status::Internal("zlib inflateInit2 failed");
    // zlib counts in uInt; feed and drain in pieces so entries above 4 GiB work too.
    size_t in_pos = 0, out_pos = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
      const size_t in_chunk = std::min<size_t>(raw.size() - in_pos, std::numeric_limits<uInt>::max());
      const size_t out_chunk = std::min<size_t>(scratch->size() - out_pos, std::numeric_limits<uInt>::max());
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data() + in_pos));
      stream.avail_in = static_cast<uInt>(in_chunk);
      stream.next_out = reinterpret_cast<Bytef*>(scratch->data() + out_pos);
      stream.avail_out = static_cast<uInt>(out_chunk);
      rc = inflate(&stream, Z_NO_FLUSH);
      in_pos += in_chunk - stream.avail_in;
      out_pos += out_chunk - stream.avail_out;
      if (rc == Z_OK && stream.avail_in == in_chunk && stream.avail_out == out_chunk) break;  // no progress
    }
    inflateEnd(&stream);
    if (rc != Z_STREAM_END || out_pos != scratch->size()) {
      return Status::Corruption(where + ": deflate data is damaged or does not give the declared " +
                                std::to_string(entry.uncompressed_size) + " bytes");
    }
    data = *scratch;
  }
  // zlib's crc32 takes uInt lengths; feed large entries in pieces.
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < data.size();) {
    const size_t n = std::min<size_t>(data.size() - done, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + done), static_cast<uInt>(n));
    done += n;
  }
  if (crc != entry.crc32) {
    return Status::Corruption(where + ": CRC-32 " + Hex(crc) + " does not match the recorded " +
                              Hex(entry.crc32));
  }
  return data;
}

void ZipWriter::Add(std::string name, std::string_view data) { entries_.emplace_back(std::move(name), data); }

std::string ZipWriter::Finish() const {
  std::string out;
  std::string central;
  for (const auto& [name, data] : entries_) {
    std::string payload(data);
    uint16_t method = 0;
    if (options_.deflate) {
      z_stream stream{};
      deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
      std::string compressed(deflateBound(&stream, data.size()), '\0');
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
      stream.avail_in = static_cast<uInt>(data.size());
      stream.next_out = reinterpret_cast<Bytef*>(compressed.data());
      stream.avail_out = static_cast<uInt>(compressed.size());
      deflate(&stream, Z_FINISH);
      compressed.resize(stream.total_out);
      deflateEnd(&stream);
      payload = std::move(compressed);
      method = 8;
    }
    const uint32_t crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()),
                               static_cast<uInt>(data.size()));
    const uint64_t offset = out.size();
    const bool z64 = options_.zip64;
    const uint32_t csize32 = z64 ? 0xffffffffu : static_cast<uint32_t>(payload.size());
    const uint32_t usize32 = z64 ? 0xffffffffu : static_cast<uint32_t>(data.size());

    std::string local_extra;
    if (z64) {
      AppendU16(&local_extra, kZip64ExtraId);
      AppendU16(&local_extra, 16);
      AppendU64(&local_extra, data.size());
      AppendU64(&local_extra, payload.size());
    }
    AppendU32(&out, kLocalHeaderSignature);
    AppendU16(&out, z64 ? 45 : 20);
    AppendU16(&out, 0);  // flags
    AppendU16(&out, method);
    AppendU16(&out, 0);  // time
    AppendU16(&out, 0);  // date
    AppendU32(&out, crc);
    AppendU32(&out, csize32);
    AppendU32(&out, usize32);
    AppendU16(&out, static_cast<uint16_t>(name.size()));
    AppendU16(&out, static_cast<uint16_t>(local_extra.size()));
    out += name;
    out += local_extra;
    out += payload;

    std::string central_extra;
    if (z64) {
      AppendU16(&central_extra, kZip64ExtraId);
      AppendU16(&central_extra, 24);
      AppendU64(&central_extra, data.size());
      AppendU64(&central_extra, payload.size());
      AppendU64(&central_extra, offset);
    }
    AppendU32(&central, kCentralHeaderSignature);
    AppendU16(&central, z64 ? 45 : 20);
    AppendU16(&central, z64 ? 45 : 20);
    AppendU16(&central, 0);
    AppendU16(&central, method);
    AppendU16(&central, 0);
    AppendU16(&central, 0);
    AppendU32(&central, crc);
    AppendU32(&central, csize32);
    AppendU32(&central, usize32);
    AppendU16(&central, static_cast<uint16_t>(name.size()));
    AppendU16(&central, static_cast<uint16_t>(central_extra.size()));
    AppendU16(&central, 0);  // comment
    AppendU16(&central, 0);  // disk
    AppendU16(&central, 0);  // internal attributes
    AppendU32(&central, 0);  // external attributes
    AppendU32(&central, z64 ? 0xffffffffu : static_cast<uint32_t>(offset));
    central += name;
    central += central_extra;
  }
  const uint64_t cd_offset = out.size();
  out += central;
  if (options_.zip64) {
    const uint64_t end64_offset = out.size();
    AppendU32(&out, kEnd64Signature);
    AppendU64(&out, kEnd64Size - 12);
    AppendU16(&out, 45);
    AppendU16(&out, 45);
    AppendU32(&out, 0);
    AppendU32(&out, 0);
    AppendU64(&out, entries_.size());
    AppendU64(&out, entries_.size());
    AppendU64(&out, central.size());
    AppendU64(&out, cd_offset);
    AppendU32(&out, kEnd64LocatorSignature);
    AppendU32(&out, 0);
    AppendU64(&out, end64_offset);
    AppendU32(&out, 1);
  }
  AppendU32(&out, kEndSignature);
  AppendU16(&out, 0);
  AppendU16(&out, 0);
  AppendU16(&out, options_.zip64 ? 0xffff : static_cast<uint16_t>(entries_.size()));
  AppendU16(&out, options_.zip64 ? 0xffff : static_cast<uint16_t>(entries_.size()));
  AppendU32(&out, options_.zip64 ? 0xffffffffu : static_cast<uint32_t>(central.size()));
  AppendU32(&out, options_.zip64 ? 0xffffffffu : static_cast<uint32_t>(cd_offset));
  AppendU16(&out, 0);
  return out;
}

}  // namespace dolmetsch::engine
