// Guarded selects (llvm_backend.h, unclamped_under): a window op's read outside its input is a
// select whose condition is the bounds test and whose value is a load at a clamped index, so
// that the load stays in bounds where the select discards it. Evaluated only where the test
// holds, the load needs no clamp, and its index stays affine: the vectorizer then emits a
// masked contiguous load instead of a gather.
#include <vector>

#include "codegen/llvm/llvm_backend.h"
#include "codegen/llvm/rewrite.h"
#include "kiln/compiler/kir/walk.h"

namespace kiln::codegen::llvm_backend {

namespace {

using kir::BinOp;
using kir::Expr;
using kir::ExprKind;

struct Bounds {
  std::vector<Expr> non_negative;               // e >= 0 holds
  std::vector<std::pair<Expr, int64_t>> below;  // e < n holds
};

void collect(const Expr& c, Bounds& b) {
  if (c->kind != ExprKind::Binary) return;
  const Expr& x = c->operands[0];
  const Expr& y = c->operands[1];
  if (c->binop == BinOp::And) {
    collect(x, b);
    collect(y, b);
  } else if (c->binop == BinOp::Ge && y->kind == ExprKind::IntImm && y->int_value == 0) {
    b.non_negative.push_back(x);
  } else if (c->binop == BinOp::Lt && y->kind == ExprKind::IntImm) {
    b.below.emplace_back(x, y->int_value);
  }
}

bool is_int(const Expr& e, int64_t v) { return e->kind == ExprKind::IntImm && e->int_value == v; }

bool known_non_negative(const Bounds& b, const Expr& e) {
  for (const auto& x : b.non_negative) {
    if (kir::equal(x, e)) return true;
  }
  return false;
}

bool known_below(const Bounds& b, const Expr& e, int64_t n) {
  for (const auto& [x, bound] : b.below) {
    if (bound <= n && kir::equal(x, e)) return true;
  }
  return false;
}

/// e with min(., hi) / max(., 0) clamps that `b` proves idle removed (null when none is).
Expr strip(const Expr& e, const Bounds& b) {
  if (e->kind != ExprKind::Binary) return nullptr;
  const Expr& x = e->operands[0];
  const Expr& y = e->operands[1];
  if (e->binop == BinOp::Max && is_int(y, 0)) {
    Expr inner = strip(x, b);
    Expr v = inner ? inner : x;
    if (known_non_negative(b, v)) return v;
  }
  if (e->binop == BinOp::Min && y->kind == ExprKind::IntImm && known_below(b, x, y->int_value + 1))
    return x;
  return nullptr;
}

}  // namespace

kir::Expr unclamped_under(const kir::Expr& cond, const kir::Expr& value) {
  // A transcendental in a branch keeps the loop from vectorizing at all (a padded fold of
  // tanh(im2col) ran scalar): computed at the clamped index and discarded, it costs less.
  if (kir::any_of(value, [](const Expr& x) { return is_transcendental(x); })) return nullptr;
  // x86 masks loads of 32- and 64-bit elements only (8- and 16-bit ones need AVX512-BW): a
  // predicated narrow load would keep the loop scalar, where the clamped one vectorizes.
  bool narrow = kir::any_of(
      value, [](const Expr& x) { return x->kind == ExprKind::Load && itemsize(x->dtype) < 4; });
  if (narrow) return nullptr;
  Bounds b;
  collect(cond, b);
  if (b.non_negative.empty() && b.below.empty()) return nullptr;
  bool changed = false;
  Expr r = kir::map_expr(value, [&](const Expr& x) -> Expr {
    if (x->kind != ExprKind::Load) return nullptr;
    Expr index = kir::map_expr(x->operands[0], [&](const Expr& i) { return strip(i, b); });
    if (index == x->operands[0]) return nullptr;
    changed = true;
    return kir::load(x->int_value, x->dtype, index);
  });
  return changed ? r : nullptr;
}

}  // namespace kiln::codegen::llvm_backend
