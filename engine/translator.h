// Translator: the engine's front door. Text in, hypotheses out; knows nothing of HTTP or documents.
//
// Load reads a model folder in Hugging Face layout (config.json, generation_config.json, vocab.json,
// source.spm, target.spm, model.safetensors or pytorch_model.bin), refusing sizes no real model has and
// files that disagree with each other before allocating for them (docs/engine.md, "Model limits").
// Translate runs a batch: tokenize, encode, greedy or beam search exactly as transformers' generate() does
// for Marian models, detokenize. A sentence's translation does not depend on the batch it is in: each
// sentence has its own output bound (TranslateOptions::output_factor) and ends as it would alone.
// Cancellation (engine/cancellation.h) is checked between encoder layers and between decoding steps.
// Thread-safety: after Load, Translate may be called from several threads at once; each call uses its own
// scratch memory. The number of compute threads is process-wide (SetNumThreads).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/alignment.h"
#include "engine/cancellation.h"
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
  // Per-sentence output bound (0: off): a sentence of n source tokens (</s> included) generates at most
  // ceil(output_factor * n) + output_slack tokens (EOS included), within max_length / max_new_tokens. It
  // depends on the sentence alone, so a sentence ends the same way whatever it is batched with. Not applied
  // with forced_new_tokens.
  double output_factor = 0.0;
  int output_slack = 0;
  // Cancellation, polled between encoder layers and decoding steps (null: never). `cancel` stops the whole
  // call: it returns Cancelled. sentence_cancel (empty, or one per sentence; entries may be null) stops one
  // sentence: its result has cancelled = true and no hypotheses; the other sentences are unaffected. The
  // tokens must outlive the call.
  const CancelToken* cancel = nullptr;
  std::vector<const CancelToken*> sentence_cancel;
  // Word alignment (engine/alignment.h; off by default, and then nothing of it is computed or kept): every
  // hypothesis gets `alignment`, and with Translate (texts, not ids) the byte ranges of the tokens.
  AlignmentOptions alignment;
};

struct Hypothesis {
  std::string text;             // detokenized, special tokens skipped
  std::vector<int> target_ids;  // generated ids, EOS included, start token excluded
  float score = 0.0f;           // length-normalized sum of processed log-probs (greedy: same formula)
  // With TranslateOptions::alignment (else empty):
  std::vector<int> alignment;  // per target_ids entry: a position in source_ids (</s> -> the last one)
  std::vector<float>
      alignment_weights;                // keep_weights: [target_ids.size()][source_ids.size()], rows sum to 1
  std::vector<ByteRange> target_bytes;  // Translate only: per target_ids entry, its bytes in `text`
};

struct TranslationResult {
  std::vector<int> source_ids;  // input ids, </s> included
  std::vector<ByteRange>
      source_bytes;  // alignment with Translate: per source_ids entry, its bytes in the input
  std::vector<Hypothesis> hypotheses;  // best first; empty when cancelled
  bool cancelled = false;              // stopped by its TranslateOptions::sentence_cancel token
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
// rows or columns over (BLAS runs one thread per call; kernels/gemm.h) (0: one per core). Call before
// translating; a running translation keeps the count it started with.
void SetNumThreads(int threads);

}  // namespace dolmetsch::engine
