// `dolmetsch translator`: the HTTP translation service (translator/service.h) on a model folder.
// Every option can also be set through an environment variable (listed in docs/api.md); a flag wins.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/model_set.h"
#include "engine/compute_type.h"
#include "engine/translator.h"
#include "translator/backend.h"
#include "translator/service.h"

namespace dolmetsch::cli {
namespace {

constexpr char kDefaultModel[] = "models/opus-mt-de-en";

std::atomic<int> g_stop_signal{0};
extern "C" void OnStopSignal(int sig) { g_stop_signal.store(sig); }

void LogEvent(const std::string& level, const std::string& event,
              nlohmann::json fields = nlohmann::json::object()) {
  fields["level"] = level;
  fields["event"] = event;
  fields["time"] = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::cerr << fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

struct TranslatorFlags {
  ModelFlags models;
  translator::ServiceOptions service;
  int blas_threads = 0;
  int max_new_tokens = 0;
  int forced_new_tokens = -1;
  std::string api_keys;
  std::size_t files_quota_mib = 1024;  // POST /translate_file: the kept translations' folder
  std::string compute_type = "float32";
};

int RunTranslator(TranslatorFlags flags) {
  StatusOr<engine::LoadOptions> load_options = LoadOptionsFor(flags.compute_type);
  if (!load_options.ok()) {
    std::cerr << "dolmetsch translator: --compute-type / DOLMETSCH_COMPUTE_TYPE: "
              << load_options.status().message() << "\n";
    return 2;
  }
  flags.service.files.quota_bytes = flags.files_quota_mib << 20;
  std::stringstream keys(flags.api_keys);
  for (std::string key; std::getline(keys, key, ',');) {
    if (!key.empty()) flags.service.api_keys.push_back(key);
  }
  std::error_code ec;
  if (NoModelNamed(flags.models) && !std::filesystem::is_directory(kDefaultModel, ec)) {
    std::cerr << "dolmetsch translator: model folder '" << kDefaultModel << "' not found.\n"
              << "  Get the default model with:  dolmetsch fetch-model   (writes models/opus-mt-de-en)\n"
              << "  or point to MarianMT folders in Hugging Face layout with --model DIR (repeatable), "
                 "--models-dir "
                 "DIR, DOLMETSCH_MODEL or DOLMETSCH_MODELS.\n";
    return 2;
  }
  // Declared before the service, so that they outlive it: its scheduler may still be decoding a batch
  // (cancelled at the end of the grace) when the service goes.
  StatusOr<std::unique_ptr<ModelSet>> models = BuildModelSet(flags.models, *load_options, kDefaultModel);
  if (!models.ok()) {
    std::cerr << "dolmetsch translator: " << models.status().message() << "\n";
    return 2;
  }

  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  translator::Service service(flags.service);
  Status listening = service.Listen();
  if (!listening.ok()) {
    std::cerr << "dolmetsch translator: " << listening.message() << "\n";
    return 1;
  }
  LogEvent("info", "listening", {{"host", flags.service.host}, {"port", service.port()}});

  // /health answers while the models load; /ready waits for the preloaded ones and their warm-up.
  if (flags.blas_threads > 0) engine::SetNumThreads(flags.blas_threads);
  translator::ModelSetOptions set_options;
  set_options.allow_pivot = (*models)->allow_pivot;
  set_options.preload = (*models)->preload;
  set_options.caps = {flags.max_new_tokens, flags.forced_new_tokens};
  set_options.compute_type = flags.compute_type;
  Status attached = service.AttachModels(&(*models)->catalog, (*models)->registry.get(), set_options);
  if (!attached.ok()) {
    LogEvent("error", "model_load_failed", {{"error", attached.ToString()}});
    std::cerr << "dolmetsch translator: " << attached.ToString() << "\n";
    service.Shutdown();
    return 1;
  }
  nlohmann::json served = nlohmann::json::array();
  for (const catalog::ModelSpec& m : (*models)->catalog.models()) served.push_back(m.name);
  nlohmann::json loaded = nlohmann::json::array();
  for (const catalog::LoadedModel& m : (*models)->registry->Loaded()) {
    loaded.push_back(
        {{"model", m.name}, {"load_seconds", m.load_seconds}, {"resident_bytes", m.resident_bytes}});
  }
  std::string compute_type = flags.compute_type;
  if (!(*models)->preload.empty()) {
    if (auto handle = (*models)->registry->Acquire(*(*models)->preload.front()); handle.ok()) {
      compute_type = engine::ComputeTypeName((*handle)->compute_type());
    }
  }
  LogEvent("info", "ready",
           {{"models", served},
            {"compute_type", compute_type},
            {"pairs", (*models)->catalog.DescribePairs()},
            {"loaded", loaded},
            {"pivot", (*models)->allow_pivot},
            {"compute_type_requested", flags.compute_type}});

  while (g_stop_signal.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LogEvent("info", "draining",
           {{"signal", g_stop_signal.load()}, {"grace_seconds", flags.service.grace_seconds}});
  service.Shutdown();
  LogEvent("info", "stopped");
  return 0;
}

}  // namespace

void AddTranslatorCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TranslatorFlags>();
  translator::ServiceOptions& s = flags->service;
  CLI::App* cmd =
      app.add_subcommand("translator", "Run the HTTP translation API (original, LibreTranslate, /v1)");
  AddModelOptions(cmd, &flags->models);
  cmd->add_option("--host", s.host, "Address to listen on")->envname("DOLMETSCH_HOST")->capture_default_str();
  cmd->add_option("--port", s.port, "Port to listen on (0: any free port)")
      ->envname("DOLMETSCH_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--workers", s.scheduler.workers, "Batches decoded at once")
      ->envname("DOLMETSCH_WORKERS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--threads", flags->blas_threads, "GEMM threads for the process (0: library default)")
      ->envname("DOLMETSCH_THREADS")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--max-batch-tokens", s.scheduler.max_batch_tokens, "Source tokens per batch")
      ->envname("DOLMETSCH_MAX_BATCH_TOKENS")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--max-batch-sentences", s.scheduler.max_batch_sentences, "Sentences per batch")
      ->envname("DOLMETSCH_MAX_BATCH_SENTENCES")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--max-active-requests", s.scheduler.max_active_jobs,
                  "Translation requests admitted at once; more get 503")
      ->envname("DOLMETSCH_MAX_ACTIVE_REQUESTS")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option(
         "--max-queued-sentences", s.scheduler.max_queued_sentences,
         "Sentences waiting for a batch; more get 503 (one request is always admitted into an empty queue)")
      ->envname("DOLMETSCH_MAX_QUEUED_SENTENCES")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", s.max_body_bytes, "Largest request body; larger ones get 413")
      ->envname("DOLMETSCH_MAX_BODY_BYTES")
      ->capture_default_str();
  cmd->add_option("--max-text-chars", s.limits.max_text_chars, "Characters per text (0: unlimited)")
      ->envname("DOLMETSCH_MAX_TEXT_CHARS")
      ->capture_default_str();
  AddComputeTypeOption(cmd, &flags->compute_type);
  cmd->add_option("--cache-entries", s.cache_entries,
                  "Sentence translations kept across requests (LRU; 0: no cache)")
      ->envname("DOLMETSCH_CACHE_ENTRIES")
      ->capture_default_str();
  cmd->add_option("--max-segment-tokens", s.max_segment_tokens,
                  "Longer sentences are split at clause boundaries before translation (source tokens)")
      ->envname("DOLMETSCH_MAX_SEGMENT_TOKENS")
      ->check(CLI::Range(2, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--max-segment-bytes", s.max_segment_bytes, "Longer sentences are split before translation")
      ->envname("DOLMETSCH_MAX_SEGMENT_BYTES")
      ->check(CLI::Range(16, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--request-timeout", s.request_timeout_seconds, "Seconds before a translation answers 504")
      ->envname("DOLMETSCH_REQUEST_TIMEOUT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--grace", s.grace_seconds, "Seconds SIGTERM waits for requests in flight")
      ->envname("DOLMETSCH_SHUTDOWN_GRACE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--http-threads", s.http_threads,
                  "Worker threads that parse requests and assemble answers (connections need none)")
      ->envname("DOLMETSCH_HTTP_THREADS")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--max-connections", s.max_connections, "Open connections; more get 503 and are closed")
      ->envname("DOLMETSCH_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--header-timeout", s.header_timeout_seconds,
                  "Seconds a request line and header may take to arrive (408 after)")
      ->envname("DOLMETSCH_HEADER_TIMEOUT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", s.keep_alive_seconds,
                  "Seconds an idle keep-alive connection is kept")
      ->envname("DOLMETSCH_KEEP_ALIVE_TIMEOUT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--body-min-rate", s.body_min_rate_bytes,
                  "Bytes per 10 s a request body must arrive at after its first second (408 below; 0: off)")
      ->envname("DOLMETSCH_BODY_MIN_RATE")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--api-keys", flags->api_keys, "Comma-separated keys; when set, translation needs one")
      ->envname("DOLMETSCH_API_KEYS");
  cmd->add_option("--cors-origin", s.cors_origin, "Access-Control-Allow-Origin ('' disables CORS headers)")
      ->envname("DOLMETSCH_CORS_ORIGIN")
      ->capture_default_str();
  cmd->add_option("--max-new-tokens", flags->max_new_tokens,
                  "Cap on generated tokens per sentence (0: model's)")
      ->envname("DOLMETSCH_MAX_NEW_TOKENS")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->add_option("--max-output-factor", s.scheduler.output_factor,
                  "Without max_length/max_new_tokens in a request: generate at most factor x source tokens + "
                  "8 (0: off)")
      ->envname("DOLMETSCH_MAX_OUTPUT_FACTOR")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--forced-new-tokens", flags->forced_new_tokens,
                  "Benchmarks only: every sentence decodes exactly N tokens (-1: off)")
      ->envname("DOLMETSCH_FORCED_NEW_TOKENS")
      ->capture_default_str();
  cmd->add_option("--max-file-bytes", s.max_file_bytes,
                  "Largest file POST /translate_file takes (413 beyond; the body limit holds too)")
      ->envname("DOLMETSCH_MAX_FILE_BYTES")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 34))
      ->capture_default_str();
  cmd->add_option("--files-dir", s.files.dir,
                  "Folder of the translated files of /translate_file until downloaded or expired (default: a "
                  "private folder under $TMPDIR, removed at exit)")
      ->envname("DOLMETSCH_FILES_DIR");
  cmd->add_option("--files-ttl-seconds", s.files.ttl_seconds, "Seconds a translated file can be downloaded")
      ->envname("DOLMETSCH_FILES_TTL_SECONDS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--files-quota-mib", flags->files_quota_mib,
                  "MiB the translated files may take together; beyond, /translate_file answers 503")
      ->envname("DOLMETSCH_FILES_QUOTA_MIB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24))
      ->capture_default_str();
  cmd->add_flag("--log-text", s.log_text, "Debug: include request texts in the logs")
      ->envname("DOLMETSCH_LOG_TEXT");
  cmd->callback([flags, exit_code] { *exit_code = RunTranslator(*flags); });
}

}  // namespace dolmetsch::cli
