#include "engine/kernels/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/vector_math_kernels.h"

namespace dolmetsch::engine::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(VectorMathTest, MaxOfOddLengthsAndInfinities) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 5.0f);
  for (int n : {0, 1, 7, 15, 16, 17, 58101}) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    float want = -kInf;
    for (float v : x) want = std::max(want, v);
    EXPECT_EQ(MaxOf(x.data(), n), want) << n;
  }
  std::vector<float> all_inf(19, -kInf);
  EXPECT_EQ(MaxOf(all_inf.data(), 19), -kInf);
}

TEST(VectorMathTest, SumExpMatchesDoubleReferenceOnLogitRows) {
  std::mt19937 rng(4);
  std::normal_distribution<float> dist(0.0f, 4.0f);
  for (int n : {1, 5, 16, 33, 1000, 58101}) {
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    if (n > 1) x[n / 2] = -kInf;  // a banned token
    const float shift = MaxOf(x.data(), n);
    const float got = SumExp(x.data(), n, shift), want = ReferenceSumExp(x.data(), n, shift);
    // Float accumulation over n terms: relative error grows like n * eps in the worst case, far less here.
    EXPECT_NEAR(got, want, want * 2e-6f + 1e-7f) << n;
  }
}

TEST(VectorMathTest, SumExpPointwiseAccuracyOverTheRange) {
  // One element at a time: exp over [-87, 0] within 2e-7 relative; far below underflows to 0.
  for (float v = -87.0f; v <= 0.0f; v += 0.0137f) {
    const float got = SumExp(&v, 1, 0.0f);
    const double want = std::exp(static_cast<double>(v));
    ASSERT_NEAR(got, want, want * 2e-7) << v;
  }
  // exp(-100) = 3.7e-44: the vector exp flushes it to 0, std::exp (DOLMETSCH_CPU_ISA=scalar) returns the
  // subnormal. Either is negligible next to the row maximum's exp(0) = 1.
  const float tiny = -100.0f;
  EXPECT_LT(SumExp(&tiny, 1, 0.0f), 1e-40f);
  EXPECT_GE(SumExp(&tiny, 1, 0.0f), 0.0f);
  const float nan = std::nanf("");
  EXPECT_TRUE(std::isnan(SumExp(&nan, 1, 0.0f)));
}

using AttendFn = void (*)(const float*, const KeyValueView&, int, int, float*, float*);

struct AttendVersion {
  const char* name;
  AttendFn fn;
  int head_dim_multiple;  // the head_dims the version takes (the dispatcher's condition)
};

// Every version this CPU runs: the dispatched one, the scalar fallback and each ISA's kernel.
std::vector<AttendVersion> AttendVersions() {
  std::vector<AttendVersion> versions = {{"dispatched", AttendOne, 1},
                                         {"scalar", internal::AttendOneScalar, 1}};
  if (GetCpuFeatures().avx2) versions.push_back({"avx2", internal::AttendOneAvx2, 8});
  return versions;
}

// softmax(q . key[j]) @ value[j] in double, positions found through KeyValueView::Offset.
std::vector<double> ReferenceAttend(const float* q, const KeyValueView& kv, int len, int head_dim) {
  std::vector<double> p(len), out(head_dim, 0.0);
  double max = -std::numeric_limits<double>::infinity(), sum = 0;
  for (int j = 0; j < len; ++j) {
    double dot = 0;
    for (int i = 0; i < head_dim; ++i) dot += double(q[i]) * kv.keys[kv.Offset(j) + i];
    p[j] = dot;
    max = std::max(max, dot);
  }
  for (double& x : p) sum += (x = std::exp(x - max));
  for (int j = 0; j < len; ++j) {
    for (int i = 0; i < head_dim; ++i) out[i] += p[j] / sum * kv.values[kv.Offset(j) + i];
  }
  return out;
}

// softmax(q . key[j]) in double: what scratch holds after AttendOne, once normalized.
std::vector<double> ReferenceProbabilities(const float* q, const KeyValueView& kv, int len, int head_dim) {
  std::vector<double> p(len);
  double max = -std::numeric_limits<double>::infinity(), sum = 0;
  for (int j = 0; j < len; ++j) {
    double dot = 0;
    for (int i = 0; i < head_dim; ++i) dot += double(q[i]) * kv.keys[kv.Offset(j) + i];
    max = std::max(max, p[j] = dot);
  }
  for (double& x : p) sum += (x = std::exp(x - max));
  for (double& x : p) x /= sum;
  return p;
}

