// Backends for a service that serves several models (catalog::ModelCatalog, catalog::ModelRegistry):
//
// RegistryBackend: one model of the registry, for one target. Each batch acquires the model from the registry
// (loading it on first use, or again after it was unloaded) and holds it for the batch, so the registry never
// unloads a model while one of its batches decodes. Token counts come from the model's tokenizer, loaded
// once by the backend (a few MB) and kept: counting never loads an unloaded model again. A multilingual
// model's target token (">>fra<<") is put in front of every sentence, as the Hugging Face Marian tokenizer
// expects it in the source text; the engine's tokenizer keeps a leading >>xxx<< as one token, so the ids
// equal transformers' for ">>fra<< text". Server-wide caps (BackendCaps, for benchmarks on random models)
// apply to every batch.
//
// PivotBackend: SRC -> en -> TGT: each batch goes through the first backend (best hypothesis only, same
// search settings), then the English translations through the second, whose hypotheses are the answer. A
// sentence's result still depends on that sentence alone. Token counts and the source limit are the first's.
//
// Thread-safety: TranslateBatch may run on several scheduler workers at once (the registry and the engine
// allow it); the objects hold no mutable state.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "catalog/model_catalog.h"
#include "catalog/model_registry.h"
#include "engine/tokenizer.h"
#include "translator/backend.h"

namespace dolmetsch::translator {

// Server-wide search caps: at most max_new_tokens generated tokens (0: no cap); forced_new_tokens >= 0 makes
// every sentence decode exactly that many tokens (benchmarks only).
struct BackendCaps {
  int max_new_tokens = 0;
  int forced_new_tokens = -1;
};
SentenceOptions ApplyCaps(SentenceOptions options, const BackendCaps& caps);

class RegistryBackend : public BatchBackend {
 public:
  // `registry` and `model` must outlive the backend; `target_token` is "" for single-target models.
  RegistryBackend(catalog::ModelRegistry* registry, const catalog::ModelSpec* model, std::string target_token,
                  BackendCaps caps);
  // When the tokenizer or config cannot be read, about one token per 4 bytes and 512 (the batches then
  // fail with the load's error); callers that want the error Acquire the model first.
  int CountTokens(const std::string& sentence) const override;
  int max_source_tokens() const override;
  StatusOr<std::vector<SentenceResult>> TranslateBatch(
      const std::vector<std::string>& sentences, const SentenceOptions& options,
      const std::vector<const engine::CancelToken*>& cancel) override;

  const catalog::ModelSpec& model() const { return *model_; }

 private:
  std::string WithToken(const std::string& sentence) const;
  void LoadTokenizerOnce() const;

  catalog::ModelRegistry* const registry_;
  const catalog::ModelSpec* const model_;
  const std::string prefix_;  // "" or ">>fra<< "
  const BackendCaps caps_;
  mutable std::once_flag tokenizer_once_;
  mutable std::unique_ptr<engine::MarianTokenizer> tokenizer_;  // null when it could not be loaded
  mutable int max_positions_ = 512;
};

class PivotBackend : public BatchBackend {
 public:
  // Both must outlive the backend.
  PivotBackend(BatchBackend* first, BatchBackend* second) : first_(first), second_(second) {}
  int CountTokens(const std::string& sentence) const override { return first_->CountTokens(sentence); }
  int max_source_tokens() const override { return first_->max_source_tokens(); }
  StatusOr<std::vector<SentenceResult>> TranslateBatch(
      const std::vector<std::string>& sentences, const SentenceOptions& options,
      const std::vector<const engine::CancelToken*>& cancel) override;

 private:
  BatchBackend* const first_;
  BatchBackend* const second_;
};

}  // namespace dolmetsch::translator
