// The process-wide ORC JIT that loads the relocatable objects the LLVM backend emits. Each
// object gets its own JITDylib, so kernels never clash by name; kernel names are content hashes,
// so loading a name that is already loaded returns the address it already has. Generated code
// resolves kiln_parallel_for (the thread pool) and libc/libm from the process. LLVM headers stay
// inside cpu_jit.cpp; built without LLVM, load() throws CompileError.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace kiln::runtime {

class CpuJit {
 public:
  /// The process-wide JIT, created on first use.
  static CpuJit& instance();

  /// Links `object` (an ELF relocatable object for the host) and returns the address of
  /// `symbol`. A symbol loaded before returns its earlier address and `object` is not linked
  /// again. Thread-safe. Throws CompileError with LLVM's message when linking fails.
  void* load(const std::vector<char>& object, const std::string& symbol);
  /// The address of an already loaded symbol, or nullptr.
  void* find(const std::string& symbol);
  /// Makes `name` resolve to `address` in every object loaded afterwards (an absolute symbol,
  /// like kiln_parallel_for): how kernels reach hand-written code (kernels/) that the runtime
  /// does not link itself. Defining a name again with the same address does nothing; with
  /// another address it throws CompileError. Thread-safe. Does nothing without LLVM.
  void define_symbol(const std::string& name, void* address);
  /// Number of objects linked so far.
  int64_t objects_loaded() const;

  ~CpuJit();
  CpuJit(const CpuJit&) = delete;
  CpuJit& operator=(const CpuJit&) = delete;

 private:
  CpuJit();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::runtime
