// ZipPackage / ZipWriter over libzip's in-memory buffer source: see zip_package.h.
#include "markup/zip_package.h"

#include <zip.h>

#include <cctype>
#include <deque>
#include <set>
#include <utility>

namespace dolmetsch::markup {
namespace {

std::string Quoted(std::string_view name) { return "\"" + std::string(name.substr(0, 200)) + "\""; }

std::string ZipErrorText(zip_error_t* error) { return zip_error_strerror(error); }

// Reads everything a (kept) buffer source holds after zip_close wrote into it.
StatusOr<std::string> ReadSource(zip_source_t* source) {
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(source, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
    return Status::Internal("zip: cannot size the written package: " +
                            ZipErrorText(zip_source_error(source)));
  if (zip_source_open(source) < 0)
    return Status::Internal("zip: cannot read the written package: " +
                            ZipErrorText(zip_source_error(source)));
  std::string out(static_cast<std::size_t>(st.size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const zip_int64_t n = zip_source_read(source, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  zip_source_close(source);
  if (done != out.size()) return Status::Internal("zip: the written package is shorter than its size");
  return out;
}

}  // namespace

Status CheckEntryName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("zip: an entry has an empty name");
  if (name.find('\\') != std::string_view::npos)
    return Status::InvalidArgument("zip: entry " + Quoted(name) + " has a backslash in its name (refused)");
  if (name.front() == '/')
    return Status::InvalidArgument("zip: entry " + Quoted(name) + " has an absolute name (refused)");
  if (name.size() >= 2 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0])))
    return Status::InvalidArgument("zip: entry " + Quoted(name) + " has a drive-letter name (refused)");
  if (name.find('\0') != std::string_view::npos)
    return Status::InvalidArgument("zip: entry " + Quoted(name) + " has a NUL byte in its name (refused)");
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..")
      return Status::InvalidArgument("zip: entry " + Quoted(name) + " has a \"..\" component (refused)");
    start = end + 1;
  }
  return Status::Ok();
}

struct ZipPackage::Impl {
  std::string bytes;  // what the buffer source reads (and libzip writes into a buffer of its own)
  zip_source_t* source = nullptr;
  zip_t* archive = nullptr;
  ZipLimits limits;
  std::deque<std::string> replacements;  // kept alive until zip_close
  ~Impl() {
    if (archive) zip_discard(archive);
    if (source) zip_source_free(source);
  }
};

