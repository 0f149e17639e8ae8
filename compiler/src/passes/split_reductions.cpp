#include "kiln/compiler/split_reductions.h"

#include <unordered_map>

#include "kiln/compiler/graph.h"

namespace kiln::ir {

namespace {

constexpr int64_t kMinElements = int64_t{1} << 20;
constexpr int64_t kMaxRows = 4096;
constexpr int64_t kMinRow = 1024;

/// The number of rows to split `n` elements into (0: no split).
int64_t rows_for(int64_t n) {
  for (int64_t c = kMaxRows; c >= 2; --c) {
    if (n % c == 0 && n / c >= kMinRow) return c;
  }
  return 0;
}

bool is_full_reduction(const Node& n) {
  if (!is_reduce(n.op()) || n.input(0)->numel() < kMinElements) return false;
  return static_cast<int64_t>(n.attrs().ints.size()) == n.input(0)->rank();
}

/// `n` rebuilt over `inputs` (already rewritten), split when it is a long full reduction.
NodeRef rewrite(const NodeRef& n, std::vector<NodeRef> inputs) {
  if (int64_t rows = is_full_reduction(*n) ? rows_for(n->input(0)->numel()) : 0; rows > 0) {
    int64_t count = n->input(0)->numel();
    DType partial = is_16_bit_float(n->dtype()) ? DType::Float32 : n->dtype();
    NodeRef x = cast(reshape(inputs[0], {rows, count / rows}), partial);
    NodeRef total = reduce(n->op(), reduce(n->op(), x, {1}), {0, 1});
    return reshape(cast(total, n->dtype()), n->shape());
  }
  bool changed = false;
  for (size_t i = 0; i < inputs.size(); ++i) changed = changed || inputs[i] != n->inputs()[i];
  if (!changed) return n;
  return make(n->op(), std::move(inputs), n->dtype(), n->shape(), n->attrs(), n->device(),
              n->buffer());
}

}  // namespace

std::vector<NodeRef> split_long_reductions(const std::vector<NodeRef>& outputs) {
  std::vector<const Node*> order = topo_order(outputs);  // inputs first
  std::unordered_map<const Node*, NodeRef> refs, done;
  for (const auto& o : outputs) refs[o.get()] = o;
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) refs[in.get()] = in;
  }
  for (const Node* n : order) {
    std::vector<NodeRef> inputs;
    for (const auto& in : n->inputs()) inputs.push_back(done.at(in.get()));
    done[n] = rewrite(refs.at(n), std::move(inputs));
  }
  std::vector<NodeRef> out;
  for (const auto& o : outputs) out.push_back(done.at(o.get()));
  return out;
}

}  // namespace kiln::ir
