// Lowering: one materialized graph node (with the fused nodes that feed it) becomes one kernel.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/node.h"

namespace kiln::lower {

/// A kernel and the graph nodes its parameters are bound to: params [0, inputs.size()) read
/// the buffers of `inputs`; the params after them are the buffers of `outputs`, in order (one
/// root for a kernel lower_kernel made; several once independent kernels are merged).
struct LoweredKernel {
  kir::Kernel kernel;
  std::vector<const ir::Node*> inputs;
  std::vector<const ir::Node*> outputs;
  /// Reductions computed inside this kernel (not read from buffers).
  std::vector<const ir::Node*> fused_reduces;
};

/// Lowers `root` with every node in `materialized` (and every load) read from a buffer. Throws
/// FusionBreak (lower/builder.h) when a fused node cannot stay fused.
LoweredKernel lower_kernel(const ir::Node* root,
                           const std::unordered_set<const ir::Node*>& materialized);

/// A kernel's deterministic name: a content hash of its printed form.
std::string kernel_name(const kir::Kernel& k);

}  // namespace kiln::lower
