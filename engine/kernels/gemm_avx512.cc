// AVX-512 float32 kernel for PackedLinear (gemm.h): register tiles of up to 12 rows of x by 32 output
// columns (two 16-row panels of w) over all of k, 24 accumulators in zmm registers. Every output is one
// chain of FMAs over k = 0, 1, ... from zero, then + bias: the same operations whatever the tile, the row
// count or the thread split, and the same as PackedLinearScalar. Compiled with -mavx512f; called only when
// the CPU has it. No standard headers here: see int8_gemm_kernels.h.
#include <immintrin.h>

#include "engine/kernels/gemm_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

constexpr int kPanel = 16;  // kPackedPanelRows

// What a tile prefetches of the next pair of panels while it computes: lines [0, lines) of both panels
// from `next` (one 64-byte line = one k of a panel). The weights stream from memory once per call at
// decoding sizes; without this the loads of each new pair stalled on memory (perf: 37 % of the kernel's
// samples on the weight load).
struct Prefetch {
  const float* next = nullptr;
  long panel_stride = 0;
  int lines = 0;
};

// MR rows of x (from x, row stride ldx) times NP panels (NP * 16 columns, from column n0) over all k.
// valid: how many of those columns exist in y (the rest are padding rows of the last panel).
template <int MR, int NP>
inline void Tile(const float* x, const float* panels, int k, const float* bias, float* y, long ldy, int valid,
                 const Prefetch& pf) {
  __m512 acc[MR][NP];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_setzero_ps();
  const long panel_stride = static_cast<long>(kPanel) * k;
  for (int p = 0; p < k; ++p) {
    if (p < pf.lines) {
      _mm_prefetch(reinterpret_cast<const char*>(pf.next + static_cast<long>(p) * kPanel), _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char*>(pf.next + pf.panel_stride + static_cast<long>(p) * kPanel),
                   _MM_HINT_T1);
    }
    __m512 wv[NP];
#pragma GCC unroll 2
    for (int j = 0; j < NP; ++j)
      wv[j] = _mm512_load_ps(panels + j * panel_stride + static_cast<long>(p) * kPanel);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_set1_ps(x[static_cast<long>(p) * MR + i]);
#pragma GCC unroll 2
      for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 2
  for (int j = 0; j < NP; ++j) {
    const int cols = valid - j * kPanel;
    if (cols <= 0) break;
    const __mmask16 mask =
        cols >= kPanel ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << cols) - 1);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + j * kPanel) : _mm512_setzero_ps();
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 v = bias ? _mm512_add_ps(acc[i][j], b) : acc[i][j];
      _mm512_mask_storeu_ps(y + i * ldy + j * kPanel, mask, v);
    }
  }
}

template <int NP>
void Rows(const float* x, int mr, const float* panels, int k, const float* bias, float* y, long ldy,
          int valid, const Prefetch& pf) {
  switch (mr) {
#define DOLMETSCH_TILE_CASE(R)                          \
  case R:                                               \
    Tile<R, NP>(x, panels, k, bias, y, ldy, valid, pf); \
    break;
    DOLMETSCH_TILE_CASE(1)
    DOLMETSCH_TILE_CASE(2)
    DOLMETSCH_TILE_CASE(3)
    DOLMETSCH_TILE_CASE(4)
    DOLMETSCH_TILE_CASE(5)
    DOLMETSCH_TILE_CASE(6)
    DOLMETSCH_TILE_CASE(7)
    DOLMETSCH_TILE_CASE(8)
    DOLMETSCH_TILE_CASE(9)
    DOLMETSCH_TILE_CASE(10)
    DOLMETSCH_TILE_CASE(11)
    DOLMETSCH_TILE_CASE(12)
#undef DOLMETSCH_TILE_CASE
    default:
      break;
  }
}

}  // namespace

void PackedLinearAvx512(const PackedLinearArgs& a, int panel_begin, int panel_end) {
  const long panel_floats = static_cast<long>(kPanel) * a.k;
  const int tiles = TileCount(a.m, kPackedTileRowsAvx512);
  // Two panels (32 columns) at a time; for every pair all rows of x pass by while the pair (64 KB at
  // k = 512, 256 KB at k = 2048) stays in L2, and the tiles prefetch the next pair in equal shares.
  const int share = (a.k + tiles - 1) / tiles;
  for (int panel = panel_begin; panel < panel_end; panel += 2) {
    const int np = panel_end - panel >= 2 ? 2 : 1;
    const int n0 = panel * kPanel;
    const int valid = a.n - n0;
    const float* w = a.w + panel * panel_floats;
    const float* bias = a.bias ? a.bias + n0 : nullptr;
    const bool next_pair = panel_end - panel >= 4;
    for (int t = 0; t < tiles; ++t) {
      const int m0 = TileBegin(a.m, t, kPackedTileRowsAvx512),
                mr = TileBegin(a.m, t + 1, kPackedTileRowsAvx512) - m0;
      Prefetch pf;
      if (next_pair) {
        const int first = t * share, lines = a.k - first < share ? a.k - first : share;
        pf.next = w + 2 * panel_floats + static_cast<long>(first) * kPanel;
        pf.panel_stride = panel_floats;
        pf.lines = lines > 0 ? lines : 0;
      }
      const float* x = a.x + static_cast<long>(m0) * a.k;
      float* y = a.y + static_cast<long>(m0) * a.n + n0;
      if (np == 2) {
        Rows<2>(x, mr, w, a.k, bias, y, a.n, valid, pf);
      } else {
        Rows<1>(x, mr, w, a.k, bias, y, a.n, valid, pf);
      }
    }
  }
}

}  // namespace dolmetsch::engine::kernels::internal
