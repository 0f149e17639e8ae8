#include "kiln/runtime/cuda/driver.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "cuda/driver_table.h"
#include "cuda/sim/sim.h"
#include "kiln/runtime/error.h"

namespace kiln::runtime::cuda {

namespace {

#define KILN_CUDA_STR2(x) #x
#define KILN_CUDA_STR(x) KILN_CUDA_STR2(x)

struct Loaded {
  DriverTable table;
  bool ok = false;
  std::string why;  ///< why the driver is unusable
  int count = 0;
};

// The driver's state lives until the process ends (never destroyed): buffers and modules held
// by other statics are released during static destruction and still need it.
const Loaded& loaded() {
  static Loaded& l = *new Loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    if (simulated()) {
      sim::fill_driver(l.table);
    } else {
      void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
      if (lib == nullptr) {
        l.why = "libcuda.so.1 not found (no NVIDIA driver)";
        return;
      }
#define KILN_CUDA_LOAD(fn)                                                            \
  l.table.fn = reinterpret_cast<decltype(l.table.fn)>(dlsym(lib, KILN_CUDA_STR(fn))); \
  if (l.table.fn == nullptr) {                                                        \
    l.why = std::string("the driver lacks ") + KILN_CUDA_STR(fn);                     \
    return;                                                                           \
  }
      KILN_CUDA_DRIVER_FUNCTIONS(KILN_CUDA_LOAD)
#undef KILN_CUDA_LOAD
    }
    if (CUresult r = l.table.cuInit(0); r != CUDA_SUCCESS) {
      l.why = "cuInit failed with error " + std::to_string(static_cast<int>(r));
      return;
    }
    if (l.table.cuDeviceGetCount(&l.count) != CUDA_SUCCESS || l.count == 0) {
      l.why = "the driver reports no CUDA device";
      l.count = 0;
      return;
    }
    l.ok = true;
  });
  return l;
}

/// Per device: its primary context, compute stream and properties (made once).
struct DeviceState {
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  DeviceProperties props;
};

