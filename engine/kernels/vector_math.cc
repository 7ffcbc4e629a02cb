#include "engine/kernels/vector_math.h"

#include <cmath>
#include <limits>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/vector_math_kernels.h"

namespace dolmetsch::engine::kernels {

float MaxOf(const float* x, int n) {
  static const bool avx2 = GetCpuFeatures().avx2;
  if (avx2) return internal::MaxOfAvx2(x, n);
  float m = -std::numeric_limits<float>::infinity();
  for (int i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float SumExp(const float* x, int n, float shift) {
  static const bool avx2 = GetCpuFeatures().avx2;
  if (avx2) return internal::SumExpAvx2(x, n, shift);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(x[i] - shift);
  return static_cast<float>(sum);
}

float ReferenceSumExp(const float* x, int n, float shift) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - shift);
  return static_cast<float>(sum);
}

}  // namespace dolmetsch::engine::kernels
