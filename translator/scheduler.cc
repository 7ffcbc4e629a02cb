#include "translator/scheduler.h"

#include <algorithm>
#include <numeric>

#include "translator/metrics.h"

namespace dolmetsch::translator {

size_t Job::PrefixLocked() const { return prefix_; }

Status Job::WaitUntil(Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(*mu_);
  if (!cv_.wait_until(lock, deadline, [this] { return ended_; })) {
    return Status::DeadlineExceeded("the translation did not finish before the request deadline");
  }
  return status_;
}

size_t Job::WaitForProgress(size_t known_prefix, Clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(*mu_);
  cv_.wait_until(lock, deadline, [&] { return ended_ || prefix_ > known_prefix; });
  return prefix_;
}

void Job::Cancel() {
  std::lock_guard<std::mutex> lock(*mu_);
  scheduler_->CancelLocked(*this, Status::Cancelled("the request was cancelled"));
}

void Job::OnChange(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(*mu_);
  on_change_ = std::move(fn);
  if (ended_ && on_change_) on_change_();
}

bool Job::finished() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return ended_;
}

Status Job::status() const {
  std::lock_guard<std::mutex> lock(*mu_);
  return status_;
}

Scheduler::Scheduler(BatchBackend* backend, Options options, Metrics* metrics)
    : backend_(backend), options_(options), metrics_(metrics) {
  int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    // Running batches stop within one decoding step, so the joins below do not wait for them to finish.
    for (Job* job : active_set_) job->cancel_.Cancel();
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Job*> jobs(active_set_.begin(), active_set_.end());
  for (Job* job : jobs) FinishJobLocked(*job, Status::Cancelled("the translator is shutting down"));
  waiting_.clear();
}

StatusOr<std::shared_ptr<Job>> Scheduler::Submit(std::vector<std::string> sentences,
                                                 const SentenceOptions& options, BatchBackend* backend,
                                                 std::string model) {
  if (backend == nullptr) backend = backend_;
  if (backend == nullptr) return Status::Internal("a job was submitted without a backend");
  // Token counts are computed outside the lock: tokenizing a long document takes a while.
  std::vector<int> tokens(sentences.size(), 0);
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (!sentences[i].empty()) tokens[i] = std::max(1, backend->CountTokens(sentences[i]));
  }
  std::shared_ptr<Job> job(
      new Job(std::move(sentences), std::move(tokens), options, backend, std::move(model)));
  job->scheduler_ = this;
  job->mu_ = &mu_;
  long long to_queue = 0;
  for (size_t i = 0; i < job->size(); ++i) to_queue += job->sentences_[i].empty() ? 0 : 1;

  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("the translator is shutting down");
  if (active_jobs_ >= options_.max_active_jobs) {
    return Status::ResourceExhausted("too many translation requests in progress (" +
                                     std::to_string(active_jobs_) + "); retry later");
  }
  if (queued_sentences_ > 0 && queued_sentences_ + to_queue > options_.max_queued_sentences) {
    return Status::ResourceExhausted("the translation queue is full (" + std::to_string(queued_sentences_) +
                                     " sentences waiting); retry later");
  }
  ++active_jobs_;
  active_set_.insert(job.get());
  // Empty sentences need no decode: finish them now.
  for (size_t i = 0; i < job->size(); ++i) {
    if (job->sentences_[i].empty()) {
      job->results_[i].hypotheses.assign(std::max(1, options.n_best), std::string());
      job->done_flags_[i] = true;
      ++job->done_;
    }
  }
  while (job->prefix_ < job->size() && job->done_flags_[job->prefix_]) ++job->prefix_;
  while (job->next_ < job->size() && job->sentences_[job->next_].empty()) ++job->next_;
  if (job->done_ == job->size()) {
    FinishJobLocked(*job, Status::Ok());
  } else {
    queued_sentences_ += to_queue;
    waiting_.push_back(job);
    work_cv_.notify_one();
  }
  UpdateGaugesLocked();
  return job;
}

void Scheduler::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Job*> jobs(active_set_.begin(), active_set_.end());
  for (Job* job : jobs) CancelLocked(*job, Status::Cancelled("the translator is shutting down"));
}

long long Scheduler::queued_sentences() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_sentences_;
}

int Scheduler::active_jobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_jobs_;
}

void Scheduler::FinishJobLocked(Job& job, Status status) {
  if (job.ended_) return;
  job.ended_ = true;
  job.status_ = std::move(status);
  --active_jobs_;
  active_set_.erase(&job);
  job.cv_.notify_all();
  if (job.on_change_) job.on_change_();
  UpdateGaugesLocked();
}

void Scheduler::DropRemainingLocked(Job& job) {
  job.cancelled_ = true;
  job.cancel_.Cancel();  // its sentences in running batches stop too
  long long dropped = 0;
  for (size_t i = job.next_; i < job.size(); ++i) dropped += job.sentences_[i].empty() ? 0 : 1;
  queued_sentences_ -= dropped;
  job.next_ = job.size();
  waiting_.remove_if([&job](const std::shared_ptr<Job>& j) { return j.get() == &job; });
}

void Scheduler::CancelLocked(Job& job, Status status) {
  if (job.ended_ || job.cancelled_) return;
  DropRemainingLocked(job);
  // Ends now: sentences still in running batches stop within a step and their results are dropped.
  FinishJobLocked(job, std::move(status));
  UpdateGaugesLocked();
}

