// gemm_bench: Google Benchmark microbenchmarks of the engine's GEMM kernels (engine/kernels/gemm.h float32
// packed, what the engine runs, and via OpenBLAS, the baseline; engine/kernels/int8_gemm.h int8 per ISA)
// on the shapes of opus-mt-de-en, printing for each
//   GOPS      2*M*N*K / second (a multiply-add counts as 2 operations, for float32 and int8 alike)
//   peak%     GOPS / (threads x GHz x ops per cycle of the kernel's instruction set) x 100
//   W_GBps    bytes of the weight matrix read per second (float32: 4 N K; int8: N padded_K + 8 N)
//   cpu%      process CPU time / (wall time x threads): well below 100 = descheduled, figures not usable
// Shapes: M = 1 (greedy, one sentence), 4 (batch 1 x beam 4 decoding), 16 (batch 16 greedy or 4 x beam 4),
// 64 (batch 16 x beam 4), 480 (encoder, 16 x 30 tokens) times
// (N, K) = (512, 512) attention projections, (2048, 512) FFN up, (512, 2048) FFN down, (58101, 512) the
// output projection; threads 1 and 2 (the engine's ThreadPool and OpenBLAS both get the count).
//
//   gemm_bench [--weights=cold|hot] [--ghz=X] [--benchmark_filter=REGEX] [--benchmark_min_time=S] ...
//
// --weights=cold (default) cycles through enough copies of each weight matrix to exceed twice the
// last-level cache, as in a real decoder step, where ~100 MB (float32) or ~30 MB (int8) of weights pass
// through once per step; --weights=hot reuses one copy (cache-resident for the small shapes).
// GHz: measured at start by a chain of dependent integer multiplies (3 cycles each on every x86 core of the
// last decade), i.e. the clock the core actually runs at, turbo included; /proc/cpuinfo "cpu MHz" is
// printed beside it (under a hypervisor it is usually the nominal clock). --ghz=X overrides both.
// ReadBandwidth is the roofline for W_GBps: a plain streaming read of a buffer 8x the last-level cache.
// ParallelForOverhead is the thread pool's fixed cost per parallel job (us_per_call), after gaps of idle.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/cpu_features.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/int8_gemm.h"
#include "engine/kernels/thread_pool.h"

