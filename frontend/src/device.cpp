// Device selection: the default device, CUDA availability, synchronisation.
#include <cstdlib>
#include <string>

#include "kiln/frontend/creation.h"
#include "kiln/runtime/cuda_probe.h"
#include "kiln/runtime/error.h"

namespace kiln {

namespace cuda {
bool is_available() { return runtime::cuda_device_count() > 0; }
int device_count() { return runtime::cuda_device_count(); }
}  // namespace cuda

Device default_device() {
  const char* env = std::getenv("KILN_DEVICE");
  std::string want = env != nullptr ? env : "";
  if (want == "cpu") return Device(kCPU);
  if (want.rfind("cuda", 0) == 0) {
    if (!cuda::is_available()) {
      throw DeviceError("[default_device] KILN_DEVICE=" + want +
                        " but no CUDA device is available");
    }
    return Device(want);
  }
  if (!want.empty()) {
    throw DeviceError("[default_device] KILN_DEVICE must be cpu or cuda[:N], got '" + want + "'");
  }
  // The CUDA backend arrives in a later issue; until then the CPU is the best device we can run.
  return Device(kCPU);
}

void synchronize() {
  // CPU work runs synchronously at realization; nothing is queued.
}

}  // namespace kiln
