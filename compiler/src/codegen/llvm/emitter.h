// The kir -> LLVM IR visitor, shared by emit.cpp (statements, expressions, the module) and
// parallel.cpp (Parallel loops and split reductions outlined onto the thread pool). Internal to
// the LLVM backend.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "codegen/llvm/llvm_backend.h"
#include "codegen/llvm/rewrite.h"
#include "codegen/llvm/values.h"

namespace kiln::codegen::llvm_backend {

/// Loop-variable ids and accumulator ids a statement uses but does not declare.
struct FreeUses {
  std::set<int64_t> accs_declared, accs_used, accs_updated;

  void expr(const kir::Expr& e);
  /// Walks `s`; returns the iterations of its loops, an estimate of one run's cost.
  int64_t stmt(const kir::Stmt& s);
};

/// One generated function: the kernel body or an outlined parallel body.
struct Scope {
  llvm::Function* fn = nullptr;
  std::vector<llvm::Value*> params;
  std::unordered_map<int64_t, llvm::Value*> vars;
  std::unordered_map<int64_t, llvm::AllocaInst*> accs;
  bool parallel = false;  // inside an outlined body: nested Parallel loops run serially
};

class Emitter {
 public:
  Emitter(const kir::Kernel& k, llvm::Module& m, PrefetchPlan prefetch);
  void emit();

 private:
  // ---- emit.cpp ---------------------------------------------------------------------------
  /// internal void name(ptr noalias p0.., extra..).
  llvm::Function* make_body_function(const std::string& name,
                                     const std::vector<llvm::Type*>& extra);
  /// The kernel's data pointers loaded from `array` (a ptr to one pointer per parameter).
  std::vector<llvm::Value*> load_params(llvm::Value* array);
  /// A stack array, in the current function's entry block, holding the data pointers of
  /// parameters `which` (for a call into hand-written code).
  llvm::Value* params_array(const std::vector<int64_t>& which, const std::string& name);
  /// Calls `symbol` (the statement's, when empty) with the statement's params and its int
  /// args followed by `extra` (run-time values, i64).
  void extern_call(const kir::Stmt& s, const std::string& symbol = "",
                   const std::vector<llvm::Value*>& extra = {});

  // ---- gemm_epilogue.cpp ------------------------------------------------------------------
  /// Emits GEMM call `call` with elementwise loop `loop` (the next statement) fused into it as
  /// its epilogue; false (nothing emitted) when the two do not have that shape.
  bool gemm_with_epilogue(const kir::Stmt& call, const kir::Stmt& loop);
  void stmt(const kir::Stmt& s);
  llvm::Value* combine(kir::ReduceOp op, DType t, llvm::Value* a, llvm::Value* x);
  /// Calls in the module to math functions with vector variants (a loop whose body adds some
  /// calls one).
  size_t vector_variant_calls() const;
  /// Loop metadata: not unrolled before the vectorizer, unrolled as usual after it.
  void keep_rolled_until_vectorized(llvm::BranchInst* latch);
  /// for (i = begin; i < end; ++i) body(i), with blocks named after `name`.
  void for_range(const std::string& name, llvm::Value* begin, llvm::Value* end,
                 const std::function<void(llvm::Value*)>& body);
  /// for (v = begin; v < end; ++v) body, each iteration first prefetching `prefetches` (unit
  /// stride in v) through prefetch_function, so that a vector iteration prefetches each line
  /// once: a row kernel's loop, which may also accumulate.
  void loop(int64_t var_id, llvm::Value* begin, llvm::Value* end,
            const std::vector<kir::Stmt>& body, const std::vector<Prefetch>* prefetches = nullptr);
  /// The address of prefetch `f`'s element in the current iteration.
  llvm::Value* prefetch_address(const Prefetch& f);
  /// loop() strip-mined by 16 with one prefetch per strip of each of `targets`: a flat
  /// elementwise loop (only stores, so strips cost nothing). There the vectorizer would pass
  /// prefetch_function's variants lane 0 of a vector induction variable, a vector add and an
  /// extract more per 16 elements (34.8 instead of 34.3 TSC ticks for elementwise_chain).
  void prefetched_loop(int64_t var_id, llvm::Value* begin, llvm::Value* end,
                       const std::vector<kir::Stmt>& body, const std::vector<Prefetch>& targets);
  /// The accumulator's stack slot in the current function, created on first use.
  llvm::AllocaInst* acc_slot(int64_t id, DType t);
  llvm::Value* expr(const kir::Expr& e);
  llvm::Value* expr_uncached(const kir::Expr& e);
  llvm::Value* guarded(llvm::Value* cond, const kir::Expr& value, llvm::Value* other);

  // ---- parallel.cpp -----------------------------------------------------------------------
  /// A Parallel loop may be outlined when it updates no accumulator declared outside it.
  bool parallel_ok(const kir::Stmt& s);
  void parallel_loop(const kir::Stmt& s);
  /// A long loop of Accumulate statements into accumulators declared outside it, at the top
  /// level (not inside an outlined body): true when it is worth splitting over the pool.
  bool split_reduction_ok(const kir::Stmt& s);
  /// Runs such a loop as fixed chunks on the pool, each into its own partial accumulators,
  /// then combines the partials in chunk order (the same result for any thread count).
  void split_reduction(const kir::Stmt& s);
  /// Runs `emit_range(begin, end)` over [0, n) on the thread pool: outlines it into
  /// <name>.body(p.., vars.., captured.., extra, begin, end) behind the thunk kiln_parallel_for
  /// calls. The body sees the data pointers, the enclosing loop variables, copies of the
  /// accumulators `captured` (current values) and the pointer `extra` (as its argument).
  void outline(const std::string& name, int64_t n, int64_t grain,
               const std::vector<int64_t>& captured, llvm::Value* extra,
               const std::function<void(llvm::Value*, llvm::Value*, llvm::Value*)>& emit_range);

  template <typename F>
  void in_scope(Scope& s, F&& f) {
    Scope* saved = scope_;
    scope_ = &s;
    f();
    scope_ = saved;
  }
  DType param_dtype(int64_t i) const { return k_.params[i].dtype; }

  const kir::Kernel& k_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  Values v_;
  Scope* scope_ = nullptr;
  int parallel_count_ = 0;
  bool has_extern_ = false;
  std::unordered_map<int64_t, DType> acc_dtype_;
  std::unordered_map<const kir::ExprNode*, llvm::Value*> cache_;
  PrefetchPlan prefetch_;
};

}  // namespace kiln::codegen::llvm_backend
