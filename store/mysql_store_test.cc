// MariaDB-specific behaviour (the shared contract is in store_conformance_test.cc). Needs a server:
// run under scripts/with-mariadb; without DOLMETSCH_TEST_MYSQL_URL every test here is skipped.
#include "store/mysql_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "store/sqlite_store.h"  // kSchemaVersion
#include "store/store_test_helpers.h"

namespace dolmetsch::store {
namespace {

using testing::ScratchDatabase;
using testing::TempDir;

#define REQUIRE_MYSQL()                                     \
  auto mysql_cfg = testing::TestMysqlConfig();              \
  if (!mysql_cfg) GTEST_SKIP() << testing::kNoMysqlMessage; \
  ScratchDatabase db(*mysql_cfg);                           \
  ASSERT_EQ(db.error(), "")

StoreOptions OptionsFor(const ScratchDatabase& db) {
  StoreOptions o;
  o.url = db.Url();
  o.env = db.EnvWithPassword();
  return o;
}

NewTranslation Row(const std::string& de, const std::string& en) {
  NewTranslation r;
  r.text_de = de;
  r.text_en = en;
  r.owner = "o";
  return r;
}

std::string ShowCreate(const ScratchDatabase& db, const std::string& table = "translations") {
  MYSQL* m = mysql_init(nullptr);
  const MysqlConfig& c = db.config();
  std::string out;
  if (mysql_real_connect(m, c.host.c_str(), c.user.c_str(), c.password.c_str(), db.name().c_str(),
                         static_cast<unsigned>(c.port), nullptr, 0) &&
      mysql_query(m, ("SHOW CREATE TABLE " + table).c_str()) == 0) {
    MYSQL_RES* res = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(res);
    if (row && row[1]) out = row[1];
    mysql_free_result(res);
  }
  mysql_close(m);
  // Drop " AUTO_INCREMENT=<n>": it depends on the rows inserted, not on the schema.
  const size_t at = out.find(" AUTO_INCREMENT=");
  if (at != std::string::npos) {
    size_t end = at + 16;
    while (end < out.size() && out[end] >= '0' && out[end] <= '9') ++end;
    out.erase(at, end - at);
  }
  return out;
}

int FreeClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST(MysqlStoreTest, InitdbSchemaFileThenMigrateGivesTheSameTable) {
  REQUIRE_MYSQL();
  const std::string sql =
      testing::ReadFile(std::string(DOLMETSCH_SOURCE_DIR) + "/deploy/initdb/001-schema.sql");
  ASSERT_FALSE(sql.empty()) << "deploy/initdb/001-schema.sql missing";
  ASSERT_EQ(db.Exec(sql), "");
  {
    auto store = OpenStore(OptionsFor(db));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto ins = (*store)->Insert(Row("Vom Init-Skript", "from the init script"));
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
    Query q;
    q.search = "skript";
    EXPECT_EQ(*(*store)->Count(q), 1);
  }
  EXPECT_EQ(db.Scalar("SELECT GROUP_CONCAT(version) FROM schema_version"), std::to_string(kSchemaVersion));

  ScratchDatabase fresh(*mysql_cfg);
  ASSERT_EQ(fresh.error(), "");
  auto store = OpenStore(OptionsFor(fresh));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string from_file = ShowCreate(db);
  ASSERT_FALSE(from_file.empty());
  EXPECT_EQ(from_file, ShowCreate(fresh)) << "001-schema.sql and kCreateTranslations disagree";
  for (const char* table : {"jobs", "job_units", "job_files"}) {
    EXPECT_FALSE(ShowCreate(db, table).empty()) << table;
    EXPECT_EQ(ShowCreate(db, table), ShowCreate(fresh, table))
        << "001-schema.sql and the " << table << " table of mysql_store.cc disagree";
  }
}

TEST(MysqlStoreTest, KubernetesCopyOfTheInitdbFileIsIdentical) {
  // k8s/base/initdb/ holds a copy (kustomize cannot load files from outside its folder): keep them equal.
  const std::string root = DOLMETSCH_SOURCE_DIR;
  const std::string copy = testing::ReadFile(root + "/k8s/base/initdb/001-schema.sql");
  if (copy.empty()) GTEST_SKIP() << "no k8s/base/initdb/001-schema.sql";
  EXPECT_EQ(copy, testing::ReadFile(root + "/deploy/initdb/001-schema.sql"))
      << "k8s/base/initdb/001-schema.sql differs from deploy/initdb/001-schema.sql; copy it over";
}

TEST(MysqlStoreTest, UpgradesALatin1MyisamOriginalTable) {
  REQUIRE_MYSQL();
  ASSERT_EQ(
      db.Exec("CREATE TABLE translations (id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, "
              "text_de LONGTEXT, text_en LONGTEXT) ENGINE=MyISAM DEFAULT CHARSET=latin1;\n"
              "INSERT INTO translations (text_de, text_en) VALUES ('Größe und Maß', 'size and measure')"),
      "");
  auto store = OpenStore(OptionsFor(db));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto old_row = (*store)->Get(1, std::string(""));
  ASSERT_TRUE(old_row.ok()) << old_row.status().ToString();
  EXPECT_EQ(old_row->text_de, "Größe und Maß");
  EXPECT_EQ(db.Scalar("SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND "
                      "TABLE_NAME = 'translations'"),
            "InnoDB");
  auto emoji = (*store)->Insert(Row("Grinsen 😀", "grin 😀"));
  ASSERT_TRUE(emoji.ok()) << emoji.status().ToString();
  EXPECT_EQ((*store)->Get(emoji->id, std::nullopt)->text_de, "Grinsen 😀");
  Query q;
  q.search = "größe";
  EXPECT_EQ(*(*store)->Count(q), 1);
}

TEST(MysqlStoreTest, ReconnectsAfterTheServerKillsItsConnections) {
  REQUIRE_MYSQL();
  StoreOptions o = OptionsFor(db);
  o.mysql_pool_size = 3;
  auto store = OpenStore(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Insert(Row("vorher", "before")).ok());
  {  // concurrent readers fill the pool with several connections
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
      readers.emplace_back([&] {
        for (int i = 0; i < 50; ++i) (void)(*store)->Count(Query{});
      });
    }
    for (auto& r : readers) r.join();
  }
  // Kill every connection the store holds (as a server restart or wait_timeout would).
  const std::string ids =
      db.Scalar("SELECT GROUP_CONCAT(ID) FROM information_schema.PROCESSLIST WHERE DB = '" + db.name() +
                "' AND ID <> CONNECTION_ID()");
  ASSERT_FALSE(ids.empty());
  std::string kill;
  size_t start = 0;
  while (start <= ids.size()) {
    size_t comma = ids.find(',', start);
    if (comma == std::string::npos) comma = ids.size();
    kill += "KILL CONNECTION " + ids.substr(start, comma - start) + ";\n";
    start = comma + 1;
  }
  ASSERT_NE(ids.find(','), std::string::npos) << "expected several pooled connections, got " << ids;
  ASSERT_EQ(db.Exec(kill), "");
  // Every call after the kill succeeds: a stale connection is retried once on a fresh one, and the
  // other stale ones are dropped rather than tried one by one.
  for (int i = 0; i < 4; ++i) {
    auto count = (*store)->Count(Query{});
    EXPECT_TRUE(count.ok()) << "call " << i << ": " << count.status().ToString();
  }
  auto ins = (*store)->Insert(Row("nachher", "after"));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_TRUE((*store)->Ping().ok());
  EXPECT_EQ(*(*store)->Count(Query{}), 2);
}

TEST(MysqlStoreTest, UnreachableServerIsUnavailableOrJournaled) {
  TempDir dir;
  StoreOptions o;
  o.url = "mysql://nobody@127.0.0.1:" + std::to_string(FreeClosedPort()) + "/translation";
  o.env = [](const std::string&) { return std::optional<std::string>(); };
  o.mysql_connect_timeout_seconds = 2;
  auto plain = OpenStore(o);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Status::Code::kUnavailable) << plain.status().ToString();
  EXPECT_NE(plain.status().message().find("127.0.0.1"), std::string::npos);

