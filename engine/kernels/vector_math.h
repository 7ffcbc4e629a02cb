// Reductions over long float rows for the search's log-softmax (58,101 logits per hypothesis and step).
//
// SumExp(x, n, shift) = sum_i exp(x[i] - shift), float lanes per block, blocks in double; -inf entries
// contribute 0. The AVX2 version evaluates exp with a degree-6 polynomial after range
// reduction (relative error below 2e-7, see vector_math_test.cc) and is chosen at run time; the scalar
// reference uses std::exp. MaxOf returns -inf for n == 0 or all -inf.
// Thread-safety: stateless.
#pragma once

namespace dolmetsch::engine::kernels {

float MaxOf(const float* x, int n);
float SumExp(const float* x, int n, float shift);

// One attention head for one query: out = softmax(q . keys[j]) @ values over j < len (rows `stride`
// floats apart). The AVX2 version (head_dim a multiple of 8) accumulates in a different order than the
// scalar fallback.
void AttendOne(const float* q, const float* keys, const float* values, int len, int head_dim, long stride,
               float* scratch, float* out);

float ReferenceSumExp(const float* x, int n, float shift);  // double accumulation of std::exp, for tests

}  // namespace dolmetsch::engine::kernels
