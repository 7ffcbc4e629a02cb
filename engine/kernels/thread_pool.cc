#include "engine/kernels/thread_pool.h"

#include <immintrin.h>

#include <chrono>

namespace dolmetsch::engine::kernels {
namespace {
// How long an idle worker spins before sleeping: longer than the gaps between the GEMMs of a decoder
// step, shorter than the search's work between steps on a long vocabulary.
constexpr auto kSpin = std::chrono::microseconds(300);
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
  const unsigned generation = generation_.load();
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this, generation] { WorkerLoop(generation); });
}

void ThreadPool::Drain() {
  for (int task; (task = next_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) {
    fn_(ctx_, task);
    done_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::WorkerLoop(unsigned seen) {
  for (;;) {
    const auto spin_until = std::chrono::steady_clock::now() + kSpin;
    int polls = 0;
    while (generation_.load(std::memory_order_acquire) == seen && !stop_.load(std::memory_order_relaxed)) {
      _mm_pause();
      if (++polls % 256 == 0 && std::chrono::steady_clock::now() > spin_until) {
        std::unique_lock<std::mutex> lock(wake_mutex_);
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen || stop_; });
      }
    }
    if (stop_) return;
    seen = generation_.load(std::memory_order_acquire);
    Drain();
    acked_.fetch_add(1, std::memory_order_release);  // after this, the job's fields are not touched
  }
}

void ThreadPool::Run(int tasks, TaskFn fn, const void* ctx) {
  if (tasks <= 0) return;
  std::unique_lock<std::mutex> run(run_mutex_, std::try_to_lock);
  if (!run.owns_lock() || workers_.empty() || tasks == 1) {
    for (int t = 0; t < tasks; ++t) fn(ctx, t);
    return;
  }
  fn_ = fn;
  ctx_ = ctx;
  tasks_ = tasks;
  done_.store(0, std::memory_order_relaxed);
  next_.store(0, std::memory_order_relaxed);
  acked_.store(0, std::memory_order_relaxed);
  {
    // Under the mutex so that a worker between its predicate check and its wait cannot miss the wake-up.
    std::lock_guard<std::mutex> lock(wake_mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  Drain();
  // Every worker takes part in every job (if only to find no task left), so that none can still be reading
  // this job's fields when the next one is set up.
  const int workers = static_cast<int>(workers_.size());
  while (done_.load(std::memory_order_acquire) < tasks || acked_.load(std::memory_order_acquire) < workers) {
    _mm_pause();
  }
}

}  // namespace dolmetsch::engine::kernels
