// ComputeType: how the engine stores weights and multiplies them.
//
//   float32  weights as in the checkpoint, float32 GEMM: outputs equal transformers' (the tests' contract).
//   int8     linear-layer weights quantized at load to int8 with one scale per output row; activations
//            quantized per row on the fly; int32 accumulation; everything else stays float32.
//   auto     int8 when the CPU has an int8 kernel (AVX2 or better), else float32.
// Thread-safety: plain values.
#pragma once

#include <string>

#include "util/status.h"

namespace dolmetsch::engine {

enum class ComputeType { kFloat32, kInt8, kAuto };

// "float32", "int8" or "auto"; anything else is InvalidArgument naming the accepted values.
StatusOr<ComputeType> ParseComputeType(const std::string& name);
const char* ComputeTypeName(ComputeType type);
// kAuto becomes what this CPU runs fastest; the others are returned unchanged.
ComputeType ResolveComputeType(ComputeType type);

}  // namespace dolmetsch::engine
