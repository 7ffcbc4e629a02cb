#include "store/db_url.h"

#include <gtest/gtest.h>

#include <map>

#include "store/store_test_helpers.h"

namespace dolmetsch::store {
namespace {

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(DbUrlTest, SqlitePaths) {
  auto abs = ParseDbUrl("sqlite:///var/lib/dolmetsch/history.db");
  ASSERT_TRUE(abs.ok()) << abs.status().ToString();
  EXPECT_EQ(abs->kind, DbUrl::Kind::kSqlite);
  EXPECT_EQ(abs->sqlite_path, "/var/lib/dolmetsch/history.db");
  auto rel = ParseDbUrl("sqlite://data/history.db");
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->sqlite_path, "data/history.db");
  auto mem = ParseDbUrl("SQLite://:memory:");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->sqlite_path, ":memory:");
}

TEST(DbUrlTest, MysqlFullUrl) {
  auto u = ParseDbUrl("mysql://app:p%40ss%3Aw0rd@db.example.org:3307/translation");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->kind, DbUrl::Kind::kMysql);
  EXPECT_EQ(u->user, "app");
  EXPECT_EQ(u->password, "p@ss:w0rd");
  EXPECT_EQ(u->host, "db.example.org");
  EXPECT_EQ(u->port, 3307);
  EXPECT_EQ(u->database, "translation");
  EXPECT_EQ(u->Redacted(), "mysql://app:***@db.example.org:3307/translation");
}

TEST(DbUrlTest, MysqlPartialUrlsAndVariants) {
  auto u = ParseDbUrl("mariadb://db/translation");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->user);
  EXPECT_FALSE(u->port);
  EXPECT_EQ(u->host, "db");
  auto v6 = ParseDbUrl("mysql://me@[::1]:3306/x");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 3306);
  auto sock = ParseDbUrl("mysql://me@/translation?socket=/run/mysqld/mysqld.sock");
  ASSERT_TRUE(sock.ok()) << sock.status().ToString();
  EXPECT_FALSE(sock->host);
  EXPECT_EQ(sock->socket, "/run/mysqld/mysqld.sock");
  auto bare = ParseDbUrl("mysql://");
  ASSERT_TRUE(bare.ok());  // everything from the environment
  EXPECT_FALSE(bare->host);
  EXPECT_FALSE(bare->database);
}

TEST(DbUrlTest, MalformedUrlsAreRejectedWithAReason) {
  const std::string bad[] = {
      "",
      "history.db",
      "/abs/history.db",
      "postgres://u@h/db",
      "sqlite://",
      "sqlite:///",
      "sqlite:///dir/",
      "sqlite:///a.db?mode=ro",
      "mysql://u@h:/db",
      "mysql://u@h:0/db",
      "mysql://u@h:65536/db",
      "mysql://u@h:33x6/db",
      "mysql://u@h:-1/db",
      "mysql://@h/db",
      "mysql://u@h/bad-name",
      "mysql://u@h/db%2",
      "mysql://u@h/db%zz",
      "mysql://u:pw%00@h/db",
      "mysql://u@h/db?ssl=true",
      "mysql://u@h/db?socket=",
      "mysql://u@h/db#frag",
      "mysql://u@[::1/db",
      "mysql://u@[::1]x/db",
      "mysql://u@[]/db",
      "mysql://u@ho st/db",
      "mysql://u@h/db/extra",
      "mysql://u@h/" + std::string(65, 'd'),
      "mysql://u@h/db\n",
  };
  for (const std::string& url : bad) {
    auto u = ParseDbUrl(url);
    EXPECT_FALSE(u.ok()) << "accepted: '" << url << "'";
    if (!u.ok()) {
      EXPECT_EQ(u.status().code(), Status::Code::kInvalidArgument) << url;
      EXPECT_FALSE(u.status().message().empty());
    }
  }
}

