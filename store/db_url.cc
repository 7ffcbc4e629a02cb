#include "store/db_url.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/percent_encoding.h"

namespace dolmetsch::store {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// util's PercentDecode, with the URL part in its errors; %00 is refused (C strings reach the connector).
StatusOr<std::string> PercentDecode(std::string_view s, const char* what) {
  StatusOr<std::string> out = dolmetsch::PercentDecode(s);
  if (!out.ok()) return Status::InvalidArgument(std::string("database URL: bad %-escape in the ") + what);
  if (out->find('\0') != std::string::npos) {
    return Status::InvalidArgument(std::string("database URL: %00 in the ") + what);
  }
  return out;
}

StatusOr<int> ParsePort(std::string_view s, const std::string& where) {
  if (s.empty() || s.size() > 5) return Status::InvalidArgument(where + ": port must be a number 1..65535");
  int port = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return Status::InvalidArgument(where + ": port must be a number 1..65535, got '" + std::string(s) +
                                     "'");
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535)
    return Status::InvalidArgument(where + ": port must be 1..65535, got " + std::string(s));
  return port;
}

bool IsValidDatabaseName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$')) return false;
  }
  return true;
}

StatusOr<DbUrl> ParseSqlite(std::string_view rest) {
  DbUrl url;
  url.kind = DbUrl::Kind::kSqlite;
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos) {
    return Status::InvalidArgument("database URL: sqlite URLs take no '?' parameters or '#' fragments");
  }
  if (rest.empty() || rest == "/") {
    return Status::InvalidArgument(
        "database URL: sqlite URL without a file path (use sqlite:///abs/path.db or sqlite://relative.db)");
  }
  if (rest.find('\0') != std::string_view::npos) return Status::InvalidArgument("database URL: NUL in path");
  url.sqlite_path = std::string(rest);  // "/abs" (from sqlite:///abs) or "relative" or ":memory:"
  if (url.sqlite_path.back() == '/') {
    return Status::InvalidArgument("database URL: sqlite path '" + url.sqlite_path + "' is a directory");
  }
  return url;
}

StatusOr<DbUrl> ParseMysql(std::string_view rest) {
  DbUrl url;
  url.kind = DbUrl::Kind::kMysql;
  if (rest.find('#') != std::string_view::npos)
    return Status::InvalidArgument("database URL: '#' fragment not allowed");
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view authority = rest;
  std::string_view path;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      DOLMETSCH_ASSIGN_OR_RETURN(std::string pw, PercentDecode(userinfo.substr(colon + 1), "password"));
      url.password = pw;
    }
    if (user.empty()) return Status::InvalidArgument("database URL: empty user name before '@'");
    DOLMETSCH_ASSIGN_OR_RETURN(std::string u, PercentDecode(user, "user name"));
    url.user = u;
  }
  // host[:port], [v6]:port
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::InvalidArgument("database URL: '[' without ']' in host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("database URL: junk after ']' in host");
      port = after.substr(1);
      if (port.empty()) return Status::InvalidArgument("database URL: ':' without a port");
    }
    if (host.empty()) return Status::InvalidArgument("database URL: empty IPv6 host '[]'");
  } else if (auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return Status::InvalidArgument("database URL: ':' without a port");
  }
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':')) {
      return Status::InvalidArgument("database URL: invalid character '" + std::string(1, c) +
                                     "' in host name");
    }
  }
  if (!host.empty()) url.host = std::string(host);
  if (!port.empty()) {
    DOLMETSCH_ASSIGN_OR_RETURN(int p, ParsePort(port, "database URL"));
    url.port = p;
  }
  if (!path.empty()) {
    DOLMETSCH_ASSIGN_OR_RETURN(std::string db, PercentDecode(path, "database name"));
    if (!IsValidDatabaseName(db)) {
      return Status::InvalidArgument("database URL: database name '" + db +
                                     "' must be 1..64 characters of letters, digits, '_' or '$'");
    }
    url.database = db;
  }
  while (!query.empty()) {
    std::string_view param = query.substr(0, query.find('&'));
    query = param.size() == query.size() ? std::string_view() : query.substr(param.size() + 1);
    if (param.empty()) continue;
    auto eq = param.find('=');
    std::string key(param.substr(0, eq));
    if (key != "socket" || eq == std::string_view::npos) {
      return Status::InvalidArgument("database URL: unknown parameter '" + std::string(param) +
                                     "' (only ?socket=/path is supported)");
    }
    DOLMETSCH_ASSIGN_OR_RETURN(std::string sock, PercentDecode(param.substr(eq + 1), "socket path"));
    if (sock.empty()) return Status::InvalidArgument("database URL: empty socket path");
    url.socket = sock;
  }
  return url;
}

std::optional<std::string> DefaultEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

