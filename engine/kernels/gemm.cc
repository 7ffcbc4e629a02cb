#include "engine/kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/gemm_kernels.h"
#include "engine/kernels/thread_pool.h"

namespace dolmetsch::engine::kernels {

namespace {

constexpr int kFewRows = 8;  // up to here LinearForward uses its own kernel instead of BLAS

// OpenBLAS starts one thread per core unless told otherwise; every call here is meant to run on its
// caller's thread alone.
void UseOneBlasThread() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

}  // namespace

void LinearForward(const float* x, const float* w, const float* bias, float* y, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  UseOneBlasThread();
  // Columns in blocks of a fixed width, one BLAS call each, whatever the thread count: OpenBLAS picks its
  // kernels by problem size (small-matrix paths, edge tiles), so blocks that moved with the thread count
  // would round differently and outputs would depend on it.
  constexpr int kColumnBlock = 256;
  const int per = kColumnBlock;
  const int tasks = (n + per - 1) / per;
  ThreadPool& pool = ThreadPool::Global();
  // A few rows of x (decoding at small batches): our kernel reads each weight once for all of them, near
  // memory bandwidth, where BLAS packs and runs at half of it.
  static const bool avx2 = GetCpuFeatures().avx2;
  if (avx2 && m <= kFewRows) {
    pool.ParallelFor(tasks, [&](int task) {
      internal::LinearFewRowsAvx2(x, w, bias, y, m, n, k, task * per, std::min(n, (task + 1) * per));
    });
    return;
  }
  pool.ParallelFor(tasks, [&](int task) {
    const int n0 = task * per, cols = std::min(per, n - n0);
    float beta = 0.0f;
    if (bias != nullptr) {
      for (int i = 0; i < m; ++i)
        std::memcpy(y + static_cast<long>(i) * n + n0, bias + n0, sizeof(float) * cols);
      beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, cols, k, 1.0f, x, k,
                w + static_cast<long>(n0) * k, k, beta, y + n0, n);
  });
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
  UseOneBlasThread();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

void MatMul(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int m, int n, int k) {
  if (m == 0 || n == 0) return;
  UseOneBlasThread();
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
}

}  // namespace dolmetsch::engine::kernels
