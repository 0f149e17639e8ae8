// The simulator's Driver API (sim.h): memory from the host heap, streams that run work at once
// (or record it while capturing), events as host timestamps, graphs as recorded work lists.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/sim/sim.h"

namespace kiln::runtime::cuda::sim {

namespace {

using Clock = std::chrono::steady_clock;
using Work = std::function<CUresult()>;

struct Stream {
  std::mutex mu;                         ///< guards `capture` (any thread may submit)
  std::vector<Work>* capture = nullptr;  ///< the graph being captured, if any
};
struct Graph {
  std::vector<Work> work;
};
struct Event {
  Clock::time_point at{};
  bool recorded = false;
  bool timing = true;  ///< false when made with CU_EVENT_DISABLE_TIMING
};
struct Function {
  Entry entry = nullptr;
  int params = 0;
  int max_shared = 48 * 1024;
  std::string name;
};

struct Device {
  std::mutex mu;  ///< guards the maps and the allocation count
  std::map<CUdeviceptr, size_t> allocations;
  size_t allocated = 0;
  size_t capacity = size_t{4} << 30;
  Stream default_stream;
  std::map<void*, std::vector<std::unique_ptr<Function>>> functions;  ///< by module
};

Device& device() {
  static Device& d = *[] {
    auto* dev = new Device;  // never destroyed (the driver outlives static destructors)
    if (const char* v = std::getenv("KILN_CUDA_SIM_MEMORY"))
      dev->capacity = std::strtoull(v, nullptr, 10);
    return dev;
  }();
  return d;
}

/// The message of the last failed launch on this thread (cuGetErrorString shows it).
thread_local std::string last_failure;

/// Returns `r` after making `why` the message cuGetErrorString shows.
CUresult failure(CUresult r, std::string why) {
  last_failure = std::move(why);
  return r;
}

Stream* stream_of(CUstream s) {
  return s == nullptr ? &device().default_stream : reinterpret_cast<Stream*>(s);
}

constexpr int kSharedOptIn = 227 * 1024;

CUresult attribute(int* v, CUdevice_attribute a) {
  switch (a) {
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 9; return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 132; return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *v = 50 << 20; return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
      *v = kSharedOptIn;
      return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; return CUDA_SUCCESS;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *v = 32; return CUDA_SUCCESS;
    default: return CUDA_ERROR_INVALID_VALUE;
  }
}

CUresult copy(void* dst, const void* src, size_t bytes, CUstream s) {
  return submit(s, [=] {
    std::memmove(dst, src, bytes);
    return CUDA_SUCCESS;
  });
}

CUresult launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                unsigned bz, unsigned shared, CUstream s, void** params, void** extra) {
  auto* fn = reinterpret_cast<Function*>(f);
  if (fn == nullptr || extra != nullptr || gy != 1 || gz != 1 || by != 1 || bz != 1 || gx == 0 ||
      bx == 0 || bx > 1024 || static_cast<int>(shared) > fn->max_shared) {
    return failure(CUDA_ERROR_INVALID_VALUE,
                   "a launch configuration the simulator (or the device) does not take");
  }
  // Arguments are copied at launch, as the driver does (a captured launch keeps these values).
  std::vector<void*> args(static_cast<size_t>(fn->params));
  for (size_t i = 0; i < args.size(); ++i) args[i] = *static_cast<void**>(params[i]);
  return submit(s, [fn, gx, bx, args] {
    char message[512] = {};
    char* stacks = fiber_stacks();
    if (stacks == nullptr) {
      last_failure = "no memory for the simulator's fiber stacks";
      return CUDA_ERROR_OUT_OF_MEMORY;
    }
    if (fn->entry(gx, bx, args.data(), stacks, kFiberStack, message, sizeof message) == 0)
      return CUDA_SUCCESS;
    last_failure = "kernel " + fn->name + " (grid " + std::to_string(gx) + ", block " +
                   std::to_string(bx) + "): " + message;
    return CUDA_ERROR_LAUNCH_FAILED;
  });
}

}  // namespace

CUresult submit(CUstream s, std::function<CUresult()> work) {
  Stream* st = stream_of(s);
  {
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->capture != nullptr) {
      st->capture->push_back(std::move(work));
      return CUDA_SUCCESS;
    }
  }
  return work();
}

namespace {
/// True while `s` is capturing.
bool capturing(CUstream s) {
  Stream* st = stream_of(s);
  std::lock_guard<std::mutex> lock(st->mu);
  return st->capture != nullptr;
}
}  // namespace

