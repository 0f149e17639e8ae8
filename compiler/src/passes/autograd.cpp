// The autograd pass. Design:
// - Nodes are immutable and hash-consed, so differentiation builds new nodes and never edits
//   the forward graph. The cotangent of a node is the sum of the contributions of its users,
//   each from that user's vector-Jacobian rule (vjp.cpp, one rule per primitive).
// - Only nodes on a path from a `wrt` node to an output get a cotangent: a forward sweep over
//   the topological order marks the floating nodes that depend on `wrt` without passing
//   through a stop_gradient mark; the reverse sweep skips everything else.
// - The frontend decides what the `wrt` nodes are. A leaf tensor that requires grad is read
//   through leaf_mark(storage, id) (marks.h); its gradient is the sum of the cotangents of every
//   mark with its id (a realized leaf has a new storage node but the same id). Detached
//   tensors and results under NoGradGuard are read through stop_gradient.
// Both sweeps are loops over the order topo_order gives, so no recursion follows the graph's
// depth.
#include "kiln/compiler/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/marks.h"
#include "kiln/runtime/error.h"
#include "passes/vjp.h"

namespace kiln::ir {

namespace {
void accumulate(std::unordered_map<const Node*, NodeRef>& ct, const Node* n, NodeRef g) {
  auto [it, fresh] = ct.emplace(n, g);
  if (!fresh) it->second = binary(Op::Add, it->second, std::move(g));
}
}  // namespace

std::vector<NodeRef> grad(const std::vector<NodeRef>& outputs, const std::vector<NodeRef>& wrt,
                          const std::vector<NodeRef>& grad_outputs) {
  KILN_CHECK(outputs.size() == grad_outputs.size(), "grad: one grad_output per output");
  for (size_t i = 0; i < outputs.size(); ++i) {
    KILN_CHECK(grad_outputs[i]->shape() == outputs[i]->shape() &&
                   grad_outputs[i]->dtype() == outputs[i]->dtype(),
               "grad: grad_output shape or dtype differs from its output");
  }
  std::vector<const Node*> order = topo_order(outputs);
  std::unordered_map<const Node*, NodeRef> ref;
  for (const auto& o : outputs) ref.emplace(o.get(), o);
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) ref.emplace(in.get(), in);
  }
  std::unordered_set<const Node*> targets;
  for (const auto& w : wrt) targets.insert(w.get());

  std::unordered_set<const Node*> needs;
  for (const Node* n : order) {
    if (!is_floating(n->dtype())) continue;
    bool dep = targets.count(n) > 0;
    if (!is_stop_gradient(*n)) {
      for (const auto& in : n->inputs()) dep = dep || needs.count(in.get()) > 0;
    }
    if (dep) needs.insert(n);
  }

  std::unordered_map<const Node*, NodeRef> ct;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (needs.count(outputs[i].get())) accumulate(ct, outputs[i].get(), grad_outputs[i]);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node* n = *it;
    auto found = ct.find(n);
    if (found == ct.end()) continue;
    NodeRef g = found->second;
    if (!targets.count(n)) ct.erase(found);  // no longer needed: free it early
    const NodeRef& self = ref.at(n);
    for (size_t i = 0; i < n->inputs().size(); ++i) {
      const Node* in = n->input(i).get();
      if (!needs.count(in)) continue;
      if (NodeRef c = vjp(self, i, g)) accumulate(ct, in, std::move(c));
    }
  }

  std::vector<NodeRef> out;
  for (const auto& w : wrt) {
    auto it = ct.find(w.get());
    out.push_back(it != ct.end() ? it->second : constant(0.0, w->dtype(), w->shape(), w->device()));
  }
  return out;
}

}  // namespace kiln::ir
