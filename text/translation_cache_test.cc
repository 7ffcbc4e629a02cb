#include "text/translation_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace dolmetsch::text {
namespace {

TEST(TranslationCacheTest, EvictsTheLeastRecentlyUsed) {
  TranslationCache cache(2);
  cache.Insert("a", "A");
  cache.Insert("b", "B");
  EXPECT_EQ(cache.Lookup("a").value_or(""), "A");  // a is now the most recent
  cache.Insert("c", "C");                          // evicts b
  EXPECT_FALSE(cache.Lookup("b").has_value());
  EXPECT_EQ(cache.Lookup("a").value_or(""), "A");
  EXPECT_EQ(cache.Lookup("c").value_or(""), "C");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.hits(), 3u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(TranslationCacheTest, InsertRefreshesAndReplaces) {
  TranslationCache cache(2);
  cache.Insert("a", "A1");
  cache.Insert("b", "B");
  cache.Insert("a", "A2");  // refresh: b is now the oldest
  cache.Insert("c", "C");
  EXPECT_EQ(cache.Lookup("a").value_or(""), "A2");
  EXPECT_FALSE(cache.Lookup("b").has_value());
}

TEST(TranslationCacheTest, ZeroCapacityDisables) {
  TranslationCache cache(0);
  cache.Insert("a", "A");
  EXPECT_FALSE(cache.Lookup("a").has_value());
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TranslationCacheTest, ClearEmpties) {
  TranslationCache cache(4);
  cache.Insert("a", "A");
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Lookup("a").has_value());
}

TEST(TranslationCacheTest, ConcurrentUseStaysBounded) {
  TranslationCache cache(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string((i * 7 + t) % 100);
        if (auto hit = cache.Lookup(key)) {
          EXPECT_EQ(*hit, "v" + key);
        } else {
          cache.Insert(key, "v" + key);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.size(), 64u);
  EXPECT_EQ(cache.hits() + cache.misses(), 8000u);
}

}  // namespace
}  // namespace dolmetsch::text
