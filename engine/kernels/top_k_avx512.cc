// AVX-512 scan of TopK (top_k_kernels.h). Compiled with -mavx512f; called only when the CPU has AVX-512.
// No standard headers here: see int8_gemm_kernels.h.
// GCC 12's avx512fintrin.h starts from undefined vectors and warns about it (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/kernels/top_k_kernels.h"

namespace dolmetsch::engine::kernels::internal {

#include "engine/kernels/top_k_scan.inc"

void TopKScanAvx512(const float* x, int begin, int n, int k, float* values, int* indices) {
  // As TopKScanAvx2, 64 values per block; the compares write mask registers directly.
  int i = begin;
  __m512 threshold = _mm512_set1_ps(values[k - 1]);
  for (; i + 64 <= n; i += 64) {
    const __mmask16 m0 = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i), threshold, _CMP_GT_OQ);
    const __mmask16 m1 = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i + 16), threshold, _CMP_GT_OQ);
    const __mmask16 m2 = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i + 32), threshold, _CMP_GT_OQ);
    const __mmask16 m3 = _mm512_cmp_ps_mask(_mm512_loadu_ps(x + i + 48), threshold, _CMP_GT_OQ);
    if (_mm512_kortestz(_mm512_kor(m0, m1), _mm512_kor(m2, m3))) continue;
    unsigned long long mask =
        static_cast<unsigned long long>(m0) | (static_cast<unsigned long long>(m1) << 16) |
        (static_cast<unsigned long long>(m2) << 32) | (static_cast<unsigned long long>(m3) << 48);
    do {
      const int j = i + __builtin_ctzll(mask);
      mask &= mask - 1;
      if (x[j] > values[k - 1]) InsertIntoFull(x[j], j, k, values, indices);
    } while (mask != 0);
    threshold = _mm512_set1_ps(values[k - 1]);
  }
  ScanScalar(x, i, n, k, values, indices);
}

}  // namespace dolmetsch::engine::kernels::internal
