#include "translator/backend.h"

#include <algorithm>

#include "engine/translator.h"

namespace dolmetsch::translator {

int EngineBackend::CountTokens(const std::string& sentence) const {
  return static_cast<int>(translator_->tokenizer().Encode(sentence).size());
}

int EngineBackend::max_source_tokens() const { return translator_->config().max_position_embeddings; }

StatusOr<std::vector<SentenceResult>> EngineBackend::TranslateBatch(
    const std::vector<std::string>& sentences, const SentenceOptions& options,
    const std::vector<const engine::CancelToken*>& cancel) {
  engine::TranslateOptions engine_options;
  engine_options.beam_size = options.beam_size;
  if (options.beam_size == 0 && options.n_best > 1) {
    engine_options.beam_size = std::max(translator_->config().generation.num_beams, options.n_best);
  }
  engine_options.num_hypotheses = options.n_best;
  engine_options.max_length = options.max_length;
  engine_options.max_new_tokens = options.max_new_tokens;
  engine_options.forced_new_tokens = options.forced_new_tokens;
  engine_options.output_factor = options.output_factor;
  engine_options.output_slack = options.output_slack;
  engine_options.sentence_cancel = cancel;
  engine_options.alignment.enabled = options.alignment;
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<engine::TranslationResult> translated,
                             translator_->Translate(sentences, engine_options));
  if (translated.size() != sentences.size()) {
    return Status::Internal("engine returned " + std::to_string(translated.size()) + " results for " +
                            std::to_string(sentences.size()) + " sentences");
  }
  std::vector<SentenceResult> results(sentences.size());
  for (size_t i = 0; i < translated.size(); ++i) {
    SentenceResult& out = results[i];
    out.source_tokens = static_cast<int>(translated[i].source_ids.size());
    if (translated[i].cancelled) {
      out.cancelled = true;
      continue;
    }
    for (const engine::Hypothesis& h : translated[i].hypotheses) out.hypotheses.push_back(h.text);
    if (out.hypotheses.empty()) return Status::Internal("engine returned no hypothesis for a sentence");
    const engine::Hypothesis& best = translated[i].hypotheses[0];
    out.target_tokens = static_cast<int>(best.target_ids.size());
    if (options.alignment)
      out.alignment =
          engine::AlignedByteRanges(best.alignment, best.target_bytes, translated[i].source_bytes);
  }
  return results;
}

}  // namespace dolmetsch::translator
