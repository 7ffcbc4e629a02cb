// Top-k of one row of scores (the beam search's 2 x num_beams best tokens among 58,101 per hypothesis).
//
// TopK(x, n, k, values, indices) writes the m = min(k, n) largest x[i], best first, to values[0, m) and
// their i to indices[0, m) (both with room for m) and returns m (0 when k <= 0 or n <= 0). Among equal
// values the lower index comes first. The result is bitwise that of ReferenceTopK, which keeps a sorted
// list, inserts x[i] at its upper bound under (larger value, then lower index) and, once the list holds k
// entries, skips x[i] unless x[i] > the k-th value (a value equal to the k-th does not enter). NaN compares
// false, so a NaN only enters among the first k values; the fast kernels (AVX2, AVX-512, chosen at run
// time) take rows whose first min(k, n) values are not NaN, other rows go to ReferenceTopK.
// Thread-safety: stateless.
#pragma once

namespace dolmetsch::engine::kernels {

int TopK(const float* x, int n, int k, float* values, int* indices);

// The straightforward version (std::upper_bound into a small sorted list), for tests and rows with NaN.
int ReferenceTopK(const float* x, int n, int k, float* values, int* indices);

}  // namespace dolmetsch::engine::kernels
