#include "bench/translation_benchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "engine/translator.h"

namespace dolmetsch::bench {

long PeakRssKib() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double ProcessCpuSeconds() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

StatusOr<FileBenchmarkResult> RunFileBenchmark(const FileBenchmarkOptions& options) {
  if (options.batch_size < 1) return Status::InvalidArgument("batch size must be at least 1");
  std::ifstream in(options.input_path, std::ios::binary);
  if (!in) return Status::NotFound(options.input_path + ": cannot open input file");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (options.skip_empty_lines && line.find_first_not_of(" \t") == std::string::npos) continue;
    lines.push_back(line);
    if (options.max_lines > 0 && static_cast<int>(lines.size()) >= options.max_lines) break;
  }
  std::ofstream out;
  if (!options.output_path.empty()) {
    out.open(options.output_path, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError(options.output_path + ": cannot write output file");
  }

  engine::SetNumThreads(options.threads);
  FileBenchmarkResult result;
  DOLMETSCH_ASSIGN_OR_RETURN(std::unique_ptr<engine::Translator> translator,
                             engine::Translator::Load(options.model_dir, {options.compute_type}));
  result.load_seconds = translator->load_seconds();

  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (size_t first = 0; first < lines.size(); first += options.batch_size) {
    const size_t last = std::min(lines.size(), first + options.batch_size);
    std::vector<std::vector<int>> ids;
    int longest = 0;
    for (size_t i = first; i < last; ++i) {
      ids.push_back(translator->tokenizer().Encode(lines[i]));
      longest = std::max(longest, static_cast<int>(ids.back().size()) - 1);
      result.source_tokens += static_cast<long>(ids.back().size());
    }
    engine::TranslateOptions t;
    t.beam_size = options.beam_size;
    t.alignment.enabled = options.alignment;
    if (options.force == FileBenchmarkOptions::ForceTokens::kSourceLength)
      t.forced_new_tokens = std::min(64, longest);
    if (options.force == FileBenchmarkOptions::ForceTokens::kFixed)
      t.forced_new_tokens = options.fixed_new_tokens;
    std::vector<engine::TranslationResult> results(ids.size());
    if (t.forced_new_tokens != 0) {  // a batch of empty lines decodes nothing under the convention
      DOLMETSCH_ASSIGN_OR_RETURN(results, translator->TranslateIds(ids, t));
    }
    for (const auto& r : results) {
      ++result.sentences;
      const std::vector<int> empty;
      const std::vector<int>& target = r.hypotheses.empty() ? empty : r.hypotheses[0].target_ids;
      result.target_tokens += static_cast<long>(target.size());
      if (out.is_open()) {
        for (size_t k = 0; k < target.size(); ++k) out << (k ? " " : "") << target[k];
        out << '\n';
      }
    }
  }
  result.translate_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.translate_cpu_seconds = ProcessCpuSeconds() - cpu_start;
  result.peak_rss_kib = PeakRssKib();
  if (out.is_open() && !out.flush()) return Status::IoError(options.output_path + ": write failed");
  return result;
}

}  // namespace dolmetsch::bench
