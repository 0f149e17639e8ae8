// The CUDA Driver API, loaded from libcuda.so.1 with dlopen at first use, so that one build runs
// on machines with and without a GPU. Without a driver or a device, available() is false and
// every other call throws DeviceError; nothing here is linked against CUDA.
//
// kiln keeps one primary context per device (retained once, made current on each thread that
// calls in) and one non-blocking compute stream per device: kernels, copies and allocator reuse
// are all ordered on that stream. Handles cross this header as void* so that users and the rest
// of kiln never include cuda.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace kiln::runtime::cuda {

/// True when the driver loads, initialises and reports at least one device.
bool available();
/// True when $KILN_CUDA_SIM=1: kiln's CPU simulator of a CUDA device stands in for the driver
/// (runtime/src/cuda/sim/sim.h; for testing the GPU path on a machine without one).
bool simulated();
/// The module image the simulator loads for a rendered CUDA source `source` (the kernel `name`
/// names it in errors): built by the host C++ compiler ($KILN_CUDA_SIM_CXX, default c++) and
/// cached on disk. Throws CompileError with the compiler's output on failure.
std::string simulator_image(const std::string& source, const std::string& name);
/// Devices the driver reports (0 without a driver).
int device_count();

struct DeviceProperties {
  std::string name;
  int major = 0, minor = 0;  ///< compute capability
  int multiprocessors = 0;
  int64_t total_memory = 0;
  int64_t l2_bytes = 0;
  int max_shared_per_block = 0;
};
const DeviceProperties& properties(int device);
/// The compute capability as NVRTC's sm_XX number (e.g. 90 for an H100).
int arch(int device);

/// Makes `device`'s primary context current on the calling thread.
void activate(int device);
/// kiln's compute stream on `device` (a CUstream).
void* stream(int device);
/// Waits for all work queued on `device`'s stream.
void synchronize(int device);
/// Waits for every device kiln has used.
void synchronize_all();
/// Free and total bytes of device memory.
void memory_info(int device, int64_t* free_bytes, int64_t* total_bytes);

/// Raw device memory (the caching allocator sits on top). Returns nullptr when out of memory;
/// throws DeviceError on any other failure.
void* raw_malloc(size_t bytes, int device);
void raw_free(void* p, int device);
/// Page-locked host memory (fast, asynchronous copies). Returns nullptr when out of memory.
void* pinned_malloc(size_t bytes);
/// Frees pinned memory; never throws.
void pinned_free(void* p) noexcept;

/// Copies ordered on `device`'s stream. to_host waits for the copy (and all earlier work);
/// to_device from pageable memory returns once the source may be reused; from pinned memory
/// (`pinned`) it returns at once and the copy runs in stream order.
void copy_to_device(void* dst, const void* src, size_t bytes, int device, bool pinned = false);
void copy_to_host(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_device(void* dst, const void* src, size_t bytes, int device);
void memset_zero(void* dst, size_t bytes, int device);

/// A loaded CUBIN and its functions.
class Module {
 public:
  Module(const std::string& cubin, int device);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  /// The __global__ function `name` (a CUfunction); throws DeviceError when missing.
  void* function(const std::string& name) const;
  /// Raises the function's dynamic shared memory limit to `bytes`.
  void set_max_shared(void* function, int bytes) const;

 private:
  void* module_ = nullptr;
  int device_;
};

/// Launches `function` with a 1-D grid on `device`'s stream; args[i] points at argument i.
void launch(void* function, int64_t grid, int block, int shared_bytes, void** args, int device);

/// A captured sequence of stream work, replayed with one launch (a CUDA graph).
class Graph {
 public:
  Graph(void* exec, void* graph, int device) : exec_(exec), graph_(graph), device_(device) {}
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  void launch() const;

 private:
  void* exec_;
  void* graph_;
  int device_;
};
/// Starts capturing the work queued on `device`'s stream (nothing runs until the graph does).
void begin_capture(int device);
/// Ends the capture and instantiates the graph.
std::unique_ptr<Graph> end_capture(int device);

/// Milliseconds between two points of `device`'s stream, measured with CUDA events.
class Timer {
 public:
  explicit Timer(int device);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  void start();
  /// Records the stop, waits for it and returns the elapsed milliseconds.
  double stop();

 private:
  void* begin_ = nullptr;
  void* end_ = nullptr;
  int device_;
};

}  // namespace kiln::runtime::cuda
