#include "kiln/compiler/node.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "kiln/runtime/error.h"

namespace kiln::ir {

bool operator==(const Attrs& a, const Attrs& b) {
  return a.ints == b.ints && std::memcmp(&a.scalar, &b.scalar, sizeof(double)) == 0 &&
         a.seed == b.seed && a.offset == b.offset && a.buffer_id == b.buffer_id;
}

namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  // splitmix64 finaliser over the combination: cheap and well distributed.
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

uint64_t hash_of(Op op, const std::vector<NodeRef>& inputs, DType dtype, const Shape& shape,
                 const Attrs& attrs, Device device) {
  uint64_t h = mix(static_cast<uint64_t>(op), static_cast<uint64_t>(dtype));
  h = mix(h,
          static_cast<uint64_t>(device.type()) * 1000003u + static_cast<uint64_t>(device.index()));
  h = mix(h, shape.size());
  for (int64_t d : shape) h = mix(h, static_cast<uint64_t>(d));
  for (const auto& in : inputs) h = mix(h, in->hash());
  h = mix(h, attrs.ints.size());
  for (int64_t v : attrs.ints) h = mix(h, static_cast<uint64_t>(v));
  uint64_t bits;
  std::memcpy(&bits, &attrs.scalar, sizeof bits);
  h = mix(h, bits);
  h = mix(h, attrs.seed);
  h = mix(h, attrs.offset);
  return mix(h, attrs.buffer_id);
}

/// The intern table: structural hash -> live nodes with that hash. Expired entries are purged
/// whenever the table has doubled since the last purge.
class InternTable {
 public:
  NodeRef find_or_insert(const std::shared_ptr<Node>& fresh, Op op,
                         const std::vector<NodeRef>& inputs, DType dtype, const Shape& shape,
                         const Attrs& attrs, Device device, uint64_t hash) {
    std::lock_guard<std::mutex> lock(mu_);
    // Entries of dead nodes with this hash are dropped on the way: a graph built again each
    // step (same structure, new nodes) would otherwise leave one more per step to walk past.
    auto [it, end] = table_.equal_range(hash);
    while (it != end) {
      NodeRef n = it->second.lock();
      if (!n) {
        it = table_.erase(it);
        continue;
      }
      if (n->op() == op && n->dtype() == dtype && n->shape() == shape && n->device() == device &&
          n->attrs() == attrs && same_inputs(n->inputs(), inputs)) {
        return n;
      }
      ++it;
    }
    table_.emplace(hash, fresh);
    if (table_.size() > 2 * purge_mark_ + 1024) purge();
    return fresh;
  }

  size_t live() {
    std::lock_guard<std::mutex> lock(mu_);
    purge();
    return table_.size();
  }

 private:
  static bool same_inputs(const std::vector<NodeRef>& a, const std::vector<NodeRef>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].get() != b[i].get()) return false;
    }
    return true;
  }
  void purge() {
    for (auto it = table_.begin(); it != table_.end();) {
      it = it->second.expired() ? table_.erase(it) : std::next(it);
    }
    purge_mark_ = table_.size();
  }

  std::mutex mu_;
  std::unordered_multimap<uint64_t, std::weak_ptr<const Node>> table_;
  size_t purge_mark_ = 0;
};

InternTable& intern_table() {
  static auto* table = new InternTable();  // never destroyed: nodes may die after main()
  return *table;
}

}  // namespace

Node::~Node() {
  // Iterative teardown: a long chain of nodes must not recurse once per link.
  static thread_local std::vector<NodeRef> graveyard;
  static thread_local bool draining = false;
  for (auto& in : inputs_) graveyard.push_back(std::move(in));
  if (draining) return;
  draining = true;
  while (!graveyard.empty()) {
    NodeRef n = std::move(graveyard.back());
    graveyard.pop_back();
    n.reset();
  }
  draining = false;
}

NodeRef make(Op op, std::vector<NodeRef> inputs, DType dtype, Shape shape, Attrs attrs,
             Device device, runtime::BufferPtr buffer) {
  check_node(op, inputs, dtype, shape, attrs, device);
  if (op == Op::Load && buffer) attrs.buffer_id = buffer->id();
  uint64_t h = hash_of(op, inputs, dtype, shape, attrs, device);
  auto node = std::shared_ptr<Node>(new Node());
  node->op_ = op;
  node->dtype_ = dtype;
  node->shape_ = std::move(shape);
  node->device_ = device;
  node->attrs_ = std::move(attrs);
  node->buffer_ = std::move(buffer);
  node->hash_ = h;
  int64_t depth = 0;
  for (const auto& in : inputs) depth = std::max(depth, in->depth() + 1);
  node->depth_ = depth;
  node->inputs_ = std::move(inputs);
  return intern_table().find_or_insert(node, node->op_, node->inputs_, node->dtype_, node->shape_,
                                       node->attrs_, node->device_, h);
}

size_t interned_node_count() { return intern_table().live(); }

}  // namespace kiln::ir
