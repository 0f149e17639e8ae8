#include "kiln/compiler/compile.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cpu/externs.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/compiler/debug.h"
#include "kiln/runtime/cpu_jit.h"
#include "kiln/runtime/disk_cache.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/stats.h"
#include "kiln/runtime/thread_pool.h"

#if !defined(KILN_VERSION) || !defined(KILN_CODEGEN_ID)
#error "KILN_VERSION and KILN_CODEGEN_ID are defined by compiler/CMakeLists.txt"
#endif

namespace kiln::ir {

namespace {

/// The on-disk cache key of a kernel's object: everything the object depends on, namely the
/// kernel IR (which includes its name), the host target with the LLVM version, kiln's version
/// and a hash of the code generator's sources.
std::string disk_cache_key(const kir::Kernel& k) {
  static const std::string suffix = "\n;target " + codegen::host_target_id() +
                                    "\n;kiln " KILN_VERSION " codegen " KILN_CODEGEN_ID "\n";
  return kir::print(k) + suffix;
}

/// The kernel's object from the disk cache (counted in `hits`), or compiled (and then stored
/// there). KILN_DEBUG=4 prints the generated LLVM IR, 5 also the IR before optimization, for a
/// cached object too.
std::vector<char> cached_object(const kir::Kernel& k, std::atomic<int64_t>& hits) {
  // Printed whether or not the object is cached (generated again for the print).
  if (debug_level() >= 5)
    debug_line("llvm ir of " + k.name + " before optimization:\n" + codegen::llvm_ir(k, false));
  if (debug_level() >= 4) debug_line("llvm ir of " + k.name + ":\n" + codegen::llvm_ir(k, true));
  auto& cache = runtime::DiskCache::instance();
  std::string key = disk_cache_key(k);
  if (auto hit = cache.get(key)) {
    ++runtime::counters().disk_cache_hits;
    ++hits;
    return std::move(*hit);
  }
  std::vector<char> object = codegen::compile_object(k);
  cache.put(key, object);
  return object;
}

}  // namespace

bool can_compile_cpu() {
#if KILN_WITH_LLVM
  return true;
#else
  return false;
#endif
}

void compile_program(Program& program) {
  codegen::cuda::nvrtc_check(program.kernels);  // $KILN_NVRTC_CHECK: the CUDA renderer's CI
  if (!can_compile_cpu()) return;
  auto& jit = runtime::CpuJit::instance();
  // Kernels call hand-written code (kernels/: the GEMM) by name; define those names once.
  static std::once_flag kernel_symbols;
  std::call_once(kernel_symbols, [&] {
    for (const auto& s : kernels::extern_symbols()) {
      jit.define_symbol(s.name, reinterpret_cast<void*>(s.fn));
    }
  });
  std::vector<size_t> todo;
  for (size_t i = 0; i < program.kernels.size(); ++i) {
    program.entry_points[i] = jit.find(program.kernels[i].name);
    if (!program.entry_points[i]) todo.push_back(i);
  }
  // Kernels compile (or come from the disk cache) on their own threads (LLVM contexts are per
  // kernel); loading into the JIT is serialized inside CpuJit.
  std::atomic<int64_t> hits{0};
  runtime::run_tasks(todo.size(), [&](size_t t) {
    const kir::Kernel& k = program.kernels[todo[t]];
    program.entry_points[todo[t]] = jit.load(cached_object(k, hits), k.name);
  });
  if (debug_level() >= 1) {
    debug_line(fmt::format("{} kernels: {} compiled, {} from the disk cache, {} already loaded",
                           program.kernels.size(), static_cast<int64_t>(todo.size()) - hits,
                           hits.load(), program.kernels.size() - todo.size()));
  }
}

}  // namespace kiln::ir