DeviceState& state(int device) {
  static std::vector<DeviceState>& states = *new std::vector<DeviceState>;
  static std::vector<std::once_flag>& made = *new std::vector<std::once_flag>;
  static std::once_flag once;
  std::call_once(once, [] {
    states.resize(static_cast<size_t>(device_count()));
    made = std::vector<std::once_flag>(states.size());
  });
  if (device < 0 || device >= static_cast<int>(states.size())) {
    throw DeviceError("[cuda] device cuda:" + std::to_string(device) + " does not exist (" +
                      std::to_string(states.size()) + " CUDA devices)");
  }
  DeviceState& s = states[static_cast<size_t>(device)];
  std::call_once(made[static_cast<size_t>(device)], [&] {
    const DriverTable& d = driver();
    CUdevice dev = 0;
    check(d.cuDeviceGet(&dev, device), "cuDeviceGet");
    check(d.cuDevicePrimaryCtxRetain(&s.context, dev), "cuDevicePrimaryCtxRetain");
    check(d.cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
    check(d.cuStreamCreate(&s.stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    char name[256] = {};
    check(d.cuDeviceGetName(name, sizeof name, dev), "cuDeviceGetName");
    s.props.name = name;
    auto attr = [&](CUdevice_attribute a) {
      int v = 0;
      check(d.cuDeviceGetAttribute(&v, a, dev), "cuDeviceGetAttribute");
      return v;
    };
    s.props.major = attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    s.props.minor = attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    s.props.multiprocessors = attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
    s.props.l2_bytes = attr(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
    s.props.max_shared_per_block = attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
    size_t total = 0;
    check(d.cuDeviceTotalMem(&total, dev), "cuDeviceTotalMem");
    s.props.total_memory = static_cast<int64_t>(total);
  });
  return s;
}

CUdeviceptr dptr(const void* p) { return reinterpret_cast<CUdeviceptr>(p); }

}  // namespace

const DriverTable& driver() {
  const Loaded& l = loaded();
  if (!l.ok) throw DeviceError("[cuda] CUDA is not available: " + l.why);
  return l.table;
}

void check(CUresult r, const char* what) {
  if (r == CUDA_SUCCESS) return;
  const char* name = "?";
  const char* text = "?";
  const Loaded& l = loaded();
  if (l.table.cuGetErrorName != nullptr) l.table.cuGetErrorName(r, &name);
  if (l.table.cuGetErrorString != nullptr) l.table.cuGetErrorString(r, &text);
  std::string msg = std::string("[cuda] ") + what + ": " + name + ": " + text;
  if (r == CUDA_ERROR_OUT_OF_MEMORY) throw OutOfMemoryError(msg);
  throw DeviceError(msg);
}

bool simulated() {
  static const bool on = [] {
    const char* v = std::getenv("KILN_CUDA_SIM");
    return v != nullptr && std::string(v) == "1";
  }();
  return on;
}

bool available() { return loaded().ok; }
int device_count() { return loaded().ok ? loaded().count : 0; }

const DeviceProperties& properties(int device) { return state(device).props; }
int arch(int device) {
  const DeviceProperties& p = properties(device);
  return p.major * 10 + p.minor;
}

void activate(int device) {
  thread_local CUcontext current = nullptr;
  DeviceState& s = state(device);
  if (current == s.context) return;
  check(driver().cuCtxSetCurrent(s.context), "cuCtxSetCurrent");
  current = s.context;
}

namespace {
/// activate() for destructors: never throws (at exit the driver may already be shutting down).
bool activate_quietly(int device) noexcept {
  try {
    if (!available()) return false;
    activate(device);
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace

void* stream(int device) { return state(device).stream; }

void synchronize(int device) {
  activate(device);
  check(driver().cuStreamSynchronize(state(device).stream), "cuStreamSynchronize");
}

void synchronize_all() {
  for (int i = 0; i < device_count(); ++i) synchronize(i);
}

void memory_info(int device, int64_t* free_bytes, int64_t* total_bytes) {
  activate(device);
  size_t f = 0, t = 0;
  check(driver().cuMemGetInfo(&f, &t), "cuMemGetInfo");
  *free_bytes = static_cast<int64_t>(f);
  *total_bytes = static_cast<int64_t>(t);
}

void* raw_malloc(size_t bytes, int device) {
  activate(device);
  CUdeviceptr p = 0;
  CUresult r = driver().cuMemAlloc(&p, bytes == 0 ? 1 : bytes);
  if (r == CUDA_ERROR_OUT_OF_MEMORY) return nullptr;
  check(r, "cuMemAlloc");
  return reinterpret_cast<void*>(p);
}

void raw_free(void* p, int device) {
  if (p == nullptr) return;
  activate(device);
  check(driver().cuMemFree(dptr(p)), "cuMemFree");
}

void* pinned_malloc(size_t bytes) {
  activate(0);
  void* p = nullptr;
  CUresult r = driver().cuMemHostAlloc(&p, bytes == 0 ? 1 : bytes, CU_MEMHOSTALLOC_PORTABLE);
  if (r == CUDA_ERROR_OUT_OF_MEMORY) return nullptr;
  check(r, "cuMemHostAlloc");
  return p;
}

void pinned_free(void* p) noexcept {
  // Called from Buffer's destructor: a failure (a driver shutting down at exit) is ignored.
  if (p == nullptr || !activate_quietly(0)) return;
  loaded().table.cuMemFreeHost(p);
}

void copy_to_device(void* dst, const void* src, size_t bytes, int device, bool pinned) {
  if (bytes == 0) return;
  activate(device);
  CUstream s = state(device).stream;
  check(driver().cuMemcpyHtoDAsync(dptr(dst), src, bytes, s), "cuMemcpyHtoDAsync");
  // From pageable memory the copy may still read `src` after the call returns.
  if (!pinned) check(driver().cuStreamSynchronize(s), "cuStreamSynchronize");
}

void copy_to_host(void* dst, const void* src, size_t bytes, int device) {
  if (bytes == 0) return;
  activate(device);
  CUstream s = state(device).stream;
  check(driver().cuMemcpyDtoHAsync(dst, dptr(src), bytes, s), "cuMemcpyDtoHAsync");
  check(driver().cuStreamSynchronize(s), "cuStreamSynchronize");
}

void copy_device_to_device(void* dst, const void* src, size_t bytes, int device) {
  if (bytes == 0) return;
  activate(device);
  check(driver().cuMemcpyDtoDAsync(dptr(dst), dptr(src), bytes, state(device).stream),
        "cuMemcpyDtoDAsync");
}

void memset_zero(void* dst, size_t bytes, int device) {
  if (bytes == 0) return;
  activate(device);
  check(driver().cuMemsetD8Async(dptr(dst), 0, bytes, state(device).stream), "cuMemsetD8Async");
}

Module::Module(const std::string& cubin, int device) : device_(device) {
  activate(device);
  CUmodule m = nullptr;
  check(driver().cuModuleLoadData(&m, cubin.data()), "cuModuleLoadData");
  module_ = m;
}

Module::~Module() {
  if (module_ == nullptr || !activate_quietly(device_)) return;
  loaded().table.cuModuleUnload(static_cast<CUmodule>(module_));
}

void* Module::function(const std::string& name) const {
  CUfunction f = nullptr;
  CUresult r = driver().cuModuleGetFunction(&f, static_cast<CUmodule>(module_), name.c_str());
  if (r != CUDA_SUCCESS) check(r, ("cuModuleGetFunction " + name).c_str());
  return f;
}

void Module::set_max_shared(void* function, int bytes) const {
  check(driver().cuFuncSetAttribute(static_cast<CUfunction>(function),
                                    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
        "cuFuncSetAttribute");
}

void launch(void* function, int64_t grid, int block, int shared_bytes, void** args, int device) {
  if (grid <= 0) return;
  if (grid > 0x7fffffff) {
    throw DeviceError("[cuda] launch: grid of " + std::to_string(grid) + " blocks is too large");
  }
  activate(device);
  check(driver().cuLaunchKernel(static_cast<CUfunction>(function), static_cast<unsigned>(grid), 1,
                                1, static_cast<unsigned>(block), 1, 1,
                                static_cast<unsigned>(shared_bytes), state(device).stream, args,
                                nullptr),
        "cuLaunchKernel");
}

Graph::~Graph() {
  if (!activate_quietly(device_)) return;
  loaded().table.cuGraphExecDestroy(static_cast<CUgraphExec>(exec_));
  loaded().table.cuGraphDestroy(static_cast<CUgraph>(graph_));
}

void Graph::launch() const {
  activate(device_);
  check(driver().cuGraphLaunch(static_cast<CUgraphExec>(exec_), state(device_).stream),
        "cuGraphLaunch");
}

void begin_capture(int device) {
  activate(device);
  check(driver().cuStreamBeginCapture(state(device).stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
        "cuStreamBeginCapture");
}

std::unique_ptr<Graph> end_capture(int device) {
  activate(device);
  CUgraph graph = nullptr;
  check(driver().cuStreamEndCapture(state(device).stream, &graph), "cuStreamEndCapture");
  CUgraphExec exec = nullptr;
  CUresult r = driver().cuGraphInstantiate(&exec, graph, 0);
  if (r != CUDA_SUCCESS) {
    driver().cuGraphDestroy(graph);
    check(r, "cuGraphInstantiate");
  }
  return std::make_unique<Graph>(exec, graph, device);
}

Timer::Timer(int device) : device_(device) {
  activate(device);
  CUevent a = nullptr, b = nullptr;
  check(driver().cuEventCreate(&a, CU_EVENT_DEFAULT), "cuEventCreate");
  check(driver().cuEventCreate(&b, CU_EVENT_DEFAULT), "cuEventCreate");
  begin_ = a;
  end_ = b;
}

Timer::~Timer() {
  if (!activate_quietly(device_)) return;
  loaded().table.cuEventDestroy(static_cast<CUevent>(begin_));
  loaded().table.cuEventDestroy(static_cast<CUevent>(end_));
}

void Timer::start() {
  activate(device_);
  check(driver().cuEventRecord(static_cast<CUevent>(begin_), state(device_).stream),
        "cuEventRecord");
}

double Timer::stop() {
  activate(device_);
  check(driver().cuEventRecord(static_cast<CUevent>(end_), state(device_).stream), "cuEventRecord");
  check(driver().cuEventSynchronize(static_cast<CUevent>(end_)), "cuEventSynchronize");
  float ms = 0;
  check(driver().cuEventElapsedTime(&ms, static_cast<CUevent>(begin_), static_cast<CUevent>(end_)),
        "cuEventElapsedTime");
  return ms;
}

}  // namespace kiln::runtime::cuda
