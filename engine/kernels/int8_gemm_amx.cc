// AMX-INT8 kernel (body in int8_gemm_amx_kernel.inc). Compiled with -mamx-tile -mamx-int8
// -ffp-contract=off; called only when the CPU has AMX, the kernel granted this process the tile state
// (cpu_features.cc), and a self-check against the scalar kernel passed (int8_gemm.cc).
// No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/int8_gemm_kernels.h"

#define AMX_CONFIGURE(config) _tile_loadconfig(config)
#define AMX_RELEASE() _tile_release()
#define AMX_ZERO(t) _tile_zero(t)
#define AMX_LOAD(t, base, stride) _tile_loadd(t, base, stride)
#define AMX_STORE(t, base, stride) _tile_stored(t, base, stride)
#define AMX_DPBUSD(c, a, b) _tile_dpbusd(c, a, b)
#define INT8_GEMM_AMX_NAME Int8GemmAmx

namespace dolmetsch::engine::kernels::internal {
#include "engine/kernels/int8_gemm_amx_kernel.inc"
}  // namespace dolmetsch::engine::kernels::internal
