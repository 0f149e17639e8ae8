// Horizontal fusion: independent kernels become one kernel with several loop nests (and several
// outputs), so that, for example, an optimizer's updates of every parameter are one launch.
#pragma once

#include <vector>

#include "kiln/compiler/lower.h"

namespace kiln::ir {

/// Merges kernels that do not depend on each other. `kernels` run producers first (each reads
/// only graph loads and outputs of earlier kernels); so does the result. Kernels that call
/// hand-written code (a GEMM) stay whole.
std::vector<lower::LoweredKernel> merge_kernels(std::vector<lower::LoweredKernel> kernels);

}  // namespace kiln::ir
