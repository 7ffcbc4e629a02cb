// Element-wise activations of the feed-forward layers over long buffers (2048 x rows per layer and step).
//
// Swish(x, n): x[i] = x[i] / (1 + exp(-x[i])) in place (Marian's swish, PyTorch's silu). The AVX2 and
// AVX-512 versions (chosen at run time, bitwise identical to each other) evaluate exp with a Cephes-style
// polynomial over the whole float range: overflow gives +inf, results below the smallest subnormal 0, NaN
// stays NaN. Measured in activation_test.cc on 17.6 M arguments spread over every exponent: exp at most
// 1 ulp from the correctly rounded value (the test allows 2); swish at most 4 ulp from ReferenceSwish
// (std::exp) and 3 ulp from the double-precision value for x >= -80, where ReferenceSwish is 2 ulp off.
// Infinities as in ReferenceSwish: swish(+inf) = +inf, swish(-inf) = NaN (-inf / inf).
// Thread-safety: stateless.
#pragma once

namespace dolmetsch::engine::kernels {

void Swish(float* x, long n);

// The scalar formula with std::exp, for tests and CPUs without AVX2.
void ReferenceSwish(float* x, long n);

}  // namespace dolmetsch::engine::kernels
