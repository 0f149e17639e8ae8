// Whole-graph queries over the nodes reachable from a set of outputs. Every traversal is
// iterative, so a graph as deep as memory allows never overflows the stack.
#pragma once

#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// Every node reachable from `outputs`, inputs before users, each once. Deterministic: the
/// order depends only on the graph's structure and the order of outputs and inputs.
std::vector<const Node*> topo_order(const std::vector<NodeRef>& outputs);

/// Structural hash of the whole graph rooted at `outputs` (order-sensitive).
uint64_t graph_hash(const std::vector<NodeRef>& outputs);

/// Re-checks every node's invariants (check_node); throws InternalError on the first broken one.
void verify(const std::vector<NodeRef>& outputs);

}  // namespace kiln::ir
