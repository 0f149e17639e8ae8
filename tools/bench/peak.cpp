// The FMA peak (see peak.h): twelve independent vector FMA chains per thread, enough to cover
// the FMA latency on every port, run on all threads at once.
#include "peak.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kiln_bench {

#if defined(__x86_64__)
namespace {

constexpr int kChains = 12;
constexpr long kIters = 2'000'000;

/// Runs kIters rounds of kChains FMAs on 16 lanes; returns a value that depends on all of them.
__attribute__((target("avx512f"))) float fma_chains_512() {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(0.0001f);
  for (long k = 0; k < kIters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  alignas(64) float lanes[16];
  float sum = 0;
  for (int i = 0; i < kChains; ++i) {
    _mm512_store_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

__attribute__((target("avx2,fma"))) float fma_chains_256() {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(0.0001f);
  for (long k = 0; k < kIters; ++k) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  alignas(32) float lanes[8];
  float sum = 0;
  for (int i = 0; i < kChains; ++i) {
    _mm256_store_ps(lanes, acc[i]);
    for (float v : lanes) sum += v;
  }
  return sum;
}

}  // namespace

std::optional<Result> measure_fma_peak(int threads) {
  bool avx512 = __builtin_cpu_supports("avx512f");
  if (!avx512 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    return std::nullopt;
  }
  int lanes = avx512 ? 16 : 8;
  threads = std::max(1, threads);
  double best_s = 0;
  volatile float sink = 0;
  for (int run = 0; run < 3; ++run) {
    std::vector<float> out(static_cast<size_t>(threads));
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(
          [&, t] { out[static_cast<size_t>(t)] = avx512 ? fma_chains_512() : fma_chains_256(); });
    }
    for (auto& th : pool) th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (float v : out) sink = sink + v;
    if (run == 0 || s < best_s) best_s = s;
  }
  double flops = 2.0 * lanes * kChains * static_cast<double>(kIters) * threads;
  Result r;
  r.name = "fma_peak";
  r.device = "cpu";
  r.shape = fmt::format("{}x{} lanes", threads, lanes);
  r.dtype = "float32";
  r.median_ms = r.min_ms = best_s * 1e3;
  r.gflops = flops / best_s / 1e9;
  r.reps = 3;
  r.note = fmt::format("{} FMA chains, {} threads", avx512 ? "AVX-512" : "AVX2", threads);
  return r;
}
#else
std::optional<Result> measure_fma_peak(int) { return std::nullopt; }
#endif

}  // namespace kiln_bench
