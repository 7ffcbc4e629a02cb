// `dolmetsch fetch-model REPO_ID... [--dir models] [--revision main] [--force]`: wires options to
// hub::FetchModel, one repository after the other. Prints each model folder on stdout (for scripts);
// progress and messages go to stderr. `dolmetsch fetch-model --list [--dir models]` lists what is installed.
#include <unistd.h>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "hub/console_observer.h"
#include "hub/model_fetcher.h"
#include "catalog/model_catalog.h"

namespace dolmetsch::cli {
namespace {

namespace fs = std::filesystem;

// One line per model folder under `dir`: name, language pair, size, and whether it is complete (the files
// the engine needs, no unfinished .part download).
int ListInstalledModels(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << "fetch-model: no models installed (" << dir << " does not exist)\n";
    return 0;
  }
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code entry_ec;
    if (entry.is_directory(entry_ec)) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  std::cout << std::left << std::setw(36) << "model" << std::setw(16) << "pair" << std::setw(10) << "size"
            << "state\n";
  for (const fs::path& folder : folders) {
    uint64_t bytes = 0;
    bool partial = false;
    for (const auto& file : fs::directory_iterator(folder, ec)) {
      std::error_code file_ec;
      if (!file.is_regular_file(file_ec)) continue;
      bytes += file.file_size(file_ec);
      if (file.path().extension() == ".part") partial = true;
    }
    const bool has_weights =
        fs::exists(folder / "model.safetensors", ec) || fs::exists(folder / "pytorch_model.bin", ec);
    bool complete = has_weights && !partial;
    for (const char* name : {"config.json", "vocab.json", "source.spm", "target.spm"}) {
      if (!fs::exists(folder / name, ec)) complete = false;
    }
    std::string pair = "?";
    if (StatusOr<catalog::ModelSpec> spec = catalog::ParseModelSpec(folder.string()); spec.ok()) {
      pair.clear();
      for (const std::string& s : spec->sources) pair += (pair.empty() ? "" : ",") + s;
      pair += "-";
      for (std::size_t i = 0; i < spec->targets.size(); ++i) pair += (i ? "," : "") + spec->targets[i];
    }
    std::cout << std::left << std::setw(36) << folder.filename().string() << std::setw(16) << pair
              << std::setw(10) << hub::FormatBytes(bytes)
              << (complete  ? "complete"
                  : partial ? "partial (run fetch-model again to continue)"
                            : "incomplete")
              << "\n";
  }
  return 0;
}

struct FetchFlags {
  hub::FetchOptions options;
  std::vector<std::string> repo_ids;
  bool list = false;
  std::string dir = "models";
  double connect_timeout_s = 10;
  double read_timeout_s = 60;
};

// Fetches one repository; false (after a message on stderr) when it failed.
bool FetchOne(const FetchFlags& flags, const std::string& repo_id) {
  hub::FetchOptions options = flags.options;
  options.repo_id = repo_id;
  options.models_dir = flags.dir;
  if (options.endpoint.empty()) options.endpoint = hub::EndpointFromEnvironment();
  options.token = hub::TokenFromEnvironment();
  options.connect_timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.connect_timeout_s * 1000));
  options.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.read_timeout_s * 1000));
  auto observer = hub::MakeConsoleObserver(std::cerr, isatty(STDERR_FILENO) == 1);
  auto result = hub::FetchModel(options, observer.get());
  if (!result.ok()) {
    std::cerr << "dolmetsch fetch-model: " << repo_id << ": " << result.status().message() << "\n";
    return false;
  }
  std::cerr << "fetch-model: " << options.repo_id
            << (result->commit.empty() ? "" : " @ " + result->commit.substr(0, 12)) << " is complete in "
            << result->directory.string() << " (" << hub::FormatBytes(result->bytes_transferred)
            << " downloaded)\n";
  std::cout << result->directory.string() << "\n";
  return true;
}

}  // namespace

void AddFetchModelCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<FetchFlags>();
  CLI::App* cmd = app.add_subcommand("fetch-model",
                                     "Download MarianMT models (e.g. Helsinki-NLP/opus-mt-de-en) from the "
                                     "Hugging Face hub into DIR/<name>, or list the installed ones");
  cmd->add_option("repo_id", flags->repo_ids,
                  "Hub repositories, e.g. Helsinki-NLP/opus-mt-de-en Helsinki-NLP/opus-mt-en-de");
  cmd->add_flag("--list", flags->list, "List the models installed in --dir (pair, size, complete or not)");
  cmd->add_option("--dir", flags->dir, "Folder that receives <name>/ (default: models)");
  cmd->add_option("--revision", flags->options.revision, "Branch, tag or commit (default: main)");
  cmd->add_flag("--force", flags->options.force, "Download every file again, even when complete on disk");
  cmd->add_option("--endpoint", flags->options.endpoint,
                  "Hub URL (default: $HF_ENDPOINT or https://huggingface.co)");
  cmd->add_option("--connect-timeout", flags->connect_timeout_s,
                  "Seconds to wait for a connection (default: 10)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--read-timeout", flags->read_timeout_s,
                  "Seconds of silence before a read fails (default: 60)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--attempts", flags->options.max_attempts,
                  "Tries per file, resuming each time (default: 4)")
      ->check(CLI::Range(1, 100));
  cmd->footer(
      "Environment: HF_ENDPOINT (hub or mirror URL), HF_TOKEN (token for private or gated repositories).\n"
      "Interrupted downloads stay in <file>.part and continue on the next run.");
  flags->options.endpoint = "";
  cmd->callback([flags, exit_code] {
    if (flags->list) {
      *exit_code = ListInstalledModels(flags->dir);
      return;
    }
    if (flags->repo_ids.empty()) {
      std::cerr << "dolmetsch fetch-model: give one or more repositories (e.g. Helsinki-NLP/opus-mt-de-en), "
                   "or --list\n";
      *exit_code = 2;
      return;
    }
    int failed = 0;
    for (const std::string& repo_id : flags->repo_ids) {
      if (!FetchOne(*flags, repo_id)) ++failed;
    }
    if (failed > 0 && flags->repo_ids.size() > 1) {
      std::cerr << "dolmetsch fetch-model: " << failed << " of " << flags->repo_ids.size()
                << " repositories failed (see above); the others are complete\n";
    }
    *exit_code = failed > 0 ? 1 : 0;
  });
}

}  // namespace dolmetsch::cli
