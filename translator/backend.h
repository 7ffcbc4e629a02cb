// BatchBackend: what the cross-request scheduler calls to translate one batch of sentences.
//
// Contract: TranslateBatch gets sentences (no empty strings) that all share one SentenceOptions and returns
// exactly one SentenceResult per sentence, in order, or a Status naming what failed. A sentence's result
// depends on that sentence and the options alone, never on the rest of the batch. `cancel` is empty or has
// one token per sentence (entries may be null): a sentence whose token is cancelled stops within one
// decoding step and comes back with `cancelled` set and no hypotheses; the others are unaffected. CountTokens
// gives a sentence's source length in tokens (</s> included) for batch budgets and the document pipeline's
// splitting of long sentences; max_source_tokens is the longest source the model takes.
// EngineBackend adapts engine::Translator; tests use fakes.
// Thread-safety: implementations must allow TranslateBatch from several scheduler workers at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/alignment.h"
#include "engine/cancellation.h"
#include "util/status.h"

namespace dolmetsch::engine {
class Translator;
}

namespace dolmetsch::translator {

// Search settings of one request; sentences are batched together only when these are equal.
struct SentenceOptions {
  int beam_size = 0;           // 0: the model's default, widened to n_best when that is larger
  int n_best = 1;              // hypotheses returned per sentence (<= beam size)
  int max_length = 0;          // 0: the model's default (counts the start token)
  int max_new_tokens = 0;      // 0: unset
  int forced_new_tokens = -1;  // benchmarks only: decode exactly this many tokens (-1: off)
  // Per-sentence bound (engine::TranslateOptions::output_factor; 0: off): at most ceil(output_factor x the
  // sentence's source tokens) + output_slack generated tokens. The scheduler sets it for requests that set
  // neither max_length nor max_new_tokens.
  double output_factor = 0.0;
  int output_slack = 0;
  // Word alignment of the best hypothesis (engine/alignment.h; off: none is computed). The service's
  // markup path asks for it to carry inline spans onto translations.
  bool alignment = false;
  bool operator==(const SentenceOptions&) const = default;
};

struct SentenceResult {
  std::vector<std::string> hypotheses;  // best first; at least one
  int source_tokens = 0;
  int target_tokens = 0;   // of the best hypothesis, EOS included
  bool cancelled = false;  // stopped by its cancel token (then hypotheses is empty)
  // With SentenceOptions::alignment: (bytes of a target token in hypotheses[0], bytes of the source token in
  // the sentence it is aligned to), for the tokens whose bytes are known. Empty through a pivot.
  std::vector<engine::AlignedBytes> alignment;
};

class BatchBackend {
 public:
  virtual ~BatchBackend() = default;
  virtual int CountTokens(const std::string& sentence) const = 0;
  virtual int max_source_tokens() const = 0;
  virtual StatusOr<std::vector<SentenceResult>> TranslateBatch(
      const std::vector<std::string>& sentences, const SentenceOptions& options,
      const std::vector<const engine::CancelToken*>& cancel) = 0;
};

// Runs sentences through engine::Translator. `translator` must outlive the backend.
class EngineBackend : public BatchBackend {
 public:
  explicit EngineBackend(const engine::Translator* translator) : translator_(translator) {}
  int CountTokens(const std::string& sentence) const override;
  int max_source_tokens() const override;
  StatusOr<std::vector<SentenceResult>> TranslateBatch(
      const std::vector<std::string>& sentences, const SentenceOptions& options,
      const std::vector<const engine::CancelToken*>& cancel) override;

 private:
  const engine::Translator* translator_;
};

}  // namespace dolmetsch::translator
