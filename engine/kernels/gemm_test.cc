#include "engine/kernels/gemm.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

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
