// Vector-Jacobian rules of the elementwise ops and casts. Ties follow PyTorch: maximum and
// minimum split the gradient evenly between equal operands, except against a constant (relu,
// maximum(x, 0)), where the tie gets none; pow's exponent gets none where the base is 0.
#include <cmath>
#include <numbers>

#include "kiln/compiler/marks.h"
#include "kiln/runtime/error.h"
#include "passes/vjp.h"

namespace kiln::ir::detail {

namespace {
NodeRef add(NodeRef a, NodeRef b) { return binary(Op::Add, std::move(a), std::move(b)); }
NodeRef sub(NodeRef a, NodeRef b) { return binary(Op::Sub, std::move(a), std::move(b)); }
NodeRef mul(NodeRef a, NodeRef b) { return binary(Op::Mul, std::move(a), std::move(b)); }
NodeRef div(NodeRef a, NodeRef b) { return binary(Op::Div, std::move(a), std::move(b)); }
NodeRef scale(NodeRef a, double s) { return mul(a, full_like(s, a)); }
NodeRef zeros(const NodeRef& like) { return full_like(0.0, like); }

/// Gradient of n = max/min(a, b) with respect to a: all of it where a wins, half on a tie
/// (PyTorch's maximum), none on a tie with a constant (PyTorch's relu and threshold). "a wins"
/// is tested on the result (n > b exactly when a > b), so relu's backward reads the activation
/// its consumer needs anyway and the pre-activation need not be kept.
NodeRef extreme_vjp(Op wins, const NodeRef& n, const NodeRef& a, const NodeRef& b,
                    const NodeRef& g) {
  NodeRef won = where(binary(wins, n, b), g, zeros(g));
  if (b->op() == Op::Const) return won;
  return where(binary(Op::Eq, a, b), scale(g, 0.5), won);
}
}  // namespace

NodeRef full_like(double value, const NodeRef& like) {
  return constant(value, like->dtype(), like->shape(), like->device());
}

NodeRef vjp_elementwise(const NodeRef& n, size_t i, const NodeRef& g) {
  if (is_comparison(n->op())) return nullptr;  // bool results
  const NodeRef& x = n->input(0);
  switch (n->op()) {
    case Op::Neg: return binary(Op::Sub, zeros(g), g);
    case Op::Exp: return mul(g, n);
    case Op::Log: return div(g, x);
    case Op::Log1p: return div(g, add(x, full_like(1.0, x)));
    case Op::Expm1: return mul(g, add(n, full_like(1.0, n)));
    case Op::Sqrt: return div(g, scale(n, 2.0));
    case Op::Rsqrt: return mul(scale(g, -0.5), mul(n, mul(n, n)));
    case Op::Abs: return mul(g, unary(Op::Sign, x));
    case Op::Sin: return mul(g, unary(Op::Cos, x));
    case Op::Cos: return mul(binary(Op::Sub, zeros(g), g), unary(Op::Sin, x));
    case Op::Tanh: return mul(g, sub(full_like(1.0, n), mul(n, n)));
    case Op::Sigmoid: return mul(g, mul(n, sub(full_like(1.0, n), n)));
    case Op::Erf:
      return mul(scale(g, 2.0 / std::sqrt(std::numbers::pi)),
                 unary(Op::Exp, binary(Op::Sub, zeros(x), mul(x, x))));
    case Op::Reciprocal: return mul(binary(Op::Sub, zeros(g), g), mul(n, n));
    case Op::Sign:
    case Op::Floor:
    case Op::Ceil:
    case Op::Round:
    case Op::Not: return nullptr;  // zero almost everywhere, or not floating
    case Op::Cast:
      if (is_stop_gradient(*n) || !is_floating(x->dtype())) return nullptr;
      return cast(g, x->dtype());
    case Op::Add: return g;
    case Op::Sub: return i == 0 ? g : binary(Op::Sub, zeros(g), g);
    case Op::Mul: return mul(g, n->input(1 - i));
    case Op::Div: {
      const NodeRef& y = n->input(1);
      if (i == 0) return div(g, y);
      return binary(Op::Sub, zeros(g), div(mul(g, x), mul(y, y)));
    }
    case Op::Pow: {
      const NodeRef& y = n->input(1);
      if (i == 0) {
        NodeRef d = mul(mul(g, y), binary(Op::Pow, x, sub(y, full_like(1.0, y))));
        return where(binary(Op::Eq, y, zeros(y)), zeros(g), d);
      }
      NodeRef base_zero = binary(Op::And, binary(Op::Eq, x, zeros(x)), binary(Op::Ge, y, zeros(y)));
      return where(base_zero, zeros(g), mul(mul(g, n), unary(Op::Log, x)));
    }
    case Op::Maximum: return extreme_vjp(Op::Gt, n, n->input(i), n->input(1 - i), g);
    case Op::Minimum: return extreme_vjp(Op::Lt, n, n->input(i), n->input(1 - i), g);
    case Op::Where: {
      const NodeRef& c = n->input(0);
      if (i == 1) return where(c, g, zeros(g));
      if (i == 2) return where(c, zeros(g), g);
      return nullptr;
    }
    default:
      KILN_CHECK(false, std::string("vjp_elementwise: not elementwise: ") + op_name(n->op()));
  }
}

}  // namespace kiln::ir::detail
