// Process-wide counters of what kiln compiled and ran (kiln::stats() in the public API).
#pragma once

#include <atomic>
#include <cstdint>

namespace kiln::runtime {

struct Counters {
  std::atomic<int64_t> programs_compiled{0};
  std::atomic<int64_t> kernels_compiled{0};
  std::atomic<int64_t> kernel_launches{0};
  std::atomic<int64_t> program_cache_hits{0};
  std::atomic<int64_t> disk_cache_hits{0};
  std::atomic<int64_t> peak_device_bytes{0};
  std::atomic<int64_t> cuda_graph_replays{0};
  std::atomic<int64_t> compiled_replays{0};
  std::atomic<int64_t> in_place_outputs{0};
};

/// The one set of counters.
Counters& counters();
/// Raises peak_device_bytes to at least `bytes`.
void note_bytes_in_use(int64_t bytes);

}  // namespace kiln::runtime
