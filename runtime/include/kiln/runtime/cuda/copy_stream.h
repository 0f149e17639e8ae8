// Host-to-device copies that overlap compute: a second stream per device (the copy stream,
// created on first use) and events that order work across the two streams.
//
// The protocol (used by the DataLoader through runtime::copy_to_async, transfer.cpp):
// 1. A copy from pinned host memory into a fresh device buffer is queued on the copy stream, and
//    an event is recorded after it. The buffer carries the event (Buffer::set_ready).
// 2. Whoever first queues compute-stream work on the buffer calls Buffer::await_copy(), which
//    makes the compute stream wait for the event (cuStreamWaitEvent: the host does not block)
//    and drops it. Programs (run_program_cuda), copies (copy_into) and the buffer's release do.
// 3. Device memory: the caching allocator keeps the copy stream's blocks apart from the compute
//    stream's (allocator.h, Stream::Copy) and reuses one only after an event recorded on the
//    compute stream when it was freed has completed, so a copy never overwrites a block that
//    queued compute work still reads.
#pragma once

#include <cstddef>
#include <memory>

namespace kiln::runtime::cuda {

/// kiln's copy stream on `device` (a non-blocking CUstream, never the compute stream).
void* copy_stream(int device);

/// A CUDA event on one device (timing disabled), destroyed with the object.
class Event {
 public:
  explicit Event(int device);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  /// Records the event after the work queued so far on `stream` (a CUstream of this device).
  void record(void* stream);
  /// Makes the device's compute stream wait for the event; returns at once.
  void make_compute_wait() const;
  /// True once the work recorded before the event has finished.
  bool done() const;
  /// Waits on the host for the work recorded before the event.
  void synchronize() const;
  int device() const { return device_; }

 private:
  void* event_ = nullptr;
  int device_;
};

/// Queues a copy of `bytes` from pinned host memory to device memory on `device`'s copy stream;
/// returns the event recorded after it. `src` must stay alive until the event is done.
std::shared_ptr<Event> copy_to_device_on_copy_stream(void* dst, const void* src, size_t bytes,
                                                     int device);

}  // namespace kiln::runtime::cuda
