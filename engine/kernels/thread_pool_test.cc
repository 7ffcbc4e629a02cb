#include "engine/kernels/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace dolmetsch::engine::kernels {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskExactlyOnce) {
  ThreadPool& pool = ThreadPool::Global();
  for (int threads : {1, 2, 3}) {
    pool.SetThreads(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int tasks : {0, 1, 2, 7, 100}) {
      std::vector<std::atomic<int>> hits(tasks);
      for (int round = 0; round < 50; ++round) pool.ParallelFor(tasks, [&](int t) { hits[t].fetch_add(1); });
      for (int t = 0; t < tasks; ++t) ASSERT_EQ(hits[t].load(), 50) << "threads " << threads << " task " << t;
    }
  }
  pool.SetThreads(1);
}

TEST(ThreadPoolTest, ConcurrentCallersEachGetAllTheirTasksDone) {
  ThreadPool& pool = ThreadPool::Global();
  pool.SetThreads(2);
  std::vector<std::thread> callers;
  std::atomic<long> total{0};
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        std::atomic<int> done{0};
        pool.ParallelFor(9, [&](int) { done.fetch_add(1); });
        ASSERT_EQ(done.load(), 9);
        total += done.load();
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4L * 200 * 9);
  pool.SetThreads(1);
}

TEST(ThreadPoolTest, WorkersThatFellAsleepWakeUp) {
  ThreadPool& pool = ThreadPool::Global();
  pool.SetThreads(2);
  std::atomic<int> seen_other_thread{0};
  const auto caller = std::this_thread::get_id();
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // longer than the spin: workers sleep
    pool.ParallelFor(64, [&](int) {
      if (std::this_thread::get_id() != caller) seen_other_thread = 1;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    });
  }
  EXPECT_EQ(seen_other_thread.load(), 1);
  pool.SetThreads(1);
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
