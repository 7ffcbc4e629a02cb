// AVX2 + FMA float32 kernel for LinearForward with few rows of x (decoding at small batches), where BLAS
// runs well below memory bandwidth: each weight row is read once for all m <= 4 rows of x. Compiled with
// -mavx2 -mfma; called only when the CPU has them. No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/gemm_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

constexpr int kAhead = 8;  // rows of w between the tile being computed and the one being prefetched

inline float Sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// MR rows of x times NR rows of w over all of k (k a multiple of 8 here; the caller handles the rest).
template <int MR, int NR>
inline void Tile(const float* x, const float* w, int k, int k8, float* sums) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  // The rows of w are short streams (2 KB at k = 512) that the hardware prefetcher barely learns before
  // they end: fetch the rows kAhead further on ourselves, one line per 16 floats.
  const float* ahead = w + static_cast<long>(kAhead) * k;
  for (int p = 0; p < k8; p += 8) {
    if (p % 16 == 0) {
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j)
        _mm_prefetch(reinterpret_cast<const char*>(ahead + j * k + p), _MM_HINT_T0);
    }
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + static_cast<long>(j) * k + p);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + static_cast<long>(i) * k + p);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) sums[i * NR + j] = Sum8(acc[i][j]);
}

// Two rows of w at a time: MR x 2 accumulators, 2 weight vectors and one of x stay within AVX2's 16
// registers (4 x 4 tiles spilled to the stack and ran at a third of the speed).
template <int MR>
void Rows(const float* x, const float* w, const float* bias, float* y, int n, int k, int n_begin, int n_end) {
  const int k8 = k - k % 8;
  float sums[MR * 2];
  for (int j0 = n_begin; j0 < n_end; j0 += 2) {
    const int nr = n_end - j0 < 2 ? n_end - j0 : 2;
    const float* wj = w + static_cast<long>(j0) * k;
    if (nr == 2) {
      Tile<MR, 2>(x, wj, k, k8, sums);
    } else {
      float one[MR];
      Tile<MR, 1>(x, wj, k, k8, one);
      for (int i = 0; i < MR; ++i) sums[i * 2] = one[i];
    }
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < nr; ++j) {
        float s = sums[i * 2 + j];
        for (int p = k8; p < k; ++p) s += x[static_cast<long>(i) * k + p] * wj[static_cast<long>(j) * k + p];
        y[static_cast<long>(i) * n + j0 + j] = bias ? s + bias[j0 + j] : s;
      }
    }
  }
}

}  // namespace

void LinearFewRowsAvx2(const float* x, const float* w, const float* bias, float* y, int m, int n, int k,
                       int n_begin, int n_end) {
  for (int i = 0; i < m; i += 4) {
    const float* xi = x + static_cast<long>(i) * k;
    float* yi = y + static_cast<long>(i) * n;
    switch (m - i < 4 ? m - i : 4) {
      case 4:
        Rows<4>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 3:
        Rows<3>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 2:
        Rows<2>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 1:
        Rows<1>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
    }
  }
}

}  // namespace dolmetsch::engine::kernels::internal
