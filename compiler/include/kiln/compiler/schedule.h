// Fusion: deciding which graph nodes are materialized in buffers, and so where kernels begin
// and end. Fuse by default; every break is recorded with its reason.
//   1. Elementwise chains and movement ops fuse into their consumer (views become index math).
//   2. Elementwise producers fuse into a reduction; its elementwise consumers fuse after it.
//   3. A node with several consumers is recomputed when cheap, materialized otherwise.
//   4. reduce -> broadcast -> reduce chains over the same rows become one row kernel.
//   5. Opaque ops (matmul, argsort, scatter, cumsum, set_strided) are kernels of their own, with
//      their inputs' views and elementwise prologues fused in. A fold (col2im) is computed by a
//      small loop where its consumer reads it, at its own output element; read elsewhere or by
//      several consumers, it is materialized.
//   6. Hard limits: a kernel that would read more than 256 buffers (CUDA passes them in a 4 KiB
//      parameter space) is cut at the fused node whose inputs are nearest half of its own.
//      Within the limits, kernels that do not depend on each other merge into one kernel of
//      several loop nests (horizontal fusion, passes/merge_kernels.cpp); elementwise nests of
//      one shape fuse into one loop. Kernels that call hand-written code (the CPU GEMM) stay
//      whole. Where an output is to be written into the buffer of a load (in place,
//      passes/in_place.h), the merged kernels that read that load come before the one that
//      writes the output.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "kiln/compiler/lower.h"
#include "kiln/compiler/node.h"

namespace kiln::ir {

/// Why a node was materialized.
struct FusionBreakRecord {
  const Node* node;
  std::string reason;
};

struct Schedule {
  std::vector<NodeRef> outputs;
  /// The kernels, in an order that runs producers first; each writes one or more
  /// materialized nodes (LoweredKernel::outputs).
  std::vector<lower::LoweredKernel> kernels;
  std::vector<FusionBreakRecord> breaks;
};

/// Outputs meant to overwrite the buffer of a load: output node -> load node.
using InPlaceRequests = std::unordered_map<const Node*, const Node*>;

/// Fuses the graph of `outputs` into kernels.
Schedule schedule(const std::vector<NodeRef>& outputs, const InPlaceRequests& in_place = {});

/// The graph nodes kernel `k` computes: its outputs and every node fused into them (all that
/// lies between them and the buffers it reads), outputs first, each once.
std::vector<const Node*> kernel_members(const lower::LoweredKernel& k);

/// A fusion group for people: "kernel NAME: N ops" then one line per member (op, dtype, shape),
/// as KILN_DEBUG=3 prints it.
std::string describe_group(const lower::LoweredKernel& k);

}  // namespace kiln::ir
