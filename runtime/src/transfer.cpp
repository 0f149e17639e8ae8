// Copies between buffers on any devices: host to host with memcpy, and host <-> CUDA or CUDA to
// CUDA on the device's compute stream (so a copy is ordered after the kernels that wrote its
// source). A copy to the host waits for it; a copy to a device from pinned host memory does not.
// copy_to_async queues a pinned host-to-device copy on the copy stream instead (copy_stream.h).
#include <cstddef>
#include <cstring>
#include <string>

#include "kiln/runtime/buffer.h"
#include "kiln/runtime/cuda/copy_stream.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime {

namespace {
/// Copies `dst.nbytes()` bytes of `src`, from element `offset` on, into `dst` (any devices).
void copy_from(Buffer& dst, const Buffer& src, int64_t offset) {
  size_t bytes = static_cast<size_t>(dst.nbytes());
  const void* from_data =
      static_cast<const std::byte*>(src.data()) + offset * itemsize(src.dtype());
  Device from = src.device(), to = dst.device();
  // Either may still be waiting for a copy on the copy stream (copy_to_async).
  if (from.is_cuda()) src.await_copy();
  if (to.is_cuda()) dst.await_copy();
  if (from.is_cpu() && to.is_cpu()) {
    if (bytes > 0) std::memcpy(dst.data(), from_data, bytes);
  } else if (from.is_cpu()) {
    cuda::copy_to_device(dst.data(), from_data, bytes, to.index(), src.pinned());
  } else if (to.is_cpu()) {
    cuda::copy_to_host(dst.data(), from_data, bytes, from.index());
  } else if (from == to) {
    cuda::copy_device_to_device(dst.data(), from_data, bytes, to.index());
  } else {
    // Between two GPUs: through the host (peer access is not set up).
    Buffer staging(dst.dtype(), dst.numel(), Device(DeviceType::CPU), /*pinned=*/true);
    cuda::copy_to_host(staging.data(), from_data, bytes, from.index());
    cuda::copy_to_device(dst.data(), staging.data(), bytes, to.index(), /*pinned=*/false);
  }
}
}  // namespace

void copy_into(Buffer& dst, const Buffer& src) {
  if (dst.dtype() != src.dtype() || dst.numel() != src.numel()) {
    throw InternalError("copy_into: buffers differ in dtype or size");
  }
  copy_from(dst, src, 0);
}

BufferPtr copy_to(const Buffer& src, Device device) {
  return copy_range_to(src, 0, src.numel(), device);
}

BufferPtr copy_range_to(const Buffer& src, int64_t offset, int64_t numel, Device device) {
  if (offset < 0 || numel < 0 || offset > src.numel() - numel) {
    throw InternalError("copy_range_to: elements [" + std::to_string(offset) + ", " +
                        std::to_string(offset + numel) + ") are outside a buffer of " +
                        std::to_string(src.numel()));
  }
  auto dst = std::make_shared<Buffer>(src.dtype(), numel, device);
  copy_from(*dst, src, offset);
  return dst;
}

BufferPtr copy_to_async(const Buffer& src, Device device, std::shared_ptr<cuda::Event>* done) {
  *done = nullptr;
  if (!src.pinned() || !device.is_cuda()) return copy_to(src, device);
  BufferPtr dst = Buffer::for_copy_stream(src.dtype(), src.numel(), device);
  *done = cuda::copy_to_device_on_copy_stream(dst->data(), src.data(),
                                              static_cast<size_t>(src.nbytes()), device.index());
  dst->set_ready(*done);
  return dst;
}

}  // namespace kiln::runtime
