// `dolmetsch bench`: the engine-comparison convention (see bench/translation_benchmark.h): raw text lines
// from --input, consecutive batches of --batch-size lines, N = min(64, longest source in the batch) new
// tokens per sentence with EOS banned, generated ids to --output, and one JSON line
// {"load_s", "translate_s", ...} on stdout.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench/translation_benchmark.h"
#include "cli/commands.h"
#include "cli/model_path.h"

namespace dolmetsch::cli {

void AddBenchCommand(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<bench::FileBenchmarkOptions>();
  auto model = std::make_shared<std::string>();
  auto compute_type = std::make_shared<std::string>();
  CLI::App* cmd =
      app.add_subcommand("bench", "Benchmark the engine on a text file (engine-comparison convention)");
  cmd->add_option("--model", *model, "model folder (default: " + DefaultModelDir() + ")");
  cmd->add_option("--input", o->input_path, "text file: one sentence per line")->required();
  cmd->add_option("--output", o->output_path, "generated target ids, one line per input line")->required();
  cmd->add_option("--batch-size", o->batch_size, "lines per batch")->check(CLI::Range(1, 4096));
  cmd->add_option("--beam-size", o->beam_size, "beam size")->check(CLI::Range(1, 64));
  cmd->add_option("--threads", o->threads, "compute threads")->check(CLI::Range(1, 256));
  AddComputeTypeOption(cmd, compute_type.get());
  cmd->callback([o, model, compute_type, exit_code] {
    o->model_dir = ResolveModelDir(*model);
    StatusOr<engine::LoadOptions> load = LoadOptionsFor(*compute_type);
    if (!load.ok()) {
      std::fprintf(stderr, "dolmetsch bench: %s\n", load.status().message().c_str());
      *exit_code = 2;
      return;
    }
    o->compute_type = load->compute_type;
    o->force = bench::FileBenchmarkOptions::ForceTokens::kSourceLength;
    auto r = bench::RunFileBenchmark(*o);
    if (!r.ok()) {
      std::fprintf(stderr, "dolmetsch bench: %s\n", r.status().ToString().c_str());
      *exit_code = 1;
      return;
    }
    nlohmann::json line = {{"load_s", r->load_seconds},
                           {"translate_s", r->translate_seconds},
                           {"sentences", r->sentences},
                           {"target_tokens", r->target_tokens},
                           {"tokens_per_s", r->TokensPerSecond()},
                           {"peak_rss_mib", r->peak_rss_kib / 1024.0}};
    std::printf("%s\n", line.dump().c_str());
    *exit_code = 0;
  });
}

}  // namespace dolmetsch::cli
