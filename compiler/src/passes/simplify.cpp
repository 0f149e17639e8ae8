#include "kiln/compiler/simplify.h"

#include <functional>
#include <optional>
#include <unordered_map>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/interpreter.h"

namespace kiln::ir {

namespace {

std::optional<double> const_value(const NodeRef& n) {
  if (n->op() == Op::Const) return n->attrs().scalar;
  return std::nullopt;
}

bool is_const(const NodeRef& n, double v) {
  auto c = const_value(n);
  return c && *c == v;
}

/// Rebuilds `n` with new inputs (same op, dtype, shape and attributes).
NodeRef with_inputs(const Node& n, std::vector<NodeRef> inputs) {
  return make(n.op(), std::move(inputs), n.dtype(), n.shape(), n.attrs(), n.device(), n.buffer());
}

/// An elementwise op of constants is a constant: evaluate it once on a 0-d version.
NodeRef fold_constants(const NodeRef& n) {
  if (!is_elementwise(n->op())) return nullptr;
  std::vector<NodeRef> scalars;
  for (const auto& in : n->inputs()) {
    auto c = const_value(in);
    if (!c) return nullptr;
    scalars.push_back(in->attrs().ints.empty()
                          ? constant(*c, in->dtype(), {}, in->device())
                          : constant_int(in->attrs().ints[0], in->dtype(), {}, in->device()));
  }
  NodeRef small = make(n->op(), scalars, n->dtype(), {}, n->attrs(), n->device());
  runtime::BufferPtr v = interpret({small})[0];
  if (!is_floating(n->dtype()))
    return constant_int(v->get_int(0), n->dtype(), n->shape(), n->device());
  return constant(v->get(0), n->dtype(), n->shape(), n->device());
}

/// A movement op of a constant is the constant in the new shape (pad and unfold only when they
/// fill with the same value).
NodeRef move_constant(const NodeRef& n) {
  if (!is_movement(n->op())) return nullptr;
  auto c = const_value(n->input(0));
  bool fills = n->op() == Op::Pad || n->op() == Op::Unfold;
  if (!c || (fills && n->attrs().scalar != *c)) return nullptr;
  const auto& exact = n->input(0)->attrs().ints;
  if (!exact.empty()) return constant_int(exact[0], n->dtype(), n->shape(), n->device());
  return constant(*c, n->dtype(), n->shape(), n->device());
}

/// Identities that hold for every value, NaN and infinity included.
NodeRef identity(const NodeRef& n) {
  const auto& in = n->inputs();
  switch (n->op()) {
    case Op::Add:
      if (is_const(in[1], 0.0)) return in[0];  // exact but for the sign of -0 + 0
      if (is_const(in[0], 0.0)) return in[1];
      return nullptr;
    case Op::Sub:
      if (is_const(in[1], 0.0)) return in[0];
      return nullptr;
    case Op::Mul:
      if (is_const(in[1], 1.0)) return in[0];
      if (is_const(in[0], 1.0)) return in[1];
      if (!is_floating(n->dtype()) && (is_const(in[0], 0.0) || is_const(in[1], 0.0))) {
        return constant(0, n->dtype(), n->shape(), n->device());  // not for floats: NaN * 0
      }
      return nullptr;
    case Op::Div:
      if (is_const(in[1], 1.0)) return in[0];
      return nullptr;
    case Op::Neg:
      if (in[0]->op() == Op::Neg) return in[0]->input(0);
      return nullptr;
    case Op::Where:
      if (auto c = const_value(in[0])) return *c != 0.0 ? in[1] : in[2];
      if (in[1] == in[2]) return in[1];
      return nullptr;
    case Op::Cast:
      // Widening then narrowing back is exact: cast(cast(x, wide), x.dtype) -> x.
      if (in[0]->op() == Op::Cast && in[0]->input(0)->dtype() == n->dtype() &&
          ((n->dtype() == DType::Float32 && in[0]->dtype() == DType::Float64) ||
           (is_integral(n->dtype(), true) && in[0]->dtype() == DType::Int64))) {
        return in[0]->input(0);
      }
      return nullptr;
    default: return nullptr;
  }
}

/// permute(permute(x, p), q) -> permute(x, p[q]); an identity permute is dropped by the builder.
NodeRef compose_permutes(const NodeRef& n) {
  if (n->op() != Op::Permute || n->input(0)->op() != Op::Permute) return nullptr;
  const auto& inner = n->input(0)->attrs().ints;
  std::vector<int64_t> perm;
  for (int64_t q : n->attrs().ints) perm.push_back(inner[static_cast<size_t>(q)]);
  return permute(n->input(0)->input(0), std::move(perm));
}

/// (a b)^T -> b^T a^T for 2-D products, so that a weight's gradient (the transpose of x^T dy)
/// is a product written at its own elements, whose consumers can be its fused epilogue.
NodeRef transpose_product(const NodeRef& n) {
  if (n->op() != Op::Permute || n->attrs().ints != std::vector<int64_t>{1, 0}) return nullptr;
  const NodeRef& m = n->input(0);
  if (m->op() != Op::MatMul || m->input(0)->shape().size() != 2 || m->input(1)->shape().size() != 2)
    return nullptr;
  auto transposed = [](const NodeRef& x) {
    if (x->op() == Op::Permute && x->attrs().ints == std::vector<int64_t>{1, 0}) return x->input(0);
    return permute(x, {1, 0});
  };
  return matmul(transposed(m->input(1)), transposed(m->input(0)));
}

/// The rules, tried in order on each rebuilt node until none applies.
const std::vector<std::function<NodeRef(const NodeRef&)>>& rules() {
  static const std::vector<std::function<NodeRef(const NodeRef&)>> table = {
      fold_constants, move_constant, identity, compose_permutes, transpose_product};
  return table;
}

}  // namespace

std::vector<NodeRef> simplify(const std::vector<NodeRef>& outputs) {
  std::unordered_map<const Node*, NodeRef> rebuilt;
  for (const Node* n : topo_order(outputs)) {
    std::vector<NodeRef> inputs;
    for (const auto& in : n->inputs()) inputs.push_back(rebuilt.at(in.get()));
    // make() interns: an unchanged node comes back as itself.
    NodeRef r = with_inputs(*n, std::move(inputs));
    for (bool again = true; again;) {
      again = false;
      for (const auto& rule : rules()) {
        if (NodeRef s = rule(r); s && s != r) {
          r = s;
          again = true;
          break;
        }
      }
    }
    rebuilt.emplace(n, r);
  }
  std::vector<NodeRef> out;
  for (const auto& o : outputs) out.push_back(rebuilt.at(o.get()));
  return out;
}

}  // namespace kiln::ir
