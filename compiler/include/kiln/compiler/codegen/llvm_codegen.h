// The LLVM backend: renders one kir::Kernel as LLVM IR (IRBuilder), optimizes it at O3 for the
// host CPU and emits an ELF relocatable object that runtime::CpuJit loads. The kernel becomes
// an external function `void <name>(void** args)` where args[i] is parameter i's data pointer.
// Parallel loops are outlined and run through kiln_parallel_for; innermost loops vectorize
// (transcendentals are inlined polynomial code, never scalar libm calls). Float math carries
// the `reassoc contract` fast-math flags only, so NaN and infinity behave as IEEE says while
// reductions may be reordered (vectorized with several accumulators) and FMAs contracted.
// LLVM headers stay in compiler/src/codegen/llvm/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen {

/// The kernel as an optimized host object file (ELF relocatable). Throws CompileError when LLVM
/// rejects it (or when kiln is built without LLVM).
std::vector<char> compile_object(const kir::Kernel& k);

/// The kernel's LLVM IR as text, before (`optimized` false) or after the O3 pipeline.
std::string llvm_ir(const kir::Kernel& k, bool optimized);

/// The bytes the kernel moves as this backend runs it: kir::Kernel::bytes_moved (which counts
/// a GEMM epilogue's pass over the product: read back, written again) less that pass where the
/// epilogue runs inside the GEMM, on each tile in L1.
int64_t bytes_moved(const kir::Kernel& k);

/// Identifies the code compile_object makes on this machine: target triple, CPU, CPU features
/// and LLVM version. Part of the on-disk cache key.
std::string host_target_id();

}  // namespace kiln::codegen
