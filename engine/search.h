// Search: greedy and beam search over a MarianModel with the semantics of transformers' generate() (4.36)
// for Marian models: logits processors in transformers' order (bad words, forced EOS at max_length,
// renormalization), beam hypotheses with length-normalized scores, early stopping (heuristic, when done,
// never), finalize with open beams; batched over several inputs, n-best.
// Batching changes no result: each input has its own max_length (SearchOptions::max_lengths) and ends
// exactly as it would searched alone; an input that is done leaves the decoder's batch (its rows cost no
// further work). A search can be cancelled as a whole or per input (engine/cancellation.h), checked before
// every decoding step.
// docs/marian-conventions.md ("Generation") has the rules with their sources.
// Thread-safety: Search is reentrant; the model is shared read-only. A beam step splits its per-row work
// (bans, log-softmax shifts, top-k) over the engine's ThreadPool, as the model splits its GEMMs and
// attention.
#pragma once

#include <functional>
#include <vector>

#include "engine/cancellation.h"
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
  // Per input (empty: max_length for every input): the input's own max_length, 2 <= value <= max_length.
  std::vector<int> max_lengths;
  // Checked before every decoding step: `cancel` stops the whole search, input_cancel[b] (empty, or one per
  // input; entries may be null) stops input b. A stopped input returns no hypotheses.
  const CancelToken* cancel = nullptr;
  std::vector<const CancelToken*> input_cancel;

  // Word alignment (engine/alignment.h): the decoder layer whose cross-attention is kept (-1: none) and
  // one flag per head (the heads averaged; empty: all). With a layer below the model's decoder layers, every
  // hypothesis gets `attention`; any other layer is ignored.
  int alignment_layer = -1;
  std::vector<char> alignment_heads;

  int MaxLengthOf(int input) const { return max_lengths.empty() ? max_length : max_lengths[input]; }

  // The options generate() would use for this config.
  static SearchOptions FromConfig(const ModelConfig& config);
};

struct SearchHypothesis {
  std::vector<int> ids;  // generated ids: start token excluded, EOS included when the hypothesis has one
  float score = 0.0f;    // sum of processed log-probs / len^length_penalty (len counts EOS)
  // With SearchOptions::alignment_layer: [ids.size()][source length] cross-attention weights, row t from
  // the decoding step that chose ids[t] (beam: along the hypothesis' own backpointers). A row the search
  // computed no step for (an EOS finalize() appends) is zero.
  std::vector<float> attention;
};

// Called for greedy search with the processed scores of each step (for tests and diagnostics):
// (step, batch index, scores[V]).
using StepObserver = std::function<void(int step, int batch_index, const float* scores)>;

// Returns, for each input of `encoded`, num_return_sequences hypotheses, best first; none for an input
// that was cancelled (or for every input when options.cancel was).
std::vector<std::vector<SearchHypothesis>> Search(const MarianModel& model, const EncoderOutput& encoded,
                                                  const SearchOptions& options,
                                                  const StepObserver& observer = nullptr);

}  // namespace dolmetsch::engine