// Runs every version on (q, kv) and compares with the double reference. scratch gets guard values past len
// (the vector kernels handle the tail with masks and must not write there).
void ExpectAllVersionsMatch(const std::vector<float>& q, const KeyValueView& kv, int len, int head_dim,
                            const std::string& what) {
  const std::vector<double> want = ReferenceAttend(q.data(), kv, len, head_dim);
  const std::vector<double> probabilities =
      kv.keys ? ReferenceProbabilities(q.data(), kv, len, head_dim) : std::vector<double>(len, 0.0);
  constexpr float kGuard = 12345.0f;
  for (const AttendVersion& version : AttendVersions()) {
    if (head_dim % version.head_dim_multiple != 0) continue;
    std::vector<float> scratch(len + 16, kGuard), out(head_dim + 16, kGuard);
    version.fn(q.data(), kv, len, head_dim, scratch.data(), out.data());
    for (int i = 0; i < head_dim; ++i) {
      ASSERT_NEAR(out[i], want[i], 1e-5) << version.name << " " << what << " i=" << i;
    }
    // The word alignment's contract: scratch holds the unnormalized weights of the positions.
    double sum = 0;
    for (int j = 0; j < len; ++j) sum += scratch[j];
    for (int j = 0; j < len; ++j) {
      ASSERT_NEAR(scratch[j] / sum, probabilities[j], 1e-5) << version.name << " " << what << " j=" << j;
    }
    for (int i = head_dim; i < head_dim + 16; ++i) ASSERT_EQ(out[i], kGuard) << version.name << " " << what;
    for (int j = len; j < len + 16; ++j) ASSERT_EQ(scratch[j], kGuard) << version.name << " " << what;
  }
}