  o.journal_path = dir.File("journal");
  auto journaled = OpenStore(o);
  ASSERT_TRUE(journaled.ok()) << journaled.status().ToString();
  EXPECT_EQ((*journaled)->BackendName(), "journaled(mysql)");
  auto ins = (*journaled)->Insert(Row("später", "later"));
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  EXPECT_TRUE(ins->journaled);
  EXPECT_EQ((*journaled)->PendingJournalRecords(), 1);
  EXPECT_EQ((*journaled)->List(Query{}).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ((*journaled)->Ping().code(), Status::Code::kUnavailable);
}

TEST(MysqlStoreTest, WrongPasswordOrUnknownDatabaseIsAConfigurationError) {
  REQUIRE_MYSQL();
  TempDir dir;
  StoreOptions o = OptionsFor(db);
  o.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "DB_PASSWORD") return std::string("definitely-wrong");
    return std::nullopt;
  };
  o.journal_path = dir.File("journal");  // even with a journal: a misconfiguration must not start silently
  auto s = OpenStore(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument) << s.status().ToString();
  EXPECT_NE(s.status().message().find("Access denied"), std::string::npos) << s.status().ToString();
  EXPECT_EQ(s.status().message().find("definitely-wrong"), std::string::npos) << "password leaked";

  StoreOptions nodb = OptionsFor(db);
  nodb.url = "mysql://" + db.config().user + "@" + db.config().host + ":" + std::to_string(db.config().port) +
             "/no_such_database_here";
  auto s2 = OpenStore(nodb);
  ASSERT_FALSE(s2.ok());
  EXPECT_EQ(s2.status().code(), Status::Code::kInvalidArgument) << s2.status().ToString();
}

