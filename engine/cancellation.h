// CancelToken: a flag that asks a running translation to stop early.
//
// Whoever owns a piece of work (a scheduler job, a whole batch) holds a token and calls Cancel(); the engine
// polls cancelled() between encoder layers and between decoding steps (engine/translator.h says what a
// cancelled sentence or batch returns). The engine never waits on a token: work ends at the next check,
// i.e. within one step.
// Thread-safety: Cancel and cancelled may be called from any thread at any time; polling is one relaxed
// atomic load (cheap enough for every step). A token cannot be reset: make a new one for new work.
#pragma once

#include <atomic>

namespace dolmetsch::engine {

class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  void Cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

// True when `token` is set and cancelled (a null token is never cancelled).
inline bool IsCancelled(const CancelToken* token) { return token != nullptr && token->cancelled(); }

}  // namespace dolmetsch::engine
