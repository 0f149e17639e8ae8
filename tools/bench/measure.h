// Timing one kiln-bench workload, and its result as a JSON line.
//
// Inputs are created and realized first; the op graph is built and realized once as the warm-up
// (compile_ms = its wall time up to kiln::synchronize(): fusion + code generation, or a cache
// load). Then samples are timed with std::chrono::steady_clock: each sample runs `batch` reps
// back to back (each rep builds the same graph from the same realized inputs and calls eval(), a
// program-cache hit) and then kiln::synchronize(), so that work a device queues asynchronously is
// finished inside the sample; one rep's time is the sample's time / batch. On the CPU batch is 1
// (eval() runs synchronously). On CUDA batching keeps the host's graph building and launching
// overlapped with the device, as in a real program, while the final synchronize bounds the
// sample; peer_torch.py times PyTorch the same way. Samples continue until at least `samples`
// samples and `min_time` seconds, or `max_time` seconds (at least one sample).
// median_ms / min_ms are over the samples' per-rep times. gbps = bytes / median; gflops =
// flops / median; kernels = kernel launches per rep (kiln::stats()); samples_per_s and
// batches_per_s (data workloads only) = the workload's samples / batches per rep over the median.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "workloads.h"

namespace kiln_bench {

struct MeasureOptions {
  std::string device = "cpu";
  int samples = 10;
  int batch = 1;
  double min_time = 0.5;
  double max_time = 30.0;
};

struct Result {
  std::string name, device, shape, dtype;
  double median_ms = 0, min_ms = 0, gbps = 0, gflops = 0, compile_ms = 0;
  double kernels = 0;
  std::optional<double> bw_ratio;    ///< gbps / copy's gbps from the same run
  std::optional<double> peak_ratio;  ///< gflops / fma_peak's gflops from the same run (cpu)
  std::optional<double> samples_per_s, batches_per_s;  ///< data workloads only
  int64_t reps = 0;
  std::string note;
};

/// Runs and validates `w` (throws std::runtime_error or kiln::Error on failure).
Result measure(Workload w, const MeasureOptions& opt);

/// kiln-bench's JSON line: name device shape dtype median_ms min_ms gbps gflops compile_ms
/// kernels [bw_ratio] [peak_ratio] [samples_per_s batches_per_s] [note].
nlohmann::ordered_json to_json(const Result& r);
/// The inverse of to_json (for --summary); throws nlohmann::json::exception.
Result result_from_json(const nlohmann::json& j);

}  // namespace kiln_bench
