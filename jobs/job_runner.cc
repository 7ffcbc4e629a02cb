#include "jobs/job_runner.h"

#include <algorithm>
#include <optional>

namespace dolmetsch::jobs {
namespace {

bool LeaseGone(const Status& s) {
  // Cancelled by its owner, taken over by another worker, or deleted: this worker must let go.
  return s.code() == Status::Code::kCancelled || s.code() == Status::Code::kNotFound ||
         (s.code() == Status::Code::kUnavailable && s.message().find("lease lost") != std::string::npos);
}

}  // namespace

StatusOr<store::JobFile> PieceTranslator::TranslateFile(const store::JobFile&, const std::string&,
                                                        const std::string&, int64_t, const std::atomic<bool>&,
                                                        const OnPiece&) {
  return Status::InvalidArgument("this server cannot translate files; paste the text instead");
}

JobRunner::JobRunner(store::JobStore* store, PieceTranslator* translator, RunnerOptions options)
    : store_(store), translator_(translator), options_(std::move(options)) {}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Start() {
  stopping_ = false;
  claiming_ = true;
  for (int n = 0; n < std::max(1, options_.workers); ++n) threads_.emplace_back([this, n] { WorkerLoop(n); });
}

void JobRunner::Stop() {
  stopping_ = true;
  Wake();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void JobRunner::StopClaiming() {
  claiming_ = false;
  Wake();
}

void JobRunner::Wake() {
  std::lock_guard<std::mutex> lock(wake_mu_);
  ++wake_generation_;
  wake_cv_.notify_all();
}

void JobRunner::WorkerLoop(int n) {
  const std::string worker = options_.worker_prefix + "-" + std::to_string(n);
  while (!stopping_) {
    uint64_t generation;
    {
      std::lock_guard<std::mutex> lock(wake_mu_);
      generation = wake_generation_;
    }
    StatusOr<std::optional<store::JobRecord>> claimed = std::optional<store::JobRecord>();
    if (claiming_) claimed = store_->ClaimJob(worker, options_.lease.count());
    if (claimed.ok() && claimed->has_value()) {
      RunJob(worker, **claimed);
      continue;
    }
    // Nothing to do (or the database is down): wait for a wake-up or the next poll.
    std::unique_lock<std::mutex> lock(wake_mu_);
    wake_cv_.wait_for(lock, options_.idle_poll, [&] { return stopping_ || wake_generation_ != generation; });
  }
}

void JobRunner::RunJob(const std::string& worker, const store::JobRecord& job) {
  const bool is_file = !job.file_name.empty();
  std::optional<store::JobFile> input;
  while (!stopping_) {
    if (is_file && !input) {
      StatusOr<store::JobFile> file = store_->GetJobFile(job.id, std::nullopt, /*output=*/false);
      if (!file.ok()) {
        if (LeaseGone(file.status())) ++abandoned_;
        return;  // the database is down (or the job is gone): its lease expires, it is claimed again later
      }
      input = std::move(file).value();
    }
    // The checkpoint: the contiguous pieces 0..k-1 saved by earlier workers.
    StatusOr<std::vector<store::JobUnit>> saved = store_->LoadUnits(job.id, std::nullopt, 0);
    if (!saved.ok()) {
      if (LeaseGone(saved.status())) ++abandoned_;
      return;  // the database is down: the lease expires and the job is claimed again later
    }
    std::string text_en;
    int64_t next_index = 0;
    for (const store::JobUnit& unit : *saved) {
      if (unit.index != next_index) break;
      text_en += unit.text_en;
      ++next_index;
    }

    std::atomic<bool> cancelled{false};
    std::mutex mu;  // guards the fields below, written from the translator's callback
    std::vector<store::JobUnit> pending;
    int64_t total = std::max<int64_t>(job.total_units, next_index);
    Status gone;  // why this worker lost the job, if it did
    auto last_save = std::chrono::steady_clock::now();

    auto flush_locked = [&]() {
      if (!gone.ok()) return;
      Status s = pending.empty() ? store_->RenewLease(job.id, worker, options_.lease.count())
                                 : store_->SaveUnits(job.id, worker, pending, total, options_.lease.count());
      last_save = std::chrono::steady_clock::now();
      if (s.ok()) {
        pending.clear();
      } else if (LeaseGone(s)) {
        gone = s;
        cancelled = true;
      }  // else: the database hiccuped; keep the pieces and try again at the next flush
    };

    // Keeps the lease while a long segment is being translated, and passes Stop() on to the translation.
    std::mutex keeper_mu;
    std::condition_variable keeper_cv;
    bool keeper_stop = false;
    std::thread keeper([&] {
      std::unique_lock<std::mutex> lock(keeper_mu);
      while (!keeper_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return keeper_stop; })) {
        if (stopping_) cancelled = true;
        std::lock_guard<std::mutex> guard(mu);
        if (std::chrono::steady_clock::now() - last_save >= options_.lease / 3) flush_locked();
      }
    });

    int64_t expected = next_index;
    auto on_piece = [&](int64_t index, int64_t total_segments, const std::string& piece) {
      std::lock_guard<std::mutex> lock(mu);
      total = total_segments;
      // A segment whose output was empty arrives together with the next one: its unit is empty.
      for (; expected < index; ++expected) pending.push_back({expected, ""});
      pending.push_back({index, piece});
      text_en += piece;
      expected = index + 1;
      if (stopping_) cancelled = true;
      if (std::chrono::steady_clock::now() - last_save >= options_.checkpoint_interval) flush_locked();
    };
    Status translated;
    std::optional<store::JobFile> output;
    if (is_file) {
      StatusOr<store::JobFile> file = translator_->TranslateFile(*input, job.source_lang, job.target_lang,
                                                                 next_index, cancelled, on_piece);
      translated = file.status();
      if (file.ok()) output = std::move(file).value();
    } else {
      translated = translator_->Translate(job.text_de, job.source_lang, job.target_lang, next_index,
                                          cancelled, on_piece);
    }
    {
      std::lock_guard<std::mutex> lock(keeper_mu);
      keeper_stop = true;
    }
    keeper_cv.notify_all();
    keeper.join();

    std::lock_guard<std::mutex> lock(mu);
    flush_locked();  // whatever happened, keep what was translated
    if (!gone.ok()) {
      ++abandoned_;
      return;
    }
    if (translated.ok()) {
      if (expected < total) {
        Status s = store_->FailJob(job.id, worker,
                                   "the translator returned " + std::to_string(expected) + " of " +
                                       std::to_string(total) + (is_file ? " blocks" : " sentences") +
                                       "; please submit it again");
        (void)s;
        ++failed_;
        return;
      }
      if (!pending.empty()) return;  // could not checkpoint: the lease expires and the job is retried
      StatusOr<int64_t> history = store_->CompleteJob(job.id, worker, text_en, output ? &*output : nullptr);
      if (history.ok()) {
        ++completed_;
      } else if (LeaseGone(history.status())) {
        ++abandoned_;
      }
      return;
    }
    if (translated.code() == Status::Code::kCancelled) return;  // stopping: the checkpoint stays
    if (translated.code() == Status::Code::kUnavailable) {
      // The translator is down or busy: keep the job (and renew its lease), try again after a pause.
      std::unique_lock<std::mutex> wait_lock(wake_mu_);
      wake_cv_.wait_for(wait_lock, options_.retry_backoff, [&] { return stopping_.load(); });
      wait_lock.unlock();
      if (!store_->RenewLease(job.id, worker, options_.lease.count()).ok()) return;
      continue;
    }
    Status s = store_->FailJob(job.id, worker, translated.message());
    (void)s;
    ++failed_;
    return;
  }
}

}  // namespace dolmetsch::jobs
