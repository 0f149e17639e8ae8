// A direct evaluator of kernel IR on the host: slow and simple. It runs kernels where no JIT
// is built (KILN_WITH_LLVM=OFF) and lets tests check lowering independently of codegen.
#pragma once

#include <vector>

#include "kiln/compiler/kir/kir.h"

namespace kiln::kir {

/// Runs `k` with args[i] pointing at parameter i's data.
void evaluate(const Kernel& k, const std::vector<void*>& args);

}  // namespace kiln::kir
