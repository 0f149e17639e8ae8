#include "kiln/compiler/marks.h"

#include <unordered_map>

#include "kiln/compiler/graph.h"
#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {
constexpr int64_t kStopGradientTag = 1;
constexpr int64_t kLeafTag = 2;

NodeRef identity_cast(NodeRef x, int64_t tag, uint64_t id) {
  Attrs a;
  a.ints = {tag};
  a.seed = id;
  DType dt = x->dtype();
  Shape s = x->shape();
  Device dev = x->device();
  return make(Op::Cast, {std::move(x)}, dt, std::move(s), std::move(a), dev);
}

int64_t tag_of(const Node& n) {
  if (n.op() != Op::Cast || n.input(0)->dtype() != n.dtype() || n.attrs().ints.size() != 1)
    return 0;
  return n.attrs().ints[0];
}
}  // namespace

NodeRef stop_gradient(NodeRef x) {
  if (is_leaf(x->op()) || is_stop_gradient(*x)) return x;
  return identity_cast(std::move(x), kStopGradientTag, 0);
}

NodeRef leaf_mark(NodeRef x, uint64_t id) {
  KILN_CHECK(id > 0, "leaf_mark: ids start at 1");
  return identity_cast(std::move(x), kLeafTag, id);
}

bool is_stop_gradient(const Node& n) { return tag_of(n) == kStopGradientTag; }
uint64_t leaf_mark_id(const Node& n) { return tag_of(n) == kLeafTag ? n.attrs().seed : 0; }
bool is_mark(const Node& n) { return tag_of(n) != 0; }

std::vector<NodeRef> strip_marks(const std::vector<NodeRef>& outputs) {
  std::vector<const Node*> order = topo_order(outputs);
  bool any = false;
  for (const Node* n : order) any = any || is_mark(*n);
  if (!any) return outputs;
  std::unordered_map<const Node*, NodeRef> rebuilt;
  for (const Node* n : order) {
    if (n->inputs().empty()) continue;  // leaves are never rebuilt; looked up below
    if (is_mark(*n)) {
      auto it = rebuilt.find(n->input(0).get());
      rebuilt.emplace(n, it != rebuilt.end() ? it->second : n->input(0));
      continue;
    }
    std::vector<NodeRef> inputs;
    bool changed = false;
    for (const auto& in : n->inputs()) {
      auto it = rebuilt.find(in.get());
      changed = changed || (it != rebuilt.end() && it->second != in);
      inputs.push_back(it != rebuilt.end() ? it->second : in);
    }
    if (changed) {
      rebuilt.emplace(n, make(n->op(), std::move(inputs), n->dtype(), n->shape(), n->attrs(),
                              n->device(), n->buffer()));
    }
  }
  std::vector<NodeRef> out;
  for (const auto& o : outputs) {
    auto it = rebuilt.find(o.get());
    out.push_back(it != rebuilt.end() ? it->second : o);
  }
  return out;
}

}  // namespace kiln::ir
