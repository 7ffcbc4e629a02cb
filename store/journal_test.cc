#include "store/journal.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store_test_helpers.h"

namespace dolmetsch::store {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

NewTranslation JRow(int i) {
  NewTranslation r;
  r.text_de = "Zeile " + std::to_string(i) + " — Größe";
  r.text_en = "line " + std::to_string(i);
  r.owner = "o" + std::to_string(i % 3);
  r.model = "m";
  r.created_at_unix = 1700000000 + i;
  r.client_key = "key-" + std::to_string(i);
  return r;
}

std::vector<std::string> Keys(const std::vector<NewTranslation>& rows) {
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.client_key);
  return keys;
}

std::unique_ptr<Journal> OpenOrDie(const std::string& path, Journal::OpenReport* report) {
  auto j = Journal::Open(path, report);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? std::move(j).value() : nullptr;
}

std::vector<std::string> AsideFiles(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().find(".corrupt-") != std::string::npos) out.push_back(e.path().string());
  }
  return out;
}

TEST(JournalTest, AppendedRecordsSurviveReopenInOrder) {
  TempDir dir;
  const std::string path = dir.File("journal");
  Journal::OpenReport report;
  {
    auto j = OpenOrDie(path, &report);
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(j->pending(), 0u);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(j->Append(JRow(i)).ok());
    EXPECT_EQ(j->pending(), 5u);
  }
  auto j = OpenOrDie(path, &report);
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(report.warnings.empty());
  EXPECT_EQ(j->pending(), 5u);
  auto rows = j->ReadAll();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 5u);
  EXPECT_EQ((*rows)[3].text_de, JRow(3).text_de);
  EXPECT_EQ((*rows)[3].owner, "o0");
  EXPECT_EQ((*rows)[3].created_at_unix, 1700000003);
  EXPECT_EQ(Keys(*rows), (std::vector<std::string>{"key-0", "key-1", "key-2", "key-3", "key-4"}));
  EXPECT_EQ(ReadFile(path).substr(0, 8), "DMJRNL01");
}

TEST(JournalTest, AnUploadedFilesNameIsKeptAndTextsWriteNoFileField) {
  TempDir dir;
  const std::string path = dir.File("journal");
  Journal::OpenReport report;
  NewTranslation file = JRow(1);
  file.file_name = "Brief über 2026.docx";
  // A text's record is what older versions wrote and read: no "file" field.
  EXPECT_EQ(EncodeJournalRecord(JRow(0)).find("\"file\""), std::string::npos);
  EXPECT_NE(EncodeJournalRecord(file).find("\"file\":\"Brief"), std::string::npos);
  {
    auto j = OpenOrDie(path, &report);
    ASSERT_NE(j, nullptr);
    ASSERT_TRUE(j->Append(JRow(0)).ok());
    ASSERT_TRUE(j->Append(file).ok());
  }
  auto j = OpenOrDie(path, &report);
  ASSERT_NE(j, nullptr);
  auto rows = j->ReadAll();
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].file_name, "");
  EXPECT_EQ((*rows)[1].file_name, "Brief über 2026.docx");
}

TEST(JournalTest, DropFirstRemovesReplayedRecordsAndKeepsAppending) {
  TempDir dir;
  Journal::OpenReport report;
  auto j = OpenOrDie(dir.File("journal"), &report);
  ASSERT_NE(j, nullptr);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(j->Append(JRow(i)).ok());
  ASSERT_TRUE(j->DropFirst(3).ok());
  EXPECT_EQ(j->pending(), 1u);
  ASSERT_TRUE(j->Append(JRow(9)).ok());
  EXPECT_EQ(Keys(*j->ReadAll()), (std::vector<std::string>{"key-3", "key-9"}));
  EXPECT_FALSE(std::filesystem::exists(dir.File("journal.tmp")));
  ASSERT_TRUE(j->DropFirst(2).ok());
  EXPECT_EQ(j->pending(), 0u);
  EXPECT_EQ(std::filesystem::file_size(dir.File("journal")), 8u);
  EXPECT_FALSE(j->DropFirst(1).ok());
  j.reset();
  auto again = OpenOrDie(dir.File("journal"), &report);
  EXPECT_EQ(again->pending(), 0u);
  EXPECT_TRUE(report.warnings.empty());
}

TEST(JournalTest, TruncatedTailIsIgnoredWithAWarningAndEarlierRecordsKept) {
  TempDir dir;
  const std::string path = dir.File("journal");
  Journal::OpenReport report;
  {
    auto j = OpenOrDie(path, &report);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->Append(JRow(i)).ok());
  }
  const std::string full = ReadFile(path);
  // Every cut inside the last record (a crash mid-write) keeps the first two.
  const size_t last_start = full.size() - EncodeJournalRecord(JRow(2)).size();
  for (size_t cut : {last_start + 1, last_start + 4, last_start + 8, last_start + 20, full.size() - 1}) {
    WriteFile(path, full.substr(0, cut));
    Journal::OpenReport r;
    auto j = OpenOrDie(path, &r);
    ASSERT_NE(j, nullptr);
    EXPECT_EQ(Keys(*j->ReadAll()), (std::vector<std::string>{"key-0", "key-1"})) << "cut at " << cut;
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("incomplete last record"), std::string::npos) << r.warnings[0];
    // The tail is cut off, so new records follow the good ones.
    ASSERT_TRUE(j->Append(JRow(7)).ok());
    EXPECT_EQ(Keys(*j->ReadAll()), (std::vector<std::string>{"key-0", "key-1", "key-7"}));
  }
  EXPECT_TRUE(AsideFiles(dir).empty()) << "a torn tail is not corruption worth keeping";
}

