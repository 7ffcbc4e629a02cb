// AVX-512 versions of activation.h: activation_avx2.cc op for op on 16 lanes (same -ffp-contract=off, so
// the results are bitwise the same; see there for the method). Compiled with -mavx512f; called only when
// the CPU has AVX-512. No standard headers here: see int8_gemm_kernels.h.
// GCC 12's avx512fintrin.h starts from undefined vectors and warns about it (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/kernels/activation_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

inline __m512 Exp(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(89.0f), x);
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3333818289e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i ni = _mm512_cvtps_epi32(n);
  const __m512i n1 = _mm512_srai_epi32(ni, 1);
  const __m512i n2 = _mm512_sub_epi32(ni, n1);
  const __m512i bias = _mm512_set1_epi32(127);
  const __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, bias), 23));
  const __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n2, bias), 23));
  return _mm512_mul_ps(_mm512_mul_ps(p, s1), s2);
}

inline __m512 Swish(__m512 x) {
  const __m512 e = Exp(_mm512_sub_ps(_mm512_setzero_ps(), x));
  return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

inline __mmask16 TailMask(long rem) { return static_cast<__mmask16>((1u << rem) - 1); }  // rem < 16

}  // namespace

void SwishAvx512(float* x, long n) {
  long i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm512_storeu_ps(x + i, Swish(_mm512_loadu_ps(x + i)));
    _mm512_storeu_ps(x + i + 16, Swish(_mm512_loadu_ps(x + i + 16)));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, Swish(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 mask = TailMask(n - i);
    _mm512_mask_storeu_ps(x + i, mask, Swish(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

void ExpAvx512(const float* x, long n, float* y) {
  long i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Exp(_mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 mask = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, mask, Exp(_mm512_maskz_loadu_ps(mask, x + i)));
  }
}

}  // namespace dolmetsch::engine::kernels::internal
