// The host target: a TargetMachine for this CPU and its features, the O3 pipeline of the new
// pass manager, object emission, and the public entry points of the LLVM backend.
#include <mutex>

#include <llvm/ADT/StringMap.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/Transforms/IPO/AlwaysInliner.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>

#include "codegen/llvm/llvm_backend.h"
#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen {

namespace llvm_backend {

namespace {
struct HostInfo {
  std::string triple, cpu, features;
};

/// Sets LLVM's command-line option `name` (as `-name=value` would) if this LLVM has it.
void set_llvm_option(const char* name, const char* value) {
  auto& options = llvm::cl::getRegisteredOptions();
  auto it = options.find(name);
  if (it != options.end()) it->second->addOccurrence(0, it->first(), value);
}

const HostInfo& host_info() {
  static const HostInfo info = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    // Strided pairs (x[2i] and x[2i + 1]: a 2x2 pooling window's columns) in a vector loop
    // whose tail is folded into masks (a row of 13) as interleaved vector accesses: wide loads
    // and shuffles instead of gathers and scatters. Off by default on x86; the CNN's pooling
    // backward kernels ran 3.5x faster with it (7.9 -> 2.2 ms and 5.4 -> 1.8 ms, one core),
    // cnn_train 35.0 -> 28.8 ms a step, nothing else changed (kiln-bench, two rounds). LLVM's
    // options are global: this holds for every user of libLLVM in the process.
    set_llvm_option("enable-masked-interleaved-mem-accesses", "true");
    HostInfo h;
    h.triple = llvm::sys::getProcessTriple();
    h.cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
    std::vector<std::string> on;
    for (const auto& f : features) on.push_back((f.getValue() ? "+" : "-") + f.getKey().str());
    std::sort(on.begin(), on.end());
    for (const auto& f : on) h.features += (h.features.empty() ? "" : ",") + f;
    return h;
  }();
  return info;
}
}  // namespace

std::unique_ptr<llvm::TargetMachine> host_target_machine() {
  const HostInfo& h = host_info();
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(h.triple, err);
  if (!target) throw CompileError("[llvm] no target for " + h.triple + ": " + err);
  llvm::TargetOptions opts;
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(h.triple, h.cpu, h.features, opts, llvm::Reloc::PIC_,
                                  std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm) throw CompileError("[llvm] cannot create a target machine for " + h.cpu);
  return tm;
}

void optimize(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions pto;
  pto.LoopVectorization = true;
  pto.SLPVectorization = true;
  pto.LoopInterleaving = true;
  llvm::PassBuilder pb(&tm, pto);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(m, mam);
  if (release_vector_variants(m)) {  // the vectorizer has placed its calls: inline them now
    llvm::ModulePassManager late;
    late.addPass(llvm::AlwaysInlinerPass());
    late.addPass(llvm::GlobalDCEPass());
    // Folds what became constant once inlined (a math call on a constant, now straight code).
    late.addPass(llvm::createModuleToFunctionPassAdaptor(llvm::InstCombinePass()));
    late.run(m, mam);
  }
}

}  // namespace llvm_backend

namespace {
std::string module_text(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return s;
}

void check_module(const llvm::Module& m) {
  std::string err;
  llvm::raw_string_ostream os(err);
  if (llvm::verifyModule(m, &os)) {
    throw CompileError("[llvm] " + m.getName().str() + ": invalid IR: " + err + "\n" +
                       module_text(m));
  }
}
}  // namespace

std::vector<char> compile_object(const kir::Kernel& k) {
  auto tm = llvm_backend::host_target_machine();
  llvm::LLVMContext ctx;
  auto m = llvm_backend::emit_module(k, ctx, *tm);
  check_module(*m);
  llvm_backend::optimize(*m, *tm);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    throw CompileError("[llvm] " + k.name + ": the target cannot emit object files");
  }
  pm.run(*m);
  return std::vector<char>(buffer.begin(), buffer.end());
}

std::string llvm_ir(const kir::Kernel& k, bool optimized) {
  auto tm = llvm_backend::host_target_machine();
  llvm::LLVMContext ctx;
  auto m = llvm_backend::emit_module(k, ctx, *tm);
  check_module(*m);
  if (optimized) llvm_backend::optimize(*m, *tm);
  return module_text(*m);
}

std::string host_target_id() {
  const auto& h = llvm_backend::host_info();
  return h.triple + ";" + h.cpu + ";" + h.features + ";llvm-" LLVM_VERSION_STRING;
}

}  // namespace kiln::codegen
