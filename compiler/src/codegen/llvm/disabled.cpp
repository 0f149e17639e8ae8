// The LLVM backend's entry points in a build without LLVM (KILN_WITH_LLVM=OFF).
#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen {

std::vector<char> compile_object(const kir::Kernel& k) {
  throw CompileError("[llvm] " + k.name + ": built without LLVM");
}

std::string llvm_ir(const kir::Kernel& k, bool) {
  throw CompileError("[llvm] " + k.name + ": built without LLVM");
}

int64_t bytes_moved(const kir::Kernel& k) { return k.bytes_moved; }

std::string host_target_id() { return "none;built without LLVM"; }

}  // namespace kiln::codegen