void Scheduler::UpdateGaugesLocked() {
  if (metrics_ != nullptr) metrics_->SetQueueDepth(queued_sentences_, active_jobs_);
}

void Scheduler::WorkerLoop() {
  struct Item {
    std::shared_ptr<Job> job;
    size_t index;
  };
  for (;;) {
    std::vector<Item> batch;
    SentenceOptions batch_options;
    BatchBackend* batch_backend = nullptr;
    std::string batch_model;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (stopping_) return;
      batch_options = waiting_.front()->options_;
      batch_backend = waiting_.front()->backend_;
      batch_model = waiting_.front()->model_;
      long long tokens = 0;
      std::vector<std::shared_ptr<Job>> contributed;
      // Round robin: one sentence per compatible job per pass, until the budget is used up.
      bool progress = true;
      bool full = false;
      while (progress && !full) {
        progress = false;
        for (const std::shared_ptr<Job>& job : waiting_) {
          if (!(job->options_ == batch_options) || job->backend_ != batch_backend ||
              job->next_ >= job->size()) {
            continue;
          }
          size_t i = job->next_;
          int t = job->tokens_[i];
          if (!batch.empty() && (tokens + t > options_.max_batch_tokens ||
                                 static_cast<int>(batch.size()) >= options_.max_batch_sentences)) {
            full = true;
            break;
          }
          batch.push_back({job, i});
          tokens += t;
          ++job->in_flight_;
          ++job->next_;
          while (job->next_ < job->size() && job->sentences_[job->next_].empty()) ++job->next_;
          if (std::find(contributed.begin(), contributed.end(), job) == contributed.end()) {
            contributed.push_back(job);
          }
          progress = true;
        }
      }
      queued_sentences_ -= static_cast<long long>(batch.size());
      // Rotate: jobs served now move behind those that were not; drained jobs leave the list.
      for (const std::shared_ptr<Job>& job : contributed) {
        waiting_.remove(job);
        if (job->next_ < job->size()) waiting_.push_back(job);
      }
      UpdateGaugesLocked();
      if (!waiting_.empty()) work_cv_.notify_one();  // another worker may form the next batch
    }

    // Sort by length so that padding is small inside the engine; remember where each came from.
    std::vector<size_t> order(batch.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return batch[a].job->tokens_[batch[a].index] < batch[b].job->tokens_[batch[b].index];
    });
    // Each sentence's own bound (never the batch's longest): its translation does not depend on the batch.
    if (options_.output_factor > 0 && batch_options.max_length == 0 && batch_options.max_new_tokens == 0) {
      batch_options.output_factor = options_.output_factor;
      batch_options.output_slack = options_.output_slack;
    }
    std::vector<std::string> texts;
    std::vector<const engine::CancelToken*> cancel;
    texts.reserve(batch.size());
    cancel.reserve(batch.size());
    for (size_t k : order) {
      texts.push_back(batch[k].job->sentences_[batch[k].index]);
      cancel.push_back(&batch[k].job->cancel_);  // alive: `batch` holds the job
    }

    auto start = std::chrono::steady_clock::now();
    StatusOr<std::vector<SentenceResult>> results =
        batch_backend->TranslateBatch(texts, batch_options, cancel);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (results.ok() && results->size() != texts.size()) {
      results = Status::Internal("the backend returned a wrong number of results");
    }

    std::lock_guard<std::mutex> lock(mu_);
    long long source_tokens = 0, target_tokens = 0;
    for (size_t pos = 0; pos < order.size(); ++pos) {
      Item& item = batch[order[pos]];
      Job& job = *item.job;
      --job.in_flight_;
      if (job.ended_ || job.cancelled_) continue;  // a cancelled or failed job's results are dropped
      if (results.ok() && (*results)[pos].cancelled) {
        // Only a cancelled job's token stops a sentence, and that job was skipped above.
        job.status_ = Status::Internal("a sentence was cancelled although its request was not");
      } else if (results.ok()) {
        SentenceResult& r = (*results)[pos];
        source_tokens += r.source_tokens;
        target_tokens += r.target_tokens;
        job.results_[item.index] = std::move(r);
        job.done_flags_[item.index] = true;
        ++job.done_;
        while (job.prefix_ < job.size() && job.done_flags_[job.prefix_]) ++job.prefix_;
      } else if (job.status_.ok()) {
        job.status_ = results.status();
      }
    }
    if (metrics_ != nullptr && results.ok()) {
      metrics_->ObserveBatch(static_cast<int>(order.size()), source_tokens, target_tokens, seconds,
                             batch_model);
    }
    for (Item& item : batch) {
      Job& job = *item.job;
      if (job.ended_) continue;
      if (!job.status_.ok()) {
        // A failed batch fails its jobs: drop their remaining work.
        if (!job.cancelled_) DropRemainingLocked(job);
        if (job.in_flight_ == 0) FinishJobLocked(job, job.status_);
      } else if (job.cancelled_) {
        if (job.in_flight_ == 0) FinishJobLocked(job, Status::Cancelled("the request was cancelled"));
      } else if (job.done_ == job.size()) {
        FinishJobLocked(job, Status::Ok());
      } else {
        job.cv_.notify_all();  // progress
        if (job.on_change_) job.on_change_();
      }
    }
  }
}

}  // namespace dolmetsch::translator
