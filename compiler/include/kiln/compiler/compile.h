// Code generation for a planned program: every kernel compiled to machine code for the host CPU
// (LLVM) and loaded into the JIT, kernels of one program in parallel.
#pragma once

#include "kiln/compiler/program.h"

namespace kiln::ir {

/// True when this build can compile kernels for the CPU (KILN_WITH_LLVM).
bool can_compile_cpu();
/// Fills program.entry_points. Throws CompileError when a kernel fails to compile.
void compile_program(Program& program);

}  // namespace kiln::ir
