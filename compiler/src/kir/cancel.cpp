// Cancelling the divisions of a loop variable that an index flattens again (kir/cancel.h).
#include "kiln/compiler/kir/cancel.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "kiln/compiler/kir/walk.h"

namespace kiln::kir {

namespace {

/// A term of a sum: base * coef.
struct Term {
  Expr base;
  int64_t coef;
};

Term term_of(const Expr& e) {
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Mul &&
      e->operands[1]->kind == ExprKind::IntImm)
    return {e->operands[0], e->operands[1]->int_value};
  return {e, 1};
}

/// e is `x op c` with a positive constant c.
bool is_op(const Expr& e, BinOp op, Expr* x, int64_t* c) {
  if (e->kind != ExprKind::Binary || e->binop != op || e->operands[1]->kind != ExprKind::IntImm ||
      e->operands[1]->int_value <= 0)
    return false;
  *x = e->operands[0];
  *c = e->operands[1]->int_value;
  return true;
}

void flatten_sum(const Expr& e, std::vector<Expr>* terms) {
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Add) {
    flatten_sum(e->operands[0], terms);
    flatten_sum(e->operands[1], terms);
  } else {
    terms->push_back(e);
  }
}

/// Replaces one pair (var / (c*m)) * (m*k), (var / c % m) * k of `terms` by (var / c) * k.
bool cancel_pair(std::vector<Expr>* terms, int64_t var) {
  auto is_var = [&](const Expr& e) { return e->kind == ExprKind::Var && e->int_value == var; };
  for (size_t r = 0; r < terms->size(); ++r) {
    Term rt = term_of((*terms)[r]);
    Expr x, y;
    int64_t m = 0, c = 1;
    if (!is_op(rt.base, BinOp::Mod, &x, &m)) continue;
    if (!is_op(x, BinOp::Div, &y, &c)) y = x, c = 1;
    if (!is_var(y)) continue;
    for (size_t q = 0; q < terms->size(); ++q) {
      Term qt = term_of((*terms)[q]);
      Expr yq;
      int64_t d = 0;
      if (q != r && qt.coef == m * rt.coef && is_op(qt.base, BinOp::Div, &yq, &d) && d == c * m &&
          is_var(yq)) {
        (*terms)[std::min(q, r)] = mul(x, int_imm(rt.coef));
        terms->erase(terms->begin() + static_cast<std::ptrdiff_t>(std::max(q, r)));
        return true;
      }
    }
  }
  return false;
}

/// `e` with the pairs cancelled; shared subexpressions stay shared (memo, by node), and an
/// expression where nothing cancels is returned as it is.
Expr cancel_in(const Expr& e, int64_t var, std::unordered_map<const ExprNode*, Expr>& memo) {
  if (auto it = memo.find(e.get()); it != memo.end()) return it->second;
  Expr r = e;
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Add && e->dtype == DType::Int64) {
    std::vector<Expr> terms, mapped;
    flatten_sum(e, &terms);
    bool changed = false;
    for (const Expr& t : terms) {
      mapped.push_back(cancel_in(t, var, memo));  // sums inside the terms (a load's index)
      changed = changed || mapped.back() != t;
    }
    while (cancel_pair(&mapped, var)) changed = true;
    if (changed) {
      r = mapped[0];
      for (size_t i = 1; i < mapped.size(); ++i) r = add(r, mapped[i]);
    }
  } else {
    std::vector<Expr> ops;
    bool changed = false;
    for (const Expr& o : e->operands) {
      ops.push_back(cancel_in(o, var, memo));
      changed = changed || ops.back() != o;
    }
    if (changed) {
      auto copy = std::make_shared<ExprNode>(*e);
      copy->operands = std::move(ops);
      r = copy;
    }
  }
  memo.emplace(e.get(), r);
  return r;
}

}  // namespace

Stmt cancel_divisions(const kir::Stmt& s, int64_t var) {
  std::unordered_map<const ExprNode*, Expr> memo;
  return map_exprs(s, [&](const Expr& e) -> Expr {
    Expr r = cancel_in(e, var, memo);
    return r == e ? nullptr : r;
  });
}

bool divides_var(const Stmt& s, int64_t var) {
  bool found = false;
  each_expr(s, [&](const Expr& e) {
    found = found || any_of(e, [&](const Expr& x) {
              return x->kind == ExprKind::Binary &&
                     (x->binop == BinOp::Div || x->binop == BinOp::Mod) &&
                     any_of(x, [&](const Expr& v) {
                       return v->kind == ExprKind::Var && v->int_value == var;
                     });
            });
  });
  return found;
}

}  // namespace kiln::kir
