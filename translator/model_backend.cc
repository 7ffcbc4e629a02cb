#include "translator/model_backend.h"

#include "engine/model_config.h"
#include "engine/translator.h"

namespace dolmetsch::translator {

SentenceOptions ApplyCaps(SentenceOptions options, const BackendCaps& caps) {
  if (caps.max_new_tokens > 0 &&
      (options.max_new_tokens == 0 || options.max_new_tokens > caps.max_new_tokens)) {
    options.max_new_tokens = caps.max_new_tokens;
  }
  if (caps.forced_new_tokens >= 0) options.forced_new_tokens = caps.forced_new_tokens;
  return options;
}

RegistryBackend::RegistryBackend(catalog::ModelRegistry* registry, const catalog::ModelSpec* model,
                                 std::string target_token, BackendCaps caps)
    : registry_(registry),
      model_(model),
      prefix_(target_token.empty() ? std::string() : target_token + " "),
      caps_(caps) {}

std::string RegistryBackend::WithToken(const std::string& sentence) const { return prefix_ + sentence; }

void RegistryBackend::LoadTokenizerOnce() const {
  std::call_once(tokenizer_once_, [this] {
    auto tokenizer = engine::MarianTokenizer::Load(model_->dir);
    if (tokenizer.ok()) tokenizer_ = std::move(tokenizer).value();
    auto config = engine::ModelConfig::Load(model_->dir);
    if (config.ok()) max_positions_ = config->max_position_embeddings;
  });
}

int RegistryBackend::CountTokens(const std::string& sentence) const {
  LoadTokenizerOnce();
  if (tokenizer_ == nullptr) return static_cast<int>(sentence.size() / 4) + 2;
  return static_cast<int>(tokenizer_->Encode(WithToken(sentence)).size());
}

int RegistryBackend::max_source_tokens() const {
  LoadTokenizerOnce();
  // The target token takes one position of the source.
  return max_positions_ - (prefix_.empty() ? 0 : 1);
}

StatusOr<std::vector<SentenceResult>> RegistryBackend::TranslateBatch(
    const std::vector<std::string>& sentences, const SentenceOptions& options,
    const std::vector<const engine::CancelToken*>& cancel) {
  StatusOr<std::shared_ptr<const engine::Translator>> acquired = registry_->Acquire(*model_);
  // A model that does not load is the server's failure (500), whatever the loader's code (e.g. NotFound).
  if (!acquired.ok()) return Status::Internal(acquired.status().message());
  std::shared_ptr<const engine::Translator> handle = std::move(acquired).value();
  EngineBackend engine(handle.get());
  if (prefix_.empty()) return engine.TranslateBatch(sentences, ApplyCaps(options, caps_), cancel);
  std::vector<std::string> prefixed;
  prefixed.reserve(sentences.size());
  for (const std::string& s : sentences) prefixed.push_back(WithToken(s));
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<SentenceResult> results,
                             engine.TranslateBatch(prefixed, ApplyCaps(options, caps_), cancel));
  // Alignments point into the sentence as given, not into the prefixed one (the target token itself is
  // never aligned to: engine/alignment.h).
  for (SentenceResult& r : results) {
    std::vector<engine::AlignedBytes> kept;
    for (engine::AlignedBytes a : r.alignment) {
      if (a.source.begin < prefix_.size()) continue;
      a.source.begin -= prefix_.size();
      a.source.end -= prefix_.size();
      kept.push_back(a);
    }
    r.alignment = std::move(kept);
  }
  return results;
}

StatusOr<std::vector<SentenceResult>> PivotBackend::TranslateBatch(
    const std::vector<std::string>& sentences, const SentenceOptions& options,
    const std::vector<const engine::CancelToken*>& cancel) {
  SentenceOptions first_options = options;
  first_options.n_best = 1;  // alternatives come from the second hop
  // Alignments are not composed over the two hops: a pivot's results have none (the markup falls back to
  // its proportional placement).
  first_options.alignment = false;
  SentenceOptions second_options = options;
  second_options.alignment = false;
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<SentenceResult> english,
                             first_->TranslateBatch(sentences, first_options, cancel));
  if (english.size() != sentences.size()) {
    return Status::Internal("the first model of a pivot returned a wrong number of results");
  }
  std::vector<SentenceResult> out(sentences.size());
  std::vector<std::string> second_input;
  std::vector<const engine::CancelToken*> second_cancel;
  std::vector<size_t> second_index;
  for (size_t i = 0; i < english.size(); ++i) {
    out[i].source_tokens = english[i].source_tokens;
    if (english[i].cancelled) {
      out[i].cancelled = true;
      continue;
    }
    const std::string& text = english[i].hypotheses.empty() ? std::string() : english[i].hypotheses[0];
    if (text.empty()) {  // nothing to translate further (the backend contract forbids empty sentences)
      out[i].hypotheses.assign(std::max(1, options.n_best), std::string());
      continue;
    }
    second_input.push_back(text);
    second_cancel.push_back(cancel.empty() ? nullptr : cancel[i]);
    second_index.push_back(i);
  }
  if (second_input.empty()) return out;
  DOLMETSCH_ASSIGN_OR_RETURN(std::vector<SentenceResult> target,
                             second_->TranslateBatch(second_input, second_options, second_cancel));
  if (target.size() != second_input.size()) {
    return Status::Internal("the second model of a pivot returned a wrong number of results");
  }
  for (size_t k = 0; k < target.size(); ++k) {
    SentenceResult& r = out[second_index[k]];
    r.hypotheses = std::move(target[k].hypotheses);
    r.target_tokens = target[k].target_tokens;
    r.cancelled = target[k].cancelled;
  }
  return out;
}

}  // namespace dolmetsch::translator
