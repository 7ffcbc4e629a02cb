// AVX2 + FMA versions of vector_math.h. Compiled with -mavx2 -mfma; called only when the CPU has them.
// No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/vector_math_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

// exp(x) for x <= 0 (arguments are shifted by the row maximum): x = n ln2 + r, |r| <= ln2/2, exp(r) by a
// degree-6 polynomial (Cephes expf coefficients), 2^n built in the exponent bits. Below -87.3 the result
// is flushed to 0 (exp would be subnormal: negligible next to the maximum's exp(0) = 1).
inline __m256 ExpNonPositive(__m256 x) {
  const __m256 min_arg = _mm256_set1_ps(-87.3f);
  const __m256 underflow = _mm256_cmp_ps(x, min_arg, _CMP_LT_OQ);  // also true for -inf; NaN stays NaN
  x = _mm256_max_ps(min_arg, x);  // NaN in x stays NaN (maxps returns its second operand then)
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // r = x - n ln2 in two steps (Cody-Waite) to keep r exact.
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3333818289e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i exponent =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 result = _mm256_mul_ps(p, _mm256_castsi256_ps(exponent));
  return _mm256_andnot_ps(underflow, result);
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Eight keys' or values' elements as floats, from float32 or IEEE half (F16C) storage.
inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const unsigned short* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// KeyValueView::Offset, not called here (see vector_math_kernels.h).
inline long PositionOffset(const KeyValueView& kv, int j) {
  return j * kv.stride + (kv.rows ? kv.rows[j] * kv.row_stride : 0);
}

// Lane n of the result is the sum of the lanes of a[n]: eight horizontal sums for the price of about two.
inline __m256 HorizontalSums8(const __m256* a) {
  // hadd(x, y) per 128-bit half: [x0+x1, x2+x3, y0+y1, y2+y3]. Twice gives, per half, the half-sums of
  // four accumulators; the halves are then added across.
  const __m256 s0123 = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
  const __m256 s4567 = _mm256_hadd_ps(_mm256_hadd_ps(a[4], a[5]), _mm256_hadd_ps(a[6], a[7]));
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
                       _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

// All ones in lanes [0, n), zeros after: a mask for the n floats left at the end of a row.
inline __m256i LanesBelow(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// out[i0, i0 + 8 kChunks) = inv * sum_j p[j] value[j][i0, ...): j outer, so that the kChunks accumulators
// form independent FMA chains (the loop is latency bound with one).
template <int kChunks, typename T>
inline void WeightedSum(const KeyValueView& kv, const T* values, const float* p, int len, int i0, float inv,
                        float* out) {
  __m256 acc[kChunks];
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) acc[c] = _mm256_setzero_ps();
  for (int j = 0; j < len; ++j) {
    const T* v = values + PositionOffset(kv, j) + i0;
    const __m256 pj = _mm256_broadcast_ss(p + j);
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c) acc[c] = _mm256_fmadd_ps(pj, Load8(v + 8 * c), acc[c]);
  }
  const __m256 scale = _mm256_set1_ps(inv);
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) _mm256_storeu_ps(out + i0 + 8 * c, _mm256_mul_ps(acc[c], scale));
}

// WeightedSum<min(chunks, kMax)>: a compile-time chunk count (accumulators in registers) for a run-time one.
template <int kMax, typename T>
inline void WeightedSumUpTo(int chunks, const KeyValueView& kv, const T* values, const float* p, int len,
                            int i0, float inv, float* out) {
  if constexpr (kMax > 1) {
    if (chunks < kMax) return WeightedSumUpTo<kMax - 1>(chunks, kv, values, p, len, i0, inv, out);
  }
  WeightedSum<kMax>(kv, values, p, len, i0, inv, out);
}

// scratch[j] = exp(scratch[j] - max) for j < len; returns their sum. Eight at a time; scratch holds only
// len floats, so the tail goes through masks (its missing lanes read as -inf, whose exp is 0).
inline float ExpInPlace(float* scratch, int len, float max_score) {
  const __m256 max = _mm256_set1_ps(max_score);
  __m256 sum8 = _mm256_setzero_ps();
  int j = 0;
  for (; j + 8 <= len; j += 8) {
    const __m256 e = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(scratch + j), max));
    _mm256_storeu_ps(scratch + j, e);
    sum8 = _mm256_add_ps(sum8, e);
  }
  if (j < len) {
    const __m256i mask = LanesBelow(len - j);
    const __m256 x = _mm256_blendv_ps(_mm256_set1_ps(-__builtin_inff()),
                                      _mm256_maskload_ps(scratch + j, mask), _mm256_castsi256_ps(mask));
    const __m256 e = ExpNonPositive(_mm256_sub_ps(x, max));
    _mm256_maskstore_ps(scratch + j, mask, e);
    sum8 = _mm256_add_ps(sum8, e);
  }
  return HorizontalSum(sum8);
}

}  // namespace

