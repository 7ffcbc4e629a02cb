// SQLite-specific behaviour; the shared contract is in store_conformance_test.cc.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/journaled_store.h"
#include "store/store_test_helpers.h"

namespace dolmetsch::store {
namespace {

using testing::TempDir;

std::string RawScalar(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, UsesWalModeAndRecordsTheSchemaVersion) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("h.db"), 1000);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(RawScalar(dir.File("h.db"), "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawScalar(dir.File("h.db"), "SELECT version FROM schema_version"),
            std::to_string(kSchemaVersion));
  EXPECT_EQ(RawScalar(dir.File("h.db"), "SELECT count(*) FROM sqlite_master WHERE name = 'translations_fts'"),
            "1");
}

TEST(SqliteStoreTest, InMemoryDatabaseWorks) {
  StoreOptions o;
  o.url = "sqlite://:memory:";
  auto store = OpenStore(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  NewTranslation r;
  r.text_de = "Hallo";
  ASSERT_TRUE((*store)->Insert(r).ok());
  EXPECT_EQ(*(*store)->Count(Query{}), 1);
}

TEST(SqliteStoreTest, UnopenablePathIsAnIoErrorNamingThePath) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("missing/dir/h.db"), 1000);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kIoError);
  EXPECT_NE(store.status().message().find("missing/dir/h.db"), std::string::npos)
      << store.status().ToString();
}

TEST(SqliteStoreTest, AFileThatIsNotADatabaseIsCorruption) {
  TempDir dir;
  testing::WriteFile(dir.File("h.db"), std::string(8192, 'x'));
  auto store = OpenSqliteStore(dir.File("h.db"), 1000);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption) << store.status().ToString();
}

TEST(SqliteStoreTest, ForeignTableNamedTranslationsIsRefused) {
  TempDir dir;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("h.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE translations(a, b)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = OpenSqliteStore(dir.File("h.db"), 1000);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("lacks id/text_de/text_en"), std::string::npos);
}

TEST(SqliteStoreTest, LockHeldByAnotherProcessIsUnavailableAndGetsJournaled) {
  TempDir dir;
  auto inner = OpenSqliteStore(dir.File("h.db"), 50);
  ASSERT_TRUE(inner.ok());
  // Another connection (as another process would) holds the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir.File("h.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  NewTranslation r;
  r.text_de = "gesperrt";
  auto direct = (*inner)->Insert(r);
  EXPECT_EQ(direct.status().code(), Status::Code::kUnavailable) << direct.status().ToString();

  JournaledStoreOptions o;
  o.journal_path = dir.File("journal");
  o.start_replay_thread = false;
  auto journaled = OpenJournaledStore(std::move(inner).value(), o);
  ASSERT_TRUE(journaled.ok());
  auto* js = static_cast<JournaledStore*>(journaled->get());
  auto res = js->Insert(r);
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_TRUE(res->journaled);
  EXPECT_EQ(js->Flush().code(), Status::Code::kUnavailable);
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  ASSERT_TRUE(js->Flush().ok());
  EXPECT_EQ(*js->Count(Query{}), 1);
}

TEST(SqliteStoreTest, TwoStoresOnOneFileSeeEachOthersRows) {
  TempDir dir;
  auto a = OpenSqliteStore(dir.File("h.db"), 2000);
  auto b = OpenSqliteStore(dir.File("h.db"), 2000);
  ASSERT_TRUE(a.ok() && b.ok());
  NewTranslation r;
  r.text_de = "geteilt";
  auto ins = (*a)->Insert(r);
  ASSERT_TRUE(ins.ok());
  auto got = (*b)->Get(ins->id, std::nullopt);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text_de, "geteilt");
}

}  // namespace
}  // namespace dolmetsch::store
