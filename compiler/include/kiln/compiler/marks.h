// Autograd marks: nodes that are the identity in value but mean something to autograd.
//   stop_gradient(x): x's value, a constant to differentiation (detach, results under
//     NoGradGuard, gradients computed without create_graph).
//   leaf_mark(x, id): x's value, tagged as the autograd leaf `id`. The frontend reads a tensor
//     that requires grad through its mark, so two leaves with equal values (hash-consing makes
//     two zeros({3}) one node) stay apart, and a leaf keeps its identity when its storage is
//     realized or written in place under NoGradGuard (the id is the identity, not the node).
// Both are casts to the input's own dtype (which cast() never builds) carrying a tag, so the
// interpreter, fusion and lowering need nothing new; realization strips them first
// (strip_marks), so unique leaf ids never reach a program's signature.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// x as a constant to autograd. Leaves (loads, constants, iota, random) and nodes already
/// stopped come back unchanged: nothing below them can carry a gradient.
NodeRef stop_gradient(NodeRef x);
/// x tagged as autograd leaf `id` (id > 0).
NodeRef leaf_mark(NodeRef x, uint64_t id);

bool is_stop_gradient(const Node& n);
/// The id of a leaf mark; 0 for every other node.
uint64_t leaf_mark_id(const Node& n);
bool is_mark(const Node& n);

/// The graph of `outputs` with every mark replaced by its input (the outputs themselves when
/// the graph has no mark).
std::vector<NodeRef> strip_marks(const std::vector<NodeRef>& outputs);

}  // namespace kiln::ir
