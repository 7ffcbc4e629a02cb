// Ops: the numerical building blocks of the Marian transformer, each as PyTorch computes it.
//
// Every function works on plain row-major float buffers owned by the caller and allocates nothing.
// Tested against straightforward double-precision references in ops_test.cc.
// Thread-safety: stateless.
#pragma once

#include <vector>

#include "engine/model_config.h"

namespace dolmetsch::engine::ops {

// nn.LayerNorm(d) (eps 1e-5, biased variance) over each of `rows` rows, in place.
void LayerNorm(float* x, int rows, int d, const float* gamma, const float* beta, float eps = 1e-5f);

// In place: x = act(x) for n values.
void Activate(Activation act, float* x, long n);

// In place over one row of n values: x = x - max - log(sum(exp(x - max))). -inf entries stay -inf.
void LogSoftmax(float* x, int n);
// In place over one row: x = exp(x - max) / sum.
void Softmax(float* x, int n);

// y[i] += x[i]
void AddInPlace(float* y, const float* x, long n);

// MarianSinusoidalPositionalEmbedding: [num_positions, d] with sin in columns [0, ceil(d/2)) and cos after,
// angles computed in double as numpy does and rounded to float.
std::vector<float> SinusoidalPositions(int num_positions, int d);

}  // namespace dolmetsch::engine::ops