// The value of one setting from the environment, following the documented order; nullopt when unset.
StatusOr<std::optional<std::string>> FromEnv(const EnvLookup& env, const std::string& db_name,
                                             const std::string& mysql_name) {
  for (const std::string& base : {db_name, mysql_name}) {
    if (base.empty()) continue;
    std::optional<std::string> direct = env(base);
    std::optional<std::string> file = env(base + "_FILE");
    if (direct && direct->empty()) direct.reset();
    if (file && file->empty()) file.reset();
    if (direct && file) {
      return Status::InvalidArgument("both " + base + " and " + base + "_FILE are set; set only one");
    }
    if (direct) return std::optional<std::string>(*direct);
    if (file) {
      std::ifstream in(*file, std::ios::binary);
      if (!in) return Status::InvalidArgument(base + "_FILE names '" + *file + "', which cannot be read");
      std::stringstream ss;
      ss << in.rdbuf();
      std::string value = ss.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      return std::optional<std::string>(value);
    }
  }
  return std::optional<std::string>();
}

}  // namespace

std::string DbUrl::Redacted() const {
  if (kind == Kind::kSqlite) return "sqlite://" + sqlite_path;
  std::string out = "mysql://";
  if (user) {
    out += *user;
    if (password) out += ":***";
    out += "@";
  }
  if (host) out += host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  if (port) out += ":" + std::to_string(*port);
  out += "/";
  if (database) out += *database;
  if (socket) out += "?socket=" + *socket;
  return out;
}

StatusOr<DbUrl> ParseDbUrl(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Status::InvalidArgument("database URL '" + std::string(url.substr(0, 40)) +
                                   "' has no scheme; expected sqlite:///path.db or mysql://user@host/db");
  }
  const std::string scheme = Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  for (char c : rest) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("database URL contains a control character");
    }
  }
  if (scheme == "sqlite" || scheme == "sqlite3") return ParseSqlite(rest);
  if (scheme == "mysql" || scheme == "mariadb") return ParseMysql(rest);
  return Status::InvalidArgument("database URL scheme '" + scheme +
                                 "' is not supported (use sqlite, mysql or mariadb)");
}

StatusOr<MysqlConfig> ResolveMysqlConfig(const DbUrl& url, const EnvLookup& env_in) {
  if (url.kind != DbUrl::Kind::kMysql) return Status::InvalidArgument("not a mysql URL");
  const EnvLookup env = env_in ? env_in : EnvLookup(DefaultEnv);
  MysqlConfig cfg;
  // No MYSQL_PORT: Kubernetes sets MYSQL_PORT=tcp://10.0.0.7:3306 in every pod when a Service is named
  // "mysql" (Docker-link style variables), which is not a port number.
  auto pick = [&](const std::optional<std::string>& from_url, const char* db_var, const char* mysql_var,
                  const char* fallback, std::string* out) -> Status {
    if (from_url) {
      *out = *from_url;
      return Status::Ok();
    }
    DOLMETSCH_ASSIGN_OR_RETURN(std::optional<std::string> v, FromEnv(env, db_var, mysql_var));
    *out = v ? *v : fallback;
    return Status::Ok();
  };
  DOLMETSCH_RETURN_IF_ERROR(pick(url.user, "DB_USER", "MYSQL_USER", "root", &cfg.user));
  DOLMETSCH_RETURN_IF_ERROR(pick(url.password, "DB_PASSWORD", "MYSQL_PASSWORD", "", &cfg.password));
  DOLMETSCH_RETURN_IF_ERROR(pick(url.host, "DB_HOST", "MYSQL_HOST", "127.0.0.1", &cfg.host));
  DOLMETSCH_RETURN_IF_ERROR(pick(url.database, "DB_NAME", "MYSQL_DATABASE", "translation", &cfg.database));
  std::string port_text;
  std::optional<std::string> url_port;
  if (url.port) url_port = std::to_string(*url.port);
  DOLMETSCH_RETURN_IF_ERROR(pick(url_port, "DB_PORT", "", "3306", &port_text));
  // A Kubernetes service link (enableServiceLinks, Service named "db") sets DB_PORT=tcp://10.0.0.7:3306;
  // its port is the Service's port, so take that rather than failing.
  if (!url.port && port_text.rfind("tcp://", 0) == 0 && port_text.rfind(':') > 5) {
    port_text = port_text.substr(port_text.rfind(':') + 1);
  }
  DOLMETSCH_ASSIGN_OR_RETURN(cfg.port, ParsePort(port_text, "DB_PORT"));
  if (!IsValidDatabaseName(cfg.database)) {
    return Status::InvalidArgument("database name '" + cfg.database +
                                   "' must be 1..64 characters of letters, digits, '_' or '$'");
  }
  if (url.socket) cfg.socket = *url.socket;
  return cfg;
}

}  // namespace dolmetsch::store