TEST(VectorMathTest, AttendOneMatchesDoubleReference) {
  std::mt19937 rng(6);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int head_dim : {1, 3, 8, 12, 16, 24, 64, 72, 80, 128, 136, 144, 192, 256}) {
    for (int len : {1, 2, 3, 7, 8, 9, 63, 64, 65, 300}) {
      const long stride = head_dim + 3;  // positions need not be contiguous
      std::vector<float> q(head_dim), keys(len * stride), values(len * stride);
      // Scaled as the decoder scales its queries, so that the scores stay in the range of real ones.
      for (float& v : q) v = dist(rng) / std::sqrt(static_cast<float>(head_dim));
      for (float& v : keys) v = dist(rng);
      for (float& v : values) v = dist(rng);
      const std::string what = "head_dim=" + std::to_string(head_dim) + " len=" + std::to_string(len);
      ExpectAllVersionsMatch(q, KeyValueView{keys.data(), values.data(), stride}, len, head_dim,
                             what + " contiguous");
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(VectorMathTest, AttendOneThroughRows) {
  // A beam's self-attention: position j read from row rows[j] of a cache of 4 rows, rows repeated and in
  // no order (as after beams are reordered), rows further apart than the positions of one row.
  std::mt19937 rng(8);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int head_dim : {3, 8, 16, 24, 64, 72, 128}) {
    for (int len : {1, 2, 7, 9, 64, 65, 300}) {
      const long stride = head_dim + 1, row_stride = len * stride + 5;
      std::vector<float> q(head_dim), keys(4 * row_stride), values(4 * row_stride);
      for (float& v : q) v = dist(rng) / std::sqrt(static_cast<float>(head_dim));
      for (float& v : keys) v = dist(rng);
      for (float& v : values) v = dist(rng);
      std::vector<int> rows(len);
      for (int j = 0; j < len; ++j) rows[j] = (j * 7 + 3) % 4 == 0 ? 2 : static_cast<int>(rng() % 4);
      const KeyValueView kv{keys.data(), values.data(), stride, rows.data(), row_stride};
      ExpectAllVersionsMatch(q, kv, len, head_dim,
                             "rows head_dim=" + std::to_string(head_dim) + " len=" + std::to_string(len));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(VectorMathTest, AttendOneFromHalfStorage) {
  // The int8 decoder's caches: keys and values as IEEE halves, read through rows. Every version must give
  // the attention of the values the halves hold.
  std::mt19937 rng(10);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  for (int head_dim : {3, 8, 64, 72}) {
    for (int len : {1, 7, 9, 64, 65}) {
      const long stride = head_dim + 1, row_stride = len * stride + 3;
      std::vector<float> q(head_dim), keys(3 * row_stride), values(3 * row_stride);
      for (float& v : q) v = dist(rng) / std::sqrt(static_cast<float>(head_dim));
      for (float& v : keys) v = dist(rng);
      for (float& v : values) v = dist(rng);
      std::vector<unsigned short> half_keys(keys.size()), half_values(values.size());
      FloatToHalf(keys.data(), static_cast<int>(keys.size()), half_keys.data());
      FloatToHalf(values.data(), static_cast<int>(values.size()), half_values.data());
      for (size_t i = 0; i < keys.size(); ++i) {
        keys[i] = HalfToFloat(half_keys[i]);  // what the halves hold
        values[i] = HalfToFloat(half_values[i]);
      }
      std::vector<int> rows(len);
      for (int j = 0; j < len; ++j) rows[j] = static_cast<int>(rng() % 3);
      const std::vector<double> want = ReferenceAttend(
          q.data(), KeyValueView{keys.data(), values.data(), stride, rows.data(), row_stride}, len, head_dim);
      KeyValueView half{nullptr, nullptr, stride, rows.data(), row_stride};
      half.half_keys = half_keys.data();
      half.half_values = half_values.data();
      for (const AttendVersion& version : AttendVersions()) {
        if (head_dim % version.head_dim_multiple != 0) continue;
        std::vector<float> scratch(len), out(head_dim);
        version.fn(q.data(), half, len, head_dim, scratch.data(), out.data());
        for (int i = 0; i < head_dim; ++i) {
          ASSERT_NEAR(out[i], want[i], 1e-5) << version.name << " head_dim=" << head_dim << " len=" << len;
        }
      }
    }
  }
}

TEST(VectorMathTest, HalfConversionRoundTripsEveryHalf) {
  for (int h = 0; h < 65536; ++h) {
    const float f = HalfToFloat(static_cast<unsigned short>(h));
    unsigned short back = 0;
    FloatToHalf(&f, 1, &back);
    const unsigned short scalar = internal::FloatToHalfScalar(f);
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) {  // NaN: stays a NaN (quieted)
      ASSERT_TRUE(std::isnan(f)) << h;
      ASSERT_EQ(back & 0x7c00, 0x7c00) << h;
      ASSERT_NE(back & 0x3ff, 0) << h;
      ASSERT_EQ(scalar & 0x7c00, 0x7c00) << h;
      ASSERT_NE(scalar & 0x3ff, 0) << h;
    } else {
      ASSERT_EQ(back, h) << h;
      ASSERT_EQ(scalar, h) << h;
    }
  }
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(HalfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
}

TEST(VectorMathTest, FloatToHalfRoundsToNearestEven) {
  // Halfway cases round to the even neighbour; the largest finite half, overflow, subnormals.
  const std::vector<std::pair<float, unsigned short>> cases = {
      {1.0f + std::ldexp(1.0f, -11), 0x3c00},
      {1.0f + 3 * std::ldexp(1.0f, -11), 0x3c02},
      {65504.0f, 0x7bff},
      {65519.0f, 0x7bff},
      {65520.0f, 0x7c00},
      {1e10f, 0x7c00},
      {-1e10f, 0xfc00},
      {std::ldexp(1.0f, -25), 0x0000},
      {3 * std::ldexp(1.0f, -26), 0x0001},
      {std::ldexp(1.0f, -14), 0x0400},
      {std::ldexp(1023.5f, -24), 0x0400},
      {-0.0f, 0x8000},
      {std::numeric_limits<float>::infinity(), 0x7c00}};
  for (const auto& [f, want] : cases) {
    unsigned short got = 0;
    FloatToHalf(&f, 1, &got);
    EXPECT_EQ(got, want) << f;
    EXPECT_EQ(internal::FloatToHalfScalar(f), want) << f;
  }
  // Every float exponent, random mantissas: the dispatched (F16C where the CPU has it) and the scalar
  // conversion agree bit for bit, eight at a time and in the tail.
  std::mt19937 rng(12);
  std::vector<float> x(1003);
  for (size_t i = 0; i < x.size(); ++i) {
    const uint32_t bits = (static_cast<uint32_t>(i % 2) << 31) | ((i * 7 % 255) << 23) | (rng() & 0x7fffff);
    std::memcpy(&x[i], &bits, sizeof bits);
  }
  std::vector<unsigned short> got(x.size());
  FloatToHalf(x.data(), static_cast<int>(x.size()), got.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], internal::FloatToHalfScalar(x[i])) << x[i];
}

TEST(VectorMathTest, AttendOneLargeScoresAndMinusInfinity) {
  // Small integers: the scores (up to a few thousand) are exact in float, so only the softmax's accuracy
  // is tested, with most weights underflowing to 0 and neighbours of the maximum a few units below it. One
  // position's score is -inf (weight exactly 0).
  std::mt19937 rng(9);
  std::uniform_int_distribution<int> small(-8, 8);
  for (int head_dim : {8, 64, 72}) {
    for (int len : {2, 9, 65, 300}) {
      const long stride = head_dim;
      std::vector<float> q(head_dim), keys(len * stride), values(len * stride);
      for (float& v : q) v = static_cast<float>(small(rng));
      for (float& v : keys) v = static_cast<float>(small(rng));
      for (float& v : values) v = static_cast<float>(small(rng)) / 8.0f;
      q[0] = 1.0f;
      keys[(len / 2) * stride] = -kInf;  // q . key = -inf
      ExpectAllVersionsMatch(q, KeyValueView{keys.data(), values.data(), stride}, len, head_dim,
                             "large head_dim=" + std::to_string(head_dim) + " len=" + std::to_string(len));
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
