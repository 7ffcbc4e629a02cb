// Internal to engine/kernels: per-ISA float32 kernels behind LinearForward and PackedLinear (gemm.h). See
// int8_gemm_kernels.h for the rule about standard headers in ISA-flagged files.
#pragma once

namespace dolmetsch::engine::kernels::internal {

// Columns [n_begin, n_end) of y = x w^T + bias for m rows of x (any m; meant for m <= 8).
void LinearFewRowsAvx2(const float* x, const float* w, const float* bias, float* y, int m, int n, int k,
                       int n_begin, int n_end);

constexpr int kPackedTileRowsAvx512 = 12;  // rows of x per register tile of the AVX-512 kernel
constexpr int kPackedTileRowsAvx2 = 6;     // ... of the AVX2 kernel

// Rows of x go in tiles of at most tile_rows rows and nearly equal height (64 rows by 12: 11, 11, 11, 11,
// 10, 10 rather than 12 x 5 + 4: a short tile has too few accumulators to hide the FMA latency). Tile t
// starts at row TileBegin(m, t, tile_rows). The tiling changes no result, only the speed.
inline int TileCount(int m, int tile_rows) { return (m + tile_rows - 1) / tile_rows; }
inline int TileBegin(int m, int t, int tile_rows) {
  const int tiles = TileCount(m, tile_rows), base = m / tiles, extra = m % tiles;
  return t * base + (t < extra ? t : extra);
}

struct PackedLinearArgs {
  // x laid out per tile (the kernel's tile_rows): tile t (rows m0 = TileBegin(m, t, tile_rows) to m1) is
  // [k][m1 - m0] at offset m0 * k, so that a tile's broadcasts read one pointer at fixed offsets (with a
  // pointer per row of x, GCC ran out of registers and reloaded them from the stack inside the loop).
  const float* x = nullptr;
  const float* w = nullptr;     // panels (gemm.h, PackedFloatMatrix)
  const float* bias = nullptr;  // [n] or nullptr
  float* y = nullptr;           // [m][n]
  int m = 0, n = 0, k = 0;
};

// Panels [panel_begin, panel_end) of y (columns 16 * panel_begin ...), all m rows, x tiled by
// kPackedTileRowsAvx512 / kPackedTileRowsAvx2.
void PackedLinearAvx512(const PackedLinearArgs& a, int panel_begin, int panel_end);
void PackedLinearAvx2(const PackedLinearArgs& a, int panel_begin, int panel_end);

}  // namespace dolmetsch::engine::kernels::internal
