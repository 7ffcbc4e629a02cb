#include "catalog/model_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace dolmetsch::catalog {
namespace {

const std::string kFixture = std::string(DOLMETSCH_SOURCE_DIR) + "/tests/fixtures/tiny-de-en";

// Specs that all point at the fixture model under different names (the loader sees the spec's dir).
ModelSpec Spec(const std::string& name) {
  ModelSpec spec;
  spec.dir = "/fixture/" + name;
  spec.name = name;
  return spec;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  ModelRegistry::Loader CountingLoader() {
    return [this](const std::string& dir,
                  const engine::LoadOptions& options) -> StatusOr<std::unique_ptr<engine::Translator>> {
      ++calls_;
      if (dir.find("broken") != std::string::npos) return Status::Corruption("weights are damaged");
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      return engine::Translator::Load(kFixture, options);
    };
  }
  std::atomic<int> calls_{0};
  int delay_ms_ = 0;
};

TEST_F(ModelRegistryTest, LoadsOnFirstUseAndSharesTheModel) {
  ModelRegistry registry({}, CountingLoader());
  EXPECT_TRUE(registry.Loaded().empty());
  auto a = registry.Acquire(Spec("opus-mt-de-en"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto again = registry.Acquire(Spec("opus-mt-de-en"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a->get(), again->get());
  EXPECT_EQ(calls_.load(), 1);
  auto translated = (*a)->Translate({"Das Haus ist groß."}, {});
  ASSERT_TRUE(translated.ok()) << translated.status().ToString();
  const std::vector<LoadedModel> loaded = registry.Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].name, "opus-mt-de-en");
  EXPECT_TRUE(loaded[0].busy);
  EXPECT_GT(loaded[0].load_seconds, 0);
}

TEST_F(ModelRegistryTest, ConcurrentFirstUsesLoadOnce) {
  delay_ms_ = 100;
  ModelRegistry registry({}, CountingLoader());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::vector<const engine::Translator*> seen(8, nullptr);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto handle = registry.Acquire(Spec("opus-mt-de-en"));
      if (handle.ok()) {
        ++ok;
        seen[t] = handle->get();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(calls_.load(), 1);
  for (const engine::Translator* p : seen) EXPECT_EQ(p, seen[0]);
}

TEST_F(ModelRegistryTest, AFailedLoadIsReportedAndTriedAgainLater) {
  ModelRegistry registry({}, CountingLoader());
  auto broken = registry.Acquire(Spec("broken"));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), Status::Code::kCorruption);
  EXPECT_NE(broken.status().message().find("loading model 'broken'"), std::string::npos)
      << broken.status().ToString();
  EXPECT_FALSE(registry.Acquire(Spec("broken")).ok());
  EXPECT_EQ(calls_.load(), 2) << "each later Acquire tries again";
  EXPECT_TRUE(registry.Loaded().empty());
}

TEST_F(ModelRegistryTest, IdleModelsAreUnloadedLeastRecentlyUsedFirst) {
  RegistryOptions options;
  options.max_loaded_models = 2;
  ModelRegistry registry(options, CountingLoader());
  std::weak_ptr<const engine::Translator> first, second;
  {
    auto a = registry.Acquire(Spec("a"));
    ASSERT_TRUE(a.ok());
    first = *a;
  }
  {
    auto b = registry.Acquire(Spec("b"));
    ASSERT_TRUE(b.ok());
    second = *b;
  }
  ASSERT_TRUE(registry.Acquire(Spec("a")).ok());  // a is now the more recently used
  ASSERT_TRUE(registry.Acquire(Spec("c")).ok());  // over the limit: b goes
  EXPECT_FALSE(first.expired());
  EXPECT_TRUE(second.expired()) << "b was the least recently used idle model";
  EXPECT_EQ(registry.unloads(), 1u);
  EXPECT_EQ(registry.Loaded().size(), 2u);
  // b again: loaded again, a (least recently used now) goes.
  ASSERT_TRUE(registry.Acquire(Spec("b")).ok());
  EXPECT_TRUE(first.expired());
  EXPECT_EQ(registry.loads(), 4u);
}

TEST_F(ModelRegistryTest, BusyModelsStayUntilIdle) {
  RegistryOptions options;
  options.max_loaded_models = 1;
  ModelRegistry registry(options, CountingLoader());
  auto a = registry.Acquire(Spec("a"));
  ASSERT_TRUE(a.ok());
  auto b = registry.Acquire(Spec("b"));  // a is held: both stay, over the limit
  ASSERT_TRUE(b.ok()) << "a request is never refused for the budget";
  EXPECT_EQ(registry.Loaded().size(), 2u);
  std::weak_ptr<const engine::Translator> a_weak = *a;
  a = Status::Cancelled("released");  // the caller lets go of a
  ASSERT_TRUE(registry.Acquire(Spec("b")).ok());
  EXPECT_TRUE(a_weak.expired()) << "the excess goes once idle";
  EXPECT_EQ(registry.Loaded().size(), 1u);
}

TEST_F(ModelRegistryTest, MemoryBudgetCountsResidentGrowth) {
  RegistryOptions options;
  options.max_memory_bytes = 1;  // smaller than any model: only one at a time
  ModelRegistry registry(options, CountingLoader());
  ASSERT_TRUE(registry.Acquire(Spec("a")).ok());
  ASSERT_TRUE(registry.Acquire(Spec("b")).ok());
  const std::vector<LoadedModel> loaded = registry.Loaded();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].name, "b");
  EXPECT_GT(ResidentBytes(), 0u);
  EXPECT_GT(WeightFileBytes(kFixture), 0u);
  EXPECT_EQ(WeightFileBytes("/nonexistent"), 0u);
}

TEST_F(ModelRegistryTest, PreloadLoadsEveryModelAndReportsTheFirstError) {
  ModelRegistry registry({}, CountingLoader());
  const ModelSpec a = Spec("a"), broken = Spec("broken"), c = Spec("c");
  Status s = registry.Preload({&a, &broken, &c});
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(registry.Loaded().size(), 2u);
}

}  // namespace
}  // namespace dolmetsch::catalog
