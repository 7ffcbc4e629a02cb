#include "engine/kernels/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace dolmetsch::engine::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(VectorMathTest, MaxOfOddLengthsAndInfinities) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 5.0f);
  for (int n : {0, 1, 7, 15, 16, 17, 58101}) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    float want = -kInf;
    for (float v : x) want = std::max(want, v);
    EXPECT_EQ(MaxOf(x.data(), n), want) << n;
  }
  std::vector<float> all_inf(19, -kInf);
  EXPECT_EQ(MaxOf(all_inf.data(), 19), -kInf);
}

TEST(VectorMathTest, SumExpMatchesDoubleReferenceOnLogitRows) {
  std::mt19937 rng(4);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  for (int n : {1, 5, 16, 33, 1000, 58101}) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    if (n > 1) x[n / 2] = -kInf;  // a banned token
    const float shift = MaxOf(x.data(), n);
    const float got = SumExp(x.data(), n, shift), want = ReferenceSumExp(x.data(), n, shift);
    // Float accumulation over n terms: relative error grows like n * eps in the worst case, far less here.
    EXPECT_NEAR(got, want, want * 2e-6f + 1e-7f) << n;
  }
}

TEST(VectorMathTest, SumExpPointwiseAccuracyOverTheRange) {
  // One element at a time: exp over [-87, 0] within 2e-7 relative; far below underflows to 0.
  for (float v = -87.0f; v <= 0.0f; v += 0.0137f) {
    const float got = SumExp(&v, 1, 0.0f);
    const double want = std::exp(static_cast<double>(v));
    ASSERT_NEAR(got, want, want * 2e-7) << v;
  }
  const float tiny = -100.0f;
  EXPECT_EQ(SumExp(&tiny, 1, 0.0f), 0.0f);
  const float nan = std::nanf("");
  EXPECT_TRUE(std::isnan(SumExp(&nan, 1, 0.0f)));
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
