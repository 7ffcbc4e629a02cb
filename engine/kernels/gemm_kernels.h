// Internal to engine/kernels: per-ISA float32 kernels behind LinearForward and PackedLinear (gemm.h). See
// int8_gemm_kernels.h for the rule about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

// Columns [n_begin, n_end) of y = x w^T + bias for m rows of x (any m; meant for m <= 8).
void LinearFewRowsAvx2(const float* x, const float* w, const float* bias, float* y, int m, int n, int k,
                       int n_begin, int n_end);

constexpr int kPackedTileRows = 12;  // rows of x per register tile of the AVX-512 kernel

struct PackedLinearArgs {
  const float* x = nullptr;     // [m][k]
  const float* w = nullptr;     // panels (gemm.h, PackedFloatMatrix)
  const float* bias = nullptr;  // [n] or nullptr
  float* y = nullptr;           // [m][n]
  int m = 0, n = 0, k = 0;
};

// Panels [panel_begin, panel_end) of y (columns 16 * panel_begin ...), all m rows.
void PackedLinearAvx512(const PackedLinearArgs& a, int panel_begin, int panel_end);

}  // namespace dolmetsch::engine::kernels::internal
