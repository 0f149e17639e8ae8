#include "kiln/compiler/graph.h"

#include <unordered_set>
#include <utility>

namespace kiln::ir {

std::vector<const Node*> topo_order(const std::vector<NodeRef>& outputs) {
  std::vector<const Node*> order;
  std::unordered_set<const Node*> seen;
  std::vector<std::pair<const Node*, size_t>> stack;  // node, next input to visit
  for (const auto& out : outputs) {
    if (!out || !seen.insert(out.get()).second) continue;
    stack.emplace_back(out.get(), 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->inputs().size()) {
        const Node* in = node->inputs()[next++].get();
        if (seen.insert(in).second) stack.emplace_back(in, 0);
      } else {
        order.push_back(node);
        stack.pop_back();
      }
    }
  }
  return order;
}

uint64_t graph_hash(const std::vector<NodeRef>& outputs) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& out : outputs) {
    h ^= out ? out->hash() : 0;
    h *= 0x100000001b3ull;
  }
  return h;
}

void verify(const std::vector<NodeRef>& outputs) {
  for (const Node* n : topo_order(outputs)) {
    check_node(n->op(), n->inputs(), n->dtype(), n->shape(), n->attrs(), n->device());
  }
}

}  // namespace kiln::ir
