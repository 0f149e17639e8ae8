// Horizontal fusion: independent kernels become one kernel with several loop nests (and several
// outputs), so that, for example, an optimizer's updates of every parameter are one launch.
#pragma once

#include <vector>

#include "kiln/compiler/lower.h"
#include "kiln/compiler/schedule.h"

namespace kiln::ir {

/// Merges kernels that do not depend on each other. `kernels` run producers first (each reads
/// only graph loads and outputs of earlier kernels); so does the result. Kernels that call
/// hand-written code (a GEMM) stay whole. Among the kernels of one level, those that read a
/// load of `in_place` come before the kernel writing its output, in launch order and in the
/// merged loops (unless reads and writes form a cycle).
std::vector<lower::LoweredKernel> merge_kernels(std::vector<lower::LoweredKernel> kernels,
                                                const InPlaceRequests& in_place = {});

}  // namespace kiln::ir
