// Internal to engine/kernels: per-ISA versions behind vector_math.h. See int8_gemm_kernels.h for the rule
// about standard headers in ISA-flagged files.
#pragma once

#include "engine/kernels/vector_math.h"  // KeyValueView (ISA-flagged files must not call its inline Offset)

namespace dolmetsch::engine::kernels::internal {

float MaxOfAvx2(const float* x, int n);
float SumExpAvx2(const float* x, int n, float shift);
void AttendOneScalar(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch,
                     float* out);
unsigned short FloatToHalfScalar(float f);
void FloatToHalfF16c(const float* x, int n, unsigned short* h);
void AttendOneAvx2(const float* q, const KeyValueView& kv, int len, int head_dim, float* scratch, float* out);

}  // namespace dolmetsch::engine::kernels::internal
