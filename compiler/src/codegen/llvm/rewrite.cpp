// The CPU backend's kernel IR rewrites (see rewrite.h): reciprocals of loop-invariant divisors
// hoisted out of vector loops, and transcendentals a row computes twice cached in its output.
#include "codegen/llvm/rewrite.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "kiln/compiler/kir/walk.h"

namespace kiln::codegen::llvm_backend {

namespace {

using kir::any_of;
using kir::each_expr;
using kir::Expr;
using kir::ExprKind;
using kir::map_expr;
using kir::Stmt;
using kir::StmtKind;

Stmt with_parts(const Stmt& s, std::vector<Expr> exprs, std::vector<Stmt> body) {
  auto n = std::make_shared<kir::StmtNode>(*s);
  n->exprs = std::move(exprs);
  n->body = std::move(body);
  return n;
}

Expr replace(const Expr& e, const Expr& what, const Expr& with) {
  return map_expr(e, [&](const Expr& x) { return kir::equal(x, what) ? with : nullptr; });
}

Expr rename_var(const Expr& e, int64_t from, const Expr& to) {
  return map_expr(e, [&](const Expr& x) {
    return x->kind == ExprKind::Var && x->int_value == from ? to : nullptr;
  });
}

bool is_transcendental(const Expr& e) {
  if (e->kind == ExprKind::Binary) return e->binop == kir::BinOp::Pow;
  if (e->kind != ExprKind::Unary) return false;
  switch (e->unop) {
    case ir::Op::Exp:
    case ir::Op::Log:
    case ir::Op::Log1p:
    case ir::Op::Expm1:
    case ir::Op::Sin:
    case ir::Op::Cos:
    case ir::Op::Tanh:
    case ir::Op::Sigmoid:
    case ir::Op::Erf: return true;
    default: return false;
  }
}

/// `idx` is c * var + (terms without var), c != 0: distinct iterations store distinct elements.
bool injective_in(const Expr& idx, int64_t var) {
  auto has_var = [&](const Expr& e) {
    return any_of(e,
                  [&](const Expr& x) { return x->kind == ExprKind::Var && x->int_value == var; });
  };
  if (idx->kind == ExprKind::Var) return idx->int_value == var;
  if (idx->kind != ExprKind::Binary) return false;
  const Expr& a = idx->operands[0];
  const Expr& b = idx->operands[1];
  if (idx->binop == kir::BinOp::Add) {
    if (has_var(a) && has_var(b)) return false;
    return injective_in(has_var(a) ? a : b, var);
  }
  if (idx->binop == kir::BinOp::Mul) {
    const Expr& k = b->kind == ExprKind::IntImm ? b : a;
    return k->kind == ExprKind::IntImm && k->int_value != 0 && injective_in(k == b ? a : b, var);
  }
  return false;
}

class Rewriter {
 public:
  explicit Rewriter(const kir::Kernel& k) : k_(k) {
    each_expr(k.body, [&](const Expr& e) {
      any_of(e, [&](const Expr& x) {
        if (x->kind == ExprKind::Load) loaded_.insert(x->int_value);
        return false;
      });
    });
    count_stmts(k.body);
  }

  Stmt run(const Stmt& s, bool in_loop) {
    if (s->kind != StmtKind::For && s->kind != StmtKind::Block) return s;
    std::vector<Stmt> body;
    for (const auto& c : s->body) {
      Stmt r = run(c, in_loop || s->kind == StmtKind::For);
      bool loop_body = in_loop || s->kind == StmtKind::For;
      if (loop_body && r->kind == StmtKind::For && r->loop == kir::LoopKind::Vectorizable) {
        r = hoist_reciprocals(r, body);
      }
      body.push_back(r);
    }
    cache_rows(body);
    return with_parts(s, s->exprs, std::move(body));
  }

 private:
  void count_stmts(const Stmt& s) {
    if (s->kind == StmtKind::Store) ++stores_[s->id];
    if (s->kind == StmtKind::Accumulator || s->kind == StmtKind::Accumulate)
      next_acc_ = std::max(next_acc_, s->id + 1);
    if (s->kind == StmtKind::Extern) {
      for (int64_t p : s->params) ++stores_[p];
    }
    for (const auto& c : s->body) count_stmts(c);
  }

  /// Vars bound, accumulators declared or updated and params stored anywhere inside s.
  struct Inside {
    std::set<int64_t> vars, accs, stored;
  };
  static void inside(const Stmt& s, Inside& in) {
    if (s->kind == StmtKind::For) in.vars.insert(s->id);
    if (s->kind == StmtKind::Accumulator || s->kind == StmtKind::Accumulate) in.accs.insert(s->id);
    if (s->kind == StmtKind::Store) in.stored.insert(s->id);
    for (const auto& c : s->body) inside(c, in);
  }