StatusOr<std::unique_ptr<ZipPackage>> ZipPackage::Open(std::string_view bytes, const ZipLimits& limits) {
  std::unique_ptr<ZipPackage> package(new ZipPackage());
  package->impl_ = std::make_unique<Impl>();
  Impl& impl = *package->impl_;
  impl.limits = limits;
  impl.bytes.assign(bytes);
  zip_error_t error;
  zip_error_init(&error);
  impl.source = zip_source_buffer_create(impl.bytes.data(), impl.bytes.size(), 0, &error);
  if (!impl.source) {
    const std::string text = ZipErrorText(&error);
    zip_error_fini(&error);
    return Status::Internal("zip: " + text);
  }
  zip_source_keep(impl.source);  // ours after zip_close, to read what was written
  impl.archive = zip_open_from_source(impl.source, ZIP_CHECKCONS, &error);
  if (!impl.archive) {
    zip_source_free(impl.source);  // the reference the archive would have taken; ~Impl drops ours
    const std::string text = ZipErrorText(&error);
    zip_error_fini(&error);
    return Status::InvalidArgument("not a readable zip package (" + text + ")");
  }
  zip_error_fini(&error);

  const zip_int64_t count = zip_get_num_entries(impl.archive, 0);
  if (count < 0) return Status::InvalidArgument("zip: cannot count the entries");
  if (static_cast<std::uint64_t>(count) > limits.max_entries)
    return Status::ResourceExhausted("zip: the package has " + std::to_string(count) +
                                     " entries; the limit is " + std::to_string(limits.max_entries));
  std::set<std::string, std::less<>> names;
  std::uint64_t total = 0;
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(impl.archive, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW, &st) < 0 ||
        !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
      return Status::InvalidArgument("zip: entry " + std::to_string(i) +
                                     " cannot be read: " + zip_strerror(impl.archive));
    ZipEntryInfo info;
    info.name = st.name;
    info.size = st.size;
    info.compressed_size = st.comp_size;
    info.stored = (st.valid & ZIP_STAT_COMP_METHOD) && st.comp_method == ZIP_CM_STORE;
    DOLMETSCH_RETURN_IF_ERROR(CheckEntryName(info.name));
    if (!names.insert(info.name).second)
      return Status::InvalidArgument("zip: entry " + Quoted(info.name) + " appears twice");
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
      return Status::Unsupported("zip: entry " + Quoted(info.name) + " is encrypted");
    total += info.size;
    if (total > limits.max_total_uncompressed || total < info.size)
      return Status::ResourceExhausted("zip: the entries unpack to more than " +
                                       std::to_string(limits.max_total_uncompressed) + " bytes (at entry " +
                                       Quoted(info.name) + "); the limit is " +
                                       std::to_string(limits.max_total_uncompressed));
    if (info.size > limits.ratio_check_min_bytes &&
        static_cast<double>(info.size) >
            limits.max_compression_ratio * static_cast<double>(info.compressed_size))
      return Status::ResourceExhausted(
          "zip: entry " + Quoted(info.name) + " unpacks " + std::to_string(info.compressed_size) +
          " bytes to " + std::to_string(info.size) + " (a zip bomb?); the limit is a ratio of " +
          std::to_string(static_cast<long>(limits.max_compression_ratio)) + " for entries over " +
          std::to_string(limits.ratio_check_min_bytes) + " bytes");
    package->entries_.push_back(std::move(info));
  }
  return package;
}

ZipPackage::~ZipPackage() = default;

bool ZipPackage::Has(std::string_view name) const {
  return impl_->archive && zip_name_locate(impl_->archive, std::string(name).c_str(), ZIP_FL_ENC_RAW) >= 0;
}

