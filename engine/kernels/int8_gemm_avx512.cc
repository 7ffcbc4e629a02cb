// AVX-512 VNNI int8 kernel (body in int8_gemm_avx512_kernel.inc). Compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512vnni -ffp-contract=off; called only when the CPU has VNNI.
// No standard headers here: see int8_gemm_kernels.h.
// GCC 12's avx512fintrin.h starts extracts from an undefined vector and warns about it (GCC bug 105593).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "engine/kernels/int8_gemm_kernels.h"

#define V512 __m512i
#define V256 __m256i
#define V128 __m128i
#define V512_ZERO() _mm512_setzero_si512()
#define V512_LOADU(p) _mm512_loadu_si512(reinterpret_cast<const void*>(p))
#define V512_DPBUSD(acc, u8, s8) _mm512_dpbusd_epi32(acc, u8, s8)
#define V512_HALVES_ADD(v) _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1))
#define V256_HADD(a, b) _mm256_hadd_epi32(a, b)
#define V256_LO(v) _mm256_castsi256_si128(v)
#define V256_HI(v) _mm256_extracti128_si256(v, 1)
#define V128_ADD(a, b) _mm_add_epi32(a, b)
#define V128_HADD(a, b) _mm_hadd_epi32(a, b)
#define V128_STOREU(p, v) _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v)
#define V128_TO_INT(v) _mm_cvtsi128_si32(v)
#define INT8_GEMM_AVX512_NAME Int8GemmAvx512Vnni

namespace dolmetsch::engine::kernels::internal {
#include "engine/kernels/int8_gemm_avx512_kernel.inc"
}  // namespace dolmetsch::engine::kernels::internal
