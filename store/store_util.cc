#include "store/store_util.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include "util/utf8.h"

namespace dolmetsch::store {

std::string NewUuidV4() {
  // One generator per thread, seeded from the OS: no locking, and keys from two threads cannot collide
  // more often than chance.
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return std::string(buf, 36);
}

bool IsValidUtf8(std::string_view s) {
  return ::dolmetsch::IsValidUtf8(s);  // one validator for the project: util/utf8.h
}

uint32_t Crc32(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Status ValidateLanguageCode(const std::string& code, const char* what) {
  bool ok = !code.empty() && code.size() <= kMaxLanguageBytes;
  for (char c : code) {
    ok = ok &&
         ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
  }
  if (!ok) {
    return Status::InvalidArgument(std::string(what) + " must be a language code of 1.." +
                                   std::to_string(kMaxLanguageBytes) +
                                   " ASCII letters, digits, '-' or '_' (like \"de\" or \"zh-Hans\")");
  }
  return Status::Ok();
}

Status ValidateNewTranslation(const NewTranslation& row) {
  DOLMETSCH_RETURN_IF_ERROR(ValidateLanguageCode(row.source_lang, "source language"));
  DOLMETSCH_RETURN_IF_ERROR(ValidateLanguageCode(row.target_lang, "target language"));
  if (!IsValidUtf8(row.text_de)) return Status::InvalidArgument("text_de is not valid UTF-8");
  if (!IsValidUtf8(row.text_en)) return Status::InvalidArgument("text_en is not valid UTF-8");
  if (!IsValidUtf8(row.owner)) return Status::InvalidArgument("owner is not valid UTF-8");
  if (!IsValidUtf8(row.model)) return Status::InvalidArgument("model is not valid UTF-8");
  if (row.owner.size() > kMaxOwnerBytes) {
    return Status::InvalidArgument("owner is " + std::to_string(row.owner.size()) + " bytes, at most " +
                                   std::to_string(kMaxOwnerBytes) + " allowed");
  }
  if (row.model.size() > kMaxModelBytes) {
    return Status::InvalidArgument("model is " + std::to_string(row.model.size()) + " bytes, at most " +
                                   std::to_string(kMaxModelBytes) + " allowed");
  }
  if (row.client_key.size() > kMaxClientKeyBytes) {
    return Status::InvalidArgument("client_key is longer than " + std::to_string(kMaxClientKeyBytes) +
                                   " bytes");
  }
  for (char c : row.client_key) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return Status::InvalidArgument("client_key may only contain letters, digits, '-' and '_'");
  }
  if (row.created_at_unix < 0) return Status::InvalidArgument("created_at_unix is negative");
  if (row.file_name.size() > 255 || !IsValidUtf8(row.file_name)) {
    return Status::InvalidArgument("file_name must be at most 255 bytes of UTF-8");
  }
  return Status::Ok();
}

Status ValidateQuery(const Query& query, bool for_count) {
  if (query.owner && !IsValidUtf8(*query.owner)) return Status::InvalidArgument("owner is not valid UTF-8");
  if (query.owner && query.owner->size() > kMaxOwnerBytes)
    return Status::InvalidArgument("owner is too long");
  if (!IsValidUtf8(query.search)) return Status::InvalidArgument("search is not valid UTF-8");
  if (query.search.size() > 1000) return Status::InvalidArgument("search is longer than 1000 bytes");
  if (for_count) return Status::Ok();
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxListLimit) + ", got " +
                                   std::to_string(query.limit));
  }
  if (query.offset < 0) return Status::InvalidArgument("offset must not be negative");
  if (query.before_id && *query.before_id <= 0) return Status::InvalidArgument("before_id must be positive");
  return Status::Ok();
}

std::vector<std::string> SplitSearchWords(std::string_view search) {
  std::vector<std::string> words;
  std::string current;
  for (char ch : search) {
    const auto c = static_cast<unsigned char>(ch);
    const bool word_char =
        c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word_char) {
      current.push_back(ch);
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  if (words.size() > 16) words.resize(16);
  return words;
}

std::string EscapeLike(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    if (c == '!' || c == '%' || c == '_') out.push_back('!');
    out.push_back(c);
  }
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dolmetsch::store