  /// Same value in every iteration of the loop whose insides are `in`.
  bool invariant(const Expr& e, const Inside& in) const {
    return !any_of(e, [&](const Expr& x) {
      switch (x->kind) {
        case ExprKind::Var: return in.vars.count(x->int_value) > 0;
        case ExprKind::AccRef: return in.accs.count(x->int_value) > 0;
        case ExprKind::Load: return stores_.count(x->int_value) > 0;
        case ExprKind::Philox: return true;
        default: return false;
      }
    });
  }

  /// x / d in loop `s` with d invariant and not a constant: d's reciprocal is computed into a
  /// new accumulator appended to `before`, and the division becomes a multiplication.
  Stmt hoist_reciprocals(const Stmt& s, std::vector<Stmt>& before) {
    Inside in;
    inside(s, in);
    std::vector<std::pair<Expr, Expr>> hoisted;  // divisor, its reciprocal's AccRef
    auto rewrite = [&](const Expr& e) {
      return map_expr(e, [&](const Expr& x) -> Expr {
        if (x->kind != ExprKind::Binary || x->binop != kir::BinOp::Div) return nullptr;
        const Expr& d = x->operands[1];
        if (!is_floating(x->dtype) || d->kind == ExprKind::FloatImm || !invariant(d, in))
          return nullptr;
        Expr r;
        for (const auto& [div, ref] : hoisted) {
          if (kir::equal(div, d)) r = ref;
        }
        if (!r) {
          int64_t id = next_acc_++;
          before.push_back(kir::accumulator(
              id, d->dtype, kir::binary(kir::BinOp::Div, kir::float_imm(1.0, d->dtype), d)));
          r = kir::acc_ref(id, d->dtype);
          hoisted.emplace_back(d, r);
        }
        return kir::binary(kir::BinOp::Mul, x->operands[0], r);
      });
    };
    std::function<Stmt(const Stmt&)> walk = [&](const Stmt& t) {
      std::vector<Expr> exprs;
      for (const auto& e : t->exprs) exprs.push_back(rewrite(e));
      std::vector<Stmt> body;
      for (const auto& c : t->body) body.push_back(walk(c));
      return with_parts(t, std::move(exprs), std::move(body));
    };
    return walk(s);
  }

  /// In a loop body: a reduction loop R followed by an output loop W of the same extent that
  /// both compute a transcendental subexpression of the element; R stores it into W's output
  /// and W reads it back.
  void cache_rows(std::vector<Stmt>& body) {
    for (size_t w = 0; w < body.size(); ++w) {
      const Stmt& W = body[w];
      if (W->kind != StmtKind::For || W->body.size() != 1 || W->body[0]->kind != StmtKind::Store) {
        continue;
      }
      const Stmt& store = W->body[0];
      int64_t p = store->id;
      const Expr& idx = store->exprs[0];
      if (stores_[p] != 1 || loaded_.count(p) || k_.params[p].dtype != store->exprs[1]->dtype ||
          !injective_in(idx, W->id) || any_of(idx, [](const Expr& x) {
            return x->kind != ExprKind::Var && x->kind != ExprKind::IntImm &&
                   x->kind != ExprKind::Binary;
          })) {
        continue;
      }
      for (size_t r = 0; r < w; ++r) {
        if (Stmt R = cached(body[r], W, body, r, w)) {
          body[r] = R;
          break;
        }
      }
    }
  }

  Stmt cached(const Stmt& R, const Stmt& W, std::vector<Stmt>& body, size_t r, size_t w) {
    if (R->kind != StmtKind::For || R->extent != W->extent || R->body.empty()) return nullptr;
    for (const auto& c : R->body) {
      if (c->kind != StmtKind::Accumulate) return nullptr;
    }
    // Accumulators and params changed between R's start and W: a cached value must not read them.
    Inside between;
    for (size_t i = r; i < w; ++i) inside(body[i], between);
    const Stmt& store = W->body[0];
    Expr w_var = kir::var(W->id, W->extent);
    Expr r_var = kir::var(R->id, R->extent);
    Expr found;
    for (const auto& c : R->body) {
      any_of(c->exprs[0], [&](const Expr& x) {
        if (found || x->dtype != store->exprs[1]->dtype || !any_of(x, is_transcendental))
          return false;
        bool reads_changed = any_of(x, [&](const Expr& y) {
          return (y->kind == ExprKind::AccRef && between.accs.count(y->int_value)) ||
                 (y->kind == ExprKind::Load && between.stored.count(y->int_value)) ||
                 (y->kind == ExprKind::Var && y->int_value != R->id &&
                  between.vars.count(y->int_value));
        });
        Expr in_w = rename_var(x, R->id, w_var);
        if (!reads_changed &&
            any_of(store->exprs[1], [&](const Expr& y) { return kir::equal(y, in_w); })) {
          found = x;
        }
        return found != nullptr;
      });
    }
    if (!found) return nullptr;
    int64_t p = store->id;
    DType t = k_.params[p].dtype;
    Expr idx_r = rename_var(store->exprs[0], W->id, r_var);
    Expr back_r = kir::load(p, t, idx_r);
    std::vector<Stmt> r_body{kir::store(p, idx_r, found)};
    for (const auto& c : R->body) {
      r_body.push_back(with_parts(c, {replace(c->exprs[0], found, back_r)}, {}));
    }
    Expr in_w = rename_var(found, R->id, w_var);
    Expr back_w = kir::load(p, t, store->exprs[0]);
    Stmt new_store =
        with_parts(store, {store->exprs[0], replace(store->exprs[1], in_w, back_w)}, {});
    body[w] = with_parts(W, W->exprs, {new_store});
    return with_parts(R, R->exprs, std::move(r_body));
  }

