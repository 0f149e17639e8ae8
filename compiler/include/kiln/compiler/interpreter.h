// The reference interpreter: runs any graph naively on the CPU, one node at a time, holding
// floating values in double and integers in int64. Each node's result is rounded to its dtype;
// accumulations within a node (reductions, matmul, cumsum) run in double. It is the oracle every
// compiled path is tested against, never the fast path.
#pragma once

#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/runtime/buffer.h"

namespace kiln::ir {

/// Evaluates `outputs` and returns one new host buffer per output, in the output's dtype.
/// Throws IndexError for an out-of-range gather/scatter index and Error for a load without data.
std::vector<runtime::BufferPtr> interpret(const std::vector<NodeRef>& outputs);

}  // namespace kiln::ir
