#include "engine/kernels/cpu_features.h"

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace dolmetsch::engine::kernels {
namespace {

constexpr int kArchReqXcompPerm = 0x1023;  // arch_prctl code (asm/prctl.h), absent from older headers
constexpr int kXfeatureXtileData = 18;

unsigned long long Xgetbv() {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = ecx & (1u << 27), fma = ecx & (1u << 12), f16c = ecx & (1u << 29);
  if (!osxsave) return f;
  const unsigned long long xcr0 = Xgetbv();
  const bool os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  f.avx2 = os_avx && fma && f16c && (ebx & (1u << 5));
  const bool avx512f = ebx & (1u << 16), avx512bw = ebx & (1u << 30), avx512vl = ebx & (1u << 31);
  f.avx512bw = f.avx2 && os_avx512 && avx512f && avx512bw && avx512vl;
  f.avx512vnni = f.avx512bw && (ecx & (1u << 11));
  const bool amx_tile = edx & (1u << 24), amx_int8 = edx & (1u << 25);
  const bool os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);
  if (amx_tile && amx_int8 && os_amx) {
    f.amx_int8 = syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
  }

  if (const char* cap = std::getenv("DOLMETSCH_CPU_ISA")) {
    if (std::strcmp(cap, "scalar") == 0) f = CpuFeatures{};
    if (std::strcmp(cap, "avx2") == 0) f.avx512bw = f.avx512vnni = f.amx_int8 = false;
    if (std::strcmp(cap, "avx512vnni") == 0) f.amx_int8 = false;
  }
  return f;
}

}  // namespace

std::string CpuFeatures::ToString() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (on) s += (s.empty() ? "" : " ") + std::string(name);
  };
  add(avx2, "avx2 fma");
  add(avx512bw, "avx512bw");
  add(avx512vnni, "avx512vnni");
  add(amx_int8, "amx-int8");
  return s.empty() ? "scalar" : s;
}

const CpuFeatures& GetCpuFeatures() {
  static const CpuFeatures features = Detect();
  return features;
}

}  // namespace dolmetsch::engine::kernels
