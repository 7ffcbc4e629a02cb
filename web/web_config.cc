#include "web/web_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/db_url.h"

namespace dolmetsch::web {
namespace {

std::optional<std::string> Lookup(const store::EnvLookup& env, const std::string& name) {
  std::optional<std::string> value;
  if (env) {
    value = env(name);
  } else if (const char* raw = std::getenv(name.c_str())) {
    value = std::string(raw);
  }
  if (value && value->empty()) return std::nullopt;
  return value;
}

StatusOr<std::string> ReadSecretFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + what + " file " + path);
  std::stringstream content;
  content << in.rdbuf();
  std::string value = content.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  if (value.empty()) return Status::InvalidArgument(what + " file " + path + " is empty");
  return value;
}

// VAR or VAR_FILE (not both), or "" when neither is set.
StatusOr<std::string> SecretFromEnv(const store::EnvLookup& env, const std::string& var,
                                    const std::string& what) {
  auto direct = Lookup(env, var);
  auto file = Lookup(env, var + "_FILE");
  if (direct && file) return Status::InvalidArgument("set either " + var + " or " + var + "_FILE, not both");
  if (direct) return *direct;
  if (file) return ReadSecretFile(*file, what);
  return std::string();
}

}  // namespace

StatusOr<WebOptions> ResolveWebOptions(const WebFlags& flags, const WebDefaults& defaults,
                                       const store::EnvLookup& env) {
  WebOptions options;
  options.host = !flags.host.empty() ? flags.host : defaults.host;
  options.port = flags.port >= 0 ? flags.port : defaults.port;

  options.translator.base_url = flags.translator_url;
  if (options.translator.base_url.empty())
    options.translator.base_url = Lookup(env, "DOLMETSCH_TRANSLATOR_URL").value_or("");
  if (flags.translator_timeout_seconds > 0)
    options.translator.read_timeout_seconds = flags.translator_timeout_seconds;
  auto api_key = SecretFromEnv(env, "DOLMETSCH_TRANSLATOR_API_KEY", "translator API key");
  if (!api_key.ok()) return api_key.status();
  options.translator.api_key = *api_key;

  std::string db = flags.db_url;
  if (db.empty()) db = Lookup(env, "DOLMETSCH_DB").value_or("");
  if (db.empty() && (Lookup(env, "DB_HOST") || Lookup(env, "DB_HOST_FILE") || Lookup(env, "MYSQL_HOST"))) {
    db = "mysql://";
  }
  if (db.empty()) db = defaults.db_url;
  options.store.url = db;
  options.store.env = env;
  if (auto parsed = store::ParseDbUrl(db); !parsed.ok()) return parsed.status().WithContext("--db");

  if (!flags.no_journal) {
    options.store.journal_path = !flags.journal_path.empty() ? flags.journal_path : defaults.journal_path;
  }

  std::string mode = !flags.history_mode.empty() ? flags.history_mode : "private";
  auto parsed_mode = ParseHistoryMode(mode);
  if (!parsed_mode.ok()) return parsed_mode.status().WithContext("--history");
  options.history_mode = *parsed_mode;
  options.users_file = flags.users_file;
  if (options.history_mode != HistoryMode::kUsers && !options.users_file.empty()) {
    return Status::InvalidArgument("--users-file needs --history users");
  }

  if (!flags.secret_file.empty()) {
    auto secret = ReadSecretFile(flags.secret_file, "secret");
    if (!secret.ok()) return secret.status();
    options.secret = *secret;
  } else {
    auto secret = SecretFromEnv(env, "DOLMETSCH_SECRET", "secret");
    if (!secret.ok()) return secret.status();
    options.secret = *secret;
  }
  if (!options.secret.empty() && options.secret.size() < 16) {
    return Status::InvalidArgument("the secret must be at least 16 characters (e.g. `openssl rand -hex 32`)");
  }

  options.trusted_proxies = flags.trusted_proxies;
  if (options.trusted_proxies.empty()) {
    if (auto list = Lookup(env, "DOLMETSCH_TRUSTED_PROXIES")) {
      std::stringstream in(*list);
      std::string item;
      while (std::getline(in, item, ',')) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (!item.empty()) options.trusted_proxies.push_back(item);
      }
    }
  }
  if (flags.max_text_chars > 0) {
    options.max_text_chars = static_cast<size_t>(flags.max_text_chars);
    // A German character is 1-3 UTF-8 bytes and form encoding writes a byte as up to 3 ("%C3"): leave room
    // for 6 bytes per character and the other fields.
    options.max_body_bytes = std::max(options.max_body_bytes, options.max_text_chars * 6 + 64 * 1024);
  }
  if (flags.max_file_bytes > 0) {
    options.max_file_bytes = static_cast<size_t>(flags.max_file_bytes);
    // The upload is multipart: the file's bytes as they are, plus the other fields.
    options.max_body_bytes = std::max(options.max_body_bytes, options.max_file_bytes + 1024 * 1024);
  }
  if (flags.http_threads > 0) options.http_threads = flags.http_threads;
  if (flags.job_workers >= 0) {
    options.jobs.workers = std::max(1, flags.job_workers);
    options.jobs.run_workers = flags.job_workers > 0;
  }
  if (flags.job_lease_seconds > 0) {
    if (flags.job_lease_seconds < 1) return Status::InvalidArgument("--job-lease must be at least 1 second");
    options.jobs.lease = std::chrono::milliseconds(static_cast<int64_t>(flags.job_lease_seconds * 1000));
  }
  return options;
}

Status PrepareDataDirectories(const WebOptions& options) {
  std::vector<std::filesystem::path> files;
  if (auto url = store::ParseDbUrl(options.store.url);
      url.ok() && url->kind == store::DbUrl::Kind::kSqlite && url->sqlite_path != ":memory:") {
    files.emplace_back(url->sqlite_path);
  }
  if (!options.store.journal_path.empty()) files.emplace_back(options.store.journal_path);
  for (const auto& file : files) {
    std::filesystem::path parent = file.parent_path();
    if (parent.empty()) continue;
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) return Status::IoError("cannot create the folder " + parent.string() + ": " + error.message());
  }
  return Status::Ok();
}

}  // namespace dolmetsch::web
