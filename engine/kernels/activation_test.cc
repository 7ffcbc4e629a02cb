#include "engine/kernels/activation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/kernels/activation_kernels.h"
#include "engine/kernels/cpu_features.h"

namespace dolmetsch::engine::kernels {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

uint32_t Bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}

float FromBits(uint32_t b) {
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}

// Distance in representable floats (0 and -0 are 0 apart); for finite a and b.
int64_t UlpDistance(float a, float b) {
  auto ordered = [](float v) {
    const int64_t b = Bits(v);
    return b & 0x80000000 ? -(b & 0x7fffffff) : b;
  };
  return std::llabs(ordered(a) - ordered(b));
}

// Floats in [lo, hi] of both signs, every `step`-th bit pattern: a sweep over all exponents.
std::vector<float> Sweep(float lo, float hi, uint32_t step) {
  std::vector<float> x;
  for (uint32_t b = 0; b < 0x7f800000u; b += step) {
    for (float v : {FromBits(b), -FromBits(b)}) {
      if (v >= lo && v <= hi) x.push_back(v);
    }
  }
  return x;
}

using Kernel = void (*)(float*, long);
using ExpKernel = void (*)(const float*, long, float*);

struct Isa {
  std::string name;
  Kernel swish;
  ExpKernel exp;
};

std::vector<Isa> AvailableIsas() {
  std::vector<Isa> isas;
  const CpuFeatures& f = GetCpuFeatures();
  if (f.avx2) isas.push_back({"avx2", internal::SwishAvx2, internal::ExpAvx2});
  if (f.avx512bw) isas.push_back({"avx512", internal::SwishAvx512, internal::ExpAvx512});
  return isas;
}

TEST(ActivationTest, ExpWithinTwoUlpOverTheWholeRange) {
  // Down to where exp(x) underflows past the subnormals and up to where it overflows.
  const std::vector<float> x = Sweep(-104.0f, 89.0f, 127);
  for (const Isa& isa : AvailableIsas()) {
    std::vector<float> y(x.size());
    isa.exp(x.data(), static_cast<long>(x.size()), y.data());
    int64_t worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const float want = static_cast<float>(std::exp(static_cast<double>(x[i])));  // correctly rounded here
      if (std::isinf(want)) {
        // Within an ulp of FLT_MAX the polynomial may round either way.
        EXPECT_TRUE(std::isinf(y[i]) || UlpDistance(y[i], std::numeric_limits<float>::max()) <= 2) << x[i];
        continue;
      }
      ASSERT_FALSE(std::isinf(y[i]) && UlpDistance(want, std::numeric_limits<float>::max()) > 2) << x[i];
      const int64_t d = std::isinf(y[i]) ? 1 : UlpDistance(y[i], want);
      if (d > worst) worst = d, worst_x = x[i];
    }
    std::printf("[ exp %s ] %zu arguments, max error %lld ulp (at x = %.9g)\n", isa.name.c_str(), x.size(),
                static_cast<long long>(worst), worst_x);
    EXPECT_LE(worst, 2) << isa.name << " at " << worst_x;
  }
}

TEST(ActivationTest, ExpSpecialValues) {
  const std::vector<float> x = {0.0f,   -0.0f,  kInf,    -kInf,   kNaN,  88.72f,
                                88.73f, 200.0f, -103.0f, -104.0f, -1e30f};
  for (const Isa& isa : AvailableIsas()) {
    std::vector<float> y(x.size());
    isa.exp(x.data(), static_cast<long>(x.size()), y.data());
    EXPECT_EQ(y[0], 1.0f) << isa.name;
    EXPECT_EQ(y[1], 1.0f) << isa.name;
    EXPECT_EQ(y[2], kInf) << isa.name;
    EXPECT_EQ(Bits(y[3]), 0u) << isa.name;
    EXPECT_TRUE(std::isnan(y[4])) << isa.name;
    EXPECT_TRUE(std::isfinite(y[5]) && y[5] > 3e38f) << isa.name;
    EXPECT_EQ(y[6], kInf) << isa.name;
    EXPECT_EQ(y[7], kInf) << isa.name;
    EXPECT_GT(y[8], 0.0f) << isa.name;  // a subnormal
    EXPECT_EQ(Bits(y[9]), 0u) << isa.name;
    EXPECT_EQ(Bits(y[10]), 0u) << isa.name;
  }
}

