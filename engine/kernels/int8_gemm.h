// int8 GEMM: y[m, n] = sum_k x[m, k] * w[n, k] + bias[n] with w quantized to int8 and x quantized on the fly.
//
// Scheme (docs/engine.md, "int8"): weights get one scale per output row (symmetric, max |w| -> 127), made
// once at load by QuantizeRows; each call quantizes every row of x the same way (scale = max |x| / 127,
// round to nearest even), multiplies with int32 accumulation, and writes
// y = float(acc) * (x_scale * w_scale) + bias. Rows are padded with zeros to a multiple of 64 columns.
//
// Kernels, chosen once at run time from the CPU (cpu_features.h): AMX-INT8 tiles (only after a self-check
// against the scalar kernel: no machine we test on has AMX), AVX-512 VNNI (vpdpbusd on x + 128, with the
// weights' row sums as compensation), AVX2 (vpmaddwd on sign-extended int16), and a scalar reference that
// the tests compare every kernel against. All kernels compute the same integers and the same float
// epilogue, so their outputs are bitwise equal. Weights are laid out once, at quantization, for the kernel
// that will read them (Int8Matrix::isa): rows for scalar and AVX2, 64-row panels for VNNI and AMX.
// Thread-safety: an Int8Matrix is immutable after quantization and may be shared; Int8Linear may run
// concurrently (its scratch is per thread) and splits output rows over the engine's thread pool.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace dolmetsch::engine::kernels {

enum class Int8Isa { kScalar, kAvx2, kAvx512Vnni, kAmx };
const char* Int8IsaName(Int8Isa isa);
Int8Isa BestInt8Isa();  // from GetCpuFeatures(), decided once (AMX: after its self-check)

// 64-byte aligned, uninitialized storage for kernel operands.
template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t n) { Resize(n); }
  void Resize(size_t n);  // contents are lost
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(T* p) const;
  };
  std::unique_ptr<T[], Free> data_;
  size_t size_ = 0;
};

// Layouts of values:
//   kScalar, kAvx2: [rows][padded_cols], row-major.
//   kAvx512Vnni, kAmx: panels of 64 rows (the last one padded with zero rows); within a panel, for every
//   group
//     of 4 columns, the 64 rows' 4 bytes side by side (256 bytes, four zmm registers):
//       offset(n, k) = (n / 64) * 64 * padded_cols + (k / 4) * 256 + (n % 64) * 4 + k % 4
//     scales and row_sums are padded to whole panels with zeros.
struct Int8Matrix {
  Int8Isa isa = Int8Isa::kScalar;  // the kernel family the values are laid out for
  int rows = 0, cols = 0, padded_cols = 0;
  AlignedBuffer<int8_t> values;   // see the layouts above
  std::vector<float> scales;      // [rows (padded)]: w[n][k] ~ At(n, k) * scales[n]
  std::vector<int32_t> row_sums;  // [rows (padded)]: sum_k At(n, k) (compensation for unsigned activations)
  size_t bytes() const { return values.size() + scales.size() * 4 + row_sums.size() * 4; }
  int8_t At(int n, int k) const;  // the quantized w[n][k] in any layout (tests; not fast)
};

constexpr int kInt8ColumnPadding = 64;
constexpr int kInt8VnniPanelRows = 64;

// w: [rows][cols] float32, row-major, laid out for isa's kernel. Uses the thread pool.
Int8Matrix QuantizeRows(const float* w, int rows, int cols, Int8Isa isa = BestInt8Isa());
// The same in pieces, so that a caller can release each piece of w once it is quantized: an Int8Matrix of
// the right size with nothing quantized yet, then rows [begin, end) of w (w points at row 0).
Int8Matrix AllocateInt8Matrix(int rows, int cols, Int8Isa isa = BestInt8Isa());
void QuantizeRowRange(const float* w, int begin, int end, Int8Matrix* out);

// x: [m][k] with k == w.cols; bias: [w.rows] or nullptr; y: [m][w.rows]. Runs w.isa's kernel, which the
// CPU must support (the default of QuantizeRows ensures it).
void Int8Linear(const float* x, int m, const Int8Matrix& w, const float* bias, float* y);

// The activation side of the scheme, exposed for tests: scales[m] and quantized values q[m][padded_k]
// (zero padded), with x ~ q * scale.
void QuantizeActivations(const float* x, int m, int k, int padded_k, int8_t* q, float* scales);

}  // namespace dolmetsch::engine::kernels
