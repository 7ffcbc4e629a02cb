// ThreadPool: the engine's intra-op parallelism, created once per process.
//
// ParallelFor(tasks, fn) runs fn(task) for every task in [0, tasks) on the calling thread plus the pool's
// workers and returns when all are done. Workers spin briefly after each job (a decoder step issues GEMMs
// microseconds apart, and waking a sleeping thread costs more than the work) and then sleep.
// When another thread's ParallelFor is running (two translations at once, e.g. service workers), the
// call runs all its tasks on the calling thread instead of waiting: threads are never oversubscribed.
// Thread-safety: all methods may be called from any thread. SetThreads waits for a running job.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace dolmetsch::engine::kernels {

class ThreadPool {
 public:
  static ThreadPool& Global();

  // Total threads including the caller; 0 means one per online CPU. The default is 1 (no workers).
  void SetThreads(int threads);
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  template <typename Fn>
  void ParallelFor(int tasks, const Fn& fn) {
    Run(
        tasks, [](const void* ctx, int task) { (*static_cast<const Fn*>(ctx))(task); }, &fn);
  }

  // Independent rows [0, rows) in RowTasks(rows) chunks (a few per thread, so a late worker still finds
  // work; one when single-threaded): fn(task, begin, end) with task < RowTasks(rows), e.g. to index
  // per-task scratch sized beforehand.
  int RowTasks(int rows) const { return rows <= 0 ? 1 : threads() == 1 ? 1 : std::min(rows, 4 * threads()); }
  template <typename Fn>
  void ParallelForRows(int rows, const Fn& fn) {
    const int tasks = RowTasks(rows), per = (rows + tasks - 1) / tasks;
    ParallelFor(tasks, [&](int task) { fn(task, task * per, std::min(rows, (task + 1) * per)); });
  }

  ~ThreadPool();

 private:
  using TaskFn = void (*)(const void* ctx, int task);
  void Run(int tasks, TaskFn fn, const void* ctx);
  void WorkerLoop(uint32_t seen);
  void Drain(uint32_t generation);  // claims and runs tasks of that job until none are left
  void StopWorkers();

  std::mutex run_mutex_;  // one job at a time; others run inline
  std::vector<std::thread> workers_;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> state_{0};  // generation | next task | task count (see thread_pool.cc)
  std::atomic<int> done_{0};        // tasks of the current job finished
  TaskFn fn_ = nullptr;             // written only while no task of a job is claimable
  const void* ctx_ = nullptr;
};

}  // namespace dolmetsch::engine::kernels