TEST(JournalTest, BadChecksumStopsTheScanAndMovesTheRestAside) {
  TempDir dir;
  const std::string path = dir.File("journal");
  Journal::OpenReport report;
  {
    auto j = OpenOrDie(path, &report);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(j->Append(JRow(i)).ok());
  }
  std::string data = ReadFile(path);
  const size_t second = 8 + EncodeJournalRecord(JRow(0)).size();
  data[second + 8 + 10] ^= 0x20;  // flip a bit in the second record's payload
  WriteFile(path, data);
  auto j = OpenOrDie(path, &report);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(Keys(*j->ReadAll()), (std::vector<std::string>{"key-0"}));
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("checksum"), std::string::npos) << report.warnings[0];
  auto aside = AsideFiles(dir);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(aside[0]), data.substr(second)) << "the damaged bytes are kept for a person";
}

TEST(JournalTest, ImpossibleLengthAndBadJsonAreCorruption) {
  TempDir dir;
  const std::string path = dir.File("journal");
  std::string data(kJournalMagic, 8);
  data += EncodeJournalRecord(JRow(0));
  // A frame claiming 4 GiB.
  std::string huge = data + std::string("\xff\xff\xff\xff\0\0\0\0", 8) + "junk";
  WriteFile(path, huge);
  Journal::OpenReport r1;
  auto j1 = OpenOrDie(path, &r1);
  ASSERT_NE(j1, nullptr);
  EXPECT_EQ(j1->pending(), 1u);
  ASSERT_EQ(r1.warnings.size(), 1u);
  EXPECT_NE(r1.warnings[0].find("impossible"), std::string::npos);
  j1.reset();
  // A well-framed record whose payload is not our JSON.
  const std::string payload = "{\"v\":1,\"key\":5}";
  std::string frame;
  const uint32_t len = payload.size();
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  const uint32_t crc = Crc32(payload.data(), payload.size(), Crc32(frame.data(), 4));
  for (int i = 0; i < 4; ++i) frame.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  WriteFile(path, data + frame + payload);
  Journal::OpenReport r2;
  auto j2 = OpenOrDie(path, &r2);
  ASSERT_NE(j2, nullptr);
  EXPECT_EQ(j2->pending(), 1u);
  ASSERT_EQ(r2.warnings.size(), 1u);
  EXPECT_NE(r2.warnings[0].find("undecodable"), std::string::npos) << r2.warnings[0];
}

TEST(JournalTest, GarbageFileIsMovedAsideAndAFreshJournalStarted) {
  TempDir dir;
  const std::string path = dir.File("journal");
  const std::string garbage = "this is not a journal at all, just some text someone put here\n";
  WriteFile(path, garbage);
  Journal::OpenReport report;
  auto j = OpenOrDie(path, &report);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->pending(), 0u);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("not a journal"), std::string::npos);
  auto aside = AsideFiles(dir);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(aside[0]), garbage);
  ASSERT_TRUE(j->Append(JRow(1)).ok());
  EXPECT_EQ(j->pending(), 1u);

  // Shorter than the header and not a prefix of it: also garbage.
  TempDir dir2;
  WriteFile(dir2.File("j"), "xyz");
  Journal::OpenReport r2;
  auto j2 = OpenOrDie(dir2.File("j"), &r2);
  ASSERT_NE(j2, nullptr);
  EXPECT_EQ(r2.warnings.size(), 1u);
  // A torn header (crash while creating): rewritten quietly enough, no data existed.
  WriteFile(dir2.File("k"), "DMJR");
  Journal::OpenReport r3;
  auto j3 = OpenOrDie(dir2.File("k"), &r3);
  ASSERT_NE(j3, nullptr);
  EXPECT_EQ(j3->pending(), 0u);
  EXPECT_EQ(ReadFile(dir2.File("k")), std::string(kJournalMagic, 8));
}

TEST(JournalTest, OneProcessPerJournalAndUnopenablePathsFail) {
  TempDir dir;
  Journal::OpenReport report;
  auto first = OpenOrDie(dir.File("journal"), &report);
  ASSERT_NE(first, nullptr);
  auto second = Journal::Open(dir.File("journal"), &report);
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  auto nowhere = Journal::Open(dir.File("no/such/dir/journal"), &report);
  EXPECT_EQ(nowhere.status().code(), Status::Code::kIoError);
  EXPECT_NE(nowhere.status().message().find("no/such/dir"), std::string::npos);
}

}  // namespace
}  // namespace dolmetsch::store
