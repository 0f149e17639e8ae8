// The CPU's measured floating-point peak: what a matmul's GFLOP/s is compared against.
#pragma once

#include <optional>

#include "measure.h"

namespace kiln_bench {

/// f32 FMA throughput of this CPU with `threads` threads at once, in GFLOP/s (2 per FMA per
/// lane): independent FMA chains in the widest vectors the CPU has (AVX-512, else AVX2), best
/// of a few runs of about 0.1 s. The row is named fma_peak; nullopt off x86-64.
std::optional<Result> measure_fma_peak(int threads);

}  // namespace kiln_bench
