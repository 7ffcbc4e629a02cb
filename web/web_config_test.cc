#include "web/web_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>

namespace dolmetsch::web {
namespace {

store::EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ResolveWebOptionsTest, Defaults) {
  auto options = ResolveWebOptions(WebFlags{}, WebDefaults{}, Env({}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->host, "0.0.0.0");
  EXPECT_EQ(options->port, 8080);
  EXPECT_EQ(options->store.url, "sqlite://data/history.db");
  EXPECT_EQ(options->store.journal_path, "data/history.journal");
  EXPECT_EQ(options->history_mode, HistoryMode::kPrivate);
  EXPECT_TRUE(options->secret.empty());
  EXPECT_TRUE(options->jobs.run_workers);
  EXPECT_EQ(options->jobs.workers, 2);
  EXPECT_EQ(options->jobs.lease, std::chrono::milliseconds(30000));
}

TEST(ResolveWebOptionsTest, JobWorkersAndLease) {
  WebFlags flags;
  flags.job_workers = 0;
  flags.job_lease_seconds = 2.5;
  auto options = ResolveWebOptions(flags, WebDefaults{}, Env({}));
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->jobs.run_workers);
  EXPECT_EQ(options->jobs.lease, std::chrono::milliseconds(2500));
  flags.job_workers = 5;
  options = ResolveWebOptions(flags, WebDefaults{}, Env({}));
  EXPECT_TRUE(options->jobs.run_workers);
  EXPECT_EQ(options->jobs.workers, 5);
}

TEST(ResolveWebOptionsTest, FlagsBeatEnvironment) {
  WebFlags flags;
  flags.port = 0;
  flags.db_url = "sqlite:///tmp/x.db";
  flags.translator_url = "http://t:1";
  flags.no_journal = true;
  flags.history_mode = "shared";
  auto options =
      ResolveWebOptions(flags, WebDefaults{},
                        Env({{"DOLMETSCH_DB", "mysql://h/db"}, {"DOLMETSCH_TRANSLATOR_URL", "http://e:2"}}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->port, 0);
  EXPECT_EQ(options->store.url, "sqlite:///tmp/x.db");
  EXPECT_EQ(options->translator.base_url, "http://t:1");
  EXPECT_TRUE(options->store.journal_path.empty());
  EXPECT_EQ(options->history_mode, HistoryMode::kShared);
}

TEST(ResolveWebOptionsTest, OriginalDeploymentVariablesSelectMysql) {
  auto options = ResolveWebOptions(
      WebFlags{}, WebDefaults{},
      Env({{"DB_HOST", "mysql"}, {"DB_USER", "app"}, {"DB_PASSWORD_FILE", "/run/secrets/pw"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->store.url, "mysql://");
  EXPECT_TRUE(static_cast<bool>(options->store.env));
  EXPECT_EQ(options->store.env("DB_USER"), std::optional<std::string>("app"));
}

TEST(ResolveWebOptionsTest, SecretsFromVariablesOrFiles) {
  char path[] = "/tmp/dolmetsch-secret-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string content = "0123456789abcdef0123456789abcdef\n";
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  auto options =
      ResolveWebOptions(WebFlags{}, WebDefaults{},
                        Env({{"DOLMETSCH_SECRET_FILE", path}, {"DOLMETSCH_TRANSLATOR_API_KEY", "k"}}));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(options->translator.api_key, "k");
  EXPECT_FALSE(ResolveWebOptions(WebFlags{}, WebDefaults{},
                                 Env({{"DOLMETSCH_SECRET", "x"}, {"DOLMETSCH_SECRET_FILE", path}}))
                   .ok());
  EXPECT_FALSE(ResolveWebOptions(WebFlags{}, WebDefaults{}, Env({{"DOLMETSCH_SECRET", "short"}})).ok());
  EXPECT_FALSE(
      ResolveWebOptions(WebFlags{}, WebDefaults{}, Env({{"DOLMETSCH_SECRET_FILE", "/nonexistent"}})).ok());
  unlink(path);
}

TEST(ResolveWebOptionsTest, RejectsBadValues) {
  WebFlags bad_db;
  bad_db.db_url = "postgres://x";
  EXPECT_EQ(ResolveWebOptions(bad_db, WebDefaults{}, Env({})).status().code(),
            Status::Code::kInvalidArgument);
  WebFlags bad_mode;
  bad_mode.history_mode = "everyone";
  EXPECT_FALSE(ResolveWebOptions(bad_mode, WebDefaults{}, Env({})).ok());
  WebFlags users_without_mode;
  users_without_mode.users_file = "/etc/htpasswd";
  EXPECT_FALSE(ResolveWebOptions(users_without_mode, WebDefaults{}, Env({})).ok());
}

TEST(ResolveWebOptionsTest, TrustedProxiesFromEnvironmentAndTextLimit) {
  WebFlags flags;
  flags.max_text_chars = 20000000;
  auto options =
      ResolveWebOptions(flags, WebDefaults{}, Env({{"DOLMETSCH_TRUSTED_PROXIES", " 10.0.0.1, ,10.0.0.2"}}));
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->trusted_proxies, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(options->max_text_chars, 20000000u);
  EXPECT_GE(options->max_body_bytes, options->max_text_chars * 6);
}

}  // namespace
}  // namespace dolmetsch::web
