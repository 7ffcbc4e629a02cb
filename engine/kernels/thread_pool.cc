#include "engine/kernels/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>

namespace dolmetsch::engine::kernels {
namespace {
// How long an idle worker spins before sleeping: longer than the gaps between the GEMMs of a decoder
// step, shorter than the search's work between steps on a long vocabulary.
constexpr auto kSpin = std::chrono::microseconds(300);

// state_ packs the job generation (high 32 bits), the next unclaimed task (bits 16..31) and the task count
// (bits 0..15), so that a claim is one compare-and-swap that fails for a finished or newer job.
constexpr uint64_t Pack(uint32_t generation, uint32_t next, uint32_t tasks) {
  return (static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(next) << 16) | tasks;
}
constexpr uint32_t Generation(uint64_t s) { return static_cast<uint32_t>(s >> 32); }
constexpr uint32_t Next(uint64_t s) { return static_cast<uint32_t>(s >> 16) & 0xffff; }
constexpr uint32_t Tasks(uint64_t s) { return static_cast<uint32_t>(s) & 0xffff; }
}  // namespace

ThreadPool& ThreadPool::Global() {
  static ThreadPool* pool = new ThreadPool();  // never destroyed: workers may outlive static destructors
  return *pool;
}

ThreadPool::~ThreadPool() { StopWorkers(); }

void ThreadPool::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  stop_ = false;
}

void ThreadPool::SetThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::lock_guard<std::mutex> run(run_mutex_);
  if (threads == this->threads()) return;
  StopWorkers();
  // Workers start from the current generation: a job published before a new thread first runs must still
  // count as new to it.
  const uint32_t generation = Generation(state_.load());
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, generation] { WorkerLoop(generation); });
}

void ThreadPool::Drain(uint32_t generation) {
  uint64_t s = state_.load(std::memory_order_acquire);
  while (Generation(s) == generation && Next(s) < Tasks(s)) {
    if (!state_.compare_exchange_weak(s, s + (1u << 16), std::memory_order_acq_rel)) continue;
    // The claim succeeded, so the job is still running (it cannot end before this task is done) and
    // fn_/ctx_ are its own.
    fn_(ctx_, static_cast<int>(Next(s)));
    done_.fetch_add(1, std::memory_order_release);
    s = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::WorkerLoop(uint32_t seen) {
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    int polls = 0;
    uint32_t current;
    while ((current = Generation(state_.load(std::memory_order_acquire))) == seen &&
           !stop_.load(std::memory_order_relaxed)) {
      _mm_pause();
      if (++polls % 256 == 0 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(wake_mutex_);
        wake_.wait(lock, [&] { return Generation(state_.load(std::memory_order_acquire)) != seen || stop_; });
      }
    }
    if (stop_) return;
    seen = current;
    Drain(current);
  }
}

void ThreadPool::Run(int tasks, TaskFn fn, const void* ctx) {
  if (tasks <= 0) return;
  std::unique_lock<std::mutex> run(run_mutex_, std::try_to_lock);
  if (!run.owns_lock() || workers_.empty() || tasks == 1 || tasks > 0xffff) {
    for (int t = 0; t < tasks; ++t) fn(ctx, t);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  done_.store(0, std::memory_order_relaxed);
  const uint32_t generation = Generation(state_.load(std::memory_order_relaxed)) + 1;
  {
    // Under the mutex so that a worker between its predicate check and its wait cannot miss the wake-up.
    std::lock_guard<std::mutex> lock(wake_mutex_);
    state_.store(Pack(generation, 0, static_cast<uint32_t>(tasks)), std::memory_order_release);
  }
  wake_.notify_all();
  // The caller claims tasks too, so a worker that is asleep or descheduled costs nothing but its share;
  // the only wait is for tasks a worker has already started.
  Drain(generation);
  while (done_.load(std::memory_order_acquire) < tasks) _mm_pause();
}

}  // namespace dolmetsch::engine::kernels
