// `dolmetsch serve [--model DIR] [--port 8080] [--db DB_URL] ...`: the web app and the translator in one
// process, for one machine. The translator runs as its own HTTP service on a loopback port and the web app
// calls it over HTTP exactly as `dolmetsch web` calls a separate translator, so the two stay separable.
// Without --model it uses models/opus-mt-de-en and downloads Helsinki-NLP/opus-mt-de-en there when absent.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/model_set.h"
#include "engine/compute_type.h"
#include "engine/translator.h"
#include "hub/console_observer.h"
#include "hub/model_fetcher.h"
#include "translator/backend.h"
#include "translator/service.h"
#include "web/web_app.h"
#include "web/web_config.h"

namespace dolmetsch::cli {

void RegisterWebOptions(CLI::App* cmd, web::WebFlags* flags, bool with_translator_url);
void BlockStopSignals();
int WaitForStopSignal();

namespace {

constexpr char kDefaultRepo[] = "Helsinki-NLP/opus-mt-de-en";
constexpr char kDefaultModelsDir[] = "models";

struct ServeFlags {
  web::WebFlags web;
  ModelFlags models;
  int translator_port = 0;
  int threads = 0;
  int workers = 0;
  std::string compute_type = "float32";
  double grace_seconds = 25;
  translator::FileStoreOptions files;  // the built-in translator's LibreTranslate /translate_file
  std::size_t files_quota_mib = 1024;
};

bool IsModelFolder(const std::filesystem::path& dir) {
  std::error_code error;
  return std::filesystem::is_regular_file(dir / "config.json", error);
}

// The model folder to load, downloading the default model when needed. Errors are printed.
std::optional<std::string> ResolveModel(const std::string& given) {
  if (!given.empty()) {
    if (!IsModelFolder(given)) {
      std::cerr << "dolmetsch serve: --model " << given
                << " is not a model folder (no config.json). Give a MarianMT model in Hugging Face layout, "
                   "or leave --model out to use "
                << kDefaultRepo << ".\n";
      return std::nullopt;
    }
    return given;
  }
  std::filesystem::path dir = std::filesystem::path(kDefaultModelsDir) / "opus-mt-de-en";
  if (IsModelFolder(dir) && std::filesystem::exists(dir / "source.spm")) return dir.string();
  std::cerr << "serve: no model given; downloading the default model " << kDefaultRepo << " into "
            << dir.string() << "\n";
  hub::FetchOptions options;
  options.repo_id = kDefaultRepo;
  options.models_dir = kDefaultModelsDir;
  options.endpoint = hub::EndpointFromEnvironment();
  options.token = hub::TokenFromEnvironment();
  options.max_attempts = 2;
  auto observer = hub::MakeConsoleObserver(std::cerr, isatty(STDERR_FILENO) == 1);
  auto fetched = hub::FetchModel(options, observer.get());
  if (!fetched.ok()) {
    // Offline, the hub's message already says what to do (a mirror or --model DIR); say it once.
    std::cerr << "dolmetsch serve: cannot download the default model " << kDefaultRepo << ": "
              << fetched.status().message() << "\n";
    if (fetched.status().code() != Status::Code::kUnavailable) {
      std::cerr << "Without internet access, copy a MarianMT model folder (config.json, vocab.json, "
                   "source.spm, target.spm, model.safetensors or pytorch_model.bin) to this machine and "
                   "start with `dolmetsch serve --model DIR`.\n";
    }
    return std::nullopt;
  }
  return fetched->directory.string();
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Run the web app and the translator in one process (SQLite history under ./data by default)");
  AddModelOptions(cmd, &flags->models);  // without any: models/opus-mt-de-en, downloaded when absent
  cmd->add_option("--host", flags->web.host, "Address to listen on (default: 127.0.0.1; 0.0.0.0 for all)");
  cmd->add_option("--port", flags->web.port, "Port of the web pages (default: 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--translator-port", flags->translator_port,
                  "Port of the built-in translator API on 127.0.0.1 (default: 0, a free port)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", flags->threads, "Threads per matrix multiplication (default: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--workers", flags->workers, "Batches translated at once (default: 1)")
      ->check(CLI::Range(1, 64));
  AddComputeTypeOption(cmd, &flags->compute_type);
  cmd->add_option("--grace", flags->grace_seconds,
                  "Seconds SIGTERM waits (in total) for translations in flight (default: 25)")
      ->envname("DOLMETSCH_SHUTDOWN_GRACE")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--files-dir", flags->files.dir,
                  "Folder of the translated files of the built-in translator's /translate_file (default: a "
                  "private folder under $TMPDIR, removed at exit)")
      ->envname("DOLMETSCH_FILES_DIR");
  cmd->add_option("--files-ttl-seconds", flags->files.ttl_seconds,
                  "Seconds a file translated by /translate_file can be downloaded (default: 3600)")
      ->envname("DOLMETSCH_FILES_TTL_SECONDS")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--files-quota-mib", flags->files_quota_mib,
                  "MiB the files translated by /translate_file may take together (default: 1024)")
      ->envname("DOLMETSCH_FILES_QUOTA_MIB")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
  RegisterWebOptions(cmd, &flags->web, /*with_translator_url=*/false);
  cmd->callback([flags, exit_code] {
    StatusOr<engine::LoadOptions> load_options = LoadOptionsFor(flags->compute_type);
    if (!load_options.ok()) {
      std::cerr << "dolmetsch serve: --compute-type / DOLMETSCH_COMPUTE_TYPE: "
                << load_options.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    web::WebDefaults defaults;
    defaults.host = "127.0.0.1";
    web::WebFlags web_flags = flags->web;
    web_flags.translator_url = "http://127.0.0.1:1";  // replaced below, once the translator has its port
    auto options = web::ResolveWebOptions(web_flags, defaults, nullptr);
    if (!options.ok()) {
      std::cerr << "dolmetsch serve: " << options.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    // The model first: a first run that cannot get one leaves no empty data folder behind.
    ModelFlags model_flags = flags->models;
    if (NoModelNamed(model_flags)) {
      auto model_dir = ResolveModel("");
      if (!model_dir) {
        *exit_code = 1;
        return;
      }
      model_flags.models = {*model_dir};
    } else if (model_flags.models.size() == 1 && model_flags.models_dir.empty() &&
               model_flags.models[0].find('=') == std::string::npos && !ResolveModel(model_flags.models[0])) {
      *exit_code = 1;
      return;
    }
    StatusOr<std::unique_ptr<ModelSet>> models = BuildModelSet(model_flags, *load_options, "");
    if (!models.ok()) {
      std::cerr << "dolmetsch serve: " << models.status().message() << "\n";
      *exit_code = 1;
      return;
    }
    if (Status s = web::PrepareDataDirectories(*options); !s.ok()) {
      std::cerr << "dolmetsch serve: " << s.message() << "\n";
      *exit_code = 1;
      return;
    }
    BlockStopSignals();

    translator::ServiceOptions service_options;
    service_options.host = "127.0.0.1";
    service_options.port = flags->translator_port;
    if (flags->workers > 0) service_options.scheduler.workers = flags->workers;
    service_options.grace_seconds = flags->grace_seconds;
    // Files: the page's uploads reach the translator with the same limit (--max-file-bytes).
    service_options.files = flags->files;
    service_options.files.quota_bytes = flags->files_quota_mib << 20;
    service_options.max_file_bytes = options->max_file_bytes;
    service_options.max_body_bytes =
        std::max(service_options.max_body_bytes, options->max_file_bytes + (1u << 20));
    translator::Service service(service_options);
    if (Status s = service.Listen(); !s.ok()) {
      std::cerr << "dolmetsch serve: the translator cannot listen: " << s.message() << "\n";
      *exit_code = 1;
      return;
    }
    options->translator.base_url = "http://127.0.0.1:" + std::to_string(service.port());
    options->translator.read_timeout_seconds = 300;

    auto app = web::WebApp::Create(*options);
    if (!app.ok()) {
      std::cerr << "dolmetsch serve: " << app.status().message() << "\n";
      service.Shutdown();
      *exit_code = app.status().code() == Status::Code::kInvalidArgument ? 2 : 1;
      return;
    }
    if (Status s = (*app)->Listen(); !s.ok()) {
      std::cerr << "dolmetsch serve: " << s.message() << "\n";
      service.Shutdown();
      *exit_code = 1;
      return;
    }
    std::string shown_host =
        options->host == "0.0.0.0" || options->host == "127.0.0.1" ? "localhost" : options->host;
    std::cerr << "serve: models " << (*models)->catalog.DescribePairs() << " (compute type "
              << flags->compute_type << ((*models)->preload.empty() ? ", loaded on first use" : ", loading")
              << ") ...\n";

    // The models load while the pages are already served (/ready says 503 until they are attached).
    engine::SetNumThreads(flags->threads);
    translator::ModelSetOptions set_options;
    set_options.allow_pivot = (*models)->allow_pivot;
    set_options.preload = (*models)->preload;
    set_options.compute_type = flags->compute_type;
    if (Status s = service.AttachModels(&(*models)->catalog, (*models)->registry.get(), set_options);
        !s.ok()) {
      std::cerr << "dolmetsch serve: the model does not work: " << s.message() << "\n";
      (*app)->Stop();
      service.Shutdown();
      *exit_code = 1;
      return;
    }
    translator::ModelInfo info;
    info.compute_type = flags->compute_type;
    std::cerr << "serve: ready on http://" << shown_host << ":" << (*app)->port() << " (translator API on "
              << options->translator.base_url << ", compute type " << info.compute_type << ", history in "
              << options->store.url << ")\n";
    int signal_number = WaitForStopSignal();
    std::cerr << "serve: stopping (signal " << signal_number << ")\n";
    // One grace for both: the pages stop accepting, the translator drains (translations the pages wait for
    // finish, or get 503 at the end of the grace, which the pages pass on), then the pages stop.
    (*app)->StopAccepting();
    service.Shutdown();
    (*app)->Stop();
    (*app)->Wait();
    *exit_code = 0;
  });
}

}  // namespace dolmetsch::cli
