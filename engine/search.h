// Search: greedy and beam search over a MarianModel with the semantics of transformers' generate() (4.36)
// for Marian models: logits processors in transformers' order (bad words, forced EOS at max_length,
// renormalization), beam hypotheses with length-normalized scores, early stopping (heuristic, when done,
// never), finalize with open beams; batched over several inputs, n-best.
// docs/marian-conventions.md ("Generation") has the rules with their sources.
// Thread-safety: Search is reentrant; the model is shared read-only. A beam step splits its per-row work
// (bans, log-softmax shifts, top-k) over the engine's ThreadPool, as the model splits its GEMMs and
// attention.
#pragma once

#include <functional>
#include <vector>

#include "engine/marian_model.h"
#include "engine/model_config.h"

namespace dolmetsch::engine {

struct SearchOptions {
  int num_beams = 1;
  int num_return_sequences = 1;
  int max_length = 20;  // counts the start token
  float length_penalty = 1.0f;
  GenerationConfig::EarlyStopping early_stopping = GenerationConfig::EarlyStopping::kHeuristic;
  std::vector<std::vector<int>> bad_words_ids;
  int forced_eos_token_id = -1;  // -1: none
  bool renormalize_logits = false;
  int eos_token_id = 0;
  int pad_token_id = 0;
  int decoder_start_token_id = 0;
  // Benchmarks: EOS is banned and every row decodes exactly max_length - 1 tokens.
  bool ban_eos = false;

  // The options generate() would use for this config.
  static SearchOptions FromConfig(const ModelConfig& config);
};

struct SearchHypothesis {
  std::vector<int> ids;  // generated ids: start token excluded, EOS included when the hypothesis has one
  float score = 0.0f;    // sum of processed log-probs / len^length_penalty (len counts EOS)
};

// Called for greedy search with the processed scores of each step (for tests and diagnostics):
// (step, batch index, scores[V]).
using StepObserver = std::function<void(int step, int batch_index, const float* scores)>;

// Returns, for each input of `encoded`, num_return_sequences hypotheses, best first.
std::vector<std::vector<SearchHypothesis>> Search(const MarianModel& model, const EncoderOutput& encoded,
                                                  const SearchOptions& options,
                                                  const StepObserver& observer = nullptr);

}  // namespace dolmetsch::engine
