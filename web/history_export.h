// Export of history rows as CSV and JSON (docs/web.md "Export formats").
//
// CSV: RFC 4180 (comma, CRLF line ends, every cell quoted, '"' doubled), UTF-8 with a byte-order mark so
// that spreadsheet programs detect the encoding. Columns: id, created_at (ISO 8601 UTC, "" when unknown),
// model, text_de, text_en, source, target (the language codes; text_de is in `source`, text_en in
// `target` whatever the pair; rows from before languages were stored say de, en). Against CSV/formula
// injection, a cell that starts with = + - @ (or a tab or carriage return, which some programs skip before
// looking for a formula) gets a leading apostrophe ('), which spreadsheets show as text; the JSON export
// keeps every text verbatim. JSON:
// {"format":"dolmetsch-history","version":1,"query":..,"count":N,"translations":[{id, created_at,
// created_at_unix, model, text_de, text_en, source, target}]}. Owner ids are never exported (in shared mode
// they would let one visitor act as another). Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/translation_store.h"

namespace dolmetsch::web {

// One CSV cell, quoted, with the formula-injection guard.
std::string CsvCell(std::string_view text);

std::string HistoryToCsv(const std::vector<store::TranslationRecord>& rows);
std::string HistoryToJson(const std::vector<store::TranslationRecord>& rows, const std::string& query);

// "2026-11-29T08:00:00Z"; "" for 0.
std::string FormatIsoTime(int64_t unix_seconds);

}  // namespace dolmetsch::web
