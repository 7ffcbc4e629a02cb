// Test helpers for the store tests (header-only, used by *_test.cc only): temporary directories, a
// scratch database per test on the MariaDB server named by DOLMETSCH_TEST_MYSQL_URL (scripts/with-mariadb
// sets it), and raw SQL for setting up "original app" tables.
#pragma once

#include <mysql.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "store/db_url.h"
#include "store/store_util.h"

namespace dolmetsch::store::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dolmetsch-store-test.XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

inline constexpr const char* kNoMysqlMessage =
    "DOLMETSCH_TEST_MYSQL_URL is not set: MariaDB tests skipped (run them with scripts/with-mariadb "
    "build/<dir>/store/store_tests)";

// Connection settings of the test server (from DOLMETSCH_TEST_MYSQL_URL and DB_PASSWORD), or nullopt.
inline std::optional<MysqlConfig> TestMysqlConfig() {
  auto url_text = Env("DOLMETSCH_TEST_MYSQL_URL");
  if (!url_text) return std::nullopt;
  auto url = ParseDbUrl(*url_text);
  if (!url.ok()) return std::nullopt;
  auto cfg = ResolveMysqlConfig(*url, {});
  if (!cfg.ok()) return std::nullopt;
  return *cfg;
}

// Runs SQL statements separated by ";\n" on a fresh connection. Returns "" or the first error.
inline std::string MysqlExec(const MysqlConfig& cfg, const std::string& database, const std::string& script) {
  MYSQL* m = mysql_init(nullptr);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(m, cfg.host.c_str(), cfg.user.c_str(), cfg.password.c_str(),
                          database.empty() ? nullptr : database.c_str(), static_cast<unsigned>(cfg.port),
                          cfg.socket.empty() ? nullptr : cfg.socket.c_str(), 0)) {
    std::string err = mysql_error(m);
    mysql_close(m);
    return "connect: " + err;
  }
  std::string error;
  size_t pos = 0;
  while (pos < script.size() && error.empty()) {
    size_t end = script.find(";\n", pos);
    if (end == std::string::npos) end = script.size();
    std::string stmt = script.substr(pos, end - pos);
    pos = end + 2;
    // Skip statements that are only comments/whitespace.
    std::string code;
    size_t line_start = 0;
    while (line_start < stmt.size()) {
      size_t nl = stmt.find('\n', line_start);
      if (nl == std::string::npos) nl = stmt.size();
      std::string line = stmt.substr(line_start, nl - line_start);
      if (line.rfind("--", 0) != 0) code += line + "\n";
      line_start = nl + 1;
    }
    if (code.find_first_not_of(" \t\r\n;") == std::string::npos) continue;
    if (mysql_real_query(m, code.data(), code.size()) != 0) {
      error = std::string(mysql_error(m)) + " in: " + code.substr(0, 120);
    } else {
      MYSQL_RES* res = mysql_store_result(m);
      if (res) mysql_free_result(res);
    }
  }
  mysql_close(m);
  return error;
}

// Runs a query returning one string value (first column of first row); "" when none.
inline std::string MysqlScalar(const MysqlConfig& cfg, const std::string& database, const std::string& sql) {
  MYSQL* m = mysql_init(nullptr);
  std::string out;
  if (mysql_real_connect(m, cfg.host.c_str(), cfg.user.c_str(), cfg.password.c_str(), database.c_str(),
                         static_cast<unsigned>(cfg.port), cfg.socket.empty() ? nullptr : cfg.socket.c_str(),
                         0) &&
      mysql_real_query(m, sql.data(), sql.size()) == 0) {
    MYSQL_RES* res = mysql_store_result(m);
    if (res) {
      MYSQL_ROW row = mysql_fetch_row(res);
      unsigned long* lengths = mysql_fetch_lengths(res);
      if (row && row[0]) out.assign(row[0], lengths[0]);
      mysql_free_result(res);
    }
  } else {
    out = "ERROR: " + std::string(mysql_error(m));
  }
  mysql_close(m);
  return out;
}

// A database created for one test and dropped afterwards (tests may run in parallel processes).
class ScratchDatabase {
 public:
  explicit ScratchDatabase(MysqlConfig cfg) : cfg_(std::move(cfg)) {
    static std::atomic<int> counter{0};
    name_ = "dm_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            NewUuidV4().substr(0, 8);
    error_ =
        MysqlExec(cfg_, "", "CREATE DATABASE " + name_ + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    cfg_.database = name_;
  }
  ~ScratchDatabase() { MysqlExec(cfg_, "", "DROP DATABASE IF EXISTS " + name_); }
  const std::string& error() const { return error_; }
  const MysqlConfig& config() const { return cfg_; }
  const std::string& name() const { return name_; }
  std::string Exec(const std::string& sql) const { return MysqlExec(cfg_, name_, sql); }
  std::string Scalar(const std::string& sql) const { return MysqlScalar(cfg_, name_, sql); }
  // URL for OpenStore; the password travels through the env lookup below.
  std::string Url() const {
    return "mysql://" + cfg_.user + "@" + cfg_.host + ":" + std::to_string(cfg_.port) + "/" + name_;
  }
  EnvLookup EnvWithPassword() const {
    std::string pw = cfg_.password;
    return [pw](const std::string& name) -> std::optional<std::string> {
      if (name == "DB_PASSWORD") return pw;
      return std::nullopt;
    };
  }

 private:
  MysqlConfig cfg_;
  std::string name_;
  std::string error_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

}  // namespace dolmetsch::store::testing
