#include "donate.h"

#include <unordered_map>
#include <unordered_set>

#include "autograd/leaves.h"

namespace kiln::detail {

namespace {

/// A node of the graphs being looked at: one reference to it (for use_count) and how many
/// references those graphs and the caller account for.
struct Held {
  const ir::NodeRef* ref = nullptr;
  long counted = 0;
};

/// Who refers to what, from a set of roots: the caller's references (each root once per
/// appearance) and the autograd graphs remembered for realized tensors, which an in-place
/// write turns into errors instead of stale values (leaves.h).
class References {
 public:
  explicit References(std::vector<const ir::NodeRef*> roots)
      : roots_(std::move(roots)), remembered_(remembered_graphs()) {
    // Each remembered graph is held twice: by the list and by the copy here.
    for (const auto& r : remembered_) roots_.insert(roots_.end(), {&r, &r});
    std::vector<const ir::Node*> stack;
    auto count = [&](const ir::NodeRef& r) {
      auto [it, fresh] = held_.try_emplace(r.get());
      it->second.ref = &r;
      ++it->second.counted;
      if (fresh) stack.push_back(r.get());
    };
    for (const ir::NodeRef* r : roots_) count(*r);
    while (!stack.empty()) {
      const ir::Node* n = stack.back();
      stack.pop_back();
      for (const auto& in : n->inputs()) count(in);
    }
    for (const auto& [node, h] : held_) {
      if (node->op() == ir::Op::Load) ++loads_of_[node->buffer().get()];
    }
    find_read_outside();
  }

  /// True when nothing but the roots and remembered graphs may read `b`'s contents: no node
  /// that loads it is referenced from elsewhere, and only loads among the graphs hold it.
  bool only_ours(const runtime::BufferPtr& b) const {
    auto it = loads_of_.find(b.get());
    return !read_outside_.count(b.get()) && it != loads_of_.end() && b.use_count() <= it->second;
  }

 private:
  /// Buffers loaded below a node that something outside refers to.
  void find_read_outside() {
    std::unordered_set<const ir::Node*> seen;
    std::vector<const ir::Node*> stack;
    for (const auto& [node, h] : held_) {
      if (h.ref->use_count() > h.counted && seen.insert(node).second) stack.push_back(node);
    }
    while (!stack.empty()) {
      const ir::Node* n = stack.back();
      stack.pop_back();
      if (n->op() == ir::Op::Load) read_outside_.insert(n->buffer().get());
      for (const auto& in : n->inputs()) {
        if (seen.insert(in.get()).second) stack.push_back(in.get());
      }
    }
  }

  std::vector<const ir::NodeRef*> roots_;
  std::vector<ir::NodeRef> remembered_;
  std::unordered_map<const ir::Node*, Held> held_;
  std::unordered_map<const runtime::Buffer*, long> loads_of_;
  std::unordered_set<const runtime::Buffer*> read_outside_;
};

}  // namespace

Donation donated_inputs(const std::vector<std::shared_ptr<Storage>>& pending,
                        const std::vector<ir::NodeRef>& marked,
                        const std::vector<ir::NodeRef>& nodes,
                        const std::vector<const ir::Node*>& loads) {
  Donation out{std::vector<int64_t>(pending.size(), -1), std::vector<bool>(pending.size(), false)};
  // Requests: a home whose buffer the program reads through one load (none: no input to write
  // into), not already asked for, with no autograd graph remembered for it, and a new value
  // whose graph is not remembered either (it would read the overwritten load).
  std::unordered_map<const runtime::Buffer*, int64_t> input_of;  // -1: read by several loads
  for (size_t j = 0; j < loads.size(); ++j) {
    auto [it, fresh] = input_of.emplace(loads[j]->buffer().get(), static_cast<int64_t>(j));
    if (!fresh) it->second = -1;
  }
  std::vector<const ir::NodeRef*> roots;
  std::vector<ir::NodeRef> homes(pending.size());
  std::unordered_set<int64_t> taken;
  for (size_t i = 0; i < pending.size(); ++i) {
    roots.insert(roots.end(), {&pending[i]->node, &marked[i], &nodes[i]});
    const ir::NodeRef& home = homes[i] = pending[i]->home.lock();
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
  References refs(std::move(roots));
  for (size_t i = 0; i < pending.size(); ++i)
    out.safe[i] = out.request[i] >= 0 && refs.only_ours(homes[i]->buffer());
  return out;
}

std::vector<bool> may_overwrite(const std::vector<const Storage*>& storages) {
  std::vector<bool> out(storages.size(), false);
  std::vector<const ir::NodeRef*> roots;
  for (const Storage* s : storages) roots.push_back(&s->node);
  forget_dead_graphs();
  References refs(std::move(roots));
  for (size_t i = 0; i < storages.size(); ++i) {
    const ir::NodeRef& n = storages[i]->node;
    out[i] = n->op() == ir::Op::Load && !has_remembered_graph(*n) && refs.only_ours(n->buffer());
  }
  return out;
}

}  // namespace kiln::detail
