// The PyTorch peer: runs tools/bench/peer_torch.py (PyTorch eager and torch.compile) on the same
// workloads, sizes and timing method as kiln-bench, and reads its JSON lines.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "measure.h"

namespace kiln_bench {

struct PeerResult {
  double median_ms = 0, gbps = 0, gflops = 0, compile_ms = 0;
};

/// (impl, name, dtype) -> result; impl is "torch_eager" or "torch_compile".
using PeerResults = std::map<std::tuple<std::string, std::string, std::string>, PeerResult>;

/// Adds a peer JSON line (one with an "impl" key) to `out`; throws nlohmann::json::exception.
void add_peer_line(const nlohmann::json& j, PeerResults& out);

/// Runs the peer (python from $KILN_PYTHON, else python3) for the workloads in `results`, with
/// the same options. Each JSON line goes to `on_line` as soon as it arrives; the peer's other
/// lines (skips, torch.compile failures) and our notes go to `notes`.
PeerResults run_peer(const MeasureOptions& opt, double scale, uint64_t seed,
                     const std::vector<Result>& results,
                     const std::function<void(const std::string&)>& on_line, std::FILE* notes);

}  // namespace kiln_bench
