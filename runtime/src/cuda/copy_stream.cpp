// The copy stream and events (see copy_stream.h).
#include "kiln/runtime/cuda/copy_stream.h"

#include <mutex>
#include <vector>

#include "driver_table.h"
#include "kiln/runtime/cuda/driver.h"

namespace kiln::runtime::cuda {

namespace {
CUevent event_of(void* e) { return static_cast<CUevent>(e); }
}  // namespace

void* copy_stream(int device) {
  // Made once per device, never destroyed (as the compute streams in driver.cpp).
  static std::mutex mu;
  static std::vector<CUstream>& streams = *new std::vector<CUstream>;
  std::lock_guard<std::mutex> lock(mu);
  activate(device);  // throws for a device that does not exist
  if (streams.empty()) streams.resize(static_cast<size_t>(device_count()), nullptr);
  CUstream& s = streams[static_cast<size_t>(device)];
  if (s == nullptr) check(driver().cuStreamCreate(&s, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return s;
}

Event::Event(int device) : device_(device) {
  activate(device);
  CUevent e = nullptr;
  check(driver().cuEventCreate(&e, CU_EVENT_DISABLE_TIMING), "cuEventCreate");
  event_ = e;
}

Event::~Event() {
  try {  // at exit the driver may already be shutting down
    activate(device_);
    driver().cuEventDestroy(event_of(event_));
  } catch (...) {
  }
}

void Event::record(void* stream) {
  activate(device_);
  check(driver().cuEventRecord(event_of(event_), static_cast<CUstream>(stream)), "cuEventRecord");
}

void Event::make_compute_wait() const {
  activate(device_);
  check(
      driver().cuStreamWaitEvent(static_cast<CUstream>(cuda::stream(device_)), event_of(event_), 0),
      "cuStreamWaitEvent");
}

bool Event::done() const {
  activate(device_);
  CUresult r = driver().cuEventQuery(event_of(event_));
  if (r == CUDA_ERROR_NOT_READY) return false;
  check(r, "cuEventQuery");
  return true;
}

void Event::synchronize() const {
  activate(device_);
  check(driver().cuEventSynchronize(event_of(event_)), "cuEventSynchronize");
}

std::shared_ptr<Event> copy_to_device_on_copy_stream(void* dst, const void* src, size_t bytes,
                                                     int device) {
  void* s = copy_stream(device);
  auto done = std::make_shared<Event>(device);
  if (bytes > 0) {
    check(driver().cuMemcpyHtoDAsync(reinterpret_cast<CUdeviceptr>(dst), src, bytes,
                                     static_cast<CUstream>(s)),
          "cuMemcpyHtoDAsync");
  }
  done->record(s);
  return done;
}

}  // namespace kiln::runtime::cuda
