#include "engine/kernels/gemm.h"

#include <cblas.h>

#include <cstring>

namespace dolmetsch::engine::kernels {

void LinearForward(const float* x, const float* w, const float* bias, float* y, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  float beta = 0.0f;
  if (bias != nullptr) {
    for (int i = 0; i < m; ++i) std::memcpy(y + static_cast<long>(i) * n, bias, sizeof(float) * n);
    beta = 1.0f;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, w, k, beta, y, n);
}

void ReferenceLinear(const float* x, const float* w, const float* bias, float* y, int m, int n, int k) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int p = 0; p < k; ++p) acc += static_cast<double>(x[i * k + p]) * w[j * k + p];
      y[i * n + j] = static_cast<float>(acc);
    }
  }
}

void MatMulTransB(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

void MatMul(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

void SetBlasThreads(int threads) {
  if (threads > 0) openblas_set_num_threads(threads);
}

int BlasThreads() { return openblas_get_num_threads(); }

}  // namespace dolmetsch::engine::kernels
