// Database URLs and the MariaDB/MySQL connection settings derived from a URL plus the environment.
//
//   sqlite:///abs/path.db | sqlite://relative/path.db | sqlite://:memory:
//   mysql://[user[:password]@][host][:port][/database][?socket=/path/to/mysqld.sock]   (or mariadb://)
//
// user, password and database are percent-decoded; host may be an IPv6 literal in brackets. The only query
// parameter is `socket` (mysql). Anything else is kInvalidArgument with a message naming the problem.
// ResolveMysqlConfig fills what the URL leaves out from the environment; the precedence is documented on
// StoreOptions::url in translation_store.h and in docs/store.md.
// Thread-safety: pure functions (ResolveMysqlConfig reads files named by *_FILE variables).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "store/translation_store.h"
#include "util/status.h"

namespace dolmetsch::store {

struct DbUrl {
  enum class Kind { kSqlite, kMysql };
  Kind kind = Kind::kSqlite;
  std::string sqlite_path;  // sqlite: the file path, or ":memory:"
  // mysql: what the URL says (nullopt: not given).
  std::optional<std::string> user;
  std::optional<std::string> password;
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> database;
  std::optional<std::string> socket;

  // The URL with the password replaced by "***"; safe for logs.
  std::string Redacted() const;
};

StatusOr<DbUrl> ParseDbUrl(std::string_view url);

struct MysqlConfig {
  std::string user;
  std::string password;
  std::string host;
  int port = 3306;
  std::string database;
  std::string socket;  // "" : TCP
};

// URL values first, then DB_<X>, DB_<X>_FILE, MYSQL_<X>, MYSQL_<X>_FILE, then defaults (root, "", 127.0.0.1,
// 3306, translation). X: USER, PASSWORD, HOST, PORT (no MYSQL_PORT: Kubernetes sets it to "tcp://ip:port"
// for a Service named mysql), NAME (MYSQL_DATABASE). `env` empty means std::getenv. Empty variables count
// as unset; setting both <V> and <V>_FILE is kInvalidArgument.
StatusOr<MysqlConfig> ResolveMysqlConfig(const DbUrl& url, const EnvLookup& env);

}  // namespace dolmetsch::store
