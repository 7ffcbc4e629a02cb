#include "engine/compute_type.h"

#include "engine/kernels/cpu_features.h"

namespace dolmetsch::engine {

StatusOr<ComputeType> ParseComputeType(const std::string& name) {
  if (name == "float32") return ComputeType::kFloat32;
  if (name == "int8") return ComputeType::kInt8;
  if (name == "auto") return ComputeType::kAuto;
  return Status::InvalidArgument("compute type \"" + name + "\" is not one of float32, int8, auto");
}

const char* ComputeTypeName(ComputeType type) {
  switch (type) {
    case ComputeType::kFloat32:
      return "float32";
    case ComputeType::kInt8:
      return "int8";
    case ComputeType::kAuto:
      return "auto";
  }
  return "?";
}

ComputeType ResolveComputeType(ComputeType type) {
  if (type != ComputeType::kAuto) return type;
  return kernels::GetCpuFeatures().avx2 ? ComputeType::kInt8 : ComputeType::kFloat32;
}

}  // namespace dolmetsch::engine
