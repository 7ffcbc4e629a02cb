// AVX2 int8 kernel: weights sign-extended to int16 in registers, vpmaddwd against the int16 activations.
// Compiled with -mavx2 -mfma -ffp-contract=off (engine/CMakeLists.txt); called only when the CPU has AVX2.
// No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/int8_gemm_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

// The horizontal sums of four int32x8 vectors.
inline __m128i Sum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

inline int32_t Sum1(__m256i a) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
  s = _mm_hadd_epi32(s, s);
  s = _mm_hadd_epi32(s, s);
  return _mm_cvtsi128_si32(s);
}

constexpr int kPrefetchTiles = 4;

// MR rows of x times NR rows of w: MR * NR accumulators held in registers over the whole of k.
template <int MR, int NR>
inline void Tile(const Int8GemmArgs& a, int m0, int n0) {
  __m256i acc[MR * NR];
#pragma GCC unroll 8
  for (int t = 0; t < MR * NR; ++t) acc[t] = _mm256_setzero_si256();
  const int8_t* w = a.w + static_cast<long>(n0) * a.kp;
  const int16_t* x = a.x16 + static_cast<long>(m0) * a.kp;
  // kp is a multiple of 64: one cache line of each weight row per iteration, and a prefetch of the line
  // that the tile kPrefetchTiles further on will read at the same k (rows stream past once; this keeps
  // DRAM busy while the multiplies run).
  const int8_t* ahead = w + static_cast<long>(kPrefetchTiles) * NR * a.kp;
  for (int k = 0; k < a.kp; k += 64) {
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j)
      _mm_prefetch(reinterpret_cast<const char*>(ahead + j * a.kp + k), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int kk = k; kk < k + 64; kk += 16) {
      __m256i wv[NR];
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) {
        wv[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + j * a.kp + kk)));
      }
#pragma GCC unroll 4
      for (int i = 0; i < MR; ++i) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i * a.kp + kk));
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
          acc[i * NR + j] = _mm256_add_epi32(acc[i * NR + j], _mm256_madd_epi16(xv, wv[j]));
        }
      }
    }
  }
  int32_t sums[MR * NR + 3];
  constexpr int kFours = MR * NR / 4;
  for (int g = 0; g < kFours; ++g) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(sums + 4 * g),
                     Sum4(acc[4 * g], acc[4 * g + 1], acc[4 * g + 2], acc[4 * g + 3]));
  }
  for (int t = 4 * kFours; t < MR * NR; ++t) sums[t] = Sum1(acc[t]);
  for (int i = 0; i < MR; ++i) {
    float* y = a.y + static_cast<long>(m0 + i) * a.ldy;
    for (int j = 0; j < NR; ++j) {
      y[n0 + j] = Int8Epilogue(sums[i * NR + j], a.x_scales[m0 + i], a.w_scales[n0 + j], a.bias, n0 + j);
    }
  }
}

constexpr int kRowsPerTile = 4;

template <int NR>
void RowsOfX(const Int8GemmArgs& a, int m_begin, int m_end, int n0) {
  int m = m_begin;
  for (; m + kRowsPerTile <= m_end; m += kRowsPerTile) Tile<kRowsPerTile, NR>(a, m, n0);
  switch (m_end - m) {
    case 3:
      Tile<3, NR>(a, m, n0);
      break;
    case 2:
      Tile<2, NR>(a, m, n0);
      break;
    case 1:
      Tile<1, NR>(a, m, n0);
      break;
  }
}

}  // namespace

float QuantizeRowAvx2(const float* v, int n, int padded, int8_t* q) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 inf = _mm256_set1_ps(__builtin_inff());
  __m256 max = _mm256_setzero_ps(), bad = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(v + i), abs_mask);
    max = _mm256_max_ps(max, a);
    bad = _mm256_or_ps(bad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));  // NaN or infinity
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, max);
  float max_abs = 0.0f;
  for (int j = 0; j < 8; ++j) max_abs = lanes[j] > max_abs ? lanes[j] : max_abs;
  bool finite = _mm256_movemask_ps(bad) == 0;
  for (; i < n; ++i) {
    const float a = v[i] < 0 ? -v[i] : v[i];
    if (!(a < __builtin_inff())) finite = false;
    max_abs = a > max_abs ? a : max_abs;
  }
  if (max_abs == 0.0f || !finite) {
    for (int j = 0; j < padded; ++j) q[j] = 0;
    return finite ? 0.0f : __builtin_nanf("");
  }
  const float inv = 127.0f / max_abs;
  const __m256 scale = _mm256_set1_ps(inv);
  i = 0;
  for (; i + 32 <= n; i += 32) {
    // Round to nearest even (the default MXCSR mode, as nearbyint), then pack 32 int32 -> 32 int8.
    const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + i), scale));
    const __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + i + 8), scale));
    const __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + i + 16), scale));
    const __m256i d = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(v + i + 24), scale));
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);  // per 128-bit lane
    const __m256i abcd = _mm256_packs_epi16(ab, cd);
    // Lanes now hold dwords in the order a0 b0 c0 d0 a1 b1 c1 d1 (4 values each): restore a b c d.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), _mm256_permutevar8x32_epi32(abcd, order));
  }
  for (; i < n; ++i) {
    const __m256 x = _mm256_set1_ps(v[i] * inv);
    q[i] = static_cast<int8_t>(
        _mm256_cvtss_f32(_mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
  }
  for (; i < padded; ++i) q[i] = 0;
  return max_abs / 127.0f;
}

void Int8GemmAvx2(const Int8GemmArgs& a, int n_begin, int n_end) {
  // Blocks of x rows small enough to stay in L2 (256 KiB of int16) while w streams past once per block.
  int block = (256 * 1024) / (a.kp * 2);
  block = block < kRowsPerTile ? kRowsPerTile : block - block % kRowsPerTile;
  for (int m_begin = 0; m_begin < a.m; m_begin += block) {
    const int m_end = a.m < m_begin + block ? a.m : m_begin + block;
    int n = n_begin;
    for (; n + 2 <= n_end; n += 2) RowsOfX<2>(a, m_begin, m_end, n);
    if (n < n_end) RowsOfX<1>(a, m_begin, m_end, n);
  }
}

}  // namespace dolmetsch::engine::kernels::internal
