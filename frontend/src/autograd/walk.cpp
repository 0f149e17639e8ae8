// Walks over differentiable graphs that see through realized tensors (see leaves.h).
#include <mutex>
#include <unordered_set>

#include "autograd/leaves.h"
#include "kiln/compiler/marks.h"

namespace kiln::detail {

namespace {
struct Remembered {
  std::weak_ptr<const ir::Node> load;
  ir::NodeRef expr;
};
struct Graphs {
  std::mutex mu;
  std::unordered_map<const ir::Node*, Remembered> by_load;
  size_t purge_mark = 0;
};
Graphs& graphs() {
  static auto* g = new Graphs();  // never destroyed: tensors may die after main()
  return *g;
}

/// The graph remembered for a load; null for every other node.
ir::NodeRef remembered(const ir::Node& n) {
  if (n.op() != ir::Op::Load) return nullptr;
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.by_load.find(&n);
  if (it == g.by_load.end() || it->second.load.lock().get() != &n) return nullptr;
  return it->second.expr;
}

/// The nodes autograd looks through below n: none past a stop_gradient or a non-floating
/// node, the remembered graph of a realized load, the inputs otherwise.
std::vector<ir::NodeRef> below(const ir::NodeRef& n) {
  if (ir::is_stop_gradient(*n) || !is_floating(n->dtype())) return {};
  if (ir::NodeRef expr = remembered(*n)) return {expr};
  return n->inputs();
}

/// Visits the nodes reachable from `roots` through below(); `visit` returns true to stop.
template <typename Visit>
void walk(const std::vector<ir::NodeRef>& roots, Visit visit) {
  std::unordered_set<const ir::Node*> seen;
  std::vector<ir::NodeRef> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    ir::NodeRef n = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(n.get()).second) continue;
    if (visit(n)) return;
    for (auto& m : below(n)) stack.push_back(std::move(m));
  }
}

/// What a rebuild finds below a node: the nodes to rebuild first and whether the node is
/// replaced by the (single) first of them instead of being remade over them.
struct Below {
  std::vector<ir::NodeRef> nodes;
  bool replaced;
};

/// Rebuilds the graph of `outputs` bottom-up, without recursion: each node is replaced (see
/// Below) or remade when a node below it changed. Returns old node -> new node.
template <typename BelowOf>
NodeMap rebuild(const std::vector<ir::NodeRef>& outputs, BelowOf below_of) {
  NodeMap done;
  std::vector<std::pair<ir::NodeRef, bool>> stack;  // node, everything below done
  for (const auto& o : outputs) stack.emplace_back(o, false);
  while (!stack.empty()) {
    auto [n, ready] = stack.back();
    stack.pop_back();
    if (done.count(n.get())) continue;
    Below b = below_of(n);
    if (!ready) {
      stack.emplace_back(n, true);
      for (const auto& k : b.nodes) {
        if (!done.count(k.get())) stack.emplace_back(k, false);
      }
      continue;
    }
    if (b.replaced) {
      done.emplace(n.get(), done.at(b.nodes[0].get()));
      continue;
    }
    bool changed = false;
    std::vector<ir::NodeRef> inputs;
    for (const auto& k : b.nodes) {
      inputs.push_back(done.at(k.get()));
      changed = changed || inputs.back() != k;
    }
    done.emplace(n.get(), changed ? ir::make(n->op(), std::move(inputs), n->dtype(), n->shape(),
                                             n->attrs(), n->device(), n->buffer())
                                  : n);
  }
  return done;
}
}  // namespace

void remember_graph(const ir::NodeRef& load, const ir::NodeRef& expr) {
  if (!depends_on_leaf(expr)) return;
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.by_load.size() > 2 * g.purge_mark + 64) {
    std::erase_if(g.by_load, [](const auto& e) { return e.second.load.expired(); });
    g.purge_mark = g.by_load.size();
  }
  g.by_load[load.get()] = {load, expr};
}

bool has_remembered_graph(const ir::Node& load) { return remembered(load) != nullptr; }

void forget_dead_graphs() {
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  std::erase_if(g.by_load, [](const auto& e) { return e.second.load.expired(); });
  g.purge_mark = g.by_load.size();
}

bool depends_on_leaf(const ir::NodeRef& n) {
  bool found = false;
  walk({n}, [&](const ir::NodeRef& m) {
    found = ir::leaf_mark_id(*m) != 0;
    return found;
  });
  return found;
}

std::unordered_map<uint64_t, std::vector<ir::NodeRef>> leaf_marks(
    const std::vector<ir::NodeRef>& outputs) {
  std::unordered_map<uint64_t, std::vector<ir::NodeRef>> marks;
  walk(outputs, [&](const ir::NodeRef& m) {
    if (uint64_t id = ir::leaf_mark_id(*m)) marks[id].push_back(m);
    return false;
  });
  return marks;
}

std::vector<ir::NodeRef> expand_realized(const std::vector<ir::NodeRef>& outputs,
                                         NodeMap* expanded_loads) {
  std::vector<std::pair<ir::NodeRef, ir::NodeRef>> seen;  // load, its graph
  NodeMap done = rebuild(outputs, [&](const ir::NodeRef& n) {
    if (ir::is_stop_gradient(*n) || !is_floating(n->dtype())) return Below{{}, false};
    if (ir::NodeRef expr = remembered(*n)) {
      seen.emplace_back(n, expr);
      return Below{{expr}, true};
    }
    return Below{n->inputs(), false};
  });
  if (expanded_loads) {
    for (const auto& [load, expr] : seen) (*expanded_loads)[done.at(expr.get()).get()] = load;
  }
  std::vector<ir::NodeRef> out;
  for (const auto& o : outputs) out.push_back(done.at(o.get()));
  return out;
}

std::vector<ir::NodeRef> replace_nodes(const std::vector<ir::NodeRef>& outputs,
                                       const NodeMap& replace) {
  if (replace.empty()) return outputs;
  NodeMap done = rebuild(outputs, [&](const ir::NodeRef& n) {
    auto it = replace.find(n.get());
    if (it != replace.end()) return Below{{it->second}, true};
    return Below{n->inputs(), false};
  });
  std::vector<ir::NodeRef> out;
  for (const auto& o : outputs) out.push_back(done.at(o.get()));
  return out;
}

}  // namespace kiln::detail
