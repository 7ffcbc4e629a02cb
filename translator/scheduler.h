// Scheduler: batches sentences across all requests in flight and runs them on a BatchBackend.
//
// Each request Submits its sentences as one Job, for one backend (one model, or one route through several:
// the scheduler serves many models, each job naming its own; a batch only ever holds jobs of one backend
// and equal options, and the round robin below makes the models take turns as the requests do). Worker
// threads repeatedly form a batch from the jobs that
// have sentences waiting: they take one sentence from each job in turn (round robin, oldest job first, then
// the job order rotates), so a huge document cannot starve short requests; only jobs with equal
// SentenceOptions share a batch; a batch stops at `max_batch_tokens` source tokens or `max_batch_sentences`;
// the batch is sorted by length before decoding. A new batch is formed as soon as a worker is free, from
// whatever is waiting then (continuous batching at batch granularity; a running decode is not joined).
// Unless a request bounds its output itself, each sentence gets its own bound from its own source length
// (Options::output_factor), so a sentence is translated the same whatever it is batched with. Cancellation:
// each Job has an engine::CancelToken; Job::Cancel, CancelAll and the destructor cancel it, which drops the
// job's waiting sentences and stops its sentences in running batches within one decoding step (the other
// jobs' sentences in those batches continue unharmed); the job ends with Cancelled at once. Admission is
// bounded: Submit fails with ResourceExhausted when `max_active_jobs`
// jobs are unfinished or the waiting sentences would exceed `max_queued_sentences` (a single job is always
// admitted into an empty queue, so an unlimited text is never refused for its size alone). Thread-safety: all
// methods of Scheduler and Job may be called from any thread. A Job must not be used after its Scheduler is
// destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/cancellation.h"
#include "translator/backend.h"
#include "util/status.h"

namespace dolmetsch::translator {

class Metrics;

class Job {
 public:
  using Clock = std::chrono::steady_clock;

  size_t size() const { return sentences_.size(); }
  // Blocks until every sentence is translated (ok), the job failed or was cancelled (that status), or
  // `deadline` passed (DeadlineExceeded; the job keeps running: call Cancel to drop its remaining work).
  Status WaitUntil(Clock::time_point deadline);
  // Blocks until the count of leading sentences that are finished exceeds `known_prefix`, the job ended,
  // or `deadline`; returns that count. For progress streaming in document order.
  size_t WaitForProgress(size_t known_prefix, Clock::time_point deadline);
  // Drops sentences not yet in a batch and stops those decoding within one step; WaitUntil then returns
  // Cancelled at once (unless already finished). For a client that went away or a cancelled request.
  void Cancel();
  // Calls `fn` whenever the finished prefix grows or the job ends (at once if it has ended), so that an
  // event loop can wait without a thread. It runs on a scheduler thread with the scheduler's lock held: it
  // must only hand off (post to an event loop), never call back into the scheduler or the job. nullptr
  // removes it (the job may outlive its request: remove what the callback holds when the request ends).
  void OnChange(std::function<void()> fn);
  bool finished() const;
  Status status() const;
  // Results of the leading `prefix` sentences are stable once WaitForProgress reported them.
  const SentenceResult& result(size_t i) const { return results_[i]; }

 private:
  friend class Scheduler;
  Job(std::vector<std::string> sentences, std::vector<int> tokens, SentenceOptions options,
      BatchBackend* backend, std::string model)
      : backend_(backend),
        model_(std::move(model)),
        sentences_(std::move(sentences)),
        tokens_(std::move(tokens)),
        options_(options),
        results_(sentences_.size()),
        done_flags_(sentences_.size(), false) {}
  size_t PrefixLocked() const;

  BatchBackend* const backend_;
  const std::string model_;  // metrics label ("de-en")
  const std::vector<std::string> sentences_;
  const std::vector<int> tokens_;
  const SentenceOptions options_;
  std::vector<SentenceResult> results_;
  engine::CancelToken cancel_;  // polled by the engine while the job's sentences decode

  // Guarded by the scheduler's mutex (mu_ below points to it).
  class Scheduler* scheduler_ = nullptr;
  std::mutex* mu_ = nullptr;
  std::condition_variable cv_;
  size_t next_ = 0;       // next sentence to put into a batch
  size_t in_flight_ = 0;  // sentences in running batches
  size_t done_ = 0;
  size_t prefix_ = 0;
  std::vector<bool> done_flags_;
  bool cancelled_ = false;
  Status status_;  // first error
  bool ended_ = false;
  std::function<void()> on_change_;
};

class Scheduler {
 public:
  struct Options {
    int workers = 1;
    int max_batch_tokens = 4096;
    int max_batch_sentences = 64;
    int max_active_jobs = 256;
    long long max_queued_sentences = 200000;
    // Bound on generated tokens when a request sets neither max_length nor max_new_tokens, per sentence:
    // ceil(output_factor * its source tokens) + output_slack, so a decoder that never emits EOS stops early
    // (the document pipeline uses the same rule). output_factor 0: off.
    double output_factor = 2.0;
    int output_slack = 8;
  };

  // `backend` (the default for jobs that name none; may be null when every job names its own) and `metrics`
  // (may be null) must outlive the scheduler.
  Scheduler(BatchBackend* backend, Options options, Metrics* metrics = nullptr);
  ~Scheduler();  // stops the workers; unfinished jobs end with Cancelled
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Empty sentences are answered with an empty result without a decode.
  // `backend` (null: the scheduler's) must outlive the job; `model` labels its batches in the metrics.
  StatusOr<std::shared_ptr<Job>> Submit(std::vector<std::string> sentences, const SentenceOptions& options,
                                        BatchBackend* backend = nullptr, std::string model = "");

  // Cancels every unfinished job as Job::Cancel does: sentences in running batches stop within one decoding
  // step, waiters get Cancelled ("the translator is shutting down") at once. For the end of a shutdown's
  // grace period; Submit still works afterwards (new jobs are not affected).
  void CancelAll();

  long long queued_sentences() const;
  int active_jobs() const;

 private:
  friend class Job;
  void WorkerLoop();
  void CancelLocked(Job& job, Status status);
  void DropRemainingLocked(Job& job);
  void FinishJobLocked(Job& job, Status status);
  void UpdateGaugesLocked();

  BatchBackend* const backend_;
  const Options options_;
  Metrics* const metrics_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::list<std::shared_ptr<Job>> waiting_;  // jobs with sentences not yet batched, in round-robin order
  int active_jobs_ = 0;                      // submitted and not ended
  std::set<Job*> active_set_;                // the same jobs
  long long queued_sentences_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace dolmetsch::translator
