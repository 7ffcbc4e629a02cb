#include "engine/kernels/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "engine/kernels/vector_math_kernels.h"

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

TEST(VectorMathTest, AttendOneMatchesDoubleReference) {
  std::mt19937 rng(6);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int head_dim : {8, 12, 64}) {
    for (int len : {1, 2, 9, 64}) {
      const long stride = head_dim + 3;  // rows need not be contiguous
      std::vector<float> q(head_dim), keys(len * stride), values(len * stride), scratch(len), out(head_dim);
      for (float& v : q) v = dist(rng);
      for (float& v : keys) v = dist(rng);
      for (float& v : values) v = dist(rng);
      // The dispatched version (AVX2 where the CPU has it) and the scalar fallback, against the same
      // reference.
      const KeyValueView kv{keys.data(), values.data(), stride};
      AttendOne(q.data(), kv, len, head_dim, scratch.data(), out.data());
      std::vector<float> scalar(head_dim);
      internal::AttendOneScalar(q.data(), kv, len, head_dim, scratch.data(), scalar.data());
      std::vector<double> p(len);
      double max = -1e300, sum = 0;
      for (int j = 0; j < len; ++j) {
        double dot = 0;
        for (int i = 0; i < head_dim; ++i) dot += double(q[i]) * keys[j * stride + i];
        p[j] = dot;
        max = std::max(max, dot);
      }
      for (double& x : p) sum += (x = std::exp(x - max));
      for (int i = 0; i < head_dim; ++i) {
        double want = 0;
        for (int j = 0; j < len; ++j) want += p[j] / sum * values[j * stride + i];
        ASSERT_NEAR(out[i], want, 1e-5) << head_dim << " " << len << " " << i;
        ASSERT_NEAR(scalar[i], want, 1e-5) << "scalar " << head_dim << " " << len << " " << i;
      }
    }
  }
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
