// AVX2 + FMA float32 kernels (gemm.h). Compiled with -mavx2 -mfma; called only when the CPU has them. No
// standard headers here: see int8_gemm_kernels.h.
//
// PackedLinearAvx2: the kernel the engine runs on CPUs without AVX-512 (Zen 2/3, Haswell ... Alder Lake),
// on the AVX-512 kernel's packed panels (16 output rows, the 16 values of one k in one 64-byte line = two
// ymm registers). Register tiles of up to 6 rows of x by one panel over all of k: 12 accumulators, 2 weight
// vectors and a broadcast fill 15 of the 16 ymm registers. Every output is one chain of FMAs over
// k = 0, 1, ... from zero, then + bias: the same operations as the AVX-512 kernel and PackedLinearScalar,
// so results are bitwise equal to both, whatever the row count, the tile or the thread split.
//
// LinearFewRowsAvx2: LinearForward's kernel for a few rows of x on weights in nn.Linear's own layout.
#include <immintrin.h>

#include "engine/kernels/gemm_kernels.h"

namespace dolmetsch::engine::kernels::internal {
namespace {

// ------------------------------------------------------------------------------------------ PackedLinearAvx2

constexpr int kPanel = 16;    // kPackedPanelRows
constexpr int kBlockK = 256;  // values of k per pass over a panel (PackedLinearAvx2)

// Lines [0, lines) of the next panel, from `next` (one 64-byte line = one k of a panel): the weights
// stream from memory once per call at decoding sizes, as in the AVX-512 kernel.
struct PanelPrefetch {
  const float* next = nullptr;
  int lines = 0;
};

// Lanes [0, cols) of a ymm register, for the last panel's partial stores (cols in 0..8).
inline __m256i FirstLanes(int cols) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), index);
}

// What one call of PanelTile does: MR rows of x (tile layout, [k][MR] from the block's first k) times one
// panel over k in [block start, block start + k), continuing the sums it left in y when not `first`, and
// adding the bias when `last`. Storing a float sum and loading it again is exact, so the blocks make the
// same FMA chain as one pass over all k.
struct Block {
  const float* x = nullptr;
  const float* panel = nullptr;  // at the block's first k
  int k = 0;
  bool first = true, last = true;
  const float* bias = nullptr;  // the panel's 16 (nullptr: none)
  float* y = nullptr;           // row 0, the panel's first column
  long ldy = 0;
  int valid = 16;  // columns of the panel that exist in y
};

template <int MR>
inline void PanelTile(const Block& b, const PanelPrefetch& pf) {
  const bool partial = b.valid < kPanel;
  const __m256i m0 = FirstLanes(partial ? b.valid : 8),
                m1 = FirstLanes(partial ? (b.valid > 8 ? b.valid - 8 : 0) : 8);
  __m256 lo[MR], hi[MR];
  if (b.first) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
  } else if (!partial) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      lo[i] = _mm256_loadu_ps(b.y + i * b.ldy);
      hi[i] = _mm256_loadu_ps(b.y + i * b.ldy + 8);
    }
  } else {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      lo[i] = _mm256_maskload_ps(b.y + i * b.ldy, m0);
      hi[i] = _mm256_maskload_ps(b.y + i * b.ldy + 8, m1);
    }
  }
  const float* x = b.x;
  const float* panel = b.panel;
  for (int p = 0; p < b.k; ++p) {
    if (p < pf.lines) {
      _mm_prefetch(reinterpret_cast<const char*>(pf.next + static_cast<long>(p) * kPanel), _MM_HINT_T1);
    }
    const __m256 w0 = _mm256_load_ps(panel + static_cast<long>(p) * kPanel);
    const __m256 w1 = _mm256_load_ps(panel + static_cast<long>(p) * kPanel + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_broadcast_ss(x + static_cast<long>(p) * MR + i);
      lo[i] = _mm256_fmadd_ps(xv, w0, lo[i]);
      hi[i] = _mm256_fmadd_ps(xv, w1, hi[i]);
    }
  }
  if (b.last && b.bias) {
    const __m256 b0 = partial ? _mm256_maskload_ps(b.bias, m0) : _mm256_loadu_ps(b.bias);
    const __m256 b1 = partial ? _mm256_maskload_ps(b.bias + 8, m1) : _mm256_loadu_ps(b.bias + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      lo[i] = _mm256_add_ps(lo[i], b0);
      hi[i] = _mm256_add_ps(hi[i], b1);
    }
  }
  if (!partial) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      _mm256_storeu_ps(b.y + i * b.ldy, lo[i]);
      _mm256_storeu_ps(b.y + i * b.ldy + 8, hi[i]);
    }
  } else {  // the last panel: its existing columns only
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      _mm256_maskstore_ps(b.y + i * b.ldy, m0, lo[i]);
      _mm256_maskstore_ps(b.y + i * b.ldy + 8, m1, hi[i]);
    }
  }
}

void PanelRows(int mr, const Block& b, const PanelPrefetch& pf) {
  switch (mr) {
#define DOLMETSCH_TILE_CASE(R) \
  case R:                      \
    PanelTile<R>(b, pf);       \
    break;
    DOLMETSCH_TILE_CASE(1)
    DOLMETSCH_TILE_CASE(2)
    DOLMETSCH_TILE_CASE(3)
    DOLMETSCH_TILE_CASE(4)
    DOLMETSCH_TILE_CASE(5)
    DOLMETSCH_TILE_CASE(6)
#undef DOLMETSCH_TILE_CASE
    default:
      break;
  }
}

