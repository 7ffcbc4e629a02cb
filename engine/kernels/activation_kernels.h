// Internal to engine/kernels: per-ISA versions behind activation.h. See int8_gemm_kernels.h for the rule
// about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

void SwishAvx2(float* x, long n);
void SwishAvx512(float* x, long n);
// y[i] = exp(x[i]) with the polynomial the Swish kernels use (for tests of its error bound).
void ExpAvx2(const float* x, long n, float* y);
void ExpAvx512(const float* x, long n, float* y);

}  // namespace dolmetsch::engine::kernels::internal
