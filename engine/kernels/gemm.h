// GEMM primitives for the engine (float32).
//
// LinearForward computes y[m, n] = sum_k x[m, k] * w[n, k] + bias[n]: a PyTorch nn.Linear with the weight
// in its stored [out_features, in_features] layout. The optimized path calls BLAS (OpenBLAS from Debian);
// ReferenceLinear is the plain triple loop the tests compare against.
// Thread-safety: stateless; BLAS threads are process-wide (SetBlasThreads).
#pragma once

namespace dolmetsch::engine::kernels {

// y: [m, n], x: [m, k] (row stride k), w: [n, k], bias: [n] or nullptr.
void LinearForward(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);
void ReferenceLinear(const float* x, const float* w, const float* bias, float* y, int m, int n, int k);

// c[m, n] = a[m, k] * b[n, k]^T with explicit leading dimensions (for attention over caches).
void MatMulTransB(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);
// c[m, n] = a[m, k] * b[k, n] with explicit leading dimensions.
void MatMul(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k);

void SetBlasThreads(int threads);
int BlasThreads();

}  // namespace dolmetsch::engine::kernels
