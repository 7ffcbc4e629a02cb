// FakeBackend: a BatchBackend for tests. "Translates" a sentence to "<options.beam_size>:<SENTENCE in upper
// case>" (with options.alignment: each space-separated word aligned to itself), counts one token per
// space-separated word (max_source_tokens: settable), records every batch, can
// be held at a gate (so tests can pile requests up while a batch "runs"), and can be told to fail. A sentence
// whose cancel token is set when the gate opens comes back cancelled, as from the engine.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "translator/backend.h"

namespace dolmetsch::translator {

class FakeBackend : public BatchBackend {
 public:
  int CountTokens(const std::string& s) const override {
    return 1 + static_cast<int>(std::count(s.begin(), s.end(), ' '));
  }
  int max_source_tokens() const override { return max_source_tokens_; }
  void set_max_source_tokens(int n) { max_source_tokens_ = n; }

  StatusOr<std::vector<SentenceResult>> TranslateBatch(
      const std::vector<std::string>& sentences, const SentenceOptions& options,
      const std::vector<const engine::CancelToken*>& cancel) override {
    std::unique_lock<std::mutex> lock(mu_);
    batches_.push_back(sentences);
    batch_options_.push_back(options);
    batch_cancel_.push_back(cancel);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_ || passes_ > 0; });
    if (!open_) --passes_;
    if (delay_ms_ > 0) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      lock.lock();
    }
    if (!fail_with_.ok()) return fail_with_;
    std::vector<SentenceResult> out;
    for (size_t i = 0; i < sentences.size(); ++i) {
      const std::string& s = sentences[i];
      SentenceResult r;
      if (i < cancel.size() && engine::IsCancelled(cancel[i])) {  // as the engine answers a cancelled row
        r.cancelled = true;
        out.push_back(std::move(r));
        continue;
      }
      for (int k = 0; k < std::max(1, options.n_best); ++k) {
        std::string t = std::to_string(options.beam_size) + ":" + s;
        for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (k > 0) t += "#" + std::to_string(k);
        r.hypotheses.push_back(t);
      }
      if (options.alignment) {  // word i of the translation (after the "<beam>:" prefix) to word i
        const size_t prefix = std::to_string(options.beam_size).size() + 1;
        for (size_t b = 0; b < s.size();) {
          size_t e = s.find(' ', b);
          if (e == std::string::npos) e = s.size();
          if (e > b) r.alignment.push_back({{prefix + b, prefix + e}, {b, e}});
          b = e + 1;
        }
      }
      r.source_tokens = CountTokens(s) + 1;
      r.target_tokens = r.source_tokens;
      out.push_back(std::move(r));
    }
    return out;
  }

  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  // Lets one held (or the next) batch through while the gate stays closed for the ones after it.
  void LetOneThrough() {
    std::lock_guard<std::mutex> lock(mu_);
    ++passes_;
    cv_.notify_all();
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until `n` batches have entered TranslateBatch (held or not).
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_ >= n; });
  }
  void FailWith(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_with_ = std::move(s);
  }
  void SetDelayMs(int ms) {
    std::lock_guard<std::mutex> lock(mu_);
    delay_ms_ = ms;
  }
  std::vector<std::vector<std::string>> batches() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::vector<SentenceOptions> batch_options() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batch_options_;
  }
  // The cancel tokens each batch got (one per sentence).
  std::vector<std::vector<const engine::CancelToken*>> batch_cancel() const {
    std::lock_guard<std::mutex> lock(mu_);
    return batch_cancel_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int passes_ = 0;
  int entered_ = 0;
  int delay_ms_ = 0;
  int max_source_tokens_ = 512;
  Status fail_with_;
  std::vector<std::vector<std::string>> batches_;
  std::vector<SentenceOptions> batch_options_;
  std::vector<std::vector<const engine::CancelToken*>> batch_cancel_;
};

}  // namespace dolmetsch::translator
