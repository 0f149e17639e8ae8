#include "kiln/runtime/stats.h"

namespace kiln::runtime {

Counters& counters() {
  static Counters c;
  return c;
}

void note_bytes_in_use(int64_t bytes) {
  auto& peak = counters().peak_device_bytes;
  int64_t cur = peak.load();
  while (bytes > cur && !peak.compare_exchange_weak(cur, bytes)) {
  }
}

}  // namespace kiln::runtime