TEST(DbUrlTest, ResolveUsesUrlThenDbThenFileThenMysqlThenDefaults) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("pw"), "from-file\n");
  auto url = ParseDbUrl("mysql://");
  ASSERT_TRUE(url.ok());

  auto defaults = ResolveMysqlConfig(*url, FakeEnv({}));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->user, "root");
  EXPECT_EQ(defaults->password, "");
  EXPECT_EQ(defaults->host, "127.0.0.1");
  EXPECT_EQ(defaults->port, 3306);
  EXPECT_EQ(defaults->database, "translation");

  auto k8s = ResolveMysqlConfig(*url, FakeEnv({{"MYSQL_USER", "mu"},
                                               {"MYSQL_PASSWORD", "mp"},
                                               {"MYSQL_HOST", "mysql"},
                                               {"MYSQL_DATABASE", "mdb"},
                                               {"MYSQL_PORT", "tcp://10.0.0.7:3306"}}));
  ASSERT_TRUE(k8s.ok()) << k8s.status().ToString();
  EXPECT_EQ(k8s->user, "mu");
  EXPECT_EQ(k8s->password, "mp");
  EXPECT_EQ(k8s->host, "mysql");
  EXPECT_EQ(k8s->database, "mdb");
  EXPECT_EQ(k8s->port, 3306) << "MYSQL_PORT (a Kubernetes service link) must be ignored";

  auto db_wins = ResolveMysqlConfig(*url, FakeEnv({{"DB_USER", "du"},
                                                   {"MYSQL_USER", "mu"},
                                                   {"DB_PASSWORD_FILE", dir.File("pw")},
                                                   {"MYSQL_PASSWORD", "mp"},
                                                   {"DB_PORT", "3310"},
                                                   {"DB_NAME", "dn"},
                                                   {"DB_HOST", ""}}));
  ASSERT_TRUE(db_wins.ok()) << db_wins.status().ToString();
  EXPECT_EQ(db_wins->user, "du");
  EXPECT_EQ(db_wins->password, "from-file");
  EXPECT_EQ(db_wins->port, 3310);
  EXPECT_EQ(db_wins->database, "dn");
  EXPECT_EQ(db_wins->host, "127.0.0.1") << "an empty variable counts as unset";

  auto url_wins = ParseDbUrl("mysql://uu:up@uh:1234/ud");
  auto cfg =
      ResolveMysqlConfig(*url_wins, FakeEnv({{"DB_USER", "du"}, {"DB_PASSWORD", "dp"}, {"DB_HOST", "dh"}}));
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(cfg->user, "uu");
  EXPECT_EQ(cfg->password, "up");
  EXPECT_EQ(cfg->host, "uh");
  EXPECT_EQ(cfg->port, 1234);
  EXPECT_EQ(cfg->database, "ud");

  auto link = ResolveMysqlConfig(*url, FakeEnv({{"DB_PORT", "tcp://10.0.0.7:3307"}}));
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_EQ(link->port, 3307) << "a Kubernetes service-link DB_PORT gives its port";
  EXPECT_FALSE(ResolveMysqlConfig(*url, FakeEnv({{"DB_PORT", "tcp://10.0.0.7:"}})).ok());

  auto mysql_file = ResolveMysqlConfig(*url, FakeEnv({{"MYSQL_PASSWORD_FILE", dir.File("pw")}}));
  ASSERT_TRUE(mysql_file.ok());
  EXPECT_EQ(mysql_file->password, "from-file");
}

TEST(DbUrlTest, ResolveRejectsConflictingOrBrokenEnvironment) {
  testing::TempDir dir;
  auto url = ParseDbUrl("mysql://");
  ASSERT_TRUE(url.ok());
  auto both =
      ResolveMysqlConfig(*url, FakeEnv({{"DB_PASSWORD", "x"}, {"DB_PASSWORD_FILE", "/etc/hostname"}}));
  EXPECT_EQ(both.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(both.status().message().find("DB_PASSWORD_FILE"), std::string::npos);
  auto missing = ResolveMysqlConfig(*url, FakeEnv({{"DB_PASSWORD_FILE", dir.File("nope")}}));
  EXPECT_EQ(missing.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_EQ(ResolveMysqlConfig(*url, FakeEnv({{"DB_PORT", "http"}})).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ResolveMysqlConfig(*url, FakeEnv({{"DB_NAME", "x; DROP TABLE y"}})).status().code(),
            Status::Code::kInvalidArgument);
  auto sqlite = ParseDbUrl("sqlite:///x.db");
  EXPECT_FALSE(ResolveMysqlConfig(*sqlite, FakeEnv({})).ok());
}

TEST(DbUrlTest, OpenStoreRejectsBadUrlsBeforeTouchingAnything) {
  StoreOptions o;
  o.url = "nonsense";
  auto s = OpenStore(o);
  EXPECT_EQ(s.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace dolmetsch::store
