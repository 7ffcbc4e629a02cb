#include "engine/kernels/int8_gemm.h"

#include <gtest/gtest.h>
#include <simde/x86/avx512.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/int8_gemm_kernels.h"
#include "engine/kernels/thread_pool.h"

// The AVX-512 VNNI kernel compiled a second time, with SIMDe's portable emulation of the intrinsics, so
// that its logic is tested on CPUs without AVX-512 too (the production copy is tested where the CPU has it).
// SIMDe 0.7 lacks a few AVX-512 float intrinsics; these stand-ins do what the instructions do.
namespace dolmetsch::engine::kernels::internal::emulated {
inline simde__m512 ToFloat(simde__m512i v) {
  int32_t in[16];
  float out[16];
  simde_mm512_storeu_si512(in, v);
  for (int i = 0; i < 16; ++i) out[i] = static_cast<float>(in[i]);
  return simde_mm512_loadu_ps(out);
}
inline simde__m512 MaskzLoad(unsigned short mask, const float* p) {
  float out[16];
  for (int i = 0; i < 16; ++i) out[i] = (mask >> i) & 1 ? p[i] : 0.0f;
  return simde_mm512_loadu_ps(out);
}
inline void MaskStore(float* p, unsigned short mask, simde__m512 v) {
  float in[16];
  simde_mm512_storeu_ps(in, v);
  for (int i = 0; i < 16; ++i)
    if ((mask >> i) & 1) p[i] = in[i];
}
inline int32_t LoadInt32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace dolmetsch::engine::kernels::internal::emulated

#define V512 simde__m512i
#define V512F simde__m512
#define V512_ZERO() simde_mm512_setzero_si512()
#define V512_LOADU(p) simde_mm512_loadu_si512(reinterpret_cast<const void*>(p))
#define V512_BROADCAST32(p) simde_mm512_set1_epi32(LoadInt32(p))
#define V512_DPBUSD(acc, u8, s8) simde_mm512_dpbusd_epi32(acc, u8, s8)
#define V512_SUB(a, b) simde_mm512_sub_epi32(a, b)
#define V512_SLLI(v, n) simde_mm512_slli_epi32(v, n)
#define V512_TO_FLOAT(v) ToFloat(v)
#define V512F_LOADU(p) simde_mm512_loadu_ps(p)
#define V512F_MASKZ_LOADU(mask, p) MaskzLoad(mask, p)
#define V512F_SET1(f) simde_mm512_set1_ps(f)
#define V512F_MUL(a, b) simde_mm512_mul_ps(a, b)
#define V512F_ADD(a, b) simde_mm512_add_ps(a, b)
#define V512F_STOREU(p, v) simde_mm512_storeu_ps(p, v)
#define V512F_MASK_STOREU(p, mask, v) MaskStore(p, mask, v)
#define INT8_GEMM_AVX512_NAME Int8GemmAvx512Emulated
namespace dolmetsch::engine::kernels::internal::emulated {
#include "engine/kernels/int8_gemm_avx512_kernel.inc"
}  // namespace dolmetsch::engine::kernels::internal::emulated

// The AMX kernel compiled a second time against a plain model of the tile instructions (no machine we test
// on has AMX; the production copy also checks itself against the scalar kernel before it is used).
namespace dolmetsch::engine::kernels::internal::emulated_amx {
struct Tiles {
  unsigned char rows[8] = {};
  unsigned short colsb[8] = {};
  unsigned char data[8][16 * 64] = {};
};
thread_local Tiles tiles;
inline void Configure(const void* config) {
  // ldtilecfg's 64-byte layout: palette, start row, 14 reserved, colsb[16] (u16), rows[16] (u8).
  const unsigned char* c = static_cast<const unsigned char*>(config);
  EXPECT_EQ(c[0], 1) << "palette";
  for (int t = 0; t < 8; ++t) {
    std::memcpy(&tiles.colsb[t], c + 16 + 2 * t, 2);
    tiles.rows[t] = c[48 + t];
  }
}
inline void Zero(int t) { std::memset(tiles.data[t], 0, sizeof tiles.data[t]); }
inline void Load(int t, const void* base, long stride) {
  ASSERT_LE(tiles.rows[t], 16);
  ASSERT_LE(tiles.colsb[t], 64);
  for (int r = 0; r < tiles.rows[t]; ++r)
    std::memcpy(tiles.data[t] + r * 64, static_cast<const char*>(base) + r * stride, tiles.colsb[t]);
}
inline void Store(int t, void* base, long stride) {
  for (int r = 0; r < tiles.rows[t]; ++r)
    std::memcpy(static_cast<char*>(base) + r * stride, tiles.data[t] + r * 64, tiles.colsb[t]);
}
// TDPBUSD as the Intel SDM defines it: C.row[m].dword[n] += sum over dwords g of A.row[m] of
// sum_i u8(A.row[m].byte[4g+i]) * s8(B.row[g].byte[4n+i]).
inline void Dpbusd(int c, int a, int b) {
  for (int m = 0; m < tiles.rows[c]; ++m) {
    for (int n = 0; n < tiles.colsb[c] / 4; ++n) {
      int32_t acc;
      std::memcpy(&acc, tiles.data[c] + m * 64 + 4 * n, 4);
      for (int g = 0; g < tiles.colsb[a] / 4; ++g)
        for (int i = 0; i < 4; ++i)
          acc += static_cast<int32_t>(tiles.data[a][m * 64 + 4 * g + i]) *
                 static_cast<int8_t>(tiles.data[b][g * 64 + 4 * n + i]);
      std::memcpy(tiles.data[c] + m * 64 + 4 * n, &acc, 4);
    }
  }
}
}  // namespace dolmetsch::engine::kernels::internal::emulated_amx

#define AMX_CONFIGURE(config) emulated_amx::Configure(config)
#define AMX_RELEASE() (void)0
#define AMX_ZERO(t) emulated_amx::Zero(t)
#define AMX_LOAD(t, base, stride) emulated_amx::Load(t, base, stride)
#define AMX_STORE(t, base, stride) emulated_amx::Store(t, base, stride)
#define AMX_DPBUSD(c, a, b) emulated_amx::Dpbusd(c, a, b)
#define INT8_GEMM_AMX_NAME Int8GemmAmxEmulated
namespace dolmetsch::engine::kernels::internal::emulated {
#include "engine/kernels/int8_gemm_amx_kernel.inc"
}  // namespace dolmetsch::engine::kernels::internal::emulated

namespace dolmetsch::engine::kernels {
namespace {

std::vector<float> Random(size_t n, std::mt19937& rng, float stddev = 1.0f) {
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Runs an emulated kernel on operands prepared exactly as Int8Linear prepares them for the production one:
// x + 128 as bytes, rows padded with zeros to a multiple of row_multiple (AMX tiles read 16 rows), the
// output rows in pieces of piece_rows (as tasks on several threads call it; each piece starts at a panel).
std::vector<float> RunEmulated(void (*kernel)(const internal::Int8GemmArgs&, int, int),
                               const std::vector<float>& x, int m, const Int8Matrix& w, const float* bias,
                               int row_multiple, int piece_rows) {
  const int kp = w.padded_cols;
  std::vector<int8_t> q(static_cast<size_t>(m) * kp);
  std::vector<float> scales(m);
  QuantizeActivations(x.data(), m, w.cols, kp, q.data(), scales.data());
  std::vector<uint8_t> xu8(static_cast<size_t>((m + row_multiple - 1) / row_multiple * row_multiple) * kp, 0);
  for (size_t i = 0; i < q.size(); ++i) xu8[i] = static_cast<uint8_t>(q[i] + 128);
  std::vector<float> y(static_cast<size_t>(m) * w.rows, -7.0f);
  internal::Int8GemmArgs a;
  a.xu8 = xu8.data();
  a.x_scales = scales.data();
  a.w = w.values.data();
  a.w_scales = w.scales.data();
  a.w_sums = w.row_sums.data();
  a.bias = bias;
  a.y = y.data();
  a.ldy = w.rows;
  a.m = m;
  a.kp = kp;
  for (int n = 0; n < w.rows; n += piece_rows) kernel(a, n, std::min(w.rows, n + piece_rows));
  return y;
}

// Odd shapes on purpose: no kernel may assume multiples of its tile or vector width.
class Int8GemmTest : public ::testing::TestWithParam<std::tuple<int, int, int, bool>> {};

TEST_P(Int8GemmTest, EveryKernelEqualsTheScalarReference) {
  auto [m, n, k, with_bias] = GetParam();
  std::mt19937 rng(m * 7919 + n * 31 + k);
  auto x = Random(size_t(m) * k, rng), wf = Random(size_t(n) * k, rng, 0.05f), b = Random(n, rng);
  const float* bias = with_bias ? b.data() : nullptr;
  Int8Matrix w = QuantizeRows(wf.data(), n, k, Int8Isa::kScalar);
  std::vector<float> want(size_t(m) * n, -7.0f);
  Int8Linear(x.data(), m, w, bias, want.data());

  std::vector<std::pair<std::string, std::vector<float>>> got;
  // VNNI over all rows at once, AMX in 128-row pieces with x padded to 16 rows, as each is run in production.
  got.emplace_back("avx512vnni (SIMDe)",
                   RunEmulated(internal::emulated::Int8GemmAvx512Emulated, x, m,
                               QuantizeRows(wf.data(), n, k, Int8Isa::kAvx512Vnni), bias, 1, n));
  got.emplace_back("amx (tile model)",
                   RunEmulated(internal::emulated::Int8GemmAmxEmulated, x, m,
                               QuantizeRows(wf.data(), n, k, Int8Isa::kAmx), bias, 16, 128));
  const CpuFeatures& cpu = GetCpuFeatures();
  for (auto [isa, supported] : {std::pair{Int8Isa::kAvx2, cpu.avx2},
                                {Int8Isa::kAvx512Vnni, cpu.avx512vnni},
                                {Int8Isa::kAmx, cpu.amx_int8}}) {
    if (!supported) continue;  // the CPU lacks it; reported by CpuFeaturesAreReported
    std::vector<float> y(size_t(m) * n, -7.0f);
    Int8Linear(x.data(), m, QuantizeRows(wf.data(), n, k, isa), bias, y.data());
    got.emplace_back(Int8IsaName(isa), std::move(y));
  }
  for (const auto& [name, y] : got) {
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], want[i]) << name << " at " << i;
  }
}

TEST_P(Int8GemmTest, ScalarReferenceIsCloseToFloat) {
  auto [m, n, k, with_bias] = GetParam();
  std::mt19937 rng(m * 13 + n * 17 + k);
  auto x = Random(size_t(m) * k, rng), wf = Random(size_t(n) * k, rng, 0.05f), b = Random(n, rng);
  const float* bias = with_bias ? b.data() : nullptr;
  Int8Matrix w = QuantizeRows(wf.data(), n, k, Int8Isa::kScalar);
  std::vector<float> got(size_t(m) * n), want(size_t(m) * n);
  Int8Linear(x.data(), m, w, bias, got.data());
  ReferenceLinear(x.data(), wf.data(), bias, want.data(), m, n, k);
  // Each product carries at most half a step of each operand's grid: |err| <= sum |x||dw| + |dx||w| + ...
  for (int i = 0; i < m; ++i) {
    float xmax = 0;
    for (int c = 0; c < k; ++c) xmax = std::max(xmax, std::fabs(x[size_t(i) * k + c]));
    for (int j = 0; j < n; ++j) {
      float wmax = 0;
      for (int c = 0; c < k; ++c) wmax = std::max(wmax, std::fabs(wf[size_t(j) * k + c]));
      const float bound = k * (xmax * wmax / 127.0f + (xmax / 254.0f) * (wmax / 254.0f)) + 1e-5f;
      ASSERT_NEAR(got[size_t(i) * n + j], want[size_t(i) * n + j], bound) << i << "," << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Int8GemmTest,
                         ::testing::Values(std::make_tuple(1, 1, 1, false), std::make_tuple(1, 7, 3, true),
                                           std::make_tuple(3, 5, 65, true), std::make_tuple(4, 8, 64, false),
                                           std::make_tuple(5, 9, 127, true),
                                           std::make_tuple(7, 3, 200, false),
                                           std::make_tuple(13, 66, 512, true),
                                           std::make_tuple(4, 301, 130, true),
                                           std::make_tuple(600, 5, 40, false)));

TEST(Int8GemmTest, ThreadedEqualsSingleThreaded) {
  std::mt19937 rng(5);
  const int m = 9, n = 1001, k = 96;
  auto x = Random(size_t(m) * k, rng), wf = Random(size_t(n) * k, rng);
  Int8Matrix w = QuantizeRows(wf.data(), n, k);
  std::vector<float> one(size_t(m) * n), two(size_t(m) * n);
  ThreadPool::Global().SetThreads(1);
  Int8Linear(x.data(), m, w, nullptr, one.data());
  ThreadPool::Global().SetThreads(2);
  Int8Linear(x.data(), m, w, nullptr, two.data());
  Int8Matrix w2 = QuantizeRows(wf.data(), n, k);  // threaded quantization too
  ThreadPool::Global().SetThreads(1);
  EXPECT_EQ(one, two);
  EXPECT_EQ(std::vector<int8_t>(w.values.data(), w.values.data() + w.values.size()),
            std::vector<int8_t>(w2.values.data(), w2.values.data() + w2.values.size()));
}

TEST(Int8QuantizeTest, RowsUseTheirOwnScaleAndRoundHalfToEven) {
  // Row 0: max 2 -> scale 2/127; 1.0 -> 63.5 -> 64 (even). Row 1 all zero -> scale 0, values 0.
  const float w[2][3] = {{2.0f, 1.0f, -2.0f}, {0.0f, 0.0f, 0.0f}};
  Int8Matrix q = QuantizeRows(&w[0][0], 2, 3, Int8Isa::kScalar);  // the row-major layout
  EXPECT_EQ(q.padded_cols, 64);
  EXPECT_FLOAT_EQ(q.scales[0], 2.0f / 127.0f);
  EXPECT_EQ(q.values.data()[0], 127);
  EXPECT_EQ(q.values.data()[1], 64);
  EXPECT_EQ(q.values.data()[2], -127);
  for (int c = 3; c < 64; ++c) EXPECT_EQ(q.values.data()[c], 0) << c;  // padding
  EXPECT_EQ(q.row_sums[0], 64);
  EXPECT_EQ(q.scales[1], 0.0f);
  EXPECT_EQ(q.row_sums[1], 0);
}

TEST(Int8QuantizeTest, EveryLayoutHoldsTheSameValues) {
  std::mt19937 rng(11);
  const int rows = 130, cols = 70;  // a partial last panel, padded columns
  auto wf = Random(size_t(rows) * cols, rng);
  const Int8Matrix rows_layout = QuantizeRows(wf.data(), rows, cols, Int8Isa::kScalar);
  for (Int8Isa isa : {Int8Isa::kAvx2, Int8Isa::kAvx512Vnni, Int8Isa::kAmx}) {
    const Int8Matrix q = QuantizeRows(wf.data(), rows, cols, isa);
    ASSERT_EQ(q.isa, isa);
    for (int n = 0; n < rows; ++n) {
      ASSERT_EQ(q.scales[n], rows_layout.scales[n]) << Int8IsaName(isa) << " row " << n;
      ASSERT_EQ(q.row_sums[n], rows_layout.row_sums[n]) << Int8IsaName(isa) << " row " << n;
      for (int k = 0; k < q.padded_cols; ++k) {
        ASSERT_EQ(q.At(n, k), rows_layout.At(n, k)) << Int8IsaName(isa) << " " << n << "," << k;
      }
    }
  }
  // VNNI panels: 130 rows fill 3 panels of 64; the 62 rows after the last are zeros with zero scales.
  const Int8Matrix panels = QuantizeRows(wf.data(), rows, cols, Int8Isa::kAvx512Vnni);
  EXPECT_EQ(panels.values.size(), size_t(192) * 128);
  EXPECT_EQ(panels.scales.size(), 192u);
  for (int n = rows; n < 192; ++n) {
    EXPECT_EQ(panels.scales[n], 0.0f);
    EXPECT_EQ(panels.row_sums[n], 0);
    for (int k = 0; k < panels.padded_cols; ++k) ASSERT_EQ(panels.At(n, k), 0) << n << "," << k;
  }
  // The documented offset: row 65, column 6 is in panel 1, column group 1, lane 1, byte 2.
  EXPECT_EQ(panels.values.data()[64 * 128 + 1 * 256 + 1 * 4 + 2], panels.At(65, 6));
}

TEST(Int8QuantizeTest, Avx2QuantizationEqualsScalar) {
  if (!GetCpuFeatures().avx2) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(9);
  for (int n : {1, 7, 8, 31, 32, 33, 100, 512, 2048}) {
    auto v = Random(n, rng, 3.0f);
    v[0] = 2.5f * (v[0] < 0 ? -1 : 1);  // halfway cases need an exact .5 after scaling somewhere
    const int padded = (n + 63) / 64 * 64;
    std::vector<int8_t> a(padded, 99), b(padded, 99);
    const float sa = internal::QuantizeRowScalar(v.data(), n, padded, a.data());
    const float sb = internal::QuantizeRowAvx2(v.data(), n, padded, b.data());
    EXPECT_EQ(sa, sb) << n;
    EXPECT_EQ(a, b) << n;
  }
  std::vector<float> bad = {1.0f, std::nanf(""), 2.0f};
  std::vector<int8_t> q(64, 5);
  EXPECT_TRUE(std::isnan(internal::QuantizeRowAvx2(bad.data(), 3, 64, q.data())));
  EXPECT_EQ(q, std::vector<int8_t>(64, 0));
  bad = std::vector<float>(9, 1.0f);
  bad[8] = std::numeric_limits<float>::infinity();
  EXPECT_TRUE(std::isnan(internal::QuantizeRowAvx2(bad.data(), 9, 64, q.data())));
  EXPECT_TRUE(std::isnan(internal::QuantizeRowScalar(bad.data(), 9, 64, q.data())));
}

TEST(Int8QuantizeTest, ZeroActivationsGiveBiasOnly) {
  const float w[2][2] = {{1.0f, 2.0f}, {3.0f, 4.0f}};
  const float bias[2] = {0.5f, -1.5f};
  Int8Matrix q = QuantizeRows(&w[0][0], 2, 2);
  const float x[2] = {0.0f, 0.0f};
  float y[2];
  Int8Linear(x, 1, q, bias, y);
  EXPECT_EQ(y[0], 0.5f);
  EXPECT_EQ(y[1], -1.5f);
}

TEST(CpuFeaturesTest, CpuFeaturesAreReported) {
  const CpuFeatures& f = GetCpuFeatures();
  EXPECT_FALSE(f.ToString().empty());
  EXPECT_TRUE(!f.avx512vnni || f.avx512bw);
  EXPECT_TRUE(!f.avx512bw || f.avx2);
  std::printf("CPU: %s; int8 kernel: %s\n", f.ToString().c_str(), Int8IsaName(BestInt8Isa()));
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
