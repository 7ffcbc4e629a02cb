#include "engine/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/kernels/activation.h"

namespace dolmetsch::engine::ops {

namespace {

// Sum of f(row[i]) in double over 8 independent chains: one chain is bound by the add latency (4 cycles an
// element); eight let the adds overlap. The order differs from a single chain by a few ulps of a double,
// far below the float result's precision.
template <typename F>
double SumOver(const float* row, int d, const F& f) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= d; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += f(row[i + j]);
  for (; i < d; ++i) acc[0] += f(row[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

void LayerNorm(float* x, int rows, int d, const float* gamma, const float* beta, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* row = x + static_cast<long>(r) * d;
    const double mean = SumOver(row, d, [](float v) { return static_cast<double>(v); }) / d;
    double var = SumOver(row, d, [mean](float v) { return (v - mean) * (v - mean); });
    var /= d;
    const float inv = static_cast<float>(1.0 / std::sqrt(var + eps));
    const float m = static_cast<float>(mean);
    for (int i = 0; i < d; ++i) row[i] = (row[i] - m) * inv * gamma[i] + beta[i];
  }
}

void Activate(Activation act, float* x, long n) {
  switch (act) {
    case Activation::kSwish:
      kernels::Swish(x, n);  // vectorized exp; within 4 ulp of the scalar formula (kernels/activation.h)
      break;
    case Activation::kGelu:
      for (long i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752440f));
      break;
    case Activation::kGeluNew: {
      const float c = 0.79788456080286535588f;  // sqrt(2 / pi)
      for (long i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
      }
      break;
    }
    case Activation::kRelu:
      for (long i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
      break;
  }
}

void LogSoftmax(float* x, int n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
  if (!std::isfinite(max)) return;  // all -inf: nothing to normalize
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i] - max));
  const float shift = max + static_cast<float>(std::log(sum));
  for (int i = 0; i < n; ++i) x[i] -= shift;
}

void Softmax(float* x, int n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < n; ++i) max = std::max(max, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

void AddInPlace(float* y, const float* x, long n) {
  for (long i = 0; i < n; ++i) y[i] += x[i];
}

std::vector<float> SinusoidalPositions(int num_positions, int d) {
  std::vector<float> table(static_cast<size_t>(num_positions) * d);
  const int sentinel = (d % 2 == 0) ? d / 2 : d / 2 + 1;
  for (int pos = 0; pos < num_positions; ++pos) {
    float* row = table.data() + static_cast<size_t>(pos) * d;
    // Column j of numpy's position_enc has angle pos / 10000^(2*(j//2)/d); sin takes the even columns,
    // cos the odd ones.
    for (int j = 0; j < d; j += 2) {
      const double angle = pos / std::pow(10000.0, 2.0 * (j / 2) / d);
      row[j / 2] = static_cast<float>(std::sin(angle));
    }
    for (int j = 1; j < d; j += 2) {
      const double angle = pos / std::pow(10000.0, 2.0 * (j / 2) / d);
      row[sentinel + j / 2] = static_cast<float>(std::cos(angle));
    }
  }
  return table;
}

}  // namespace dolmetsch::engine::ops