TEST(ActivationTest, SwishWithinFourUlpOfTheScalarFormula) {
  const std::vector<float> x = Sweep(-120.0f, 120.0f, 127);
  std::vector<float> want = x;
  ReferenceSwish(want.data(), static_cast<long>(want.size()));
  for (const Isa& isa : AvailableIsas()) {
    std::vector<float> y = x;
    isa.swish(y.data(), static_cast<long>(y.size()));
    int64_t worst = 0, worst_exact = 0, scalar_exact = 0;
    float worst_x = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const int64_t d = UlpDistance(y[i], want[i]);
      if (d > worst) worst = d, worst_x = x[i];
      // Below -80 the float formula's exp(-x) overflows or its quotient is subnormal; not comparable.
      if (x[i] < -80.0f) continue;
      const double xd = x[i];
      const float exact = static_cast<float>(xd / (1.0 + std::exp(-xd)));
      worst_exact = std::max(worst_exact, UlpDistance(y[i], exact));
      scalar_exact = std::max(scalar_exact, UlpDistance(want[i], exact));
    }
    std::printf(
        "[ swish %s ] %zu arguments, max %lld ulp from the std::exp formula (at x = %.9g); from the "
        "double-precision value (x >= -80): %lld ulp (std::exp formula: %lld ulp)\n",
        isa.name.c_str(), x.size(), static_cast<long long>(worst), worst_x,
        static_cast<long long>(worst_exact), static_cast<long long>(scalar_exact));
    EXPECT_LE(worst, 4) << isa.name << " at " << worst_x;
  }
}

TEST(ActivationTest, SwishSpecialValuesAsTheScalarFormula) {
  // -100: exp(100) overflows, x / inf = -0. 100: exp(-100) is subnormal, 1 + it is 1.
  const std::vector<float> x = {0.0f, -0.0f, kInf, -kInf, kNaN, 100.0f, -100.0f, 1e30f, -1e30f};
  std::vector<float> want = x;
  ReferenceSwish(want.data(), static_cast<long>(want.size()));
  for (const Isa& isa : AvailableIsas()) {
    std::vector<float> y = x;
    isa.swish(y.data(), static_cast<long>(y.size()));
    for (size_t i = 0; i < x.size(); ++i) {
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(y[i])) << isa.name << " x = " << x[i];
      } else {
        EXPECT_EQ(Bits(y[i]), Bits(want[i]))
            << isa.name << " x = " << x[i] << ": " << y[i] << " vs " << want[i];
      }
    }
  }
}

TEST(ActivationTest, IsasAgreeBitwiseAndTailsStayInBounds) {
  std::vector<float> base(300);
  for (size_t i = 0; i < base.size(); ++i) base[i] = std::sin(static_cast<float>(i) * 0.37f) * 9.0f;
  for (long n : {0L, 1L, 7L, 8L, 9L, 15L, 16L, 17L, 31L, 33L, 47L, 257L}) {
    std::vector<std::vector<float>> results;
    for (const Isa& isa : AvailableIsas()) {
      std::vector<float> y = base;
      isa.swish(y.data(), n);
      for (size_t i = n; i < y.size(); ++i)
        ASSERT_EQ(Bits(y[i]), Bits(base[i])) << isa.name << " wrote past n";
      results.push_back(std::move(y));
    }
    std::vector<float> dispatched = base;
    Swish(dispatched.data(), n);
    for (const auto& r : results) {
      EXPECT_EQ(std::memcmp(r.data(), results[0].data(), r.size() * 4), 0) << "n = " << n;
      EXPECT_EQ(std::memcmp(r.data(), dispatched.data(), r.size() * 4), 0) << "n = " << n;
    }
  }
}

}  // namespace
}  // namespace dolmetsch::engine::kernels
