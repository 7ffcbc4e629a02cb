// attention_bench: Google Benchmark microbenchmarks of kernels::AttendOne (engine/kernels/vector_math.h),
// one attention head for one query during decoding, per instruction set, printing
//   ns_per_call  wall time of one AttendOne call (as the Time column, which is in ns)
// Args: len (positions attended over), head_dim (64 in opus-mt), layout, cache:
//   layout 0  contiguous positions (cross-attention over the encoder output)
//   layout 1  positions read through a `rows` table of random beam rows (self-attention's origin table)
//   cache 0   one head's keys and values reused: cache-resident, the kernel's own speed
//   cache 1   64 rows x 8 heads (batch 16 x beam 4), one call per row and head in the decoder's order:
//             the working set of a decoder step (L3 or memory, depending on len)
//
//   attention_bench [--benchmark_filter=REGEX] [--benchmark_min_time=S] ...
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/vector_math.h"
#include "engine/kernels/vector_math_kernels.h"

namespace {

namespace k = dolmetsch::engine::kernels;
using AttendFn = void (*)(const float*, const k::KeyValueView&, int, int, float*, float*);

constexpr int kHeads = 8;
constexpr int kRows = 64;  // batch 16 x beam 4

// Args: len, head_dim, layout, cache (see the top of the file).
void BM_AttendOne(benchmark::State& state, AttendFn attend) {
  const int len = state.range(0), head_dim = state.range(1);
  const bool through_rows = state.range(2) != 0, cold = state.range(3) != 0;
  const int rows = cold ? kRows : 4, heads = cold ? kHeads : 1;
  // The decoder's cache layout: [row][head][position][head_dim].
  const long head_size = static_cast<long>(len) * head_dim, row_size = heads * head_size;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> keys(rows * row_size), values(rows * row_size), q(kRows * kHeads * head_dim);
  for (float& v : keys) v = dist(rng);
  for (float& v : values) v = dist(rng);
  for (float& v : q) v = dist(rng) * 0.125f;
  // Each row reads positions written by random beam rows of its own sentence (rows 4b..4b+3).
  std::vector<int> origin(static_cast<size_t>(rows) * len);
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < len; ++j) origin[static_cast<size_t>(r) * len + j] = r / 4 * 4 + rng() % 4;
  }
  std::vector<float> scratch(len), out(head_dim);
  long call = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const int h = call % heads, r = call / heads % (cold ? rows : 1);
    ++call;
    k::KeyValueView kv{keys.data() + h * head_size, values.data() + h * head_size, head_dim};
    if (through_rows) {
      kv.rows = &origin[static_cast<size_t>(r) * len];
      kv.row_stride = row_size;
    } else {
      kv.keys += r * row_size;
      kv.values += r * row_size;
    }
    attend(&q[(static_cast<size_t>(r) * kHeads + h) * head_dim], kv, len, head_dim, scratch.data(),
           out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (state.iterations() > 0) state.counters["ns_per_call"] = 1e9 * seconds / state.iterations();
}

void RegisterAll() {
  const k::CpuFeatures& f = k::GetCpuFeatures();
  std::vector<std::pair<std::string, AttendFn>> versions = {
      {"AttendOne", k::AttendOne}, {"AttendOne/scalar", k::internal::AttendOneScalar}};
  if (f.avx2) versions.emplace_back("AttendOne/avx2", k::internal::AttendOneAvx2);
  for (const auto& [name, fn] : versions) {
    for (int cache : {0, 1}) {
      for (int layout : {0, 1}) {
        for (int len : {16, 64, 256}) {
          benchmark::RegisterBenchmark(name.c_str(), BM_AttendOne, fn)
              ->ArgNames({"len", "head_dim", "rows", "cold"})
              ->Args({len, 64, layout, cache})
              ->Unit(benchmark::kNanosecond);
        }
      }
    }
  }
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
