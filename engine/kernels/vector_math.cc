#include "engine/kernels/vector_math.h"

#include <algorithm>
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

namespace internal {

void AttendOneScalar(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch,
                     float* out) {
  for (int j = 0; j < len; ++j) {
    const float* k = kv.keys + kv.Offset(j);
    float dot = 0.0f;
    for (int i = 0; i < head_dim; ++i) dot += q[i] * k[i];
    scratch[j] = dot;
  }
  float max = MaxOf(scratch, len), sum = 0.0f;
  for (int j = 0; j < len; ++j) sum += (scratch[j] = std::exp(scratch[j] - max));
  const float inv = 1.0f / sum;
  std::fill(out, out + head_dim, 0.0f);
  for (int j = 0; j < len; ++j) {
    const float p = scratch[j] * inv;
    const float* v = kv.values + kv.Offset(j);
    for (int i = 0; i < head_dim; ++i) out[i] += p * v[i];
  }
}

}  // namespace internal

void AttendOne(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch, float* out) {
  static const bool avx2 = GetCpuFeatures().avx2;
  if (avx2 && head_dim % 8 == 0) {
    internal::AttendOneAvx2(q, kv, len, head_dim, scratch, out);
  } else {
    internal::AttendOneScalar(q, kv, len, head_dim, scratch, out);
  }
}

float ReferenceSumExp(const float* x, int n, float shift) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - shift);
  return static_cast<float>(sum);
}

}  // namespace dolmetsch::engine::kernels
