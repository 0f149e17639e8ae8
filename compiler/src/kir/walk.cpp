#include "kiln/compiler/kir/walk.h"

#include <algorithm>

namespace kiln::kir {

Expr map_expr(const Expr& e, const std::function<Expr(const Expr&)>& f) {
  if (Expr r = f(e)) return r;
  bool changed = false;
  std::vector<Expr> ops;
  for (const auto& o : e->operands) {
    ops.push_back(map_expr(o, f));
    changed = changed || ops.back() != o;
  }
  if (!changed) return e;
  auto n = std::make_shared<ExprNode>(*e);
  n->operands = std::move(ops);
  return n;
}

Stmt map_exprs(const Stmt& s, const std::function<Expr(const Expr&)>& f) {
  bool changed = false;
  std::vector<Expr> exprs;
  for (const auto& e : s->exprs) {
    exprs.push_back(map_expr(e, f));
    changed = changed || exprs.back() != e;
  }
  std::vector<Stmt> body;
  for (const auto& c : s->body) {
    body.push_back(map_exprs(c, f));
    changed = changed || body.back() != c;
  }
  if (!changed) return s;
  auto n = std::make_shared<StmtNode>(*s);
  n->exprs = std::move(exprs);
  n->body = std::move(body);
  return n;
}

bool any_of(const Expr& e, const std::function<bool(const Expr&)>& f) {
  if (f(e)) return true;
  return std::any_of(e->operands.begin(), e->operands.end(),
                     [&](const Expr& o) { return any_of(o, f); });
}

void each_expr(const Stmt& s, const std::function<void(const Expr&)>& f) {
  for (const auto& e : s->exprs) f(e);
  for (const auto& c : s->body) each_expr(c, f);
}

}  // namespace kiln::kir
