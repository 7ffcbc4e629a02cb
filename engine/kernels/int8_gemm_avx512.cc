// AVX-512 VNNI int8 kernel (body in int8_gemm_avx512_kernel.inc). Compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni -ffp-contract=off; called only when the CPU has VNNI.
// No standard headers here: see int8_gemm_kernels.h.
// GCC 12's avx512fintrin.h starts extracts from an undefined vector and warns about it (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/kernels/int8_gemm_kernels.h"

#define V512 __m512i
#define V512F __m512
#define V512_ZERO() _mm512_setzero_si512()
#define V512_LOADU(p) _mm512_loadu_si512(reinterpret_cast<const void*>(p))
#define V512_BROADCAST32(p) _mm512_set1_epi32(LoadInt32(p))
#define V512_DPBUSD(acc, u8, s8) _mm512_dpbusd_epi32(acc, u8, s8)
#define V512_SUB(a, b) _mm512_sub_epi32(a, b)
#define V512_SLLI(v, n) _mm512_slli_epi32(v, n)
#define V512_TO_FLOAT(v) _mm512_cvtepi32_ps(v)
#define V512F_LOADU(p) _mm512_loadu_ps(p)
#define V512F_MASKZ_LOADU(mask, p) _mm512_maskz_loadu_ps(mask, p)
#define V512F_SET1(f) _mm512_set1_ps(f)
#define V512F_MUL(a, b) _mm512_mul_ps(a, b)
#define V512F_ADD(a, b) _mm512_add_ps(a, b)
#define V512F_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V512F_MASK_STOREU(p, mask, v) _mm512_mask_storeu_ps(p, mask, v)
#define INT8_GEMM_AVX512_NAME Int8GemmAvx512Vnni

namespace dolmetsch::engine::kernels::internal {
namespace {
inline int LoadInt32(const uint8_t* p) {
  int v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace
#include "engine/kernels/int8_gemm_avx512_kernel.inc"
}  // namespace dolmetsch::engine::kernels::internal
