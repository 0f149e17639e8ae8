#include "kiln/frontend/stats.h"

#include "kiln/runtime/stats.h"

namespace kiln {

Stats stats() {
  const auto& c = runtime::counters();
  return {c.programs_compiled.load(),  c.kernels_compiled.load(), c.kernel_launches.load(),
          c.program_cache_hits.load(), c.disk_cache_hits.load(),  c.peak_device_bytes.load(),
          c.cuda_graph_replays.load(), c.compiled_replays.load(), c.in_place_outputs.load()};
}

void reset_stats() {
  auto& c = runtime::counters();
  c.programs_compiled = 0;
  c.kernels_compiled = 0;
  c.kernel_launches = 0;
  c.program_cache_hits = 0;
  c.disk_cache_hits = 0;
  c.peak_device_bytes = 0;
  c.cuda_graph_replays = 0;
  c.compiled_replays = 0;
  c.in_place_outputs = 0;
}

}  // namespace kiln
