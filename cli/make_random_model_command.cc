// `dolmetsch make-random-model`: writes a MarianMT model folder with random weights (Hugging Face layout)
// for benchmarks and tests when no real model can be downloaded.
//   dolmetsch make-random-model --like opus-mt-de-en --out DIR [--seed N] [--spm-from DIR]
//                               [--target-languages fra,spa]
//   --like        opus-mt-de-en (512-dim, 6+6 layers, vocabulary 58101) or tiny (the fixture's shape)
//   --spm-from    folder with source.spm and target.spm to copy (default: the fixture model's, found from
//                 the working directory or from the binary's place in a build tree)
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "engine/random_model.h"

namespace dolmetsch::cli {
namespace {

constexpr char kFixtureSpmDir[] = "tests/fixtures/tiny-de-en";

bool HasSpmModels(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "source.spm", ec) &&
         std::filesystem::is_regular_file(dir / "target.spm", ec);
}

// The fixture's SentencePiece models: below the working directory (the repository root), else above the
// binary (build/<preset>/dolmetsch in a build tree). Empty when neither has them.
std::string FindFixtureSpmDir() {
  if (HasSpmModels(kFixtureSpmDir)) return kFixtureSpmDir;
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (std::filesystem::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
       dir = dir.parent_path()) {
    if (HasSpmModels(dir / kFixtureSpmDir)) return (dir / kFixtureSpmDir).string();
  }
  return "";
}

}  // namespace

void AddMakeRandomModelCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("make-random-model",
                                     "Write a MarianMT model folder with random weights (for benchmarks)");
  auto options = std::make_shared<engine::RandomModelOptions>();
  cmd->add_option("--like", options->like, "Model shape: opus-mt-de-en or tiny")->capture_default_str();
  cmd->add_option("--out", options->out_dir, "Output folder (created if missing; our files are overwritten)")
      ->required();
  cmd->add_option("--seed", options->seed, "Random seed (same seed, same weights)")->capture_default_str();
  cmd->add_option("--target-languages", options->target_languages,
                  "A multilingual model: target language codes whose >>xxx<< tokens join the vocabulary "
                  "(e.g. fra spa ita)")
      ->delimiter(',');
  cmd->add_option("--spm-from", options->spm_from,
                  "Folder with source.spm and target.spm to copy (default: the test fixture's, "
                  "tests/fixtures/tiny-de-en of the source tree)");
  cmd->callback([options, exit_code] {
    if (options->spm_from.empty()) {
      options->spm_from = FindFixtureSpmDir();
      if (options->spm_from.empty()) {
        std::cerr << "dolmetsch make-random-model: no SentencePiece models to copy: " << kFixtureSpmDir
                  << " is neither below the working directory nor above this binary. Pass --spm-from DIR "
                     "with a folder that has source.spm and target.spm (any MarianMT model folder).\n";
        *exit_code = 2;
        return;
      }
    }
    StatusOr<engine::RandomModelSummary> summary = engine::WriteRandomModel(*options);
    if (!summary.ok()) {
      std::cerr << "dolmetsch make-random-model: " << summary.status().ToString() << "\n";
      *exit_code = 1;
      return;
    }
    std::cout << "wrote " << options->out_dir << ": " << options->like << " shape, " << summary->parameters
              << " parameters, seed " << options->seed << ", " << summary->vocabulary_pieces
              << " vocabulary entries from the spm models\n";
    *exit_code = 0;
  });
}

}  // namespace dolmetsch::cli
