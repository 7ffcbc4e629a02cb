// AVX2 scan of TopK (top_k_kernels.h). Compiled with -mavx2; called only when the CPU has it.
// No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/top_k_kernels.h"

namespace dolmetsch::engine::kernels::internal {

#include "engine/kernels/top_k_scan.inc"

void TopKScanAvx2(const float* x, int begin, int n, int k, float* values, int* indices) {
  // Once a few hundred values are in, almost none beats the k-th best: 32 values are compared with it at
  // once (ordered >, false for NaN and for equal values, as in the scalar scan) and only the lanes that
  // pass go through the scalar insertion, which re-checks them against the k-th value as it rises.
  int i = begin;
  __m256 threshold = _mm256_set1_ps(values[k - 1]);
  for (; i + 32 <= n; i += 32) {
    const unsigned m0 = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i), threshold, _CMP_GT_OQ));
    const unsigned m1 = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i + 8), threshold, _CMP_GT_OQ));
    const unsigned m2 = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i + 16), threshold, _CMP_GT_OQ));
    const unsigned m3 = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(x + i + 24), threshold, _CMP_GT_OQ));
    unsigned mask = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
    if (mask == 0) continue;
    do {
      const int j = i + __builtin_ctz(mask);
      mask &= mask - 1;
      if (x[j] > values[k - 1]) InsertIntoFull(x[j], j, k, values, indices);
    } while (mask != 0);
    threshold = _mm256_set1_ps(values[k - 1]);
  }
  ScanScalar(x, i, n, k, values, indices);
}

}  // namespace dolmetsch::engine::kernels::internal
