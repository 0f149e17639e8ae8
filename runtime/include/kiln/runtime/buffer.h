// A Buffer is a block of memory holding numel elements of one dtype on one device. It knows
// nothing about graphs or views; tensors and compiled programs point into buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "kiln/runtime/device.h"
#include "kiln/runtime/dtype.h"

namespace kiln::runtime {

namespace cuda {
class Event;
}

/// Element i of a host array of dtype t, converted to double.
double read_element(const void* data, DType t, int64_t i);
/// Element i of a host array of an integer dtype as int64 (exact for every int64).
int64_t read_int_element(const void* data, DType t, int64_t i);
/// Stores v, converted to dtype t, as element i.
void write_element(void* data, DType t, int64_t i, double v);
void write_int_element(void* data, DType t, int64_t i, int64_t v);

class Buffer;
using BufferPtr = std::shared_ptr<Buffer>;

class Buffer {
 public:
  /// Allocates uninitialised memory on `device`: host memory 64-byte aligned (page-locked when
  /// `pinned`, for fast asynchronous copies to a GPU), device memory from the device's caching
  /// allocator, 256-byte aligned. Throws OutOfMemoryError, or DeviceError for a device this
  /// build or machine lacks.
  Buffer(DType dtype, int64_t numel, Device device = Device(DeviceType::CPU), bool pinned = false);
  /// A CUDA buffer whose block comes from the copy stream's pool (cuda/allocator.h), for a copy
  /// that the copy stream writes into it (copy_to_async).
  static BufferPtr for_copy_stream(DType dtype, int64_t numel, Device device);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  DType dtype() const { return dtype_; }
  int64_t numel() const { return numel_; }
  int64_t nbytes() const { return numel_ * itemsize(dtype_); }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }
  /// A process-unique id, stable for the buffer's life (used to name buffers in graphs).
  uint64_t id() const { return id_; }
  void* data() { return data_; }
  const void* data() const { return data_; }

  /// Element i converted to double (host buffers only).
  double get(int64_t i) const { return read_element(data_, dtype_, i); }
  /// Stores v, converted to the buffer's dtype, at element i (host buffers only).
  void set(int64_t i, double v) { write_element(data_, dtype_, i, v); }
  /// Element i of an integer buffer as int64 (exact for all int64 values).
  int64_t get_int(int64_t i) const { return read_int_element(data_, dtype_, i); }
  void set_int(int64_t i, int64_t v) { write_int_element(data_, dtype_, i, v); }

  /// Marks the data as ready only after `event` (a copy queued on the copy stream).
  void set_ready(std::shared_ptr<cuda::Event> event);
  /// Makes the compute stream wait for a pending copy into this buffer (cuda/copy_stream.h), once;
  /// a no-op for every other buffer. Whoever queues compute-stream work on a device buffer calls
  /// it first (programs, copies, the buffer's release).
  void await_copy() const;

 private:
  struct CopyStreamTag {};
  Buffer(DType dtype, int64_t numel, Device device, CopyStreamTag);

  DType dtype_;
  int64_t numel_;
  Device device_;
  uint64_t id_;
  bool pinned_;
  bool copy_block_ = false;  ///< the block belongs to the copy stream's pool
  void* data_ = nullptr;
  mutable std::atomic<bool> pending_{false};  ///< ready_ is set
  mutable std::mutex ready_mu_;
  mutable std::shared_ptr<cuda::Event> ready_;
};

/// A new buffer on `device` holding a copy of `src` (any direction: host and CUDA devices).
BufferPtr copy_to(const Buffer& src, Device device);
/// A new buffer on `device` holding elements [offset, offset + numel) of `src` (copy_to of a
/// slice: only those bytes move). Throws InternalError for a range outside `src`.
BufferPtr copy_range_to(const Buffer& src, int64_t offset, int64_t numel, Device device);
/// copy_to, except that a copy from pinned host memory to a CUDA device is queued on the
/// device's copy stream (cuda/copy_stream.h) and returns at once: the new buffer is ready after
/// it (Buffer::await_copy), and `*done` is set to the copy's event, until which `src` must stay
/// alive. Any other copy is copy_to's, and `*done` is set to null.
BufferPtr copy_to_async(const Buffer& src, Device device, std::shared_ptr<cuda::Event>* done);
/// Copies all of `src` into `dst` (same dtype and size; any devices).
void copy_into(Buffer& dst, const Buffer& src);

}  // namespace kiln::runtime