  const kir::Kernel& k_;
  std::set<int64_t> loaded_;
  std::map<int64_t, int> stores_;  // stores (and extern writes) per param
  int64_t next_acc_ = 0;
};

/// The prefetches for Parallel loop `p` (see plan_prefetches), into `plan`.
void plan_parallel(const kir::Kernel& k, const Stmt& p, PrefetchPlan& plan) {
  if (p->body.empty()) return;
  const Stmt& last = p->body.back();
  if (last->kind != StmtKind::For || last->loop != kir::LoopKind::Vectorizable ||
      last->extent % 16 != 0 || last->extent < 32) {
    return;
  }
  for (const auto& c : last->body) {
    if (c->kind != StmtKind::Store) return;
  }
  Expr next = kir::add(kir::var(p->id, p->extent), kir::int_imm(1));
  Expr at = kir::var(last->id, last->extent);
  std::vector<Prefetch> out;
  for (const auto& c : p->body) {
    if (c->kind != StmtKind::For || c->extent != last->extent) continue;
    for (const auto& inner : c->body) {
      if (inner->kind == StmtKind::For) return;  // deeper nests: not a row kernel
    }
    each_expr(c, [&](const Expr& e) {
      any_of(e, [&](const Expr& x) {
        if (x->kind != ExprKind::Load || k.params[x->int_value].output) return false;
        const Expr& idx = x->operands[0];
        bool row_index = !any_of(idx, [&](const Expr& y) {
          return y->kind != ExprKind::Var && y->kind != ExprKind::IntImm &&
                 y->kind != ExprKind::Binary;
        });
        bool uses_p = any_of(
            idx, [&](const Expr& y) { return y->kind == ExprKind::Var && y->int_value == p->id; });
        bool other_vars = any_of(idx, [&](const Expr& y) {
          return y->kind == ExprKind::Var && y->int_value != p->id && y->int_value != c->id;
        });
        if (!row_index || !uses_p || other_vars) return false;
        Expr target = rename_var(rename_var(idx, p->id, next), c->id, at);
        bool seen = std::any_of(out.begin(), out.end(), [&](const Prefetch& f) {
          return f.param == x->int_value && kir::equal(f.index, target);
        });
        if (!seen) out.push_back({x->int_value, target});
        return false;
      });
    });
  }
  // The next row's output lines, requested for ownership by the row's first loop that stores
  // there, when that loop only stores (layer_norm's last loop: 1.7 -> 1.5 ms). Strip-mining a
  // loop that also accumulates (softmax's exp loop) would end every strip with a horizontal
  // reduction: softmax took 3.3 instead of 2.2 ms.
  if (out.empty()) return;
  for (const auto& st : last->body) {
    for (const auto& c : p->body) {
      auto store = std::find_if(c->body.begin(), c->body.end(), [&](const Stmt& x) {
        return x->kind == StmtKind::Store && x->id == st->id;
      });
      if (store == c->body.end()) continue;
      bool only_stores = std::all_of(c->body.begin(), c->body.end(),
                                     [](const Stmt& x) { return x->kind == StmtKind::Store; });
      if (c->kind == StmtKind::For && c->extent == last->extent && only_stores) {
        Expr target = rename_var((*store)->exprs[0], p->id, next);
        plan[c.get()].push_back({st->id, target, true});
      }
      break;
    }
  }
  auto& mine = plan[last.get()];
  mine.insert(mine.begin(), out.begin(), out.end());
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
/// tensor): each unit-stride stream it loads or stores is prefetched a page ahead. A
/// compute-heavy body's instructions fill the out-of-order window, so without it the loads
/// miss at every page (where the hardware prefetcher stops) and nothing overlaps them; and
/// a store's line is requested for ownership (prefetchw) before the store reaches it.
/// Measured with 2 threads on 2^24 f32 (kiln-bench): copy 7.2 -> 5.9 ms, gelu(x*1.5+0.5) *
/// sigmoid(x) 14.4 -> 13.7 ms; prefetching the loads alone made copy slower (9.9 ms).
void plan_stream(const kir::Kernel& k, const Stmt& p, PrefetchPlan& plan) {
  constexpr int64_t kStreamMinBytes = 4 << 20;
  constexpr int64_t kStreamAheadBytes = 4096;
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

kir::Kernel rewrite_for_cpu(const kir::Kernel& k) {
  kir::Kernel out = k;
  out.body = Rewriter(k).run(k.body, false);
  kir::verify(out);
  return out;
}

}  // namespace kiln::codegen::llvm_backend
