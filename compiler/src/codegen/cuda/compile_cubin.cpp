// NVRTC compilation of rendered kernels through the on-disk kernel cache.
#include <vector>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/disk_cache.h"
#include "kiln/runtime/nvrtc.h"
#include "kiln/runtime/stats.h"

#ifndef KILN_VERSION
#error "KILN_VERSION is defined by compiler/CMakeLists.txt"
#endif

namespace kiln::codegen::cuda {

std::string compile_cubin(const CudaKernel& k, const std::string& name, int arch) {
  // The CPU simulator (KILN_CUDA_SIM=1) runs the source itself, built by the host compiler.
  if (runtime::cuda::simulated()) return runtime::cuda::simulator_image(k.source, name);
  // Everything the CUBIN depends on: the source, nvrtc::compile's fixed options, the target,
  // NVRTC's version and kiln's.
  std::string key = k.source + "\n;nvrtc " + std::to_string(runtime::nvrtc::version()) +
                    " -std=c++17 -default-device --ptxas-options=-v sm_" + std::to_string(arch) +
                    "\n;kiln " KILN_VERSION "\n";
  auto& cache = runtime::DiskCache::instance();
  if (auto hit = cache.get(key)) {
    ++runtime::counters().disk_cache_hits;
    return std::string(hit->begin(), hit->end());
  }
  runtime::nvrtc::Compiled c = runtime::nvrtc::compile(k.source, name, arch);
  cache.put(key, std::vector<char>(c.cubin.begin(), c.cubin.end()));
  return std::move(c.cubin);
}

}  // namespace kiln::codegen::cuda
