// kiln-bench's human-readable output: the results table and kiln vs PyTorch side by side.
#pragma once

#include <vector>

#include "measure.h"
#include "peer.h"

namespace kiln_bench {

/// One row per result: times, GB/s, GFLOP/s, compile time, launches, bandwidth / copy's.
void print_table(const std::vector<Result>& results);

/// kiln vs PyTorch eager and torch.compile: times, speedups (torch_ms / kiln_ms), each
/// implementation's GB/s over its own copy's GB/s, matmul GFLOP/s. On CUDA a last column checks
/// the GPU targets: memory-bound fused workloads at >= 85% of copy's bandwidth and at least
/// torch.compile's speed; matmul at >= 90% of eager torch.matmul's throughput.
void print_compare(const std::vector<Result>& results, const PeerResults& peer);

}  // namespace kiln_bench
