#include "kiln/runtime/cuda_probe.h"

#include <dlfcn.h>

#include <mutex>

namespace kiln::runtime {

int cuda_device_count() {
  static int count = -1;
  static std::once_flag once;
  std::call_once(once, [] {
    count = 0;
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return;
    using InitFn = int (*)(unsigned int);
    using CountFn = int (*)(int*);
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
    auto get_count = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
    int n = 0;
    if (init != nullptr && get_count != nullptr && init(0) == 0 && get_count(&n) == 0) count = n;
  });
  return count;
}

}  // namespace kiln::runtime
