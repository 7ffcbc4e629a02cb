#include "translator/scheduler_sentence_translator.h"

#include <algorithm>

namespace dolmetsch::translator {

int SchedulerSentenceTranslator::CountTokens(std::string_view sentence) const {
  return backend_->CountTokens(std::string(sentence));
}

StatusOr<std::vector<std::string>> SchedulerSentenceTranslator::TranslateBatch(
    const std::vector<std::string>& sentences, const text::BatchOptions& batch_options) {
  SentenceOptions options = options_;
  if (batch_options.max_new_tokens > 0 &&
      (options.max_new_tokens == 0 || batch_options.max_new_tokens < options.max_new_tokens)) {
    options.max_new_tokens = batch_options.max_new_tokens;
  }
  DOLMETSCH_ASSIGN_OR_RETURN(std::shared_ptr<Job> job, scheduler_->Submit(sentences, options));
  for (;;) {
    auto slice = std::min(deadline_, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    Status s = job->WaitUntil(slice);
    if (s.ok()) break;
    if (s.code() != Status::Code::kDeadlineExceeded) return s;
    if (std::chrono::steady_clock::now() >= deadline_) {
      job->Cancel();
      return Status::DeadlineExceeded("the translation did not finish before the request deadline");
    }
    if (is_cancelled_ && is_cancelled_()) {
      job->Cancel();
      return Status::Cancelled("the request was cancelled");
    }
  }
  std::vector<std::string> out;
  out.reserve(job->size());
  for (size_t i = 0; i < job->size(); ++i) out.push_back(job->result(i).hypotheses.at(0));
  return out;
}

}  // namespace dolmetsch::translator
