// Internal to engine/kernels: per-ISA scans behind TopK (top_k.h). See int8_gemm_kernels.h for the rule
// about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

// Continues a top-k scan over x[begin, n): values/indices hold the k >= 1 best of x[0, begin), best first,
// no NaN among them (so the list is totally ordered and its k-th value never decreases).
void TopKScanScalar(const float* x, int begin, int n, int k, float* values, int* indices);
void TopKScanAvx2(const float* x, int begin, int n, int k, float* values, int* indices);
void TopKScanAvx512(const float* x, int begin, int n, int k, float* values, int* indices);

}  // namespace dolmetsch::engine::kernels::internal
