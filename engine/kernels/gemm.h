// GEMM primitives for the engine (float32).
//
// The model's float32 linear layers run PackedLinear (below) on weights packed at load, on every CPU:
// AVX-512 and AVX2 + FMA kernels, and a portable one, all computing the same FMA chain per output, so the
// results are bitwise the same on every machine kind and independent of the batch. LinearForward (OpenBLAS
// in nn.Linear's layout) remains as the baseline the benchmarks compare against.
//
// LinearForward computes y[m, n] = sum_k x[m, k] * w[n, k] + bias[n]: a PyTorch nn.Linear with the weight
// in its stored [out_features, in_features] layout. Up to 8 rows of x (decoding at small batches) our own
// AVX2 kernel streams each weight row once for all of them; otherwise BLAS (OpenBLAS from Debian), one
// BLAS thread per call, with the output columns split over the engine's ThreadPool: one set of
// threads serves every op (OpenBLAS's own threads would spin beside the pool's and oversubscribe the
// cores). Each output is computed by the same kernel whatever the split, so results do not depend on the
// thread count. ReferenceLinear is the plain triple loop the tests compare against.
// Thread-safety: stateless; may be called from several threads.
#pragma once

#include <cstddef>

#include "engine/kernels/int8_gemm.h"  // AlignedBuffer

namespace dolmetsch::engine::kernels {

// y: [m, n], x: [m, k] (row stride k), w: [n, k], bias: [n] or nullptr.
void LinearForward(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);
void ReferenceLinear(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);

// Float32 weights laid out once, at load, for PackedLinear's kernels: panels of 16 output rows
// (the last one padded with zero rows); within a panel, for every k, the 16 rows' values side by side (one
// zmm register):
//   offset(n, k) = (n / 16) * 16 * cols + k * 16 + n % 16
// (AVX2 reads such a line as two ymm registers.)
// Every output y[m][n] is computed as one chain of fused multiply-adds over k = 0, 1, ..., cols - 1 from
// zero, then + bias[n] (PackedLinearScalar spells it out): the same result for any number of rows of x,
// any tile and any thread split, so a sentence translates alike alone and in a batch.
struct PackedFloatMatrix {
  int rows = 0, cols = 0;
  AlignedBuffer<float> values;
  size_t bytes() const { return values.size() * sizeof(float); }
  float At(int n, int k) const;  // w[n][k] (tests; not fast)
};
constexpr int kPackedPanelRows = 16;

// PackedLinear runs on every CPU (AVX-512, AVX2 + FMA, or portable std::fma); PackedLinearIsa names the
// kernel it uses here: "avx512", "avx2" or "scalar".
const char* PackedLinearIsa();
// An uninitialized packed matrix (padding rows zero), then rows [begin, end) of w ([rows][cols], row-major,
// pointing at row 0) packed into it, so that a caller can release w piece by piece. Uses the thread pool.
PackedFloatMatrix AllocatePackedMatrix(int rows, int cols);
void PackRowRange(const float* w, int begin, int end, PackedFloatMatrix* out);
// y[m][w.rows] = x[m][w.cols] w^T + bias, splitting columns over the thread pool.
void PackedLinear(const float* x, int m, const PackedFloatMatrix& w, const float* bias, float* y);
// The same arithmetic in plain C++ (std::fma), bitwise equal to PackedLinear: the tests' reference.
void PackedLinearScalar(const float* x, int m, const PackedFloatMatrix& w, const float* bias, float* y);

// Single-threaded (callers parallelize around them).
// c[m, n] = a[m, k] * b[n, k]^T with explicit leading dimensions (for attention over caches).
void MatMulTransB(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);
// c[m, n] = a[m, k] * b[k, n] with explicit leading dimensions.
void MatMul(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);

}  // namespace dolmetsch::engine::kernels
