// Translation benchmark over a text file, shared by bench/translate_bench and `dolmetsch bench`.
//
// The convention (also used to measure other engines): lines of the input file are translated in
// consecutive batches of `batch_size` lines in file order; with kSourceLength every sentence of a batch
// decodes exactly N = min(64, the largest source token count in the batch, EOS not counted) new tokens,
// EOS banned before that; with kFixed exactly `fixed_new_tokens`. The output file gets one line per input
// line: the generated target ids, space-separated.
// Thread-safety: one run at a time per process (it sets the BLAS thread count).
#pragma once

#include <string>

#include "engine/compute_type.h"
#include "util/status.h"

namespace dolmetsch::bench {

struct FileBenchmarkOptions {
  std::string model_dir;
  std::string input_path;
  std::string output_path;  // "" : no output file
  int max_lines = 0;        // 0: all lines
  bool skip_empty_lines = false;
  int batch_size = 1;
  int beam_size = 4;
  int threads = 1;
  engine::ComputeType compute_type = engine::ComputeType::kFloat32;
  enum class ForceTokens { kNone, kSourceLength, kFixed };
  ForceTokens force = ForceTokens::kSourceLength;
  int fixed_new_tokens = 0;
  bool alignment = false;  // ask for the word alignment (engine/alignment.h), to measure its cost
};

struct FileBenchmarkResult {
  double load_seconds = 0;
  double translate_seconds = 0;
  long sentences = 0;
  long source_tokens = 0;
  long target_tokens = 0;  // generated tokens, EOS included when produced
  long peak_rss_kib = 0;
  // CPU time (user + system, all threads) spent translating: on a busy machine tokens per CPU second
  // still says what one core achieves, where wall-clock figures do not.
  double translate_cpu_seconds = 0;
  double TokensPerSecond() const { return translate_seconds > 0 ? target_tokens / translate_seconds : 0; }
  double SentencesPerSecond() const { return translate_seconds > 0 ? sentences / translate_seconds : 0; }
};

StatusOr<FileBenchmarkResult> RunFileBenchmark(const FileBenchmarkOptions& options);

// Peak resident set size of this process so far, in KiB.
long PeakRssKib();
// User + system CPU seconds this process has used so far.
double ProcessCpuSeconds();

}  // namespace dolmetsch::bench
