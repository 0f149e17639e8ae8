// Lowering: one materialized graph node (with the fused nodes that feed it) becomes one kernel.
#pragma once

#include <unordered_set>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/node.h"

namespace kiln::lower {

/// A kernel and the graph nodes its parameters are bound to: params [0, inputs.size()) read
/// the buffers of `inputs`; the last param is the root's output buffer.
struct LoweredKernel {
  kir::Kernel kernel;
  std::vector<const ir::Node*> inputs;
  /// Reductions computed inside this kernel (not read from buffers).
  std::vector<const ir::Node*> fused_reduces;
};

/// Lowers `root` with every node in `materialized` (and every load) read from a buffer. Throws
/// FusionBreak (lower/builder.h) when a fused node cannot stay fused.
LoweredKernel lower_kernel(const ir::Node* root,
                           const std::unordered_set<const ir::Node*>& materialized);

}  // namespace kiln::lower
