// The fusion pass: starts from "everything fused" and materializes nodes by rule, lowering
// each kernel to find the breaks that only lowering can see (a reduction read at another row).
#include <unordered_map>
#include <unordered_set>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/schedule.h"
#include "kiln/runtime/error.h"
#include "lower/builder.h"

namespace kiln::ir {

namespace {

/// Recomputing a node with several consumers is cheap when its fused subgraph is small.
constexpr int kMaxRecomputeNodes = 24;

/// Opaque ops that always run as kernels of their own (matmul instead fuses its epilogue).
bool is_kernel_op(Op op) {
  return op_kind(op) == OpKind::Opaque && op != Op::Gather && op != Op::MatMul;
}

int fused_size(const Node* n, const std::unordered_set<const Node*>& materialized, int limit) {
  std::vector<const Node*> stack{n};
  std::unordered_set<const Node*> seen{n};
  int count = 0;
  while (!stack.empty() && count <= limit) {
    const Node* x = stack.back();
    stack.pop_back();
    ++count;
    for (const auto& in : x->inputs()) {
      const Node* i = in.get();
      if (i->op() != Op::Load && !materialized.count(i) && seen.insert(i).second)
        stack.push_back(i);
    }
  }
  return count;
}

}  // namespace

Schedule schedule(const std::vector<NodeRef>& outputs) {
  Schedule s;
  s.outputs = outputs;
  std::vector<const Node*> order = topo_order(outputs);
  std::unordered_map<const Node*, int> consumers;
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) ++consumers[in.get()];
  }
  std::unordered_set<const Node*> materialized;
  auto materialize = [&](const Node* n, std::string reason) {
    if (n->op() != Op::Load && materialized.insert(n).second)
      s.breaks.push_back({n, std::move(reason)});
  };
  for (const auto& out : outputs) materialize(out.get(), "output");
  for (const Node* n : order) {
    if (is_kernel_op(n->op()))
      materialize(n, std::string(op_name(n->op())) + " runs as its own kernel");
  }
  for (const Node* n : order) {
    if (consumers[n] > 1 && n->op() == Op::MatMul) materialize(n, "matmul with several consumers");
    if (consumers[n] > 1 && !is_reduce(n->op()) && n->op() != Op::Load && !materialized.count(n) &&
        fused_size(n, materialized, kMaxRecomputeNodes) > kMaxRecomputeNodes) {
      materialize(n, "several consumers and too costly to recompute");
    }
  }
  // Lower every kernel; a break found while lowering materializes that node and starts over.
  // Each round materializes one more node, so this ends.
  for (;;) {
    s.kernels.clear();
    s.roots.clear();
    const Node* broken = nullptr;
    std::string reason;
    std::unordered_map<const Node*, int> reduce_users;
    for (const Node* n : order) {
      if (!materialized.count(n)) continue;
      try {
        s.kernels.push_back(lower::lower_kernel(n, materialized));
        s.roots.push_back(n);
      } catch (const lower::FusionBreak& b) {
        broken = b.node;
        reason = b.reason;
        break;
      }
      for (const Node* r : s.kernels.back().fused_reduces) {
        if (r != n && ++reduce_users[r] > 1) {
          broken = r;
          reason = "reduction used by several kernels";
        }
      }
      if (broken) break;
    }
    if (!broken) break;
    KILN_CHECK(!materialized.count(broken),
               std::string("fusion break on a node already materialized: ") +
                   op_name(broken->op()) + shape_str(broken->shape()) + ": " + reason);
    materialize(broken, reason);
  }
  return s;
}

}  // namespace kiln::ir
