// `dolmetsch fetch-model REPO_ID [--dir models] [--revision main] [--force]`: wires options to
// hub::FetchModel. Prints the model folder on stdout (for scripts); progress and messages go to stderr.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "hub/console_observer.h"
#include "hub/model_fetcher.h"

namespace dolmetsch::cli {

void AddFetchModelCommand(CLI::App& app, int* exit_code) {
  struct Flags {
    hub::FetchOptions options;
    std::string dir = "models";
    double connect_timeout_s = 10;
    double read_timeout_s = 60;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("fetch-model",
                                     "Download a MarianMT model (e.g. Helsinki-NLP/opus-mt-de-en) from the "
                                     "Hugging Face hub into DIR/<name>");
  cmd->add_option("repo_id", flags->options.repo_id, "Hub repository, e.g. Helsinki-NLP/opus-mt-de-en")
      ->required();
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
    hub::FetchOptions options = flags->options;
    options.models_dir = flags->dir;
    if (options.endpoint.empty()) options.endpoint = hub::EndpointFromEnvironment();
    options.token = hub::TokenFromEnvironment();
    options.connect_timeout =
        std::chrono::milliseconds(static_cast<int64_t>(flags->connect_timeout_s * 1000));
    options.read_timeout = std::chrono::milliseconds(static_cast<int64_t>(flags->read_timeout_s * 1000));
    auto observer = hub::MakeConsoleObserver(std::cerr, isatty(STDERR_FILENO) == 1);
    auto result = hub::FetchModel(options, observer.get());
    if (!result.ok()) {
      std::cerr << "dolmetsch fetch-model: " << result.status().message() << "\n";
      *exit_code = 1;
      return;
    }
    std::cerr << "fetch-model: " << options.repo_id
              << (result->commit.empty() ? "" : " @ " + result->commit.substr(0, 12)) << " is complete in "
              << result->directory.string() << " (" << hub::FormatBytes(result->bytes_transferred)
              << " downloaded)\n";
    std::cout << result->directory.string() << "\n";
    *exit_code = 0;
  });
}

}  // namespace dolmetsch::cli
