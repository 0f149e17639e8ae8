// Walks over differentiable graphs that see through realized tensors (see leaves.h).
#include <mutex>
#include <optional>
#include <unordered_set>

#include "autograd/leaves.h"
#include "kiln/compiler/marks.h"
#include "kiln/runtime/error.h"

namespace kiln::detail {

namespace {
struct Remembered {
  std::weak_ptr<const ir::Node> load;
  ir::NodeRef expr;  ///< null: the graph read a buffer overwritten in place since
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

/// What is remembered for a load: nothing, its graph, or null (overwritten since).
std::optional<ir::NodeRef> remembered(const ir::Node& n) {
  if (n.op() != ir::Op::Load) return std::nullopt;
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  auto it = g.by_load.find(&n);
  if (it == g.by_load.end() || it->second.load.lock().get() != &n) return std::nullopt;
  return it->second.expr;
}

bool overwritten(const ir::Node& n) {
  auto r = remembered(n);
  return r && !*r;
}

/// The nodes autograd looks through below n: none past a stop_gradient or a non-floating
/// node, the remembered graph of a realized load (none when overwritten), the inputs otherwise.
std::vector<ir::NodeRef> below(const ir::NodeRef& n) {
  if (ir::is_stop_gradient(*n) || !is_floating(n->dtype())) return {};
  if (auto r = remembered(*n))
    return *r ? std::vector<ir::NodeRef>{*r} : std::vector<ir::NodeRef>{};
  return n->inputs();
}

/// True when a load below `n` (not looking through realized tensors) reads one of `buffers`.
bool reads_any(const ir::NodeRef& n, const std::unordered_set<const runtime::Buffer*>& buffers) {
  std::unordered_set<const ir::Node*> seen{n.get()};
  std::vector<const ir::Node*> stack{n.get()};
  while (!stack.empty()) {
    const ir::Node* x = stack.back();
    stack.pop_back();
    if (x->op() == ir::Op::Load && buffers.count(x->buffer().get())) return true;
    for (const auto& in : x->inputs()) {
      if (seen.insert(in.get()).second) stack.push_back(in.get());
    }
  }
  return false;
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

bool has_remembered_graph(const ir::Node& load) { return remembered(load).has_value(); }

std::vector<ir::NodeRef> remembered_graphs() {
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  std::vector<ir::NodeRef> out;
  for (const auto& [load, r] : g.by_load) {
    if (r.expr && !r.load.expired()) out.push_back(r.expr);
  }
  return out;
}

void forget_graphs_reading(const std::unordered_set<const runtime::Buffer*>& buffers) {
  if (buffers.empty()) return;
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  for (auto& [load, r] : g.by_load) {
    if (r.expr && reads_any(r.expr, buffers)) r.expr = nullptr;
  }
}

void forget_dead_graphs() {
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  std::erase_if(g.by_load, [](const auto& e) { return e.second.load.expired(); });
  g.purge_mark = g.by_load.size();
}

bool depends_on_leaf(const ir::NodeRef& n) {
  bool found = false;
  walk({n}, [&](const ir::NodeRef& m) {
    found = ir::leaf_mark_id(*m) != 0 || overwritten(*m);
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
    if (auto expr = remembered(*n)) {
      if (!*expr) {
        throw Error(
            "[backward] one of the variables needed for gradient computation has been modified "
            "by an inplace operation: a realized tensor's graph read a buffer that was written "
            "in place since (an optimizer's step updates its parameters in place); "
            "differentiate before the step");
      }
      seen.emplace_back(n, *expr);
      return Below{{*expr}, true};
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
