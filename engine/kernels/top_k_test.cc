#include "engine/kernels/top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/top_k_kernels.h"

namespace dolmetsch::engine::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Top {
  std::vector<float> values;
  std::vector<int> indices;
};

using Scan = void (*)(const float*, int, int, int, float*, int*);

// One ISA's scan, started from the reference's list of the first min(k, n) values (as TopK starts it).
Top RunScan(Scan scan, const std::vector<float>& x, int k) {
  const int n = static_cast<int>(x.size());
  Top t{std::vector<float>(std::max(k, 1)), std::vector<int>(std::max(k, 1))};
  const int m = ReferenceTopK(x.data(), std::min(k, n), k, t.values.data(), t.indices.data());
  if (n > m) scan(x.data(), m, n, k, t.values.data(), t.indices.data());
  t.values.resize(m);
  t.indices.resize(m);
  return t;
}

Top RunTopK(int (*top_k)(const float*, int, int, float*, int*), const std::vector<float>& x, int k) {
  Top t{std::vector<float>(std::max(k, 1)), std::vector<int>(std::max(k, 1))};
  const int m = top_k(x.data(), static_cast<int>(x.size()), k, t.values.data(), t.indices.data());
  t.values.resize(m);
  t.indices.resize(m);
  return t;
}

// Bitwise: -0.0 vs 0.0 and NaN payloads count.
void ExpectSame(const Top& got, const Top& want, const std::string& what) {
  ASSERT_EQ(got.values.size(), want.values.size()) << what;
  for (size_t i = 0; i < want.values.size(); ++i) {
    uint32_t a, b;
    std::memcpy(&a, &got.values[i], 4);
    std::memcpy(&b, &want.values[i], 4);
    EXPECT_EQ(a, b) << what << " rank " << i << ": " << got.values[i] << " vs " << want.values[i];
    EXPECT_EQ(got.indices[i], want.indices[i]) << what << " rank " << i;
  }
}

// Every available implementation against the reference. NaN-free first k: also each scan kernel alone.
void CheckAll(const std::vector<float>& x, int k, const std::string& what) {
  const Top want = RunTopK(ReferenceTopK, x, k);
  ExpectSame(RunTopK(TopK, x, k), want, what + " dispatch");
  const int m = std::min<int>(k, x.size());
  if (k <= 0 || std::any_of(x.begin(), x.begin() + m, [](float v) { return v != v; })) return;
  ExpectSame(RunScan(internal::TopKScanScalar, x, k), want, what + " scalar");
  const CpuFeatures& f = GetCpuFeatures();
  if (f.avx2) ExpectSame(RunScan(internal::TopKScanAvx2, x, k), want, what + " avx2");
  if (f.avx512bw) ExpectSame(RunScan(internal::TopKScanAvx512, x, k), want, what + " avx512");
}

const int kLengths[] = {1, 2, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 129, 1000, 58101};
const int kKs[] = {1, 2, 3, 8, 16, 100};

TEST(TopKTest, ReferenceKeepsTheLargestLowerIndexFirst) {
  const std::vector<float> x = {1.0f, 3.0f, 2.0f, 3.0f, -kInf, 2.0f};
  const Top t = RunTopK(ReferenceTopK, x, 4);
  EXPECT_EQ(t.values, (std::vector<float>{3.0f, 3.0f, 2.0f, 2.0f}));
  EXPECT_EQ(t.indices, (std::vector<int>{1, 3, 2, 5}));
  EXPECT_EQ(RunTopK(TopK, x, 0).values.size(), 0u);
  EXPECT_EQ(RunTopK(TopK, std::vector<float>{}, 3).values.size(), 0u);
}

TEST(TopKTest, RandomRows) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(-5.0f, 3.0f);
  for (int n : kLengths) {
    for (int k : kKs) {
      for (int rep = 0; rep < (n < 1000 ? 5 : 2); ++rep) {
        std::vector<float> x(n);
        for (float& v : x) v = dist(rng);
        CheckAll(x, k, "n=" + std::to_string(n) + " k=" + std::to_string(k));
      }
    }
  }
}

TEST(TopKTest, KAtLeastN) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> small(-3, 3);
  for (int n : {1, 5, 16, 33, 70}) {
    std::vector<float> x(n);
    for (float& v : x) v = static_cast<float>(small(rng));
    for (int k : {n - 1, n, n + 1, n + 40})
      CheckAll(x, k, "n=" + std::to_string(n) + " k=" + std::to_string(k));
  }
}

TEST(TopKTest, ManyTiesAndSignedZeros) {
  std::mt19937 rng(9);
  for (int n : kLengths) {
    for (int levels : {1, 2, 5}) {
      std::uniform_int_distribution<int> pick(0, levels - 1);
      std::vector<float> x(n);
      for (float& v : x) v = static_cast<float>(pick(rng)) * 0.5f;
      // Some zeros negative: -0.0 == 0.0 ties, and the entered value keeps its sign bit.
      for (int i = 0; i < n; i += 3) {
        if (x[i] == 0.0f) x[i] = -0.0f;
      }
      for (int k : kKs) CheckAll(x, k, "ties n=" + std::to_string(n) + " levels=" + std::to_string(levels));
    }
  }
}

TEST(TopKTest, InfinitiesAndMonotoneRows) {
  std::mt19937 rng(10);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::bernoulli_distribution banned(0.3);
  for (int n : kLengths) {
    std::vector<float> x(n), all_minus(n, -kInf), up(n), down(n);
    for (float& v : x) v = banned(rng) ? -kInf : dist(rng);
    if (n > 40) x[40] = kInf;
    for (int i = 0; i < n; ++i) up[i] = static_cast<float>(i), down[i] = static_cast<float>(-i);
    for (int k : kKs) {
      CheckAll(x, k, "-inf n=" + std::to_string(n));
      CheckAll(all_minus, k, "all -inf n=" + std::to_string(n));
      CheckAll(up, k, "ascending n=" + std::to_string(n));  // every value enters
      CheckAll(down, k, "descending n=" + std::to_string(n));
    }
  }
}

TEST(TopKTest, NaNs) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::bernoulli_distribution nan(0.1);
  for (int n : kLengths) {
    for (int k : kKs) {
      std::vector<float> x(n);
      for (float& v : x) v = nan(rng) ? kNaN : dist(rng);
      CheckAll(x, k, "nan n=" + std::to_string(n) + " k=" + std::to_string(k));
      // NaN only after the first k (the kernels' path) and as the very first value (reference path).
      for (int i = 0; i < std::min(k, n); ++i) {
        if (x[i] != x[i]) x[i] = 1.0f;
      }
      CheckAll(x, k, "late nan n=" + std::to_string(n) + " k=" + std::to_string(k));
      x[0] = kNaN;
      CheckAll(x, k, "first nan n=" + std::to_string(n) + " k=" + std::to_string(k));
    }
  }
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
