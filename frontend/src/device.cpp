// Device selection: the default device, CUDA availability, synchronisation.
#include <cstdlib>
#include <string>

#include "kiln/frontend/creation.h"
#include "kiln/runtime/cuda/allocator.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln {

namespace cuda {
bool is_available() { return runtime::cuda::available(); }
int device_count() { return runtime::cuda::device_count(); }
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
  return cuda::is_available() ? Device(kCUDA, 0) : Device(kCPU);
}

void synchronize() {
  // CPU work runs synchronously at realization; CUDA work is queued on each device's stream.
  runtime::cuda::synchronize_all();
}

namespace cuda {
void empty_cache() { runtime::cuda::empty_cache(); }
}  // namespace cuda

}  // namespace kiln
