// AVX2 + FMA versions of activation.h. Compiled with -mavx2 -mfma -ffp-contract=off (the FMAs are the
// written ones, so the AVX-512 file, written op for op the same, gives bitwise the same results); called
// only when the CPU has them. No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/activation_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

// exp over the whole float range. x = n ln2 + r with |r| <= ln2/2 (Cody-Waite: ln2 in two parts, n * the
// first exact), exp(r) = 1 + r + r^2 P(r) with Cephes expf's degree-5 P, times 2^n. 2^n is applied as two
// factors 2^(n/2) and 2^(n - n/2), each a normal float for the clamped n in [-150, 128]: the first product
// is exact, the second rounds once, so overflow gives +inf and tiny results round correctly into
// subnormals or 0. The clamp keeps NaN (minps/maxps return their second operand for NaN).
inline __m256 Exp(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(89.0f), x);    // exp(89) > FLT_MAX: still +inf
  x = _mm256_max_ps(_mm256_set1_ps(-104.0f), x);  // exp(-104) < half the smallest subnormal: still 0
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3333818289e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);  // NaN gives INT_MIN: garbage scale, but p is NaN already
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

inline __m256 Swish(__m256 x) {
  // x / (1 + exp(-x)) as the scalar formula, a true division (rcp + Newton would add 1-2 ulp).
  const __m256 e = Exp(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// Lanes [0, rem) set, for the masked tail.
inline __m256i TailMask(long rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

}  // namespace

void SwishAvx2(float* x, long n) {
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_ps(x + i, Swish(_mm256_loadu_ps(x + i)));
    _mm256_storeu_ps(x + i + 8, Swish(_mm256_loadu_ps(x + i + 8)));
  }
  for (; i < n; i += 8) {
    const __m256i mask = TailMask(n - i);
    _mm256_maskstore_ps(x + i, mask, Swish(_mm256_maskload_ps(x + i, mask)));
  }
}

void ExpAvx2(const float* x, long n, float* y) {
  long i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Exp(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i mask = TailMask(n - i);
    _mm256_maskstore_ps(y + i, mask, Exp(_mm256_maskload_ps(x + i, mask)));
  }
}

}  // namespace dolmetsch::engine::kernels::internal
