// Internal to engine/kernels: per-ISA float32 kernels behind LinearForward (gemm.h). See
// int8_gemm_kernels.h for the rule about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

// Columns [n_begin, n_end) of y = x w^T + bias for m rows of x (any m; meant for m <= 8).
void LinearFewRowsAvx2(const float* x, const float* w, const float* bias, float* y, int m, int n, int k,
                       int n_begin, int n_end);

}  // namespace dolmetsch::engine::kernels::internal
