// Builder::strided_view (lower/builder.h): an operand that a library call reads in place (a
// GEMM operand, a sorted input) as a strided view of one buffer, found by reading it at fresh
// loop variables and asking for an affine flat index.
#include <map>

#include "lower/builder.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;

namespace {
/// An Int64 index expression as offset + sum(coef[v] * var v), each var v in [0, bound[v]).
struct Affine {
  int64_t offset = 0;
  std::map<int64_t, int64_t> coef, bound;

  void add(const Affine& o, int64_t scale) {
    offset += scale * o.offset;
    for (const auto& [v, c] : o.coef) coef[v] += scale * c;
    for (const auto& [v, b] : o.bound) bound[v] = b;
  }
  kir::Range range() const {
    kir::Range r{offset, offset};
    for (const auto& [v, c] : coef) {
      int64_t span = c * (bound.at(v) - 1);
      (span < 0 ? r.lo : r.hi) += span;
    }
    return r;
  }
};

/// Decomposes `e` as an Affine; false when it is not affine in the loop variables. A mod or
/// div whose dividend provably lies in [0, divisor) (as reshapes of a flat buffer leave) folds.
bool affine(const Expr& e, Affine& out) {
  switch (e->kind) {
    case kir::ExprKind::IntImm: out.offset = e->int_value; return true;
    case kir::ExprKind::Var:
      out.coef[e->int_value] = 1;
      out.bound[e->int_value] = e->bound;
      return true;
    case kir::ExprKind::Binary: {
      Affine a, b;
      if (!affine(e->operands[0], a) || !affine(e->operands[1], b)) return false;
      switch (e->binop) {
        case kir::BinOp::Add:
          out.add(a, 1);
          out.add(b, 1);
          return true;
        case kir::BinOp::Sub:
          out.add(a, 1);
          out.add(b, -1);
          return true;
        case kir::BinOp::Mul:
          if (!b.coef.empty()) std::swap(a, b);
          if (!b.coef.empty()) return false;
          out.add(a, b.offset);
          return true;
        case kir::BinOp::Mod:
        case kir::BinOp::Div: {
          if (!b.coef.empty() || b.offset <= 0) return false;
          kir::Range r = a.range();
          if (e->binop == kir::BinOp::Div && b.offset == 1) {
            out.add(a, 1);
            return true;
          }
          if (r.lo < 0 || r.hi >= b.offset) return false;
          if (e->binop == kir::BinOp::Mod) out.add(a, 1);  // x % c == x, x / c == 0
          return true;
        }
        default: return false;
      }
    }
    default: return false;
  }
}

/// Movement ops whose index maps can be affine (views of a strided buffer).
bool is_view_op(Op op) {
  return op == Op::Reshape || op == Op::Permute || op == Op::Expand || op == Op::Slice ||
         op == Op::Flip || op == Op::AsStrided;
}
}  // namespace

Builder::StridedView Builder::strided_view(const ir::Node* x, const char* reason) {
  // Only views may lie between the operand and the buffer it reads. When something else is
  // computed there, it is materialized if the views then read its buffer as a strided view,
  // and the operand itself otherwise (so that one kernel computes it, views included).
  const ir::Node* computed = nullptr;
  for (const ir::Node* v = x; fused(v); v = v->input(0).get()) {
    if (!is_view_op(v->op())) {
      computed = v;
      break;
    }
  }
  assumed_buffer_ = computed;  // read as a buffer below; this builder is dropped after the break
  // Read the operand at fresh variables, one per dim, and ask for an affine flat index.
  std::vector<Expr> at;
  std::vector<int64_t> ids(x->shape().size());
  for (size_t d = 0; d < ids.size(); ++d) at.push_back(new_var(x->shape()[d], &ids[d]));
  Expr e = value(x, at);
  // A load of a 16-bit float widens to f32 through a cast: the GEMM reads the stored dtype.
  if (e->kind == kir::ExprKind::Cast &&
      (e->operands[0]->dtype == e->dtype || e->operands[0]->dtype == x->dtype())) {
    e = e->operands[0];
  }
  Affine f;
  bool strided = e->kind == kir::ExprKind::Load && affine(e->operands[0], f);
  if (computed) throw FusionBreak{strided ? computed : x, reason};
  if (!strided) throw FusionBreak{x, reason};
  StridedView view;
  view.param = e->int_value;
  view.offset = f.offset;
  for (int64_t id : ids) view.strides.push_back(f.coef.count(id) ? f.coef[id] : 0);
  return view;
}

}  // namespace kiln::lower