// ----------------------------------------------------------------------------------------- LinearFewRowsAvx2

constexpr int kAhead = 8;  // rows of w between the tile being computed and the one being prefetched

inline float Sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// MR rows of x times NR rows of w over all of k (k a multiple of 8 here; the caller handles the rest).
template <int MR, int NR>
inline void Tile(const float* x, const float* w, int k, int k8, float* sums) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  // The rows of w are short streams (2 KB at k = 512) that the hardware prefetcher barely learns before
  // they end: fetch the rows kAhead further on ourselves, one line per 16 floats.
  const float* ahead = w + static_cast<long>(kAhead) * k;
  for (int p = 0; p < k8; p += 8) {
    if (p % 16 == 0) {
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j)
        _mm_prefetch(reinterpret_cast<const char*>(ahead + j * k + p), _MM_HINT_T0);
    }
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + static_cast<long>(j) * k + p);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + static_cast<long>(i) * k + p);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) sums[i * NR + j] = Sum8(acc[i][j]);
}

// Two rows of w at a time: MR x 2 accumulators, 2 weight vectors and one of x stay within AVX2's 16
// registers (4 x 4 tiles spilled to the stack and ran at a third of the speed).
template <int MR>
void Rows(const float* x, const float* w, const float* bias, float* y, int n, int k, int n_begin, int n_end) {
  const int k8 = k - k % 8;
  float sums[MR * 2];
  for (int j0 = n_begin; j0 < n_end; j0 += 2) {
    const int nr = n_end - j0 < 2 ? n_end - j0 : 2;
    const float* wj = w + static_cast<long>(j0) * k;
    if (nr == 2) {
      Tile<MR, 2>(x, wj, k, k8, sums);
    } else {
      float one[MR];
      Tile<MR, 1>(x, wj, k, k8, one);
      for (int i = 0; i < MR; ++i) sums[i * 2] = one[i];
    }
    for (int i = 0; i < MR; ++i) {
      for (int j = 0; j < nr; ++j) {
        float s = sums[i * 2 + j];
        for (int p = k8; p < k; ++p) s += x[static_cast<long>(i) * k + p] * wj[static_cast<long>(j) * k + p];
        y[static_cast<long>(i) * n + j0 + j] = bias ? s + bias[j0 + j] : s;
      }
    }
  }
}

}  // namespace

void PackedLinearAvx2(const PackedLinearArgs& a, int panel_begin, int panel_end) {
  const long panel_floats = static_cast<long>(kPanel) * a.k;
  const int tiles = TileCount(a.m, kPackedTileRowsAvx2);
  // One panel at a time, in blocks of kBlockK: a block of the panel (16 KB) stays in L1 while every tile of
  // rows passes by, and those rows' block of x (64 KB at 64 rows) in L2, where a whole panel (128 KB at
  // k = 2048) with all of x (512 KB) did not fit. The calls prefetch the next panel in equal shares.
  const int blocks = (a.k + kBlockK - 1) / kBlockK, calls = blocks * tiles;
  const int share = (a.k + calls - 1) / calls;
  for (int panel = panel_begin; panel < panel_end; ++panel) {
    const int n0 = panel * kPanel;
    const float* w = a.w + panel * panel_floats;
    Block b;
    b.bias = a.bias ? a.bias + n0 : nullptr;
    b.ldy = a.n;
    b.valid = a.n - n0;
    for (int k0 = 0, call = 0; k0 < a.k; k0 += kBlockK) {
      b.k = a.k - k0 < kBlockK ? a.k - k0 : kBlockK;
      b.first = k0 == 0;
      b.last = k0 + b.k == a.k;
      b.panel = w + static_cast<long>(k0) * kPanel;
      for (int t = 0; t < tiles; ++t, ++call) {
        const int m0 = TileBegin(a.m, t, kPackedTileRowsAvx2);
        const int mr = TileBegin(a.m, t + 1, kPackedTileRowsAvx2) - m0;
        PanelPrefetch pf;
        if (panel + 1 < panel_end) {
          const int first = call * share, lines = a.k - first < share ? a.k - first : share;
          pf.next = w + panel_floats + static_cast<long>(first) * kPanel;
          pf.lines = lines > 0 ? lines : 0;
        }
        b.x = a.x + static_cast<long>(m0) * a.k + static_cast<long>(k0) * mr;
        b.y = a.y + static_cast<long>(m0) * a.n + n0;
        PanelRows(mr, b, pf);
      }
    }
  }
}

void LinearFewRowsAvx2(const float* x, const float* w, const float* bias, float* y, int m, int n, int k,
                       int n_begin, int n_end) {
  for (int i = 0; i < m; i += 4) {
    const float* xi = x + static_cast<long>(i) * k;
    float* yi = y + static_cast<long>(i) * n;
    switch (m - i < 4 ? m - i : 4) {
      case 4:
        Rows<4>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 3:
        Rows<3>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 2:
        Rows<2>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
      case 1:
        Rows<1>(xi, w, bias, yi, n, k, n_begin, n_end);
        break;
    }
  }
}

}  // namespace dolmetsch::engine::kernels::internal