StatusOr<std::string> ZipPackage::Read(std::string_view name) const {
  if (!impl_->archive) return Status::Internal("zip: the package was already written");
  const std::string n(name);
  const zip_int64_t index = zip_name_locate(impl_->archive, n.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) return Status::NotFound("zip: the package has no entry " + Quoted(name));
  const ZipEntryInfo& info = entries_[static_cast<std::size_t>(index)];
  if (info.size > impl_->limits.max_entry_bytes)
    return Status::ResourceExhausted("zip: entry " + Quoted(name) + " unpacks to " +
                                     std::to_string(info.size) + " bytes; the limit for one entry is " +
                                     std::to_string(impl_->limits.max_entry_bytes));
  zip_file_t* file = zip_fopen_index(impl_->archive, static_cast<zip_uint64_t>(index), 0);
  if (!file)
    return Status::InvalidArgument("zip: entry " + Quoted(name) +
                                   " cannot be opened: " + zip_strerror(impl_->archive));
  std::string out(static_cast<std::size_t>(info.size), '\0');
  std::size_t done = 0;
  Status status;
  for (;;) {
    char extra;
    char* target = done < out.size() ? out.data() + done : &extra;
    const zip_uint64_t want = done < out.size() ? out.size() - done : 1;
    const zip_int64_t n = zip_fread(file, target, want);
    if (n < 0) {
      status = Status::InvalidArgument("zip: entry " + Quoted(name) +
                                       " is damaged: " + zip_error_strerror(zip_file_get_error(file)));
      break;
    }
    if (n == 0) break;
    if (done >= out.size()) {
      status = Status::InvalidArgument("zip: entry " + Quoted(name) + " holds more than its declared " +
                                       std::to_string(info.size) + " bytes (refused)");
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  zip_fclose(file);
  if (!status.ok()) return status;
  if (done != out.size())
    return Status::InvalidArgument("zip: entry " + Quoted(name) + " is truncated (" + std::to_string(done) +
                                   " of " + std::to_string(info.size) + " bytes)");
  return out;
}

Status ZipPackage::Replace(std::string_view name, std::string content) {
  if (!impl_->archive) return Status::Internal("zip: the package was already written");
  const std::string n(name);
  const zip_int64_t index = zip_name_locate(impl_->archive, n.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0) return Status::NotFound("zip: the package has no entry " + Quoted(name));
  zip_stat_t st;
  zip_stat_init(&st);
  zip_stat_index(impl_->archive, static_cast<zip_uint64_t>(index), ZIP_FL_UNCHANGED, &st);
  impl_->replacements.push_back(std::move(content));
  const std::string& data = impl_->replacements.back();
  zip_source_t* source = zip_source_buffer(impl_->archive, data.data(), data.size(), 0);
  if (!source) return Status::Internal("zip: " + std::string(zip_strerror(impl_->archive)));
  if (zip_file_replace(impl_->archive, static_cast<zip_uint64_t>(index), source, 0) < 0) {
    zip_source_free(source);
    return Status::Internal("zip: cannot replace entry " + Quoted(name) + ": " +
                            zip_strerror(impl_->archive));
  }
  const bool stored = entries_[static_cast<std::size_t>(index)].stored;
  zip_set_file_compression(impl_->archive, static_cast<zip_uint64_t>(index),
                           stored ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
  if (st.valid & ZIP_STAT_MTIME)
    zip_file_set_mtime(impl_->archive, static_cast<zip_uint64_t>(index), st.mtime, 0);
  entries_[static_cast<std::size_t>(index)].size = data.size();
  return Status::Ok();
}

StatusOr<std::string> ZipPackage::Write() {
  if (!impl_->archive) return Status::Internal("zip: the package was already written");
  zip_t* archive = impl_->archive;
  impl_->archive = nullptr;
  if (zip_close(archive) < 0) {
    const std::string text = zip_strerror(archive);
    zip_discard(archive);
    return Status::Internal("zip: cannot write the package: " + text);
  }
  return ReadSource(impl_->source);
}

struct ZipWriter::Impl {
  zip_source_t* source = nullptr;
  zip_t* archive = nullptr;
  std::deque<std::string> contents;
  ~Impl() {
    if (archive) zip_discard(archive);
    if (source) zip_source_free(source);
  }
};

ZipWriter::ZipWriter() : impl_(std::make_unique<Impl>()) {
  zip_error_t error;
  zip_error_init(&error);
  impl_->source = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (impl_->source) {
    zip_source_keep(impl_->source);
    impl_->archive = zip_open_from_source(impl_->source, ZIP_TRUNCATE, &error);
  }
  zip_error_fini(&error);
}

ZipWriter::~ZipWriter() = default;

Status ZipWriter::Add(std::string_view name, std::string content, bool stored) {
  DOLMETSCH_RETURN_IF_ERROR(CheckEntryName(name));
  if (!impl_->archive) return Status::Internal("zip: the writer is not open");
  impl_->contents.push_back(std::move(content));
  const std::string& data = impl_->contents.back();
  zip_source_t* source = zip_source_buffer(impl_->archive, data.data(), data.size(), 0);
  if (!source) return Status::Internal("zip: " + std::string(zip_strerror(impl_->archive)));
  const zip_int64_t index = zip_file_add(impl_->archive, std::string(name).c_str(), source, ZIP_FL_ENC_UTF_8);
  if (index < 0) {
    zip_source_free(source);
    return Status::InvalidArgument("zip: cannot add entry " + Quoted(name) + ": " +
                                   zip_strerror(impl_->archive));
  }
  zip_set_file_compression(impl_->archive, static_cast<zip_uint64_t>(index),
                           stored ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0);
  return Status::Ok();
}

StatusOr<std::string> ZipWriter::Finish() {
  if (!impl_->archive) return Status::Internal("zip: the writer is not open");
  zip_t* archive = impl_->archive;
  impl_->archive = nullptr;
  if (zip_close(archive) < 0) {
    const std::string text = zip_strerror(archive);
    zip_discard(archive);
    return Status::Internal("zip: cannot write the archive: " + text);
  }
  return ReadSource(impl_->source);
}

}  // namespace dolmetsch::markup
