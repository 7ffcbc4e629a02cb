#include "engine/kernels/int8_gemm.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/int8_gemm_kernels.h"
#include "engine/kernels/thread_pool.h"

namespace dolmetsch::engine::kernels {

template <typename T>
void AlignedBuffer<T>::Free::operator()(T* p) const {
  std::free(p);
}

template <typename T>
void AlignedBuffer<T>::Resize(size_t n) {
  if (n == size_) return;
  const size_t bytes = std::max<size_t>(64, (n * sizeof(T) + 63) / 64 * 64);
  void* p = std::aligned_alloc(64, bytes);
  if (p == nullptr) throw std::bad_alloc();
  data_.reset(static_cast<T*>(p));
  size_ = n;
}

template class AlignedBuffer<int8_t>;
template class AlignedBuffer<uint8_t>;
template class AlignedBuffer<int16_t>;
template class AlignedBuffer<float>;

namespace internal {

float QuantizeRowScalar(const float* v, int n, int padded, int8_t* q) {
  float max_abs = 0.0f;
  bool finite = true;
  for (int i = 0; i < n; ++i) {
    max_abs = std::max(max_abs, std::fabs(v[i]));
    finite = finite && std::isfinite(v[i]);
  }
  if (max_abs == 0.0f || !finite) {
    std::memset(q, 0, padded);
    return finite ? 0.0f : std::numeric_limits<float>::quiet_NaN();
  }
  const float inv = 127.0f / max_abs;
  for (int i = 0; i < n; ++i) q[i] = static_cast<int8_t>(std::nearbyint(v[i] * inv));
  std::memset(q + n, 0, padded - n);
  return max_abs / 127.0f;
}

void Int8GemmScalar(const Int8GemmArgs& a, int n_begin, int n_end) {
  for (int m = 0; m < a.m; ++m) {
    const int16_t* x = a.x16 + static_cast<long>(m) * a.kp;
    for (int n = n_begin; n < n_end; ++n) {
      const int8_t* w = a.w + static_cast<long>(n) * a.kp;
      int32_t acc = 0;
      for (int k = 0; k < a.kp; ++k) acc += static_cast<int32_t>(x[k]) * w[k];
      a.y[static_cast<long>(m) * a.ldy + n] = Int8Epilogue(acc, a.x_scales[m], a.w_scales[n], a.bias, n);
    }
  }
}

}  // namespace internal

namespace {

int PaddedCols(int cols) { return (cols + kInt8ColumnPadding - 1) / kInt8ColumnPadding * kInt8ColumnPadding; }

float QuantizeRow(const float* v, int n, int padded, int8_t* q) {
  static const bool avx2 = GetCpuFeatures().avx2;
  return avx2 ? internal::QuantizeRowAvx2(v, n, padded, q) : internal::QuantizeRowScalar(v, n, padded, q);
}

// Per-thread activation scratch: grows, never shrinks, so steady-state calls do not allocate.
struct ActivationScratch {
  AlignedBuffer<int8_t> q;
  AlignedBuffer<int16_t> x16;
  AlignedBuffer<uint8_t> xu8;
  std::vector<float> scales;
};

template <typename T>
void Reserve(AlignedBuffer<T>* b, size_t n) {
  if (b->size() < n) b->Resize(std::max(n, b->size() * 2));
}

// Output rows per task: a multiple of 64 (a VNNI panel; every other kernel's tile divides it), several tasks
// per thread so that a late worker still finds work.
int RowsPerTask(int n, int threads) {
  if (threads <= 1) return n;
  int per = (n + threads * 4 - 1) / (threads * 4);
  return (per + 63) / 64 * 64;
}

int PanelRows(int rows) { return (rows + kInt8VnniPanelRows - 1) / kInt8VnniPanelRows * kInt8VnniPanelRows; }

size_t VnniOffset(int n, int k, int padded_cols) {
  return static_cast<size_t>(n / kInt8VnniPanelRows) * kInt8VnniPanelRows * padded_cols +
         static_cast<size_t>(k / 4) * (4 * kInt8VnniPanelRows) + (n % kInt8VnniPanelRows) * 4 + k % 4;
}

}  // namespace

const char* Int8IsaName(Int8Isa isa) {
  switch (isa) {
    case Int8Isa::kScalar:
      return "scalar";
    case Int8Isa::kAvx2:
      return "avx2";
    case Int8Isa::kAvx512Vnni:
      return "avx512vnni";
    case Int8Isa::kAmx:
      return "amx";
  }
  return "?";
}

namespace {

// The AMX kernel's logic is tested through a model of the tile instructions (int8_gemm_test.cc), but no
// machine we test on runs the real ones. So before the first AMX GEMM, it must agree bit for bit with the
// scalar kernel on odd shapes (partial panels, padded rows and columns); if it does not, VNNI is used.
bool AmxAgreesWithScalar() {
  const int m = 21, n = 130, k = 200;
  uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(seed >> 8) % 2001 - 1000) / 1000.0f;
  };
  std::vector<float> x(static_cast<size_t>(m) * k), w(static_cast<size_t>(n) * k), bias(n);
  for (float& v : x) v = next();
  for (float& v : w) v = next();
  for (float& v : bias) v = next();
  std::vector<float> want(static_cast<size_t>(m) * n), got(want.size());
  Int8Linear(x.data(), m, QuantizeRows(w.data(), n, k, Int8Isa::kScalar), bias.data(), want.data());
  Int8Linear(x.data(), m, QuantizeRows(w.data(), n, k, Int8Isa::kAmx), bias.data(), got.data());
  if (got == want) return true;
  std::fprintf(
      stderr,
      "dolmetsch: the AMX int8 kernel disagrees with the reference on this CPU; using AVX-512 VNNI\n");
  return false;
}

