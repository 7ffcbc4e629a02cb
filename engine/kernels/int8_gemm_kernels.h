// Internal to engine/kernels: the per-ISA int8 GEMM kernels behind Int8Linear (int8_gemm.h).
//
// Each kernel computes rows [n_begin, n_end) of y for all m rows of x. Operands are prepared by
// int8_gemm.cc: x16 is x quantized and widened to int16, xu8 is x quantized plus 128 as uint8 (only for
// VNNI), both [m][kp] with kp a multiple of 64. Every kernel ends with the same epilogue, written out in
// Int8Epilogue so that all of them round identically (the kernel files are compiled with -ffp-contract=off).
// Files with ISA-specific flags must not include standard headers with inline functions (ODR: the linker
// could keep their AVX versions for everyone).
#pragma once

#include <cstdint>

namespace dolmetsch::engine::kernels::internal {

struct Int8GemmArgs {
  const int16_t* x16 = nullptr;  // [m][kp]
  const uint8_t* xu8 = nullptr;  // [m][kp]
  const float* x_scales = nullptr;
  const int8_t* w = nullptr;  // [n][kp]
  const float* w_scales = nullptr;
  const int32_t* w_sums = nullptr;
  const float* bias = nullptr;  // [n] or nullptr
  float* y = nullptr;           // [m][ldy]
  int ldy = 0;
  int m = 0, kp = 0;
};

inline float Int8Epilogue(int32_t acc, float x_scale, float w_scale, const float* bias, int n) {
  const float v = static_cast<float>(acc) * (x_scale * w_scale);
  return bias ? v + bias[n] : v;
}

// Symmetric quantization of one row of n floats into q[0, padded) (zeros after n): returns the scale
// max|v| / 127 and writes round_half_even(v * 127 / max|v|). An all-zero row gets scale 0; a row with a
// NaN or infinity gets zeros and a non-finite scale (its outputs become NaN, as in float).
float QuantizeRowScalar(const float* v, int n, int padded, int8_t* q);
float QuantizeRowAvx2(const float* v, int n, int padded, int8_t* q);

void Int8GemmScalar(const Int8GemmArgs& a, int n_begin, int n_end);
void Int8GemmAvx2(const Int8GemmArgs& a, int n_begin, int n_end);
void Int8GemmAvx512Vnni(const Int8GemmArgs& a, int n_begin, int n_end);
void Int8GemmAmx(const Int8GemmArgs& a, int n_begin, int n_end);  // xu8 rows padded to a multiple of 16

}  // namespace dolmetsch::engine::kernels::internal
