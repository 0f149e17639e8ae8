// Simplification: constant folding, algebraic identities and dead-code removal. Rebuilding the
// graph from its outputs drops every node they do not reach; the rules below rewrite the rest.
#pragma once

#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// The simplified graph of `outputs` (same shapes and dtypes, one node per output).
std::vector<NodeRef> simplify(const std::vector<NodeRef>& outputs);

}  // namespace kiln::ir
