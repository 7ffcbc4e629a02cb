#include "engine/kernels/gemm.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/thread_pool.h"

namespace dolmetsch::engine::kernels {
namespace {

std::vector<float> Random(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Odd shapes on purpose: kernels must not assume multiples of the vector width.
class LinearTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

TEST_P(LinearTest, MatchesReference) {
  auto [m, n, k, with_bias] = GetParam();
  std::mt19937 rng(m * 1000 + n * 10 + k);
  auto x = Random(size_t(m) * k, rng), w = Random(size_t(n) * k, rng), b = Random(n, rng);
  std::vector<float> got(size_t(m) * n, -7.0f), want(size_t(m) * n);
  LinearForward(x.data(), w.data(), with_bias ? b.data() : nullptr, got.data(), m, n, k);
  ReferenceLinear(x.data(), w.data(), with_bias ? b.data() : nullptr, want.data(), m, n, k);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << i;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, LinearTest,
    ::testing::Values(std::make_tuple(1, 1, 1, true), std::make_tuple(1, 17, 33, true),
                      std::make_tuple(5, 64, 32, false), std::make_tuple(7, 3, 129, true),
                      std::make_tuple(33, 65, 31, true), std::make_tuple(64, 512, 512, true),
                      // Few rows (our own kernel): every row count, tails of n and k.
                      std::make_tuple(2, 301, 512, true), std::make_tuple(3, 258, 37, false),
                      std::make_tuple(4, 513, 512, true), std::make_tuple(6, 9, 70, true),
                      std::make_tuple(8, 1000, 64, false), std::make_tuple(9, 7, 8, true)));

// The packed kernel of this CPU (AVX-512, AVX2 or portable; the ctest names isa_avx2.* and isa_scalar.* run
// this test again with the CPU capped): bitwise equal to its scalar spelling (the same FMA chain), near
// the double reference, on shapes with partial panels (n % 16), odd pairs of panels, partial row tiles
// (m % 12, m % 6) and tails of k.
class PackedLinearTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

PackedFloatMatrix PackInPieces(const std::vector<float>& w, int n, int k, int piece) {
  PackedFloatMatrix packed = AllocatePackedMatrix(n, k);
  for (int begin = 0; begin < n; begin += piece)
    PackRowRange(w.data(), begin, std::min(n, begin + piece), &packed);
  return packed;
}

TEST_P(PackedLinearTest, BitwiseEqualToScalarAndNearReference) {
  auto [m, n, k, with_bias] = GetParam();
  std::mt19937 rng(m * 1000 + n * 10 + k);
  auto x = Random(size_t(m) * k, rng), w = Random(size_t(n) * k, rng), b = Random(n, rng);
  const float* bias = with_bias ? b.data() : nullptr;
  const PackedFloatMatrix packed = PackInPieces(w, n, k, 7);  // pieces that split panels
  for (int r = 0; r < n; r += 5)
    for (int c = 0; c < k; c += 3) ASSERT_EQ(packed.At(r, c), w[size_t(r) * k + c]);
  std::vector<float> got(size_t(m) * n, -7.0f), scalar(size_t(m) * n), want(size_t(m) * n);
  PackedLinear(x.data(), m, packed, bias, got.data());
  PackedLinearScalar(x.data(), m, packed, bias, scalar.data());
  ReferenceLinear(x.data(), w.data(), bias, want.data(), m, n, k);
  ASSERT_EQ(0, std::memcmp(got.data(), scalar.data(), sizeof(float) * got.size()));
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << i;
  // Each row alone gives the same bits as inside the batch (batch independence).
  std::vector<float> one(n);
  for (int i = 0; i < m; i += 5) {
    PackedLinear(x.data() + size_t(i) * k, 1, packed, bias, one.data());
    ASSERT_EQ(0, std::memcmp(one.data(), got.data() + size_t(i) * n, sizeof(float) * n)) << "row " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PackedLinearTest,
    ::testing::Values(std::make_tuple(1, 1, 1, true), std::make_tuple(1, 17, 33, true),
                      std::make_tuple(4, 512, 512, true), std::make_tuple(4, 513, 512, false),
                      std::make_tuple(5, 48, 32, false), std::make_tuple(7, 3, 129, true),
                      std::make_tuple(12, 80, 64, true), std::make_tuple(13, 33, 17, true),
                      std::make_tuple(25, 65, 31, true), std::make_tuple(64, 2048, 512, true),
                      std::make_tuple(100, 96, 2048, false)));

// Every row count 1..64 on a shape with a partial last panel and a k that is no multiple of anything: each
// row gives the bits it gives alone, and those are PackedLinearScalar's.
TEST(PackedLinearRows, EveryRowCountGivesEachRowItsOwnBits) {
  std::mt19937 rng(64);
  const int n = 83, k = 45;
  auto x = Random(size_t(64) * k, rng), w = Random(size_t(n) * k, rng), b = Random(n, rng);
  const PackedFloatMatrix packed = PackInPieces(w, n, k, n);
  std::vector<float> alone(size_t(64) * n), want(size_t(64) * n), near(size_t(64) * n);
  for (int i = 0; i < 64; ++i)
    PackedLinear(x.data() + size_t(i) * k, 1, packed, b.data(), &alone[size_t(i) * n]);
  PackedLinearScalar(x.data(), 64, packed, b.data(), want.data());
  ASSERT_EQ(0, std::memcmp(alone.data(), want.data(), sizeof(float) * alone.size()));
  ReferenceLinear(x.data(), w.data(), b.data(), near.data(), 64, n, k);
  for (size_t i = 0; i < near.size(); ++i)
    ASSERT_NEAR(alone[i], near[i], 1e-4 * (1 + std::abs(near[i]))) << i;
  for (int m = 1; m <= 64; ++m) {
    std::vector<float> got(size_t(m) * n, -7.0f);
    PackedLinear(x.data(), m, packed, b.data(), got.data());
    ASSERT_EQ(0, std::memcmp(got.data(), alone.data(), sizeof(float) * got.size())) << "m = " << m;
  }
}

// The capped runs (ctest isa_avx2.*, isa_scalar.*) must really run the kernel they are named after.
TEST(PackedLinearIsaTest, FollowsTheCpuCap) {
  const char* cap = std::getenv("DOLMETSCH_CPU_ISA");
  if (cap == nullptr) GTEST_SKIP() << "DOLMETSCH_CPU_ISA not set";
  if (std::string(cap) == "avx2" && GetCpuFeatures().avx2) {
    EXPECT_STREQ(PackedLinearIsa(), "avx2");
  }
  if (std::string(cap) == "scalar") {
    EXPECT_STREQ(PackedLinearIsa(), "scalar");
  }
}

TEST(PackedLinearThreads, SameBitsForAnyThreadCount) {
  std::mt19937 rng(3);
  const int m = 37, n = 1000, k = 96;
  auto x = Random(size_t(m) * k, rng), w = Random(size_t(n) * k, rng), b = Random(n, rng);
  const PackedFloatMatrix packed = PackInPieces(w, n, k, n);
  std::vector<float> one(size_t(m) * n), two(size_t(m) * n), three(size_t(m) * n);
  ThreadPool& pool = ThreadPool::Global();
  const int before = pool.threads();
  pool.SetThreads(1);
  PackedLinear(x.data(), m, packed, b.data(), one.data());
  pool.SetThreads(2);
  PackedLinear(x.data(), m, packed, b.data(), two.data());
  pool.SetThreads(3);
  PackedLinear(x.data(), m, packed, b.data(), three.data());
  pool.SetThreads(before);
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), sizeof(float) * one.size()));
  EXPECT_EQ(0, std::memcmp(one.data(), three.data(), sizeof(float) * one.size()));
}

TEST(MatMulTransBTest, StridedOperands) {
  std::mt19937 rng(1);
  const int m = 3, n = 5, k = 4, lda = 9, ldb = 6, ldc = 7;
  auto a = Random(m * lda, rng), b = Random(n * ldb, rng);
  std::vector<float> c(m * ldc, 42.0f);
  MatMulTransB(a.data(), lda, b.data(), ldb, c.data(), ldc, m, n, k);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p) acc += double(a[i * lda + p]) * b[j * ldb + p];
      EXPECT_NEAR(c[i * ldc + j], acc, 1e-5);
    }
    for (int j = n; j < ldc; ++j) EXPECT_EQ(c[i * ldc + j], 42.0f);  // padding untouched
  }
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
