// Reverse-mode differentiation as a graph-to-graph transform: the vector-Jacobian products of
// `outputs` with respect to the nodes `wrt`, as new lazy nodes of the same graph IR (so they
// fuse, compile and can be differentiated again like any other nodes).
#pragma once

#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// For each node of `wrt`, the sum over outputs i of grad_outputs[i]^T d outputs[i] / d wrt,
/// shaped like that node; zeros where no output depends on it. grad_outputs[i] has the shape
/// and dtype of outputs[i]. Gradients flow through floating nodes only and stop at
/// stop_gradient marks (marks.h). Walks the graph once in reverse topological order, without
/// recursion.
std::vector<NodeRef> grad(const std::vector<NodeRef>& outputs, const std::vector<NodeRef>& wrt,
                          const std::vector<NodeRef>& grad_outputs);

}  // namespace kiln::ir
