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

// Where one attention head's keys and values are: those of position j start at
//   keys (values) + j * stride + (rows ? rows[j] * row_stride : 0)   (strides in elements).
// `rows` lets a beam hypothesis read the positions its ancestors wrote: the decoder never copies its
// caches when beams are reordered (DecoderState::origin). When half_keys is set, keys and values are
// IEEE half-precision numbers at half_keys / half_values instead (the int8 decoder's caches).
struct KeyValueView {
  const float* keys = nullptr;
  const float* values = nullptr;
  long stride = 0;
  const int* rows = nullptr;
  long row_stride = 0;
  long Offset(int j) const { return j * stride + (rows ? rows[j] * row_stride : 0); }
  const unsigned short* half_keys = nullptr;
  const unsigned short* half_values = nullptr;
};

// One attention head for one query: out = softmax(q . key[j]) @ value[j] over j < len (out = 0 for
// len <= 0). scratch holds len floats (nothing past them is written); on return scratch[j] holds the
// unnormalized weight exp(q . key[j] - max) (the word alignment reads it: engine/alignment.h). The AVX2
// version, chosen at run time for head_dim a multiple of 8, computes eight scores at a time and the weighted
// sum with j outer: it accumulates in a different order than the scalar reference, and its exp flushes
// results below exp(-87.3) to 0 (as SumExp's).
void AttendOne(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch, float* out);

// IEEE half precision <-> float32, round to nearest even; overflow to +-inf, NaN stays NaN (quiet).
void FloatToHalf(const float* x, int n, unsigned short* h);
float HalfToFloat(unsigned short h);

float ReferenceSumExp(const float* x, int n, float shift);  // double accumulation of std::exp, for tests

}  // namespace dolmetsch::engine::kernels