namespace {

namespace k = dolmetsch::engine::kernels;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------- machine

struct Machine {
  double ghz = 0;             // used for peak%
  double ghz_calibrated = 0;  // dependent-multiply loop
  double mhz_cpuinfo = 0;     // first "cpu MHz" line of /proc/cpuinfo, 0 if absent
  std::string ghz_source;
  std::string vendor;
  long llc_bytes = 0;
  bool cold_weights = true;
};

Machine& GetMachine() {
  static Machine machine;
  return machine;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Cycles are counted as 3 per dependent 64-bit imul (latency 3 on Intel since Nehalem and on AMD Zen 1-4).
// Dependent adds would be simpler but recent Intel cores (Golden Cove) execute chains of add-immediate
// faster than one per cycle. Timed in thread CPU time (time descheduled on a busy machine does not count),
// best of 50 short runs: interference (interrupts, a hypervisor's steal) only ever makes a run slower.
double CalibrateGhz() {
  constexpr long kIterations = 200'000;  // x 8 imul x 3 cycles = 4.8 M cycles, ~2 ms
  double best = 0;
  for (int run = 0; run < 50; ++run) {
    uint64_t x = 3, n = kIterations;
    const double start = ThreadCpuSeconds();
    asm volatile(
        "1:\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "imul %0, %0\n\t"
        "dec %1\n\t"
        "jnz 1b\n\t"
        : "+r"(x), "+r"(n)
        :
        : "cc");
    const double seconds = ThreadCpuSeconds() - start;
    benchmark::DoNotOptimize(x);
    if (seconds <= 0) continue;
    best = std::max(best, kIterations * 8.0 * 3.0 / seconds / 1e9);
  }
  return best;
}

std::string CpuinfoField(const char* key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, std::strlen(key), key) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

// sysfs first: under a hypervisor sysconf (cpuid) may report the host's whole L3 (256 MiB on a 2-vCPU EPYC
// slice whose sysfs says 32 MiB).
long LastLevelCacheBytes() {
  for (const char* index : {"index3", "index2"}) {
    std::ifstream in(std::string("/sys/devices/system/cpu/cpu0/cache/") + index + "/size");
    long value = 0;
    char unit = 0;
    if (in >> value) {  // e.g. "32768K"
      in >> unit;
      if (unit == 'K') value *= 1024;
      if (unit == 'M') value *= 1024 * 1024;
      if (value > 0) return value;
    }
  }
  const long bytes = sysconf(_SC_LEVEL3_CACHE_SIZE);
  return bytes > 0 ? bytes : 32L << 20;
}

// Operations (2 per multiply-add) one core can retire per cycle with the instruction set a kernel uses,
// assuming two vector units (true of the Xeons and EPYCs we run on; some Xeon Silver/Bronze have one
// 512-bit unit, which halves the AVX-512 figures):
//   float32 AVX2+FMA: 2 units x 8 lanes x 2            =  32  (also for AMD Zen 4's AVX-512: 256-bit units)
//   float32 AVX-512 (Intel; what OpenBLAS picks there): 2 x 16 x 2 =  64
//   int8 AVX2 (vpmaddwd on int16): 2 units x 16 MACs x 2 =  64
//   int8 AVX-512 VNNI (vpdpbusd zmm: 64 u8 x s8 MACs): 2 x 64 x 2 = 256 on Intel; AMD Zen 4 retires one zmm
//     vpdpbusd per cycle (two 256-bit halves; measured 0.86 per cycle at 3.55 GHz): 128
//   scalar: none (plain C++, which GCC vectorizes for SSE2 in the engine's build: no fixed peak)
double Float32OpsPerCycle() {
  const k::CpuFeatures& f = k::GetCpuFeatures();
  if (f.avx512bw && GetMachine().vendor == "GenuineIntel") return 64;
  if (f.avx2) return 32;
  return 8;  // SSE: one 4-lane add and one 4-lane multiply per cycle
}

// 0 for a kernel this table does not know yet (peak% is then not reported). Written without a switch so
// that a new Int8Isa value does not break -Werror builds before this file learns about it.
double Int8OpsPerCycle(k::Int8Isa isa) {
  if (isa == k::Int8Isa::kAvx512Vnni) return GetMachine().vendor == "AuthenticAMD" ? 128 : 256;
  if (isa == k::Int8Isa::kAmx) return 2048;  // Sapphire Rapids: a 16x16x64 TDPBUSD every 16 cycles
  if (isa == k::Int8Isa::kAvx2) return 64;
  if (isa == k::Int8Isa::kScalar) return 0;
  return 0;
}

void SetThreads(int threads) { k::ThreadPool::Global().SetThreads(threads); }

// ---------------------------------------------------------------------------------------------- operands

std::vector<float> RandomFloats(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Enough copies of a matrix of `bytes` that cycling through them streams from memory (cold), or one (hot).
int CopiesFor(size_t bytes) {
  if (!GetMachine().cold_weights) return 1;
  const size_t want = 2 * static_cast<size_t>(GetMachine().llc_bytes);
  return static_cast<int>(std::clamp<size_t>((want + bytes - 1) / bytes, 1, 4096));
}

// The weights of one shape, built on first use and kept while consecutive benchmarks use the same shape
// (benchmarks are registered shape by shape), so at most one shape's copies are in memory at a time.
struct Float32Weights {
  int n = 0, kk = 0, copies = 0;
  std::vector<float> w;  // copies x [n][kk]
  std::vector<float> bias;
  const float* copy(long i) const { return w.data() + (i % copies) * static_cast<size_t>(n) * kk; }
};

const Float32Weights& GetFloat32Weights(int n, int kk) {
  static std::unique_ptr<Float32Weights> cached;
  if (!cached || cached->n != n || cached->kk != kk) {
    cached.reset();  // free the previous shape first
    auto fresh = std::make_unique<Float32Weights>();
    fresh->n = n;
    fresh->kk = kk;
    const size_t one = static_cast<size_t>(n) * kk;
    fresh->copies = CopiesFor(one * sizeof(float));
    std::vector<float> base = RandomFloats(one, 0.05f, 1);
    fresh->w.resize(one * fresh->copies);
    for (int c = 0; c < fresh->copies; ++c) std::copy(base.begin(), base.end(), fresh->w.begin() + c * one);
    fresh->bias = RandomFloats(n, 0.1f, 2);
    cached = std::move(fresh);
  }
  return *cached;
}

struct Int8Weights {
  k::Int8Isa isa = k::Int8Isa::kScalar;
  int n = 0, kk = 0;
  std::vector<k::Int8Matrix> copies;
  std::vector<float> bias;
};

const Int8Weights& GetInt8Weights(k::Int8Isa isa, int n, int kk) {
  static std::unique_ptr<Int8Weights> cached;
  if (!cached || cached->isa != isa || cached->n != n || cached->kk != kk) {
    cached.reset();
    auto fresh = std::make_unique<Int8Weights>();
    fresh->isa = isa;
    fresh->n = n;
    fresh->kk = kk;
    std::vector<float> base = RandomFloats(static_cast<size_t>(n) * kk, 0.05f, 1);
    k::Int8Matrix first = k::QuantizeRows(base.data(), n, kk, isa);
    const int copies = CopiesFor(first.bytes());
    fresh->copies.push_back(std::move(first));
    for (int c = 1; c < copies; ++c) fresh->copies.push_back(k::QuantizeRows(base.data(), n, kk, isa));
    fresh->bias = RandomFloats(n, 0.1f, 2);
    cached = std::move(fresh);
  }
  return *cached;
}

// Wall-clock and process CPU time (all threads) of a benchmark loop.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

struct LoopTimer {
  Clock::time_point wall_start = Clock::now();
  double cpu_start = ProcessCpuSeconds();
  double wall = 0, cpu = 0;
  void Stop() {
    wall = std::chrono::duration<double>(Clock::now() - wall_start).count();
    cpu = ProcessCpuSeconds() - cpu_start;
  }
};

// cpu%: process CPU time / (wall time x threads). Well below 100 means the benchmark's threads were
// descheduled (a busy machine): its other figures are then low by about that factor. (Idle pool workers
// spin for a while, so 100 does not prove that they were doing useful work.)
void ReportCpuShare(benchmark::State& state, const LoopTimer& timer, int threads) {
  if (timer.wall > 0) state.counters["cpu%"] = 100.0 * timer.cpu / (timer.wall * threads);
}

// Sets the figures every GEMM benchmark reports, from the loop's own wall-clock time (the kernels run on
// several threads, so the benchmark's CPU time of the calling thread would not do).
void ReportGemm(benchmark::State& state, const LoopTimer& timer, int m, int n, int kk, int threads,
                double ops_per_cycle, double weight_bytes, int copies) {
  const double iterations = static_cast<double>(state.iterations());
  const double seconds = timer.wall;
  if (seconds <= 0 || iterations == 0) return;
  ReportCpuShare(state, timer, threads);
  const double gops = 2.0 * m * n * kk * iterations / seconds / 1e9;
  const double peak_gops = threads * GetMachine().ghz * ops_per_cycle;
  state.counters["GOPS"] = gops;
  if (peak_gops > 0) state.counters["peak%"] = 100.0 * gops / peak_gops;
  state.counters["W_GBps"] = weight_bytes * iterations / seconds / 1e9;
  state.counters["copies"] = copies;
}

// ---------------------------------------------------------------------------------------------- benchmarks

// Args: M, N, K, threads.
void BM_Float32Linear(benchmark::State& state) {
  const int m = state.range(0), n = state.range(1), kk = state.range(2), threads = state.range(3);
  const Float32Weights& w = GetFloat32Weights(n, kk);
  SetThreads(threads);
  std::vector<float> x = RandomFloats(static_cast<size_t>(m) * kk, 1.0f, 3);
  std::vector<float> y(static_cast<size_t>(m) * n);
  k::LinearForward(x.data(), w.copy(0), w.bias.data(), y.data(), m, n, kk);  // warm up (BLAS threads)
  long i = 0;
  LoopTimer timer;
  for (auto _ : state) {
    k::LinearForward(x.data(), w.copy(i++), w.bias.data(), y.data(), m, n, kk);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  timer.Stop();
  ReportGemm(state, timer, m, n, kk, threads, Float32OpsPerCycle(), 4.0 * n * kk, w.copies);
}

// The packed kernel on weights packed at load (what the engine runs for float32): AVX-512, AVX2 or
// portable, per CPU and DOLMETSCH_CPU_ISA; named Float32Linear/packed-<isa>.
// Args: M, N, K, threads.
void BM_PackedFloat32Linear(benchmark::State& state) {
  const int m = state.range(0), n = state.range(1), kk = state.range(2), threads = state.range(3);
  const Float32Weights& w = GetFloat32Weights(n, kk);
  SetThreads(threads);
  std::vector<k::PackedFloatMatrix> packed;
  for (int c = 0; c < w.copies; ++c) {
    packed.push_back(k::AllocatePackedMatrix(n, kk));
    k::PackRowRange(w.copy(c), 0, n, &packed.back());
  }
  std::vector<float> x = RandomFloats(static_cast<size_t>(m) * kk, 1.0f, 3);
  std::vector<float> y(static_cast<size_t>(m) * n);
  k::PackedLinear(x.data(), m, packed[0], w.bias.data(), y.data());
  long i = 0;
  LoopTimer timer;
  for (auto _ : state) {
    k::PackedLinear(x.data(), m, packed[i++ % w.copies], w.bias.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  timer.Stop();
  ReportGemm(state, timer, m, n, kk, threads, Float32OpsPerCycle(), 4.0 * n * kk, w.copies);
}

// Args: M, N, K, threads.
void BM_Int8Linear(benchmark::State& state, k::Int8Isa isa) {
  const int m = state.range(0), n = state.range(1), kk = state.range(2), threads = state.range(3);
  const Int8Weights& w = GetInt8Weights(isa, n, kk);
  SetThreads(threads);
  std::vector<float> x = RandomFloats(static_cast<size_t>(m) * kk, 1.0f, 3);
  std::vector<float> y(static_cast<size_t>(m) * n);
  const int copies = static_cast<int>(w.copies.size());
  k::Int8Linear(x.data(), m, w.copies[0], w.bias.data(), y.data());  // warm up (scratch, workers)
  long i = 0;
  LoopTimer timer;
  for (auto _ : state) {
    k::Int8Linear(x.data(), m, w.copies[i++ % copies], w.bias.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  timer.Stop();
  ReportGemm(state, timer, m, n, kk, threads, Int8OpsPerCycle(isa), static_cast<double>(w.copies[0].bytes()),
             copies);
}

// The load-time cost of int8: quantizing a float32 [rows][cols] matrix (the output projection by default).
// Args: rows, cols, threads.
void BM_QuantizeRows(benchmark::State& state) {
  const int rows = state.range(0), cols = state.range(1), threads = state.range(2);
  SetThreads(threads);
  std::vector<float> w = RandomFloats(static_cast<size_t>(rows) * cols, 0.05f, 1);
  LoopTimer timer;
  for (auto _ : state) {
    k::Int8Matrix q = k::QuantizeRows(w.data(), rows, cols);
    benchmark::DoNotOptimize(q.values.data());
  }
  timer.Stop();
  ReportCpuShare(state, timer, threads);
  const double seconds = timer.wall;
  const double iterations = static_cast<double>(state.iterations());
  if (seconds > 0 && iterations > 0) {
    state.counters["ms_per_matrix"] = 1e3 * seconds / iterations;
    state.counters["in_GBps"] = 4.0 * rows * cols * iterations / seconds / 1e9;  // float32 read
  }
}

// Streaming read of a buffer much larger than the last-level cache: the memory bandwidth one or two cores
// get, against which W_GBps of the M = 4 GEMMs is to be read. Args: threads.
// Args: threads, MiB read per iteration (0: 8 x the last-level cache, at least 256 MiB: memory). A size
// of one decoder step's weights (52 MiB int8, 208 MiB float32 for opus-mt-de-en) reads what the engine
// reads at batch 1, from whatever level of the hierarchy holds it on this machine.
void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = state.range(0);
  SetThreads(threads);
  const size_t bytes = state.range(1) > 0 ? static_cast<size_t>(state.range(1)) << 20
                                          : std::max<size_t>(size_t{256} << 20, 8 * GetMachine().llc_bytes);
  const size_t words = bytes / sizeof(uint64_t);
  static std::vector<uint64_t> buffer;
  if (buffer.size() != words) buffer.assign(words, 1);  // also faults every page in
  constexpr int kChunks = 64;
  const size_t per = words / kChunks;
  std::vector<uint64_t> sums(kChunks);
  LoopTimer timer;
  for (auto _ : state) {
    k::ThreadPool::Global().ParallelFor(kChunks, [&](int chunk) {
      const uint64_t* p = buffer.data() + chunk * per;
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (size_t i = 0; i + 4 <= per; i += 4) {
        s0 += p[i];
        s1 += p[i + 1];
        s2 += p[i + 2];
        s3 += p[i + 3];
      }
      sums[chunk] = s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(sums.data());
    benchmark::ClobberMemory();
  }
  timer.Stop();
  ReportCpuShare(state, timer, threads);
  const double seconds = timer.wall;
  const double iterations = static_cast<double>(state.iterations());
  if (seconds > 0 && iterations > 0) {
    state.counters["GBps"] =
        static_cast<double>(per * kChunks * sizeof(uint64_t)) * iterations / seconds / 1e9;
  }
}

// The fixed cost of one ThreadPool::ParallelFor: 8 tasks that do nothing, after the caller has been busy
// for gap_us on its own (between the GEMMs of a decoder step the gaps are ~1-100 us; between steps, the
// search's work can be longer than the workers' spin and they fall asleep). Only the ParallelFor call is
// timed. Args: threads, gap_us.
void BM_ParallelForOverhead(benchmark::State& state) {
  const int threads = state.range(0);
  const auto gap = std::chrono::microseconds(state.range(1));
  SetThreads(threads);
  std::vector<int> sink(64);
  double in_calls = 0;
  LoopTimer timer;
  for (auto _ : state) {
    const auto busy_until = Clock::now() + gap;
    while (Clock::now() < busy_until) {
    }
    const auto start = Clock::now();
    k::ThreadPool::Global().ParallelFor(8, [&](int task) { sink[task * 8] += 1; });
    in_calls += std::chrono::duration<double>(Clock::now() - start).count();
    benchmark::DoNotOptimize(sink.data());
  }
  timer.Stop();
  ReportCpuShare(state, timer, threads);
  if (state.iterations() > 0) state.counters["us_per_call"] = 1e6 * in_calls / state.iterations();
}

// ---------------------------------------------------------------------------------------------- main

constexpr int kRowsOfX[] = {1, 4, 16, 64, 480};
struct Shape {
  int n, k;
};
constexpr Shape kShapes[] = {{512, 512}, {2048, 512}, {512, 2048}, {58101, 512}};
constexpr int kThreads[] = {1, 2};

void RegisterAll() {
  auto gemm_args = [](benchmark::internal::Benchmark* b) {
    b->ArgNames({"M", "N", "K", "threads"})->UseRealTime()->Unit(benchmark::kMicrosecond);
    return b;
  };
  // Shape-major order: the weight cache holds one shape at a time.
  for (const Shape& s : kShapes) {
    for (int m : kRowsOfX) {
      for (int t : kThreads)
        gemm_args(benchmark::RegisterBenchmark("Float32Linear", BM_Float32Linear))->Args({m, s.n, s.k, t});
      const std::string packed = std::string("Float32Linear/packed-") + k::PackedLinearIsa();
      for (int t : kThreads)
        gemm_args(benchmark::RegisterBenchmark(packed.c_str(), BM_PackedFloat32Linear))
            ->Args({m, s.n, s.k, t});
    }
  }
  const k::CpuFeatures& f = k::GetCpuFeatures();
  std::vector<k::Int8Isa> isas;
  if (f.amx_int8) isas.push_back(k::Int8Isa::kAmx);
  if (f.avx512vnni) isas.push_back(k::Int8Isa::kAvx512Vnni);
  if (f.avx2) isas.push_back(k::Int8Isa::kAvx2);
  for (const Shape& s : kShapes) {
    for (k::Int8Isa isa : isas) {
      const std::string name = std::string("Int8Linear/") + k::Int8IsaName(isa);
      for (int m : kRowsOfX) {
        for (int t : kThreads) {
          gemm_args(benchmark::RegisterBenchmark(name.c_str(), BM_Int8Linear, isa))->Args({m, s.n, s.k, t});
        }
      }
    }
    // The scalar reference is ~50x slower: only decoding-sized shapes, one thread, as a baseline.
    if (s.n * s.k <= 2048 * 512) {
      gemm_args(benchmark::RegisterBenchmark("Int8Linear/scalar", BM_Int8Linear, k::Int8Isa::kScalar))
          ->Args({4, s.n, s.k, 1});
    }
  }
  for (int t : kThreads) {
    benchmark::RegisterBenchmark("QuantizeRows", BM_QuantizeRows)
        ->ArgNames({"rows", "cols", "threads"})
        ->Args({58101, 512, t})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  for (int t : kThreads) {
    for (int gap_us : {0, 100, 1000}) {
      benchmark::RegisterBenchmark("ParallelForOverhead", BM_ParallelForOverhead)
          ->ArgNames({"threads", "gap_us"})
          ->Args({t, gap_us})
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (int t : kThreads) {
    benchmark::RegisterBenchmark("ReadBandwidth", BM_ReadBandwidth)
        ->ArgNames({"threads", "MiB"})
        ->Args({t, 0})
        ->Args({t, 52})
        ->Args({t, 208})
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

// Takes our own flags out of argv (Google Benchmark rejects flags it does not know).
bool ParseOwnFlags(int* argc, char** argv, Machine* machine, double* ghz_override) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--weights=cold" || arg == "--weights=hot") {
      machine->cold_weights = arg == "--weights=cold";
    } else if (arg.rfind("--ghz=", 0) == 0) {
      char* end = nullptr;
      *ghz_override = std::strtod(arg.c_str() + 6, &end);
      if (*end != '\0' || !(*ghz_override > 0.1 && *ghz_override < 20)) {
        std::fprintf(stderr, "gemm_bench: --ghz wants a clock in GHz between 0.1 and 20, got '%s'\n",
                     arg.c_str() + 6);
        return false;
      }
    } else if (arg.rfind("--weights", 0) == 0) {
      std::fprintf(stderr, "gemm_bench: --weights must be 'cold' or 'hot', got '%s'\n", arg.c_str());
      return false;
    } else {
      if (arg == "--help") {
        std::printf(
            "gemm_bench: GEMM kernels on opus-mt-de-en shapes (docs/benchmarks.md)\n"
            "  --weights=cold|hot  cycle weight copies beyond 2x the last-level cache (default) or reuse "
            "one\n"
            "  --ghz=X             clock for peak%% instead of the calibration loop\n"
            "Google Benchmark's own flags:\n");
      }
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Machine& machine = GetMachine();
  double ghz_override = 0;
  if (!ParseOwnFlags(&argc, argv, &machine, &ghz_override)) return 2;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  machine.vendor = CpuinfoField("vendor_id");
  machine.mhz_cpuinfo = std::atof(CpuinfoField("cpu MHz").c_str());
  machine.llc_bytes = LastLevelCacheBytes();
  machine.ghz_calibrated = CalibrateGhz();
  if (ghz_override > 0) {
    machine.ghz = ghz_override;
    machine.ghz_source = "--ghz";
  } else if (machine.ghz_calibrated > 0.1) {
    machine.ghz = machine.ghz_calibrated;
    machine.ghz_source = "calibration loop (dependent imul chain)";
  } else {
    machine.ghz = machine.mhz_cpuinfo > 0 ? machine.mhz_cpuinfo / 1000 : 1.0;
    machine.ghz_source = "/proc/cpuinfo cpu MHz";
  }

  char text[160];
  auto add = [&](const char* key, const std::string& value) { benchmark::AddCustomContext(key, value); };
  add("cpu_features", k::GetCpuFeatures().ToString());
  std::snprintf(text, sizeof text, "%.3f (%s)", machine.ghz, machine.ghz_source.c_str());
  add("ghz_for_peak", text);
  std::snprintf(text, sizeof text, "calibrated %.3f GHz, /proc/cpuinfo %.0f MHz", machine.ghz_calibrated,
                machine.mhz_cpuinfo);
  add("clock", text);
  std::snprintf(text, sizeof text, "float32 %.0f, int8 avx2 %.0f, int8 avx512vnni %.0f, scalar %.0f",
                Float32OpsPerCycle(), Int8OpsPerCycle(k::Int8Isa::kAvx2),
                Int8OpsPerCycle(k::Int8Isa::kAvx512Vnni), Int8OpsPerCycle(k::Int8Isa::kScalar));
  add("peak_ops_per_cycle_per_core", text);
  std::snprintf(text, sizeof text, "%s (last-level cache %.0f MiB)",
                machine.cold_weights ? "cold: copies cycled to exceed 2x the cache" : "hot: one copy",
                machine.llc_bytes / 1048576.0);
  add("weights", text);

  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
