// Internal to engine/kernels: per-ISA versions behind vector_math.h. See int8_gemm_kernels.h for the rule
// about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

float MaxOfAvx2(const float* x, int n);
float SumExpAvx2(const float* x, int n, float shift);

}  // namespace dolmetsch::engine::kernels::internal
