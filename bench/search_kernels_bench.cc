// search_kernels_bench: Google Benchmark microbenchmarks of the element-wise kernels around a decoder step,
// each per instruction set beside its scalar reference (the code they replaced):
//   TopK    engine/kernels/top_k.h over one row of 58,101 scores (opus-mt-de-en's vocabulary), k = 8
//           (2 x beam 4): the beam search runs it once per hypothesis and step. Rows are random logits
//           N(-5, 3); the row stays in L2, as after the search's SumExp pass over it.
//   Swish   engine/kernels/activation.h over 2048 x 64 floats (FFN width x batch 16 x beam 4), in place; each
//           iteration first copies the input back (Copy alone is listed to subtract).
//   MaxOf, SumExp   engine/kernels/vector_math.h over the same row: the search's other passes over it
//           (BanAndShift), for comparison with TopK's.
//
//   search_kernels_bench [--benchmark_filter=REGEX] [--benchmark_min_time=S] ...
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "engine/kernels/activation.h"
#include "engine/kernels/activation_kernels.h"
#include "engine/kernels/cpu_features.h"
#include "engine/kernels/top_k.h"
#include "engine/kernels/top_k_kernels.h"
#include "engine/kernels/vector_math.h"

namespace {

namespace k = dolmetsch::engine::kernels;

constexpr int kVocab = 58101;
constexpr long kFfnValues = 2048L * 64;

std::vector<float> RandomRow(long n, float mean, float stddev, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

using Scan = void (*)(const float*, int, int, int, float*, int*);

// Args: k. scan == nullptr: the public TopK (dispatch); the per-ISA scans start from ReferenceTopK's list
// of the first k values, as TopK does.
void BM_TopK(benchmark::State& state, int (*top_k)(const float*, int, int, float*, int*), Scan scan) {
  const int kk = state.range(0);
  const std::vector<float> row = RandomRow(kVocab, -5.0f, 3.0f, 1);
  std::vector<float> values(kk);
  std::vector<int> indices(kk);
  for (auto _ : state) {
    if (scan) {
      const int m = k::ReferenceTopK(row.data(), kk, kk, values.data(), indices.data());
      scan(row.data(), m, kVocab, kk, values.data(), indices.data());
    } else {
      top_k(row.data(), kVocab, kk, values.data(), indices.data());
    }
    benchmark::DoNotOptimize(values.data());
    benchmark::DoNotOptimize(indices.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kVocab);
}

void BM_MaxOf(benchmark::State& state) {
  const std::vector<float> row = RandomRow(kVocab, -5.0f, 3.0f, 1);
  for (auto _ : state) benchmark::DoNotOptimize(k::MaxOf(row.data(), kVocab));
  state.SetItemsProcessed(state.iterations() * kVocab);
}

void BM_SumExp(benchmark::State& state) {
  const std::vector<float> row = RandomRow(kVocab, -5.0f, 3.0f, 1);
  const float max = k::MaxOf(row.data(), kVocab);
  for (auto _ : state) benchmark::DoNotOptimize(k::SumExp(row.data(), kVocab, max));
  state.SetItemsProcessed(state.iterations() * kVocab);
}

// kernel == nullptr: only the copy.
void BM_Swish(benchmark::State& state, void (*kernel)(float*, long)) {
  const std::vector<float> input = RandomRow(kFfnValues, 0.0f, 2.0f, 2);
  std::vector<float> x(kFfnValues);
  for (auto _ : state) {
    std::memcpy(x.data(), input.data(), kFfnValues * sizeof(float));
    if (kernel) kernel(x.data(), kFfnValues);
    benchmark::DoNotOptimize(x.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * kFfnValues);
}

void RegisterAll() {
  const k::CpuFeatures& f = k::GetCpuFeatures();
  auto top_k = [](const char* name, int (*fn)(const float*, int, int, float*, int*), Scan scan) {
    benchmark::RegisterBenchmark(name, BM_TopK, fn, scan)
        ->ArgName("k")
        ->Arg(8)
        ->Unit(benchmark::kMicrosecond);
  };
  top_k("TopK/reference", k::ReferenceTopK, nullptr);
  top_k("TopK/scalar", nullptr, k::internal::TopKScanScalar);
  if (f.avx2) top_k("TopK/avx2", nullptr, k::internal::TopKScanAvx2);
  if (f.avx512bw) top_k("TopK/avx512", nullptr, k::internal::TopKScanAvx512);
  top_k("TopK/dispatch", k::TopK, nullptr);
  benchmark::RegisterBenchmark("MaxOf", BM_MaxOf)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("SumExp", BM_SumExp)->Unit(benchmark::kMicrosecond);

  auto swish = [](const char* name, void (*fn)(float*, long)) {
    benchmark::RegisterBenchmark(name, BM_Swish, fn)->Unit(benchmark::kMicrosecond);
  };
  swish("Swish/copy_only", nullptr);
  swish("Swish/reference", k::ReferenceSwish);
  if (f.avx2) swish("Swish/avx2", k::internal::SwishAvx2);
  if (f.avx512bw) swish("Swish/avx512", k::internal::SwishAvx512);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("cpu_features", k::GetCpuFeatures().ToString());
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
