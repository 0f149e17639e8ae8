#include "kiln/compiler/compile.h"

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>

#include "cpu/gemm.h"
#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/runtime/cpu_jit.h"
#include "kiln/runtime/error.h"

namespace kiln::ir {

bool can_compile_cpu() {
#if KILN_WITH_LLVM
  return true;
#else
  return false;
#endif
}

void compile_program(Program& program) {
  if (!can_compile_cpu()) return;
  auto& jit = runtime::CpuJit::instance();
  // Kernels call hand-written code (kernels/: the GEMM) by name; define those names once.
  static std::once_flag kernel_symbols;
  std::call_once(kernel_symbols, [&] {
    for (const auto& s : kernels::extern_symbols()) jit.define_symbol(s.name, reinterpret_cast<void*>(s.fn));
  });
  std::vector<size_t> todo;
  for (size_t i = 0; i < program.kernels.size(); ++i) {
    program.entry_points[i] = jit.find(program.kernels[i].name);
    if (!program.entry_points[i]) todo.push_back(i);
  }
  // Kernels compile on their own threads (LLVM contexts are per kernel); loading into the JIT
  // is serialized inside CpuJit.
  size_t workers = std::min<size_t>(todo.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (size_t t = w; t < todo.size(); t += workers) {
          const kir::Kernel& k = program.kernels[todo[t]];
          program.entry_points[todo[t]] = jit.load(codegen::compile_object(k), k.name);
        }
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace kiln::ir
