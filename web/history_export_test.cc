#include "web/history_export.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dolmetsch::web {
namespace {

store::TranslationRecord Row(int64_t id, std::string de, std::string en) {
  store::TranslationRecord row;
  row.id = id;
  row.text_de = std::move(de);
  row.text_en = std::move(en);
  row.model = "opus-mt-de-en";
  row.created_at_unix = 1700000000;
  row.owner = "secret-owner-id";
  return row;
}

TEST(CsvCellTest, QuotesAndDoublesQuotes) {
  EXPECT_EQ(CsvCell("plain"), "\"plain\"");
  EXPECT_EQ(CsvCell("say \"hi\", ok\nnext"), "\"say \"\"hi\"\", ok\nnext\"");
  EXPECT_EQ(CsvCell(""), "\"\"");
}

TEST(CsvCellTest, GuardsAgainstFormulaInjection) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
  EXPECT_EQ(CsvCell("+1"), "\"'+1\"");
  EXPECT_EQ(CsvCell("-2+3"), "\"'-2+3\"");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "\"'@SUM(A1)\"");
  EXPECT_EQ(CsvCell("\t=1"), "\"'\t=1\"");
  EXPECT_EQ(CsvCell("a=1"), "\"a=1\"");  // only the first character matters
}

TEST(HistoryCsvTest, HasHeaderBomAndCrlfRows) {
  std::string csv =
      HistoryToCsv({Row(2, "Hallo, \"Welt\"", "=cmd|' /C calc'!A0"), Row(1, "Zeile 1\nZeile 2", "x")});
  EXPECT_EQ(
      csv.rfind(
          "\xEF\xBB\xBF\"id\",\"created_at\",\"model\",\"text_de\",\"text_en\",\"source\",\"target\"\r\n", 0),
      0u);
  EXPECT_NE(csv.find("\"2\",\"2023-11-14T22:13:20Z\",\"opus-mt-de-en\",\"Hallo, \"\"Welt\"\"\",\"'=cmd|' /C "
                     "calc'!A0\",\"de\",\"en\"\r\n"),
            std::string::npos);
  EXPECT_NE(csv.find("\"Zeile 1\nZeile 2\""), std::string::npos);
  EXPECT_EQ(csv.find("secret-owner-id"), std::string::npos);
}

TEST(HistoryJsonTest, KeepsTextsVerbatimAndOmitsOwners) {
  std::string text = "<script>alert(1)</script> '; DROP TABLE translations; -- =1+1";
  auto doc = nlohmann::json::parse(HistoryToJson({Row(7, text, "ünicode")}, "q<"));
  EXPECT_EQ(doc["format"], "dolmetsch-history");
  EXPECT_EQ(doc["count"], 1);
  EXPECT_EQ(doc["query"], "q<");
  EXPECT_EQ(doc["translations"][0]["text_de"], text);
  EXPECT_EQ(doc["translations"][0]["text_en"], "ünicode");
  EXPECT_EQ(doc["translations"][0]["id"], 7);
  EXPECT_EQ(doc["translations"][0]["created_at"], "2023-11-14T22:13:20Z");
  EXPECT_FALSE(doc["translations"][0].contains("owner"));
  EXPECT_EQ(doc["translations"][0]["source"], "de");  // a row with the default (NULL-stored) pair
  EXPECT_EQ(doc["translations"][0]["target"], "en");
}

TEST(HistoryExportTest, NamesEachRowsLanguages) {
  store::TranslationRecord row = Row(3, "Hello", "Hallo");
  row.source_lang = "en";
  row.target_lang = "de";
  EXPECT_NE(HistoryToCsv({row}).find("\"Hello\",\"Hallo\",\"en\",\"de\"\r\n"), std::string::npos);
  auto doc = nlohmann::json::parse(HistoryToJson({row}, ""));
  EXPECT_EQ(doc["translations"][0]["source"], "en");
  EXPECT_EQ(doc["translations"][0]["target"], "de");
}

TEST(HistoryJsonTest, SurvivesInvalidUtf8InStoredRows) {
  auto doc = nlohmann::json::parse(HistoryToJson({Row(1, "bad \xC3", "ok")}, ""));
  EXPECT_EQ(doc["translations"][0]["text_de"], "bad \xEF\xBF\xBD");
}

TEST(FormatIsoTimeTest, FormatsUtc) {
  EXPECT_EQ(FormatIsoTime(0), "");
  EXPECT_EQ(FormatIsoTime(86400), "1970-01-02T00:00:00Z");
}

}  // namespace
}  // namespace dolmetsch::web