bool UsesPanels(Int8Isa isa) { return isa == Int8Isa::kAvx512Vnni || isa == Int8Isa::kAmx; }

}  // namespace

Int8Isa BestInt8Isa() {
  static const Int8Isa best = [] {
    const CpuFeatures& f = GetCpuFeatures();
    if (f.amx_int8 && f.avx512vnni && AmxAgreesWithScalar()) return Int8Isa::kAmx;
    if (f.avx512vnni) return Int8Isa::kAvx512Vnni;
    if (f.avx2) return Int8Isa::kAvx2;
    return Int8Isa::kScalar;
  }();
  return best;
}

void QuantizeActivations(const float* x, int m, int k, int padded_k, int8_t* q, float* scales) {
  for (int i = 0; i < m; ++i) {
    scales[i] = QuantizeRow(x + static_cast<long>(i) * k, k, padded_k, q + static_cast<long>(i) * padded_k);
  }
}

int8_t Int8Matrix::At(int n, int k) const {
  if (!UsesPanels(isa)) return values.data()[static_cast<size_t>(n) * padded_cols + k];
  return values.data()[VnniOffset(n, k, padded_cols)];
}

Int8Matrix AllocateInt8Matrix(int rows, int cols, Int8Isa isa) {
  Int8Matrix out;
  out.isa = isa;
  out.rows = rows;
  out.cols = cols;
  out.padded_cols = PaddedCols(cols);
  const int stored_rows = UsesPanels(isa) ? PanelRows(rows) : rows;
  out.values.Resize(static_cast<size_t>(stored_rows) * out.padded_cols);
  if (stored_rows > rows) {  // zero rows: their outputs are computed and never stored
    std::memset(out.values.data() +
                    static_cast<size_t>(rows / kInt8VnniPanelRows) * kInt8VnniPanelRows * out.padded_cols,
                0, static_cast<size_t>(kInt8VnniPanelRows) * out.padded_cols);
  }
  out.scales.assign(stored_rows, 0.0f);
  out.row_sums.assign(stored_rows, 0);
  return out;
}

