#include "kiln/compiler/interpreter.h"

#include <unordered_map>

#include "interpreter/array.h"
#include "kiln/compiler/graph.h"
#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace interp {

Array make_array(DType dtype, const Shape& shape) {
  Array a;
  a.dtype = dtype;
  a.shape = shape;
  if (a.is_int()) {
    a.i.assign(static_cast<size_t>(numel_of(shape)), 0);
  } else {
    a.f.assign(static_cast<size_t>(numel_of(shape)), 0.0);
  }
  return a;
}

bool next_index(std::vector<int64_t>& idx, const Shape& shape) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

namespace {
Array eval_node(const Node& n, const std::vector<const Array*>& in) {
  switch (op_kind(n.op())) {
    case OpKind::Leaf: return eval_leaf(n, in.empty() ? nullptr : in[0]);
    case OpKind::Unary:
    case OpKind::Binary:
    case OpKind::Ternary: return eval_elementwise(n, in);
    case OpKind::Reduce: return eval_reduce(n, *in[0]);
    case OpKind::Movement: return eval_movement(n, *in[0]);
    case OpKind::Opaque: return eval_opaque(n, in);
  }
  KILN_CHECK(false, "unhandled op kind");
}
}  // namespace

}  // namespace interp

std::vector<runtime::BufferPtr> interpret(const std::vector<NodeRef>& outputs) {
  std::vector<const Node*> order = topo_order(outputs);
  // Count remaining uses so that intermediate values are freed as soon as they are dead.
  std::unordered_map<const Node*, int64_t> uses;
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) ++uses[in.get()];
  }
  for (const auto& out : outputs) ++uses[out.get()];

  std::unordered_map<const Node*, interp::Array> values;
  for (const Node* n : order) {
    std::vector<const interp::Array*> in;
    in.reserve(n->inputs().size());
    for (const auto& i : n->inputs()) in.push_back(&values.at(i.get()));
    interp::Array value = interp::eval_node(*n, in);
    // Every node's result is rounded to its dtype, as stored values are; only the
    // accumulations inside one node (reductions, matmul, cumsum) run in double.
    if (!value.is_int() && value.dtype != DType::Float64) {
      for (double& v : value.f) v = round_to_dtype(v, value.dtype);
    }
    values.emplace(n, std::move(value));
    for (const auto& i : n->inputs()) {
      if (--uses[i.get()] == 0) values.erase(i.get());
    }
  }

  std::vector<runtime::BufferPtr> result;
  for (const auto& out : outputs) {
    const interp::Array& a = values.at(out.get());
    auto buf = std::make_shared<runtime::Buffer>(out->dtype(), out->numel());
    int64_t n = out->numel();
    if (a.is_int()) {
      for (int64_t k = 0; k < n; ++k) buf->set_int(k, a.i[k]);
    } else {
      for (int64_t k = 0; k < n; ++k) buf->set(k, a.f[k]);
    }
    result.push_back(std::move(buf));
  }
  return result;
}

}  // namespace kiln::ir
