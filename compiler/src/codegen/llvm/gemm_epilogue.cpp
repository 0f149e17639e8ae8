// A GEMM call's epilogue fused into the GEMM (kernels/cpu/gemm.h): a kernel that calls the
// packed GEMM and then rewrites its output elementwise (bias, activation: the loop the lowering
// puts after the call, reading the product back) instead passes that loop's body to the GEMM as
// a function of a block of rows and columns, which the GEMM calls on each register tile once
// its product is final, while the tile is in L1. The output is then written once instead of
// written, read back and written again. Kernels of any other shape keep the two passes.
#include <functional>
#include <numeric>
#include <unordered_map>

#include "codegen/llvm/emitter.h"
#include "codegen/llvm/rewrite.h"
#include "cpu/gemm.h"
#include "kiln/compiler/kir/eval.h"
#include "kiln/compiler/kir/walk.h"

namespace kiln::codegen::llvm_backend {

using llvm::Value;

namespace {

/// The loop after a GEMM call that can run as its epilogue.
struct EpilogueNest {
  std::vector<const kir::StmtNode*> loops;  // outermost first; the innermost holds the stores
  int64_t rows = 0, cols = 0;               // of the product: batch * m, n
  bool flat = false;  // one loop over the elements (else the innermost loop walks a row)
};

using Point = std::unordered_map<int64_t, int64_t>;  // loop variable id -> value

/// Whether `f` holds at the points of the nest that decide index equality: all of them when
/// there are at most 2^12, else every value of each variable (the others 0) and 256 points
/// spread over the whole nest (index expressions are sums of terms in one variable each).
bool at_all_points(const EpilogueNest& nest, const std::function<bool(const Point&)>& f) {
  size_t n = nest.loops.size();
  Point p;
  for (const auto* l : nest.loops) p[l->id] = 0;
  if (nest.rows * nest.cols <= (1 << 12)) {
    for (int64_t flat = 0; flat < nest.rows * nest.cols; ++flat) {
      int64_t rest = flat;
      for (size_t i = n; i-- > 0;) {
        p[nest.loops[i]->id] = rest % nest.loops[i]->extent;
        rest /= nest.loops[i]->extent;
      }
      if (!f(p)) return false;
    }
    return true;
  }
  for (const auto* l : nest.loops) {
    for (int64_t v = 0; v < l->extent; ++v) {
      p[l->id] = v;
      if (!f(p)) return false;
    }
    p[l->id] = 0;
  }
  for (int64_t k = 0; k < 256; ++k) {
    for (size_t i = 0; i < n; ++i)
      p[nest.loops[i]->id] = (k * 7919 + static_cast<int64_t>(i) * 104729) % nest.loops[i]->extent;
    if (!f(p)) return false;
  }
  return true;
}

/// An index of the nest's loop variables alone (no loads: a gather's index is not a position).
bool pure_index(const kir::Expr& index, const Point& vars) {
  return !kir::any_of(index, [&](const kir::Expr& e) {
    return e->kind == kir::ExprKind::Load || e->kind == kir::ExprKind::AccRef ||
           e->kind == kir::ExprKind::Philox ||
           (e->kind == kir::ExprKind::Var && !vars.count(e->int_value));
  });
}

/// Whether `loop` rewrites only the GEMM's output `out`, each element from itself (and other
/// buffers), with its variables walking the rows x cols product in row-major order.
bool match(const kir::Stmt& call, const kir::Stmt& loop, int64_t out, EpilogueNest& nest) {
  if (loop->kind != kir::StmtKind::For) return false;
  nest.rows = call->int_args[0] * call->int_args[1];
  nest.cols = call->int_args[2];
  const kir::StmtNode* s = loop.get();
  while (s->kind == kir::StmtKind::For && s->body.size() == 1 &&
         s->body[0]->kind == kir::StmtKind::For) {
    nest.loops.push_back(s);
    s = s->body[0].get();
  }
  if (s->kind != kir::StmtKind::For || s->body.empty()) return false;
  nest.loops.push_back(s);
  int64_t total = 1;
  for (const auto* l : nest.loops) total *= l->extent;
  nest.flat = nest.loops.size() == 1;
  if (total != nest.rows * nest.cols || (!nest.flat && nest.loops.back()->extent != nest.cols))
    return false;
  Point vars;
  for (const auto* l : nest.loops) vars[l->id] = 0;
  kir::Expr index = s->body[0]->exprs.empty() ? nullptr : s->body[0]->exprs[0];
  if (!index || !pure_index(index, vars)) return false;
  // Only stores to the output at that index; the output read only there (possibly written
  // differently); no accumulators.
  std::vector<kir::Expr> reads;
  for (const auto& st : s->body) {
    if (st->kind != kir::StmtKind::Store || st->id != out || !kir::equal(st->exprs[0], index))
      return false;
    bool other = kir::any_of(st->exprs[1], [&](const kir::Expr& e) {
      if (e->kind == kir::ExprKind::AccRef) return true;
      if (e->kind != kir::ExprKind::Load || e->int_value != out) return false;
      if (kir::equal(e->operands[0], index)) return false;
      reads.push_back(e->operands[0]);
      return !pure_index(e->operands[0], vars);
    });
    if (other) return false;
  }
  // The index is the variables' row-major position, and every read of the output is there.
  std::vector<int64_t> strides(nest.loops.size(), 1);
  for (size_t i = nest.loops.size() - 1; i-- > 0;)
    strides[i] = strides[i + 1] * nest.loops[i + 1]->extent;
  return at_all_points(nest, [&](const Point& p) {
    int64_t at = kir::evaluate_index(index, p), expected = 0;
    for (size_t i = 0; i < nest.loops.size(); ++i) expected += p.at(nest.loops[i]->id) * strides[i];
    if (at != expected) return false;
    for (const auto& r : reads) {
      if (kir::evaluate_index(r, p) != at) return false;
    }
    return true;
  });
}

/// Whether `call` is a GEMM whose epilogue `loop` runs inside it (and its nest, when so).
bool fusable(const kir::Stmt& call, const kir::Stmt& loop, EpilogueNest& nest) {
  if (call->kind != kir::StmtKind::Extern || call->int_args.size() != 12 ||
      call->params.size() != 3)
    return false;
  return !kernels::epilogue_variant(call->symbol).empty() &&
         match(call, loop, call->params[2], nest);
}

/// The output bytes of the GEMM epilogues fused in `s` (a Block's [call, loop] pairs, as
/// Emitter::stmt fuses them).
int64_t fused_output_bytes(const kir::Kernel& k, const kir::Stmt& s) {
  if (s->kind != kir::StmtKind::Block) return 0;
  int64_t bytes = 0;
  for (size_t i = 0; i < s->body.size(); ++i) {
    EpilogueNest nest;
    if (i + 1 < s->body.size() && fusable(s->body[i], s->body[i + 1], nest)) {
      bytes += nest.rows * nest.cols * itemsize(k.params[s->body[i]->params[2]].dtype);
      ++i;
    } else {
      bytes += fused_output_bytes(k, s->body[i]);
    }
  }
  return bytes;
}

}  // namespace

bool Emitter::gemm_with_epilogue(const kir::Stmt& call, const kir::Stmt& loop) {
  EpilogueNest nest;
  if (!fusable(call, loop, nest)) return false;
  std::string_view variant = kernels::epilogue_variant(call->symbol);
  auto& ctx = m_.getContext();
  auto* ptr = b_.getPtrTy();
  auto* i64 = b_.getInt64Ty();
  // The epilogue: internal void <name>.epilogue(ptr params, i64 r0, i64 r1, i64 c0, i64 c1).
  auto* fn = llvm::Function::Create(
      llvm::FunctionType::get(b_.getVoidTy(), {ptr, i64, i64, i64, i64}, false),
      llvm::GlobalValue::InternalLinkage, k_.name + ".epilogue", m_);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  {
    llvm::IRBuilder<>::InsertPointGuard guard(b_);
    Scope scope;
    scope.fn = fn;
    scope.parallel = true;  // called from the GEMM's threads: never back onto the pool
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", fn));
    scope.params = load_params(fn->getArg(0));
    in_scope(scope, [&] {
      cache_.clear();
      for_range("row", fn->getArg(1), fn->getArg(2), [&](Value* r) {
        // The outer variables are the row's digits in the loops' extents (one loop: the row).
        size_t outer = nest.flat ? 0 : nest.loops.size() - 1;
        Value* rest = r;
        for (size_t i = outer; i-- > 0;) {
          Value* e = b_.getInt64(nest.loops[i]->extent);
          scope_->vars[nest.loops[i]->id] = i == 0 ? rest : b_.CreateURem(rest, e);
          if (i > 0) rest = b_.CreateUDiv(rest, e);
        }
        for_range("col", fn->getArg(3), fn->getArg(4), [&](Value* c) {
          cache_.clear();
          scope_->vars[nest.loops.back()->id] =
              nest.flat ? b_.CreateAdd(b_.CreateMul(r, b_.getInt64(nest.cols), "", true, true), c,
                                       "", true, true)
                        : c;
          for (const auto& st : nest.loops.back()->body) stmt(st);
        });
      });
      b_.CreateRetVoid();
    });
    cache_.clear();
  }
  // The call: the GEMM's constant args, then the epilogue and the kernel's data pointers.
  std::vector<int64_t> all(k_.params.size());
  std::iota(all.begin(), all.end(), int64_t{0});
  Value* params = params_array(all, "epilogue.params");
  std::vector<Value*> extra = {b_.CreatePtrToInt(fn, i64), b_.CreatePtrToInt(params, i64)};
  extern_call(call, std::string(variant), extra);
  return true;
}

}  // namespace kiln::codegen::llvm_backend

namespace kiln::codegen {

int64_t bytes_moved(const kir::Kernel& k) {
  // The lowering counts the epilogue's pass as reading the product back and writing it again.
  // The emitter fuses on the kernel as rewritten for the CPU (rewrite.h), so it is checked here.
  kir::Kernel cpu = llvm_backend::rewrite_for_cpu(k);
  return k.bytes_moved - 2 * llvm_backend::fused_output_bytes(cpu, cpu.body);
}

}  // namespace kiln::codegen
