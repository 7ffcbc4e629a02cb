#include "engine/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace dolmetsch::engine::ops {
namespace {

TEST(OpsTest, LayerNormMatchesDoubleReference) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(2.0f, 3.0f);
  const int rows = 3, d = 37;
  std::vector<float> x(rows * d), gamma(d), beta(d);
  for (auto& v : x) v = dist(rng);
  for (auto& v : gamma) v = dist(rng);
  for (auto& v : beta) v = dist(rng);
  std::vector<float> y = x;
  LayerNorm(y.data(), rows, d, gamma.data(), beta.data());
  for (int r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < d; ++i) mean += x[r * d + i];
    mean /= d;
    for (int i = 0; i < d; ++i) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
    var /= d;  // biased, as nn.LayerNorm
    for (int i = 0; i < d; ++i) {
      const double want = (x[r * d + i] - mean) / std::sqrt(var + 1e-5) * gamma[i] + beta[i];
      EXPECT_NEAR(y[r * d + i], want, 1e-4 * (1 + std::abs(want)));
    }
  }
}

TEST(OpsTest, ActivationsMatchTheirDefinitions) {
  const std::vector<float> xs = {-6.0f, -1.5f, -0.1f, 0.0f, 0.3f, 2.0f, 8.0f};
  for (float x : xs) {
    float s = x, g = x, gn = x, r = x;
    Activate(Activation::kSwish, &s, 1);
    Activate(Activation::kGelu, &g, 1);
    Activate(Activation::kGeluNew, &gn, 1);
    Activate(Activation::kRelu, &r, 1);
    EXPECT_NEAR(s, x / (1 + std::exp(-double(x))), 1e-6);
    EXPECT_NEAR(g, 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))), 1e-6);
    EXPECT_NEAR(gn, 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))), 1e-6);
    EXPECT_EQ(r, std::max(x, 0.0f));
  }
}

TEST(OpsTest, LogSoftmaxKeepsMinusInfinityAndNormalizes) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {1.0f, -inf, 3.0f, 0.5f};
  LogSoftmax(x.data(), 4);
  EXPECT_TRUE(std::isinf(x[1]) && x[1] < 0);
  double total = 0;
  for (float v : x) total += std::exp(double(v));
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_NEAR(x[2] - x[0], 2.0f, 1e-6);
  std::vector<float> all_inf = {-inf, -inf};
  LogSoftmax(all_inf.data(), 2);  // must not produce NaN
  EXPECT_TRUE(std::isinf(all_inf[0]));
}

TEST(OpsTest, SinusoidalPositionsAreNotInterleaved) {
  const int d = 6;
  auto table = SinusoidalPositions(4, d);
  for (int pos = 0; pos < 4; ++pos) {
    for (int k = 0; k < d / 2; ++k) {
      const double angle = pos / std::pow(10000.0, 2.0 * k / d);
      EXPECT_FLOAT_EQ(table[pos * d + k], static_cast<float>(std::sin(angle)));
      EXPECT_FLOAT_EQ(table[pos * d + d / 2 + k], static_cast<float>(std::cos(angle)));
    }
  }
  auto odd = SinusoidalPositions(2, 5);  // 3 sine columns, 2 cosine columns
  EXPECT_FLOAT_EQ(odd[5 + 3], static_cast<float>(std::cos(1.0)));
}

}  // namespace
}  // namespace dolmetsch::engine::ops