float MaxOfAvx2(const float* x, int n) {
  __m256 m0 = _mm256_set1_ps(-__builtin_inff()), m1 = m0;
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
  }
  float m = HorizontalMax(_mm256_max_ps(m0, m1));
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

float SumExpAvx2(const float* x, int n, float shift) {
  // Float lanes within blocks of 512 values, blocks summed in double: the sum of 58k terms then keeps
  // about 7 significant digits (one float accumulator over all of them loses two).
  const __m256 s = _mm256_set1_ps(shift);
  double total = 0.0;
  int i = 0;
  while (i + 16 <= n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    const int block_end = i + 512 < n ? i + 512 : n;
    for (; i + 16 <= block_end; i += 16) {
      a0 = _mm256_add_ps(a0, ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), s)));
      a1 = _mm256_add_ps(a1, ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), s)));
    }
    total += HorizontalSum(_mm256_add_ps(a0, a1));
  }
  if (i < n) {
    // The tail through a padded vector: lanes past n get -inf, whose exp is 0.
    float tail[16];
    for (int j = 0; j < 16; ++j) tail[j] = i + j < n ? x[i + j] : -__builtin_inff();
    const __m256 a0 = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(tail), s));
    const __m256 a1 = ExpNonPositive(_mm256_sub_ps(_mm256_loadu_ps(tail + 8), s));
    total += HorizontalSum(_mm256_add_ps(a0, a1));
  }
  return static_cast<float>(total);
}

namespace {

template <typename T>
void Attend(const float* q, const KeyValueView& kv, const T* keys, const T* values, int len, int head_dim,
            float* scratch, float* out) {
  // Scores, eight keys at a time: eight independent FMA chains and one combined reduction. In the last
  // block the positions past len repeat the last one (real scores: harmless for the maximum) and are not
  // stored.
  __m256 max8 = _mm256_set1_ps(-__builtin_inff());
  for (int j0 = 0; j0 < len; j0 += 8) {
    const T* k[8];
#pragma GCC unroll 8
    for (int n = 0; n < 8; ++n) k[n] = keys + PositionOffset(kv, j0 + n < len ? j0 + n : len - 1);
    __m256 acc[8];
#pragma GCC unroll 8
    for (int n = 0; n < 8; ++n) acc[n] = _mm256_setzero_ps();
    for (int i = 0; i < head_dim; i += 8) {
      const __m256 qi = _mm256_loadu_ps(q + i);
#pragma GCC unroll 8
      for (int n = 0; n < 8; ++n) acc[n] = _mm256_fmadd_ps(qi, Load8(k[n] + i), acc[n]);
    }
    const __m256 s = HorizontalSums8(acc);
    max8 = _mm256_max_ps(max8, s);
    if (j0 + 8 <= len) {
      _mm256_storeu_ps(scratch + j0, s);
    } else {
      _mm256_maskstore_ps(scratch + j0, LanesBelow(len - j0), s);
    }
  }
  const float inv = 1.0f / ExpInPlace(scratch, len, HorizontalMax(max8));
  // The weighted sum over blocks of up to 64 output floats, each block's accumulators in registers.
  for (int i0 = 0; i0 < head_dim; i0 += 64) {
    WeightedSumUpTo<8>((head_dim - i0) / 8, kv, values, scratch, len, i0, inv, out);
  }
}

}  // namespace

void AttendOneAvx2(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch,
                   float* out) {
  // head_dim is a multiple of 8 (checked by the caller).
  if (len <= 0) {
    for (int i = 0; i < head_dim; i += 8) _mm256_storeu_ps(out + i, _mm256_setzero_ps());
    return;
  }
  if (kv.half_keys) {
    Attend(q, kv, kv.half_keys, kv.half_values, len, head_dim, scratch, out);
  } else {
    Attend(q, kv, kv.keys, kv.values, len, head_dim, scratch, out);
  }
}

void FloatToHalfF16c(const float* x, int n, unsigned short* h) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) {
    h[i] = static_cast<unsigned short>(
        _mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(x[i]), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0));
  }
}

}  // namespace dolmetsch::engine::kernels::internal
