// SchedulerSentenceTranslator: the document pipeline's text::SentenceTranslator, implemented by submitting
// each batch to the cross-request Scheduler (as one Job), so that the batches of all documents in flight
// share decodes. One instance serves one request: it carries that request's search options, deadline and
// cancellation.
// Thread-safety: TranslateBatch may be called from several threads; the scheduler does the sharing.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "text/document_translator.h"
#include "translator/backend.h"
#include "translator/scheduler.h"

namespace dolmetsch::translator {

class SchedulerSentenceTranslator : public text::SentenceTranslator {
 public:
  // `scheduler` and `backend` (used for token counts only) must outlive this object.
  SchedulerSentenceTranslator(Scheduler* scheduler, const BatchBackend* backend, SentenceOptions options,
                              int max_source_tokens, std::string cache_key,
                              std::chrono::steady_clock::time_point deadline,
                              std::function<bool()> is_cancelled = nullptr)
      : scheduler_(scheduler),
        backend_(backend),
        options_(options),
        max_source_tokens_(max_source_tokens),
        cache_key_(std::move(cache_key)),
        deadline_(deadline),
        is_cancelled_(std::move(is_cancelled)) {}

  int CountTokens(std::string_view sentence) const override;
  int max_source_tokens() const override { return max_source_tokens_; }
  // Errors: ResourceExhausted (queue full), DeadlineExceeded, Cancelled, or the backend's.
  StatusOr<std::vector<std::string>> TranslateBatch(const std::vector<std::string>& sentences,
                                                    const text::BatchOptions& options) override;
  std::string cache_key() const override { return cache_key_; }

 private:
  Scheduler* scheduler_;
  const BatchBackend* backend_;
  SentenceOptions options_;
  int max_source_tokens_;
  std::string cache_key_;
  std::chrono::steady_clock::time_point deadline_;
  std::function<bool()> is_cancelled_;
};

}  // namespace dolmetsch::translator
