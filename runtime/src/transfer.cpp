// Copies between buffers on any devices: host to host with memcpy, and host <-> CUDA or CUDA to
// CUDA on the device's compute stream (so a copy is ordered after the kernels that wrote its
// source). A copy to the host waits for it; a copy to a device from pinned host memory does not.
#include <cstring>
#include <string>

#include "kiln/runtime/buffer.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime {

void copy_into(Buffer& dst, const Buffer& src) {
  if (dst.dtype() != src.dtype() || dst.numel() != src.numel()) {
    throw InternalError("copy_into: buffers differ in dtype or size");
  }
  size_t bytes = static_cast<size_t>(src.nbytes());
  Device from = src.device(), to = dst.device();
  if (from.is_cpu() && to.is_cpu()) {
    if (bytes > 0) std::memcpy(dst.data(), src.data(), bytes);
  } else if (from.is_cpu()) {
    cuda::copy_to_device(dst.data(), src.data(), bytes, to.index(), src.pinned());
  } else if (to.is_cpu()) {
    cuda::copy_to_host(dst.data(), src.data(), bytes, from.index());
  } else if (from == to) {
    cuda::copy_device_to_device(dst.data(), src.data(), bytes, to.index());
  } else {
    // Between two GPUs: through the host (peer access is not set up).
    Buffer staging(src.dtype(), src.numel(), Device(DeviceType::CPU), /*pinned=*/true);
    cuda::copy_to_host(staging.data(), src.data(), bytes, from.index());
    cuda::copy_to_device(dst.data(), staging.data(), bytes, to.index(), /*pinned=*/false);
  }
}

BufferPtr copy_to(const Buffer& src, Device device) {
  auto dst = std::make_shared<Buffer>(src.dtype(), src.numel(), device);
  copy_into(*dst, src);
  return dst;
}

}  // namespace kiln::runtime
