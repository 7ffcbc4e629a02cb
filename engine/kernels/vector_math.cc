#include "engine/kernels/vector_math.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
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

unsigned short FloatToHalfScalar(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const uint32_t sign = (x >> 16) & 0x8000u, abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<unsigned short>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));  // NaN
  if (abs >= 0x477ff000u) return static_cast<unsigned short>(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (abs < 0x38800000u) {
    // Below the smallest normal half (2^-14): a multiple of 2^-24. The scaling is exact, and nearbyint
    // rounds half to even in the default rounding mode (as F16C does).
    const float units = std::nearbyint(std::fabs(f) * 16777216.0f);
    return static_cast<unsigned short>(sign | static_cast<uint32_t>(units));  // 1024 encodes 2^-14 itself
  }
  uint32_t h = (abs - 0x38000000u) >> 13;  // exponent rebiased from 127 to 15, 10 mantissa bits
  const uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent correctly
  return static_cast<unsigned short>(sign | h);
}

void AttendOneScalar(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch,
                     float* out) {
  // Element i of position j's key or value, from either storage.
  auto key = [&](int j, int i) {
    return kv.half_keys ? HalfToFloat(kv.half_keys[kv.Offset(j) + i]) : kv.keys[kv.Offset(j) + i];
  };
  auto value = [&](int j, int i) {
    return kv.half_keys ? HalfToFloat(kv.half_values[kv.Offset(j) + i]) : kv.values[kv.Offset(j) + i];
  };
  for (int j = 0; j < len; ++j) {
    float dot = 0.0f;
    for (int i = 0; i < head_dim; ++i) dot += q[i] * key(j, i);
    scratch[j] = dot;
  }
  float max = MaxOf(scratch, len), sum = 0.0f;
  for (int j = 0; j < len; ++j) sum += (scratch[j] = std::exp(scratch[j] - max));
  const float inv = 1.0f / sum;
  std::fill(out, out + head_dim, 0.0f);
  for (int j = 0; j < len; ++j) {
    const float p = scratch[j] * inv;
    for (int i = 0; i < head_dim; ++i) out[i] += p * value(j, i);
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

void FloatToHalf(const float* x, int n, unsigned short* h) {
  static const bool f16c = GetCpuFeatures().avx2;  // the AVX2 tier includes F16C (cpu_features.h)
  if (f16c) return internal::FloatToHalfF16c(x, n, h);
  for (int i = 0; i < n; ++i) h[i] = internal::FloatToHalfScalar(x[i]);
}

float HalfToFloat(unsigned short h) {
  const uint32_t sign = (h & 0x8000u) << 16, exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float v = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  const uint32_t bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                       : sign | ((exponent + 112) << 23) | (mantissa << 13);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

float ReferenceSumExp(const float* x, int n, float shift) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - shift);
  return static_cast<float>(sum);
}

}  // namespace dolmetsch::engine::kernels
