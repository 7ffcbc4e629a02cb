// `dolmetsch make-random-model`: writes a MarianMT model folder with random weights (Hugging Face layout)
// for benchmarks and tests when no real model can be downloaded.
//   dolmetsch make-random-model --like opus-mt-de-en --out DIR [--seed N] [--spm-from DIR]
//   --like        opus-mt-de-en (512-dim, 6+6 layers, vocabulary 58101) or tiny (the fixture's shape)
//   --spm-from    folder with source.spm and target.spm to copy (default tests/fixtures/tiny-de-en)
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "engine/random_model.h"

namespace dolmetsch::cli {

void AddMakeRandomModelCommand(CLI::App& app, int* exit_code) {
  CLI::App* cmd = app.add_subcommand("make-random-model",
                                     "Write a MarianMT model folder with random weights (for benchmarks)");
  auto options = std::make_shared<engine::RandomModelOptions>();
  options->spm_from = "tests/fixtures/tiny-de-en";
  cmd->add_option("--like", options->like, "Model shape: opus-mt-de-en or tiny")->capture_default_str();
  cmd->add_option("--out", options->out_dir, "Output folder (created if missing; our files are overwritten)")
      ->required();
  cmd->add_option("--seed", options->seed, "Random seed (same seed, same weights)")->capture_default_str();
  cmd->add_option("--spm-from", options->spm_from, "Folder with source.spm and target.spm to copy")
      ->capture_default_str();
  cmd->callback([options, exit_code] {
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
