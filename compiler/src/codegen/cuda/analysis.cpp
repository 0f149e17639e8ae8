#include "codegen/cuda/analysis.h"

namespace kiln::codegen::cuda {

bool DependsOn::operator()(const kir::ExprNode* e) {
  if (e->kind == kir::ExprKind::Var) return e->int_value == var_;
  if (auto it = memo_.find(e); it != memo_.end()) return it->second;
  bool r = false;
  for (const auto& o : e->operands) r = r || (*this)(o.get());
  memo_[e] = r;
  return r;
}

std::optional<int64_t> coefficient(const kir::Expr& index, int64_t var) {
  DependsOn dep(var);
  if (!dep(index)) return 0;
  if (index->kind == kir::ExprKind::Var) return 1;
  if (index->kind != kir::ExprKind::Binary || index->dtype != DType::Int64) return std::nullopt;
  const kir::Expr &a = index->operands[0], &b = index->operands[1];
  switch (index->binop) {
    case kir::BinOp::Add:
    case kir::BinOp::Sub: {
      auto ca = coefficient(a, var), cb = coefficient(b, var);
      if (!ca || !cb) return std::nullopt;
      return index->binop == kir::BinOp::Add ? *ca + *cb : *ca - *cb;
    }
    case kir::BinOp::Mul: {
      const kir::Expr& c = b->kind == kir::ExprKind::IntImm ? b : a;
      const kir::Expr& x = b->kind == kir::ExprKind::IntImm ? a : b;
      if (c->kind != kir::ExprKind::IntImm) return std::nullopt;
      auto cx = coefficient(x, var);
      if (!cx) return std::nullopt;
      return *cx * c->int_value;
    }
    default: return std::nullopt;
  }
}

bool rest_multiple_of(const kir::Expr& index, int64_t var, int64_t w) {
  switch (index->kind) {
    case kir::ExprKind::IntImm: return index->int_value % w == 0;
    case kir::ExprKind::Var: return index->int_value == var;
    case kir::ExprKind::Binary: {
      const kir::Expr &a = index->operands[0], &b = index->operands[1];
      switch (index->binop) {
        case kir::BinOp::Add:
        case kir::BinOp::Sub: return rest_multiple_of(a, var, w) && rest_multiple_of(b, var, w);
        case kir::BinOp::Mul:
          if (b->kind == kir::ExprKind::IntImm && b->int_value % w == 0 && !DependsOn(var)(a))
            return true;
          if (a->kind == kir::ExprKind::IntImm && a->int_value % w == 0 && !DependsOn(var)(b))
            return true;
          return false;
        default: return false;
      }
    }
    default: return false;
  }
}

bool contiguous(const kir::Expr& index, int64_t var, int64_t w) {
  auto c = coefficient(index, var);
  return c && *c == 1 && rest_multiple_of(index, var, w);
}

void declared_accumulators(const kir::Stmt& s, std::map<int64_t, DType>& out) {
  if (s->kind == kir::StmtKind::Accumulator) out[s->id] = s->dtype;
  for (const auto& c : s->body) declared_accumulators(c, out);
}

void stored_params(const kir::Stmt& s, std::set<int64_t>& out) {
  if (s->kind == kir::StmtKind::Store) out.insert(s->id);
  for (const auto& c : s->body) stored_params(c, out);
}

void collect_loads(const kir::Expr& e, std::vector<kir::Expr>& out,
                   std::set<const kir::ExprNode*>& seen) {
  if (!seen.insert(e.get()).second) return;
  for (const auto& o : e->operands) collect_loads(o, out, seen);
  if (e->kind == kir::ExprKind::Load) out.push_back(e);
}

void loaded_params(const kir::Stmt& s, std::set<int64_t>& out) {
  std::vector<kir::Expr> loads;
  std::set<const kir::ExprNode*> seen;
  for (const auto& e : s->exprs) collect_loads(e, loads, seen);
  for (const auto& l : loads) out.insert(l->int_value);
  for (const auto& c : s->body) loaded_params(c, out);
}

}  // namespace kiln::codegen::cuda
