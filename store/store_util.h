// Small helpers of the store component: UUIDs for idempotency keys, UTF-8 validation, CRC-32, input checks.
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/translation_store.h"
#include "util/status.h"

namespace dolmetsch::store {

// A random (version 4) UUID in canonical lower-case form, e.g. "1b4e28ba-2fa1-41d2-883f-0016d3cca427".
std::string NewUuidV4();

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320; the zlib/PNG one). Crc32("123456789") == 0xCBF43926.
uint32_t Crc32(const void* data, size_t size, uint32_t crc = 0);

// Checks a row before any backend sees it: UTF-8, length limits, client_key characters ([A-Za-z0-9_-]).
Status ValidateNewTranslation(const NewTranslation& row);
// kInvalidArgument unless `code` is a language code (translation_store.h, kMaxLanguageBytes); `what` names
// the field in the message ("source language").
Status ValidateLanguageCode(const std::string& code, const char* what);

// Validates the list/count query (limit range, offset >= 0, before_id > 0, search UTF-8).
Status ValidateQuery(const Query& query, bool for_count);

// The words of a search string: maximal runs of letters and digits (every non-ASCII byte counts as a letter,
// so umlauts stay inside words); ASCII punctuation and whitespace separate. At most 16 words are kept.
std::vector<std::string> SplitSearchWords(std::string_view search);

// `s` with the LIKE wildcards escaped for `LIKE ? ESCAPE '!'`: '!' -> "!!", '%' -> "!%", '_' -> "!_".
std::string EscapeLike(std::string_view s);

// Number of Unicode code points in valid UTF-8 `s`.
size_t Utf8Length(std::string_view s);

// Seconds since the epoch, now.
int64_t UnixNow();
// Milliseconds since the epoch, now (job leases).
int64_t UnixNowMs();

}  // namespace dolmetsch::store