void QuantizeRowRange(const float* w, int begin, int end, Int8Matrix* out) {
  const int rows = end - begin, cols = out->cols, kp = out->padded_cols;
  const bool panels = UsesPanels(out->isa);
  ThreadPool& pool = ThreadPool::Global();
  const int per = RowsPerTask(rows, pool.threads());
  pool.ParallelFor((rows + per - 1) / per, [&](int task) {
    thread_local AlignedBuffer<int8_t> row;
    Reserve(&row, kp);
    for (int r = begin + task * per; r < std::min(end, begin + (task + 1) * per); ++r) {
      int8_t* q = panels ? row.data() : out->values.data() + static_cast<size_t>(r) * kp;
      out->scales[r] = QuantizeRow(w + static_cast<size_t>(r) * cols, cols, kp, q);
      int32_t sum = 0;
      for (int c = 0; c < cols; ++c) sum += q[c];
      out->row_sums[r] = sum;
      if (panels) {
        int8_t* dst = out->values.data() + VnniOffset(r, 0, kp);
        for (int c = 0; c < kp; c += 4) std::memcpy(dst + c * kInt8VnniPanelRows, q + c, 4);
      }
    }
  });
}

Int8Matrix QuantizeRows(const float* w, int rows, int cols, Int8Isa isa) {
  Int8Matrix out = AllocateInt8Matrix(rows, cols, isa);
  QuantizeRowRange(w, 0, rows, &out);
  return out;
}

void Int8Linear(const float* x, int m, const Int8Matrix& w, const float* bias, float* y) {
  if (m <= 0 || w.rows == 0) return;
  thread_local ActivationScratch scratch;
  const int kp = w.padded_cols;
  const size_t size = static_cast<size_t>(m) * kp;
  Reserve(&scratch.q, size);
  if (scratch.scales.size() < static_cast<size_t>(m)) scratch.scales.resize(m);
  QuantizeActivations(x, m, w.cols, kp, scratch.q.data(), scratch.scales.data());

  internal::Int8GemmArgs args;
  args.x_scales = scratch.scales.data();
  args.w = w.values.data();
  args.w_scales = w.scales.data();
  args.w_sums = w.row_sums.data();
  args.bias = bias;
  args.y = y;
  args.ldy = w.rows;
  args.m = m;
  args.kp = kp;
  void (*kernel)(const internal::Int8GemmArgs&, int, int) = internal::Int8GemmScalar;
  if (UsesPanels(w.isa)) {
    // AMX tiles read 16 rows of x at a time: rows up to a multiple of 16, the padding zeros.
    const size_t padded = w.isa == Int8Isa::kAmx ? static_cast<size_t>((m + 15) / 16 * 16) * kp : size;
    Reserve(&scratch.xu8, padded);
    // q + 128 as uint8 is q with its sign bit flipped; 8 bytes at a time (size is a multiple of 64).
    const int8_t* q = scratch.q.data();
    uint8_t* xu8 = scratch.xu8.data();
    for (size_t i = 0; i < size; i += 8) {
      uint64_t word;
      std::memcpy(&word, q + i, 8);
      word ^= 0x8080808080808080ull;
      std::memcpy(xu8 + i, &word, 8);
    }
    std::memset(xu8 + size, 0, padded - size);
    args.xu8 = xu8;
    kernel = w.isa == Int8Isa::kAmx ? internal::Int8GemmAmx : internal::Int8GemmAvx512Vnni;
  } else {
    Reserve(&scratch.x16, size);
    const int8_t* q = scratch.q.data();
    int16_t* x16 = scratch.x16.data();
    for (size_t i = 0; i < size; ++i) x16[i] = q[i];
    args.x16 = x16;
    if (w.isa == Int8Isa::kAvx2) kernel = internal::Int8GemmAvx2;
  }

  ThreadPool& pool = ThreadPool::Global();
  const int per = RowsPerTask(w.rows, pool.threads());
  const int tasks = (w.rows + per - 1) / per;
  pool.ParallelFor(tasks, [&](int task) { kernel(args, task * per, std::min(w.rows, (task + 1) * per)); });
}

}  // namespace dolmetsch::engine::kernels
