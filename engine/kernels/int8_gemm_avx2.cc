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

// MR rows of x times NR rows of w: MR * NR accumulators held in registers over the whole of k.
template <int MR, int NR>
inline void Tile(const Int8GemmArgs& a, int m0, int n0) {
  __m256i acc[MR * NR];
#pragma GCC unroll 8
  for (int t = 0; t < MR * NR; ++t) acc[t] = _mm256_setzero_si256();
  const int8_t* w = a.w + static_cast<long>(n0) * a.kp;
  const int16_t* x = a.x16 + static_cast<long>(m0) * a.kp;
  for (int k = 0; k < a.kp; k += 16) {
    __m256i wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
      wv[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + j * a.kp + k)));
    }
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i * a.kp + k));
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j)
        acc[i * NR + j] = _mm256_add_epi32(acc[i * NR + j], _mm256_madd_epi16(xv, wv[j]));
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
