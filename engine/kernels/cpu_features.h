// CPU features the kernels dispatch on, detected once at run time (cpuid + what the OS enabled).
//
// Contract: Detect() never fails; on a CPU without a feature the flag is false. AMX additionally needs the
// kernel's permission (arch_prctl ARCH_REQ_XCOMP_PERM), which Detect requests once.
// DOLMETSCH_CPU_ISA=scalar|avx2|avx512vnni caps what dispatch may use (for tests and comparisons).
// Thread-safety: Get() is safe from any thread (initialized once).
#pragma once

#include <string>

namespace dolmetsch::engine::kernels {

struct CpuFeatures {
  bool avx2 = false;        // with FMA and F16C (every AVX2 CPU has both)
  bool avx512bw = false;    // AVX-512 F + BW + VL
  bool avx512vnni = false;  // AVX-512 VNNI (vpdpbusd)
  bool amx_int8 = false;    // AMX tiles usable by this process

  std::string ToString() const;  // e.g. "avx2 fma avx512bw avx512vnni"
};

const CpuFeatures& GetCpuFeatures();

}  // namespace dolmetsch::engine::kernels
