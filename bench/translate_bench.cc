// translate_bench: translates the first lines of a text file and prints target tokens/s, sentences/s,
// peak RSS and model load time. One configuration per run, so that peak RSS belongs to it;
// scripts/bench-engine runs the matrix (batch 1 and 16, 1 and 2 threads) and prints a table.
//
//   translate_bench --model DIR --input faust.txt --lines 500 --beam 4 --batch 16 --threads 1
#include <CLI/CLI.hpp>
#include <cstdio>

#include "bench/translation_benchmark.h"

int main(int argc, char** argv) {
  dolmetsch::bench::FileBenchmarkOptions o;
  o.max_lines = 500;
  o.skip_empty_lines = true;
  std::string force = "source", compute_type = "float32";
  CLI::App app{"translate_bench: engine throughput on a text file"};
  app.add_option("--model", o.model_dir, "model folder")->required();
  app.add_option("--input", o.input_path, "text file, one sentence per line")->required();
  app.add_option("--output", o.output_path, "write generated ids here, one line per input line");
  app.add_option("--lines", o.max_lines, "first N non-empty lines (0: all)");
  app.add_option("--beam", o.beam_size, "beam size");
  app.add_option("--batch", o.batch_size, "sentences per batch");
  app.add_option("--threads", o.threads, "compute threads");
  app.add_option("--compute-type", compute_type, "float32, int8 or auto")
      ->check(CLI::IsMember({"float32", "int8", "auto"}));
  app.add_option("--force", force,
                 "new tokens per sentence: 'source' = min(64, longest source in batch), 'none' = until EOS, "
                 "or a number");
  app.add_flag("--alignment", o.alignment, "also compute the word alignment of every hypothesis");
  CLI11_PARSE(app, argc, argv);
  o.compute_type = *dolmetsch::engine::ParseComputeType(compute_type);
  if (force == "source") {
    o.force = dolmetsch::bench::FileBenchmarkOptions::ForceTokens::kSourceLength;
  } else if (force == "none") {
    o.force = dolmetsch::bench::FileBenchmarkOptions::ForceTokens::kNone;
  } else {
    o.force = dolmetsch::bench::FileBenchmarkOptions::ForceTokens::kFixed;
    o.fixed_new_tokens = std::atoi(force.c_str());
  }
  auto r = dolmetsch::bench::RunFileBenchmark(o);
  if (!r.ok()) {
    std::fprintf(stderr, "translate_bench: %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "compute_type=%s alignment=%d beam=%d batch=%d threads=%d sentences=%ld target_tokens=%ld load_s=%.3f "
      "translate_s=%.3f "
      "tokens_per_s=%.1f sentences_per_s=%.2f peak_rss_mib=%.1f cpu_s=%.3f tokens_per_cpu_s=%.1f\n",
      dolmetsch::engine::ComputeTypeName(o.compute_type), o.alignment ? 1 : 0, o.beam_size, o.batch_size,
      o.threads, r->sentences, r->target_tokens, r->load_seconds, r->translate_seconds, r->TokensPerSecond(),
      r->SentencesPerSecond(), r->peak_rss_kib / 1024.0, r->translate_cpu_seconds,
      r->translate_cpu_seconds > 0 ? r->target_tokens / r->translate_cpu_seconds : 0.0);
  return 0;
}
