#include "engine/kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
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

const char* PackedLinearIsa() {
  const CpuFeatures& f = GetCpuFeatures();
  return f.avx512bw ? "avx512" : f.avx2 ? "avx2" : "scalar";
}

float PackedFloatMatrix::At(int n, int k) const {
  return values.data()[static_cast<size_t>(n / kPackedPanelRows) * kPackedPanelRows * cols +
                       static_cast<size_t>(k) * kPackedPanelRows + n % kPackedPanelRows];
}

PackedFloatMatrix AllocatePackedMatrix(int rows, int cols) {
  PackedFloatMatrix out;
  out.rows = rows;
  out.cols = cols;
  const int panels = (rows + kPackedPanelRows - 1) / kPackedPanelRows;
  out.values.Resize(static_cast<size_t>(panels) * kPackedPanelRows * cols);
  if (rows % kPackedPanelRows != 0) {  // padding rows: computed, never stored, must be finite
    float* last = out.values.data() + static_cast<size_t>(panels - 1) * kPackedPanelRows * cols;
    std::memset(last, 0, sizeof(float) * kPackedPanelRows * cols);
  }
  return out;
}

void PackRowRange(const float* w, int begin, int end, PackedFloatMatrix* out) {
  const int cols = out->cols;
  // Whole panels per task, so that no two tasks write the same cache line.
  const int first_panel = begin / kPackedPanelRows, last_panel = (end - 1) / kPackedPanelRows;
  ThreadPool::Global().ParallelFor(last_panel - first_panel + 1, [&](int task) {
    const int panel = first_panel + task;
    const int r0 = std::max(begin, panel * kPackedPanelRows),
              r1 = std::min(end, (panel + 1) * kPackedPanelRows);
    float* dst = out->values.data() + static_cast<size_t>(panel) * kPackedPanelRows * cols;
    for (int r = r0; r < r1; ++r) {
      const float* src = w + static_cast<size_t>(r) * cols;
      for (int c = 0; c < cols; ++c)
        dst[static_cast<size_t>(c) * kPackedPanelRows + r % kPackedPanelRows] = src[c];
    }
  });
}

namespace {

// The kernel without AVX2: the same FMA chains as PackedLinearScalar, panel by panel (std::fma is the CPU's
// instruction where it has one, else glibc's exact emulation).
void PackedLinearPortable(const float* x, int m, const PackedFloatMatrix& w, const float* bias, float* y,
                          int panel_begin, int panel_end) {
  const int k = w.cols;
  for (int panel = panel_begin; panel < panel_end; ++panel) {
    const float* values = w.values.data() + static_cast<size_t>(panel) * kPackedPanelRows * k;
    const int n0 = panel * kPackedPanelRows, valid = std::min(kPackedPanelRows, w.rows - n0);
    for (int i = 0; i < m; ++i) {
      const float* xi = x + static_cast<size_t>(i) * k;
      float acc[kPackedPanelRows] = {};
      for (int p = 0; p < k; ++p)
        for (int j = 0; j < kPackedPanelRows; ++j)
          acc[j] = std::fma(xi[p], values[static_cast<size_t>(p) * kPackedPanelRows + j], acc[j]);
      float* yi = y + static_cast<size_t>(i) * w.rows + n0;
      for (int j = 0; j < valid; ++j) yi[j] = bias ? acc[j] + bias[n0 + j] : acc[j];
    }
  }
}

}  // namespace

void PackedLinear(const float* x, int m, const PackedFloatMatrix& w, const float* bias, float* y) {
  if (m <= 0 || w.rows == 0) return;
  ThreadPool& pool = ThreadPool::Global();
  const int panels = (w.rows + kPackedPanelRows - 1) / kPackedPanelRows;
  // Several tasks per thread so that a late worker still finds work; even numbers of panels (the AVX-512
  // kernel's tiles are two panels wide). The split changes no result (gemm.h).
  int per = pool.threads() <= 1 ? panels : (panels + pool.threads() * 4 - 1) / (pool.threads() * 4);
  per = (per + 1) / 2 * 2;
  const int tasks = (panels + per - 1) / per;
  const CpuFeatures& cpu = GetCpuFeatures();
  if (!cpu.avx2) {
    pool.ParallelFor(tasks, [&](int task) {
      PackedLinearPortable(x, m, w, bias, y, task * per, std::min(panels, (task + 1) * per));
    });
    return;
  }
  const bool avx512 = cpu.avx512bw;
  const int tile_rows = avx512 ? internal::kPackedTileRowsAvx512 : internal::kPackedTileRowsAvx2;
  // x in the kernel's tile layout (gemm_kernels.h), one buffer per calling thread, grown never shrunk.
  thread_local AlignedBuffer<float> tiled;
  const size_t size = static_cast<size_t>(m) * w.cols;
  if (tiled.size() < size) tiled.Resize(std::max(size, tiled.size() * 2));
  const int k = w.cols;
  float* buffer = tiled.data();  // not `tiled` in the lambda: that would name each worker's own buffer
  pool.ParallelFor(internal::TileCount(m, tile_rows), [&](int t) {
    const int m0 = internal::TileBegin(m, t, tile_rows), mr = internal::TileBegin(m, t + 1, tile_rows) - m0;
    float* dst = buffer + static_cast<size_t>(m0) * k;
    for (int i = 0; i < mr; ++i) {
      const float* src = x + static_cast<size_t>(m0 + i) * k;
      for (int p = 0; p < k; ++p) dst[static_cast<size_t>(p) * mr + i] = src[p];
    }
  });
  internal::PackedLinearArgs args;
  args.x = buffer;
  args.w = w.values.data();
  args.bias = bias;
  args.y = y;
  args.m = m;
  args.n = w.rows;
  args.k = w.cols;
  pool.ParallelFor(tasks, [&](int task) {
    const int begin = task * per, end = std::min(panels, (task + 1) * per);
    if (avx512) {
      internal::PackedLinearAvx512(args, begin, end);
    } else {
      internal::PackedLinearAvx2(args, begin, end);
    }
  });
}

void PackedLinearScalar(const float* x, int m, const PackedFloatMatrix& w, const float* bias, float* y) {
  for (int i = 0; i < m; ++i) {
    for (int n = 0; n < w.rows; ++n) {
      float acc = 0.0f;
      for (int k = 0; k < w.cols; ++k)
        acc = std::fma(x[static_cast<size_t>(i) * w.cols + k], w.At(n, k), acc);
      y[static_cast<size_t>(i) * w.rows + n] = bias ? acc + bias[n] : acc;
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
