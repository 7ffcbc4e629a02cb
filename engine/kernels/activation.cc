#include "engine/kernels/activation.h"

#include <cmath>

#include "engine/kernels/activation_kernels.h"
#include "engine/kernels/cpu_features.h"

namespace dolmetsch::engine::kernels {

void Swish(float* x, long n) {
  static const CpuFeatures& f = GetCpuFeatures();
  if (f.avx512bw) {
    internal::SwishAvx512(x, n);
  } else if (f.avx2) {
    internal::SwishAvx2(x, n);
  } else {
    ReferenceSwish(x, n);
  }
}

void ReferenceSwish(float* x, long n) {
  for (long i = 0; i < n; ++i) x[i] = x[i] / (1.0f + std::exp(-x[i]));
}

}  // namespace dolmetsch::engine::kernels