TEST(MysqlStoreTest, ShortWordsAndWildcardsUseEscapedLike) {
  REQUIRE_MYSQL();
  auto store = OpenStore(OptionsFor(db));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Insert(Row("Er ist da.", "He is there.")).ok());
  ASSERT_TRUE((*store)->Insert(Row("Es regnet.", "It rains.")).ok());
  ASSERT_TRUE((*store)->Insert(Row("50% Rabatt", "50% off")).ok());
  Query q;
  q.search = "er";  // 2 characters: LIKE, a substring match ("Er", "there")
  EXPECT_EQ(*(*store)->Count(q), 1);
  q.search = "es it";
  EXPECT_EQ(*(*store)->Count(q), 1);
  q.search = "rabatt";  // ≥ 3 characters: FULLTEXT
  EXPECT_EQ(*(*store)->Count(q), 1);
  q.search = "50";  // the '%' and '_' next to it are never wildcards
  EXPECT_EQ(*(*store)->Count(q), 1);
  EXPECT_TRUE(IsInnodbStopword("und"));
  EXPECT_FALSE(IsInnodbStopword("hund"));
}

// Stops and restarts a private MariaDB instance while a writer inserts rows through a journaled store;
// afterwards every row must be in the database exactly once.
TEST(MysqlStoreTest, ServerStoppedAndKilledDuringInsertsLosesNothing) {
  auto ctl = testing::Env("DOLMETSCH_TEST_MYSQL_CTL");
  if (!ctl) GTEST_SKIP() << "DOLMETSCH_TEST_MYSQL_CTL is not set (run under scripts/with-mariadb)";
  TempDir dir;
  const std::string inst = dir.File("mariadb");
  auto run = [&](const std::string& verb) {
    return std::system((*ctl + " ctl " + verb + " " + inst).c_str());
  };
  ASSERT_EQ(run("init"), 0);
  struct Destroy {
    std::function<void()> f;
    ~Destroy() { f(); }
  } destroy{[&] { run("destroy"); }};

  const std::string password = testing::ReadFile(inst + "/password");
  StoreOptions o;
  o.url = testing::ReadFile(inst + "/url");
  o.env = [password](const std::string& name) -> std::optional<std::string> {
    if (name == "DB_PASSWORD") return password;
    return std::nullopt;
  };
  o.journal_path = dir.File("journal");
  o.journal_retry_interval_ms = 200;
  o.mysql_connect_timeout_seconds = 2;
  o.mysql_io_timeout_seconds = 5;
  auto opened = OpenStore(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  TranslationStore& store = **opened;

  constexpr int kRows = 400;
  std::atomic<int> done{0}, journaled{0}, errors{0};
  std::thread writer([&] {
    for (int i = 0; i < kRows; ++i) {
      NewTranslation r = Row("Zeile " + std::to_string(i), "line " + std::to_string(i));
      r.client_key = "row-" + std::to_string(i);
      auto res = store.Insert(r);
      if (!res.ok()) {
        ++errors;
      } else if (res->journaled) {
        ++journaled;
      }
      done = i + 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  auto wait_for = [&](int n) {
    for (int i = 0; i < 6000 && done.load() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  wait_for(50);
  EXPECT_EQ(run("stop"), 0);
  wait_for(120);
  EXPECT_EQ(run("start"), 0);
  wait_for(220);
  EXPECT_EQ(run("kill"), 0);
  wait_for(280);
  EXPECT_EQ(run("start"), 0);
  writer.join();

  for (int i = 0; i < 600 && store.PendingJournalRecords() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(journaled.load(), 0) << "the outage never reached the journal; the test proved nothing";
  EXPECT_EQ(store.PendingJournalRecords(), 0);
  auto count = store.Count(Query{});
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, kRows);
  Query all;
  all.limit = kMaxListLimit;
  auto page = store.List(all);
  ASSERT_TRUE(page.ok());
  std::set<std::string> keys;
  for (const auto& rec : page->items) keys.insert(rec.client_key);
  EXPECT_EQ(keys.size(), static_cast<size_t>(kRows)) << "a row is missing or duplicated";
  for (int i = 0; i < kRows; ++i) EXPECT_TRUE(keys.count("row-" + std::to_string(i))) << i;
  std::cout << "[ figures  ] " << journaled.load() << " of " << kRows << " rows went through the journal\n";
}

}  // namespace
}  // namespace dolmetsch::store
