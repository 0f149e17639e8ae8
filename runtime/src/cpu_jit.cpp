#include "kiln/runtime/cpu_jit.h"

#include <mutex>
#include <unordered_map>

#include "kiln/runtime/error.h"
#include "kiln/runtime/thread_pool.h"

#if KILN_WITH_LLVM
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/TargetSelect.h>
#endif

namespace kiln::runtime {

#if KILN_WITH_LLVM

namespace {
std::string message(llvm::Error err) { return llvm::toString(std::move(err)); }
}  // namespace

struct CpuJit::Impl {
  std::mutex mu;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unordered_map<std::string, void*> loaded;
  std::unordered_map<std::string, void*> defined;  // define_symbol's names
  int64_t objects = 0;
};

CpuJit::CpuJit() : impl_(std::make_unique<Impl>()) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) throw CompileError("[cpu_jit] cannot create the LLVM JIT: " + message(jit.takeError()));
  impl_->jit = std::move(*jit);
  auto& es = impl_->jit->getExecutionSession();
  auto& main = impl_->jit->getMainJITDylib();
  llvm::orc::SymbolMap runtime_symbols;
  runtime_symbols[es.intern("kiln_parallel_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&kiln_parallel_for), llvm::JITSymbolFlags::Exported};
  if (auto err = main.define(llvm::orc::absoluteSymbols(std::move(runtime_symbols)))) {
    throw CompileError("[cpu_jit] cannot define kiln_parallel_for: " + message(std::move(err)));
  }
}

CpuJit::~CpuJit() = default;

void* CpuJit::load(const std::vector<char>& object, const std::string& symbol) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (auto it = impl_->loaded.find(symbol); it != impl_->loaded.end()) return it->second;
  auto& jit = *impl_->jit;
  std::string dylib_name = "kiln_object_" + std::to_string(impl_->objects);
  auto jd = jit.createJITDylib(dylib_name);
  if (!jd) throw CompileError("[cpu_jit] " + symbol + ": " + message(jd.takeError()));
  jd->addToLinkOrder(jit.getMainJITDylib());
  auto buffer =
      llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(object.data(), object.size()), symbol);
  if (auto err = jit.addObjectFile(*jd, std::move(buffer))) {
    throw CompileError("[cpu_jit] " + symbol +
                       ": cannot add the object: " + message(std::move(err)));
  }
  ++impl_->objects;
  auto addr = jit.lookup(*jd, symbol);
  if (!addr) throw CompileError("[cpu_jit] " + symbol + ": " + message(addr.takeError()));
  void* p = addr->toPtr<void*>();
  impl_->loaded.emplace(symbol, p);
  return p;
}

void* CpuJit::find(const std::string& symbol) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  auto it = impl_->loaded.find(symbol);
  return it == impl_->loaded.end() ? nullptr : it->second;
}

int64_t CpuJit::objects_loaded() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->objects;
}

void CpuJit::define_symbol(const std::string& name, void* address) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (auto it = impl_->defined.find(name); it != impl_->defined.end()) {
    if (it->second != address) throw CompileError("[cpu_jit] symbol " + name + " defined twice");
    return;
  }
  auto& es = impl_->jit->getExecutionSession();
  llvm::orc::SymbolMap symbols;
  symbols[es.intern(name)] = {llvm::orc::ExecutorAddr::fromPtr(address),
                              llvm::JITSymbolFlags::Exported};
  if (auto err =
          impl_->jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    throw CompileError("[cpu_jit] cannot define " + name + ": " + message(std::move(err)));
  }
  impl_->defined.emplace(name, address);
}

#else  // !KILN_WITH_LLVM

struct CpuJit::Impl {};

CpuJit::CpuJit() = default;
CpuJit::~CpuJit() = default;

void* CpuJit::load(const std::vector<char>&, const std::string&) {
  throw CompileError("[cpu_jit] built without LLVM");
}
void* CpuJit::find(const std::string&) { return nullptr; }
int64_t CpuJit::objects_loaded() const { return 0; }
void CpuJit::define_symbol(const std::string&, void*) {}

#endif

CpuJit& CpuJit::instance() {
  static CpuJit jit;
  return jit;
}

}  // namespace kiln::runtime
