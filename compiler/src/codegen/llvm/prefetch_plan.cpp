// The CPU backend's prefetch planning (see rewrite.h's plan_prefetches): which loops prefetch
// which elements of the next row or the next page, issued by emit.cpp's loops through
// prefetch_function.
#include <algorithm>
#include <unordered_map>

#include "codegen/llvm/rewrite.h"
#include "kiln/compiler/kir/eval.h"
#include "kiln/compiler/kir/walk.h"

namespace kiln::codegen::llvm_backend {

namespace {

using kir::any_of;
using kir::each_expr;
using kir::Expr;
using kir::ExprKind;
using kir::Stmt;
using kir::StmtKind;

/// Elements of work in one iteration of `s`'s body: expression nodes, a transcendental 8.
int64_t body_cost(const Stmt& s) {
  int64_t cost = 0;
  each_expr(s, [&](const Expr& e) {
    any_of(e, [&](const Expr& x) {
      cost += is_transcendental(x) ? 8 : 1;
      return false;
    });
  });
  return cost;
}

/// Whether `idx` steps by exactly 1 as loop variable `var` does, the other variables fixed.
bool steps_by_one(const Expr& idx, int64_t var) {
  std::unordered_map<int64_t, int64_t> vars;
  any_of(idx, [&](const Expr& x) {
    if (x->kind == ExprKind::Var) vars[x->int_value] = 1;
    return false;
  });
  auto at = [&](int64_t v) {
    vars[var] = v;
    return kir::evaluate_index(idx, vars);
  };
  return at(1) - at(0) == 1 && at(2) - at(1) == 1 && at(7) - at(6) == 1;
}

/// The prefetches for Parallel loop `p` (see plan_prefetches), into `plan`: the next row's
/// loads, and its stores' lines for ownership, all in the row's costliest loop.
void plan_parallel(const kir::Kernel& k, const Stmt& p, PrefetchPlan& plan) {
  constexpr int64_t kMinRow = 32;
  const Stmt* host = nullptr;
  int64_t best = -1;
  for (const auto& c : p->body) {
    if (c->kind != StmtKind::For) continue;
    for (const auto& inner : c->body) {
      if (inner->kind == StmtKind::For) return;  // deeper nests: not a row kernel
    }
    // A vector loop only: the calls become one prefetch per vector there, and a serial loop
    // (a running sum) would keep a call per element.
    if (c->loop != kir::LoopKind::Vectorizable || c->extent < kMinRow) continue;
    int64_t cost = body_cost(c);
    if (cost > best) best = cost, host = &c;
  }
  if (!host) return;
  int64_t at_id = (*host)->id;
  Expr at = kir::var(at_id, (*host)->extent);
  Expr next = kir::add(kir::var(p->id, p->extent), kir::int_imm(1));
  std::vector<Prefetch> out;
  // param[idx] in loop `var`, at the next row and the host loop's iteration.
  auto add = [&](int64_t param, const Expr& idx, int64_t var, bool write) {
    bool row_index = !any_of(idx, [&](const Expr& y) {
      return y->kind != ExprKind::Var && y->kind != ExprKind::IntImm && y->kind != ExprKind::Binary;
    });
    bool uses_p = any_of(
        idx, [&](const Expr& y) { return y->kind == ExprKind::Var && y->int_value == p->id; });
    bool other_vars = any_of(idx, [&](const Expr& y) {
      return y->kind == ExprKind::Var && y->int_value != p->id && y->int_value != var;
    });
    if (!row_index || !uses_p || other_vars) return;
    Expr target = rename_var(rename_var(idx, p->id, next), var, at);
    bool seen = std::any_of(out.begin(), out.end(), [&](const Prefetch& f) {
      return f.param == param && kir::equal(f.index, target);
    });
    if (!seen && steps_by_one(target, at_id)) out.push_back({param, target, write});
  };
  for (const auto& c : p->body) {
    if (c->kind != StmtKind::For || c->extent != (*host)->extent) continue;
    each_expr(c, [&](const Expr& e) {
      any_of(e, [&](const Expr& x) {
        if (x->kind == ExprKind::Load && !k.params[x->int_value].output)
          add(x->int_value, x->operands[0], c->id, false);
        return false;
      });
    });
    for (const auto& st : c->body) {
      if (st->kind == StmtKind::Store) add(st->id, st->exprs[0], c->id, true);
    }
  }
  if (!out.empty()) plan[host->get()] = std::move(out);
}

/// Whether `idx` is the variable `id` plus a constant: a unit-stride stream in that loop.
bool unit_stride(const Expr& idx, int64_t id) {
  auto is_var = [&](const Expr& e) { return e->kind == ExprKind::Var && e->int_value == id; };
  if (is_var(idx)) return true;
  if (idx->kind != ExprKind::Binary || idx->binop != kir::BinOp::Add) return false;
  const Expr& a = idx->operands[0];
  const Expr& b = idx->operands[1];
  return (is_var(a) && b->kind == ExprKind::IntImm) || (is_var(b) && a->kind == ExprKind::IntImm);
}

/// A flat Parallel loop of stores over a long range (an elementwise kernel over a large
/// tensor): each unit-stride stream it loads or stores is prefetched half a page ahead. A
/// compute-heavy body's instructions fill the out-of-order window, so without it the loads
/// miss at every page (where the hardware prefetcher stops) and nothing overlaps them; and
/// a store's line is requested for ownership (prefetchw) before the store reaches it.
/// Measured with 2 threads on 2^24 f32 (kiln-bench): copy 7.2 -> 5.9 ms, gelu(x*1.5+0.5) *
/// sigmoid(x) 14.4 -> 13.7 ms; prefetching the loads alone made copy slower (9.9 ms). Half a
/// page ahead rather than a whole one: the chain's best of 30 went 8.48 / 8.32 / 8.36 / 8.35 ->
/// 8.27 / 8.16 / 8.02 / 8.04 ms over 4 interleaved rounds (1024 and 8192 bytes: no better),
/// copy unchanged.
void plan_stream(const kir::Kernel& k, const Stmt& p, PrefetchPlan& plan) {
  constexpr int64_t kStreamMinBytes = 4 << 20;
  constexpr int64_t kStreamAheadBytes = 2048;
  std::vector<Prefetch> out;
  int64_t bytes = 0;
  auto add = [&](int64_t param, const Expr& idx, bool write) {
    if (!unit_stride(idx, p->id)) return;
    int64_t size = itemsize(k.params[param].dtype);
    Expr target = rename_var(
        idx, p->id, kir::add(kir::var(p->id, p->extent), kir::int_imm(kStreamAheadBytes / size)));
    bool seen = std::any_of(out.begin(), out.end(), [&](const Prefetch& f) {
      return f.param == param && kir::equal(f.index, target);
    });
    if (seen) return;  // a stream read twice (x in gelu(x*a+b)*sigmoid(x)) moves its bytes once
    bytes += p->extent * size;
    out.push_back({param, target, write});
  };
  for (const auto& c : p->body) {
    if (c->kind != StmtKind::Store) return;
    add(c->id, c->exprs[0], true);
    any_of(c->exprs[1], [&](const Expr& x) {
      if (x->kind == ExprKind::Load && !k.params[x->int_value].output)
        add(x->int_value, x->operands[0], false);
      return false;
    });
  }
  if (!out.empty() && bytes >= kStreamMinBytes) plan[p.get()] = std::move(out);
}

void plan_stmt(const kir::Kernel& k, const Stmt& s, PrefetchPlan& plan) {
  if (s->kind == StmtKind::For && s->loop == kir::LoopKind::Parallel && s->extent > 1) {
    bool flat = std::all_of(s->body.begin(), s->body.end(),
                            [](const Stmt& c) { return c->kind == StmtKind::Store; });
    if (flat) {
      plan_stream(k, s, plan);
    } else {
      plan_parallel(k, s, plan);
    }
    return;
  }
  for (const auto& c : s->body) plan_stmt(k, c, plan);
}

}  // namespace

bool contains_extern(const kir::Stmt& s) {
  if (s->kind == StmtKind::Extern) return true;
  return std::any_of(s->body.begin(), s->body.end(),
                     [](const Stmt& c) { return contains_extern(c); });
}

PrefetchPlan plan_prefetches(const kir::Kernel& k) {
  PrefetchPlan plan;
  if (!contains_extern(k.body)) plan_stmt(k, k.body, plan);
  return plan;
}

}  // namespace kiln::codegen::llvm_backend
