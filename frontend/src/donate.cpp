#include "donate.h"

#include <unordered_map>
#include <unordered_set>

#include "autograd/leaves.h"

namespace kiln::detail {

namespace {

/// A node of the realized graphs: one reference to it (for use_count) and how many references
/// the graphs and the caller account for.
struct Held {
  const ir::NodeRef* ref = nullptr;
  long counted = 0;
};

/// The nodes reachable from the roots, each with its references from inside (graph edges and
/// the roots as given, one per appearance).
std::unordered_map<const ir::Node*, Held> held_from(const std::vector<const ir::NodeRef*>& roots) {
  std::unordered_map<const ir::Node*, Held> held;
  std::vector<const ir::Node*> stack;
  auto count = [&](const ir::NodeRef& r) {
    auto [it, fresh] = held.try_emplace(r.get());
    it->second.ref = &r;
    ++it->second.counted;
    if (fresh) stack.push_back(r.get());
  };
  for (const ir::NodeRef* r : roots) count(*r);
  while (!stack.empty()) {
    const ir::Node* n = stack.back();
    stack.pop_back();
    for (const auto& in : n->inputs()) count(in);
  }
  return held;
}

/// Buffers whose old contents something outside the realized graphs may still read: loaded
/// below a node referenced from outside.
std::unordered_set<const runtime::Buffer*> read_outside(
    const std::unordered_map<const ir::Node*, Held>& held) {
  std::unordered_set<const runtime::Buffer*> out;
  std::unordered_set<const ir::Node*> seen;
  std::vector<const ir::Node*> stack;
  for (const auto& [node, h] : held) {
    if (h.ref->use_count() > h.counted && seen.insert(node).second) stack.push_back(node);
  }
  while (!stack.empty()) {
    const ir::Node* n = stack.back();
    stack.pop_back();
    if (n->op() == ir::Op::Load) out.insert(n->buffer().get());
    for (const auto& in : n->inputs()) {
      if (seen.insert(in.get()).second) stack.push_back(in.get());
    }
  }
  return out;
}

}  // namespace

Donation donated_inputs(const std::vector<std::shared_ptr<Storage>>& pending,
                        const std::vector<ir::NodeRef>& marked,
                        const std::vector<ir::NodeRef>& nodes,
                        const std::vector<const ir::Node*>& loads) {
  Donation out{std::vector<int64_t>(pending.size(), -1), std::vector<bool>(pending.size(), false)};
  // Requests: a home whose buffer the program reads through one load (none: no input to write
  // into), the storage's own, with no autograd graph remembered for either value.
  std::unordered_map<const runtime::Buffer*, int64_t> input_of;  // -1: read by several loads
  for (size_t j = 0; j < loads.size(); ++j) {
    auto [it, fresh] = input_of.emplace(loads[j]->buffer().get(), static_cast<int64_t>(j));
    if (!fresh) it->second = -1;
  }
  std::vector<const ir::NodeRef*> roots;
  std::unordered_set<int64_t> taken;
  for (size_t i = 0; i < pending.size(); ++i) {
    roots.push_back(&pending[i]->node);
    roots.push_back(&marked[i]);
    roots.push_back(&nodes[i]);
    const ir::NodeRef& home = pending[i]->home;
    if (!home) continue;
    roots.push_back(&home);
    auto it = input_of.find(home->buffer().get());
    if (it == input_of.end() || it->second < 0 || !taken.insert(it->second).second ||
        has_remembered_graph(*home) ||
        has_remembered_graph(*loads[static_cast<size_t>(it->second)]) ||
        (marked[i] != nodes[i] && depends_on_leaf(marked[i])))
      continue;
    out.request[i] = it->second;
  }
  if (taken.empty()) return out;
  forget_dead_graphs();
  std::unordered_map<const ir::Node*, Held> held = held_from(roots);
  std::unordered_set<const runtime::Buffer*> unsafe = read_outside(held);
  // Every holder of a buffer must be a load among the graphs (no other load, no replay).
  std::unordered_map<const runtime::Buffer*, long> loads_of;
  for (const auto& [node, h] : held) {
    if (node->op() == ir::Op::Load) ++loads_of[node->buffer().get()];
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    if (out.request[i] < 0) continue;
    const runtime::BufferPtr& b = pending[i]->home->buffer();
    out.safe[i] = !unsafe.count(b.get()) && b.use_count() <= loads_of[b.get()];
  }
  return out;
}

bool may_overwrite(const Storage& storage) {
  const ir::NodeRef& n = storage.node;
  return n->op() == ir::Op::Load && n.use_count() == 1 && n->buffer().use_count() == 1 &&
         !has_remembered_graph(*n);
}

}  // namespace kiln::detail