void fill_driver(DriverTable& t) {
  static int context_tag = 0;
  t.cuInit = [](unsigned) { return CUDA_SUCCESS; };
  t.cuGetErrorName = [](CUresult r, const char** s) {
    switch (r) {
      case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
      case CUDA_ERROR_LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; break;
      case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
      case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; break;
      case CUDA_ERROR_INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
      case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED:
        *s = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        break;
      default: *s = "CUDA_ERROR"; break;
    }
    return CUDA_SUCCESS;
  };
  t.cuGetErrorString = [](CUresult r, const char** s) {
    *s = r == CUDA_ERROR_OUT_OF_MEMORY ? "out of simulated device memory" : last_failure.c_str();
    return CUDA_SUCCESS;
  };
  t.cuDeviceGetCount = [](int* n) {
    *n = 1;
    return CUDA_SUCCESS;
  };
  t.cuDeviceGet = [](CUdevice* d, int i) {
    if (i != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
  };
  t.cuDeviceGetName = [](char* name, int len, CUdevice) {
    std::snprintf(name, static_cast<size_t>(len), "%s", "kiln CUDA simulator (CPU)");
    return CUDA_SUCCESS;
  };
  t.cuDeviceGetAttribute = [](int* v, CUdevice_attribute a, CUdevice) { return attribute(v, a); };
  t.cuDeviceTotalMem = [](size_t* bytes, CUdevice) {
    *bytes = device().capacity;
    return CUDA_SUCCESS;
  };
  t.cuDevicePrimaryCtxRetain = [](CUcontext* c, CUdevice) {
    *c = reinterpret_cast<CUcontext>(&context_tag);
    return CUDA_SUCCESS;
  };
  t.cuCtxSetCurrent = [](CUcontext) { return CUDA_SUCCESS; };
  t.cuStreamCreate = [](CUstream* s, unsigned) {
    *s = reinterpret_cast<CUstream>(new Stream);
    return CUDA_SUCCESS;
  };
  t.cuStreamSynchronize = [](CUstream s) {
    if (capturing(s))
      return failure(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, "cuStreamSynchronize while capturing");
    return CUDA_SUCCESS;
  };
  t.cuMemAlloc = [](CUdeviceptr* p, size_t bytes) {
    Device& d = device();
    std::lock_guard<std::mutex> lock(d.mu);
    if (bytes > d.capacity - d.allocated) return CUDA_ERROR_OUT_OF_MEMORY;
    void* m = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
    if (m == nullptr) return CUDA_ERROR_OUT_OF_MEMORY;
    *p = reinterpret_cast<CUdeviceptr>(m);
    d.allocations[*p] = bytes;
    d.allocated += bytes;
    return CUDA_SUCCESS;
  };
  t.cuMemFree = [](CUdeviceptr p) {
    Device& d = device();
    std::lock_guard<std::mutex> lock(d.mu);
    auto it = d.allocations.find(p);
    if (it == d.allocations.end())
      return failure(CUDA_ERROR_INVALID_VALUE, "cuMemFree of a pointer cuMemAlloc did not return");
    d.allocated -= it->second;
    d.allocations.erase(it);
    std::free(reinterpret_cast<void*>(p));
    return CUDA_SUCCESS;
  };
  t.cuMemGetInfo = [](size_t* free_bytes, size_t* total) {
    Device& d = device();
    std::lock_guard<std::mutex> lock(d.mu);
    *free_bytes = d.capacity - d.allocated;
    *total = d.capacity;
    return CUDA_SUCCESS;
  };
  t.cuMemHostAlloc = [](void** p, size_t bytes, unsigned) {
    *p = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    return *p == nullptr ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_SUCCESS;
  };
  t.cuMemFreeHost = [](void* p) {
    std::free(p);
    return CUDA_SUCCESS;
  };
  t.cuMemcpyHtoDAsync = [](CUdeviceptr dst, const void* src, size_t bytes, CUstream s) {
    return copy(reinterpret_cast<void*>(dst), src, bytes, s);
  };
  t.cuMemcpyDtoHAsync = [](void* dst, CUdeviceptr src, size_t bytes, CUstream s) {
    return copy(dst, reinterpret_cast<const void*>(src), bytes, s);
  };
  t.cuMemcpyDtoDAsync = [](CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
    return copy(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes, s);
  };
  t.cuMemsetD8Async = [](CUdeviceptr dst, unsigned char v, size_t n, CUstream s) {
    return submit(s, [=] {
      std::memset(reinterpret_cast<void*>(dst), v, n);
      return CUDA_SUCCESS;
    });
  };
  t.cuModuleLoadData = [](CUmodule* m, const void* image) {
    void* loaded = load_image(image, &last_failure);
    if (loaded == nullptr) return CUDA_ERROR_INVALID_IMAGE;
    *m = reinterpret_cast<CUmodule>(loaded);
    return CUDA_SUCCESS;
  };
  t.cuModuleUnload = [](CUmodule m) {
    Device& d = device();
    {
      std::lock_guard<std::mutex> lock(d.mu);
      d.functions.erase(m);
    }
    unload_image(m);
    return CUDA_SUCCESS;
  };
  t.cuModuleGetFunction = [](CUfunction* f, CUmodule m, const char* name) {
    auto fn = std::make_unique<Function>();
    fn->entry = find_entry(m, name, &fn->params);
    fn->name = name;
    if (fn->entry == nullptr) {
      last_failure = std::string("no kernel named ") + name + " in the module";
      return CUDA_ERROR_NOT_FOUND;
    }
    *f = reinterpret_cast<CUfunction>(fn.get());
    Device& d = device();
    std::lock_guard<std::mutex> lock(d.mu);
    d.functions[m].push_back(std::move(fn));
    return CUDA_SUCCESS;
  };
  t.cuFuncSetAttribute = [](CUfunction f, CUfunction_attribute a, int v) {
    if (a != CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES || v > kSharedOptIn)
      return failure(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute beyond the device's limit");
    reinterpret_cast<Function*>(f)->max_shared = v;
    return CUDA_SUCCESS;
  };
  t.cuLaunchKernel = launch;
  t.cuEventCreate = [](CUevent* e, unsigned flags) {
    auto* ev = new Event;
    ev->timing = (flags & CU_EVENT_DISABLE_TIMING) == 0;
    *e = reinterpret_cast<CUevent>(ev);
    return CUDA_SUCCESS;
  };
  t.cuEventDestroy = [](CUevent e) {
    delete reinterpret_cast<Event*>(e);
    return CUDA_SUCCESS;
  };
  t.cuEventRecord = [](CUevent e, CUstream s) {
    // Work runs when submitted, so the event is reached now. During a capture the record is
    // not kept in the graph: the event may be destroyed before the graph is replayed.
    auto* ev = reinterpret_cast<Event*>(e);
    ev->at = Clock::now();
    ev->recorded = true;
    (void)s;
    return CUDA_SUCCESS;
  };
  t.cuEventSynchronize = [](CUevent) { return CUDA_SUCCESS; };
  t.cuEventQuery = [](CUevent) { return CUDA_SUCCESS; };
  t.cuEventElapsedTime = [](float* ms, CUevent a, CUevent b) {
    auto* x = reinterpret_cast<Event*>(a);
    auto* y = reinterpret_cast<Event*>(b);
    if (!x->recorded || !y->recorded || !x->timing || !y->timing)
      return failure(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime of an event without timing");
    *ms = std::chrono::duration<float, std::milli>(y->at - x->at).count();
    return CUDA_SUCCESS;
  };
  t.cuStreamWaitEvent = [](CUstream, CUevent, unsigned) { return CUDA_SUCCESS; };
  t.cuStreamBeginCapture = [](CUstream s, CUstreamCaptureMode) {
    Stream* st = stream_of(s);
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->capture != nullptr || s == nullptr)
      return failure(CUDA_ERROR_ILLEGAL_STATE, "cuStreamBeginCapture on this stream");
    st->capture = new std::vector<Work>;
    return CUDA_SUCCESS;
  };
  t.cuStreamEndCapture = [](CUstream s, CUgraph* g) {
    Stream* st = stream_of(s);
    std::lock_guard<std::mutex> lock(st->mu);
    if (st->capture == nullptr)
      return failure(CUDA_ERROR_ILLEGAL_STATE, "cuStreamEndCapture without a capture");
    auto* graph = new Graph;
    graph->work = std::move(*st->capture);
    delete st->capture;
    st->capture = nullptr;
    *g = reinterpret_cast<CUgraph>(graph);
    return CUDA_SUCCESS;
  };
  t.cuGraphInstantiate = [](CUgraphExec* e, CUgraph g, unsigned long long) {
    *e = reinterpret_cast<CUgraphExec>(new Graph(*reinterpret_cast<Graph*>(g)));
    return CUDA_SUCCESS;
  };
  t.cuGraphLaunch = [](CUgraphExec e, CUstream s) {
    auto* g = reinterpret_cast<Graph*>(e);
    for (const Work& w : g->work) {
      if (CUresult r = submit(s, w); r != CUDA_SUCCESS) return r;
    }
    return CUDA_SUCCESS;
  };
  t.cuGraphExecDestroy = [](CUgraphExec e) {
    delete reinterpret_cast<Graph*>(e);
    return CUDA_SUCCESS;
  };
  t.cuGraphDestroy = [](CUgraph g) {
    delete reinterpret_cast<Graph*>(g);
    return CUDA_SUCCESS;
  };
}

}  // namespace kiln::runtime::cuda::sim
