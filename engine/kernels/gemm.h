// GEMM primitives for the engine (float32).
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

namespace dolmetsch::engine::kernels {

// y: [m, n], x: [m, k] (row stride k), w: [n, k], bias: [n] or nullptr.
void LinearForward(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);
void ReferenceLinear(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);

// Single-threaded (callers parallelize around them).
// c[m, n] = a[m, k] * b[n, k]^T with explicit leading dimensions (for attention over caches).
void MatMulTransB(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);
// c[m, n] = a[m, k] * b[k, n] with explicit leading dimensions.
void MatMul(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);

}  // namespace dolmetsch::engine::kernels
