#include "web/history_export.h"

#include <ctime>
#include <nlohmann/json.hpp>

#include "web/html.h"

namespace dolmetsch::web {

std::string CsvCell(std::string_view raw) {
  std::string text = SanitizeUtf8(raw);
  std::string out = "\"";
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' ||
                        text[0] == '\t' || text[0] == '\r')) {
    out += '\'';
  }
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string FormatIsoTime(int64_t unix_seconds) {
  if (unix_seconds <= 0) return "";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return "";
  char buffer[32];
  size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buffer, n);
}

std::string HistoryToCsv(const std::vector<store::TranslationRecord>& rows) {
  std::string out =
      "\xEF\xBB\xBF\"id\",\"created_at\",\"model\",\"text_de\",\"text_en\",\"source\",\"target\"\r\n";
  for (const auto& row : rows) {
    out += CsvCell(std::to_string(row.id)) + "," + CsvCell(FormatIsoTime(row.created_at_unix)) + "," +
           CsvCell(row.model) + "," + CsvCell(row.text_de) + "," + CsvCell(row.text_en) + "," +
           CsvCell(row.source_lang) + "," + CsvCell(row.target_lang) + "\r\n";
  }
  return out;
}

std::string HistoryToJson(const std::vector<store::TranslationRecord>& rows, const std::string& query) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& row : rows) {
    items.push_back({{"id", row.id},
                     {"created_at", FormatIsoTime(row.created_at_unix)},
                     {"created_at_unix", row.created_at_unix},
                     {"model", SanitizeUtf8(row.model)},
                     {"text_de", SanitizeUtf8(row.text_de)},
                     {"text_en", SanitizeUtf8(row.text_en)},
                     {"source", SanitizeUtf8(row.source_lang)},
                     {"target", SanitizeUtf8(row.target_lang)}});
  }
  nlohmann::json doc = {{"format", "dolmetsch-history"},
                        {"version", 1},
                        {"query", SanitizeUtf8(query)},
                        {"count", rows.size()},
                        {"translations", std::move(items)}};
  return doc.dump(2) + "\n";
}

}  // namespace dolmetsch::web
