// Counters of compiled programs, kernels and launches since start or since reset_stats().
#pragma once

#include <cstdint>

namespace kiln {

struct Stats {
  int64_t programs_compiled = 0;
  int64_t kernels_compiled = 0;
  int64_t kernel_launches = 0;
  int64_t program_cache_hits = 0;
  int64_t disk_cache_hits = 0;
  int64_t peak_device_bytes = 0;
  int64_t cuda_graph_replays = 0;  ///< program runs replayed as one CUDA graph launch
  int64_t compiled_replays = 0;    ///< kiln::compile calls replayed without tracing
  /// Program outputs written into the buffer their storage already held (an optimizer's
  /// parameters and state updated in place) instead of a new one.
  int64_t in_place_outputs = 0;
};

/// The counters now.
Stats stats();
/// Sets every counter to zero.
void reset_stats();

}  // namespace kiln
