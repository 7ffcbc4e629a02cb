// Translator: the engine's front door. Text in, hypotheses out; knows nothing of HTTP or documents.
//
// Load reads a model folder in Hugging Face layout (config.json, generation_config.json, vocab.json,
// source.spm, target.spm, model.safetensors or pytorch_model.bin). Translate runs a batch: tokenize, encode,
// greedy or beam search exactly as transformers' generate() does for Marian models, detokenize.
// Thread-safety: after Load, Translate may be called from several threads at once; each call uses its own
// scratch memory. The number of compute threads is process-wide (SetNumThreads).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/compute_type.h"
#include "engine/model_config.h"
#include "engine/tokenizer.h"
#include "util/status.h"

namespace dolmetsch::engine {

struct TranslateOptions {
  int beam_size = 0;       // 0: the model's num_beams
  int num_hypotheses = 1;  // n-best; <= beam size
  int max_length = 0;      // 0: the model's max_length (counts the start token, as in transformers)
  int max_new_tokens = 0;  // 0: unset; else caps generated tokens (EOS included)
  // Benchmark mode: every sentence decodes exactly this many new tokens, EOS banned before (-1: off).
  int forced_new_tokens = -1;
};

struct Hypothesis {
  std::string text;             // detokenized, special tokens skipped
  std::vector<int> target_ids;  // generated ids, EOS included, start token excluded
  float score = 0.0f;           // length-normalized sum of processed log-probs (greedy: same formula)
};

struct TranslationResult {
  std::vector<int> source_ids;         // input ids, </s> included
  std::vector<Hypothesis> hypotheses;  // best first
};

struct LoadOptions {
  ComputeType compute_type = ComputeType::kFloat32;  // kAuto is resolved at load (see compute_type.h)
};

class Translator {
 public:
  static StatusOr<std::unique_ptr<Translator>> Load(const std::string& model_dir,
                                                    const LoadOptions& options = {});
  virtual ~Translator() = default;

  virtual StatusOr<std::vector<TranslationResult>> Translate(const std::vector<std::string>& texts,
                                                             const TranslateOptions& options) const = 0;
  // Pre-tokenized form (ids as Encode returns them).
  virtual StatusOr<std::vector<TranslationResult>> TranslateIds(
      const std::vector<std::vector<int>>& source_ids, const TranslateOptions& options) const = 0;

  virtual const ModelConfig& config() const = 0;
  virtual const MarianTokenizer& tokenizer() const = 0;
  virtual double load_seconds() const = 0;
  virtual ComputeType compute_type() const = 0;  // never kAuto
};

// Sets the number of compute threads for the whole process: the engine's pool, which every op splits its
// rows or columns over (BLAS runs one thread per call; kernels/gemm.h) (0: one per core). Call before translating; a running translation keeps the count it started with.
void SetNumThreads(int threads);

}  // namespace dolmetsch::engine
