// Checks index tensors that are already realized before a compiled program reads them, so an
// out-of-range gather or scatter index is an IndexError at realization (as the reference
// interpreter and PyTorch report it) instead of a clamped read in a kernel.
#pragma once

#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// Throws IndexError for the first gather/scatter whose index reaches a realized buffer
/// (through views and casts) holding a value outside [-size, size) of the indexed dim.
void check_indices(const std::vector<const Node*>& order);

}  // namespace kiln::ir
