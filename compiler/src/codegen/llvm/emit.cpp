// kir -> LLVM IR. A visitor over the kernel IR: expressions return an llvm::Value* in the
// dtype's compute type (bool i1, u8 i8, i32, i64, f16/bf16/f32 as float, f64 double), statements
// emit loops and stores. Memory holds bool as i8, f16 as half and bf16 as i16 (converted with
// round-to-nearest-even by bit arithmetic). Data pointers reach the code as noalias arguments of
// an internal body function that the optimizer inlines (keeping the noalias facts as scopes).
// A Parallel loop is outlined into <name>.parN(ctx, begin, end) and run via kiln_parallel_for.
// An Extern statement calls the named C function with an array of data pointers and an array
// of int64 constants; the JIT resolves the name (CpuJit::define_symbol). Such a kernel's data
// pointers escape into the call, so its body function does not mark them noalias / nocapture.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "codegen/llvm/llvm_backend.h"
#include "codegen/llvm/values.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::llvm_backend {

namespace {

using llvm::Value;

/// Loop-variable ids and accumulator ids a statement uses but does not declare.
struct FreeUses {
  std::set<int64_t> accs_declared, accs_used;
  int64_t work = 1;  // iterations of the body's loops, an estimate of one iteration's cost

  void expr(const kir::Expr& e) {
    if (e->kind == kir::ExprKind::AccRef) accs_used.insert(e->int_value);
    for (const auto& o : e->operands) expr(o);
  }
  int64_t stmt(const kir::Stmt& s) {
    int64_t inner = 0;
    for (const auto& e : s->exprs) expr(e);
    switch (s->kind) {
      case kir::StmtKind::For:
      case kir::StmtKind::Block:
        for (const auto& c : s->body) inner += stmt(c);
        return s->kind == kir::StmtKind::For ? std::max<int64_t>(1, inner) * s->extent
                                             : std::max<int64_t>(1, inner);
      case kir::StmtKind::Accumulator: accs_declared.insert(s->id); return 1;
      case kir::StmtKind::Accumulate: accs_used.insert(s->id); return 1;
      case kir::StmtKind::Store: return 1;
      case kir::StmtKind::Extern: return 1 << 20;  // a whole library call: never batch iterations
    }
    return 1;
  }
};

/// One generated function: the kernel body or an outlined parallel body.
struct Scope {
  llvm::Function* fn = nullptr;
  std::vector<Value*> params;
  std::unordered_map<int64_t, Value*> vars;
  std::unordered_map<int64_t, llvm::AllocaInst*> accs;
  bool parallel = false;  // inside an outlined body: nested Parallel loops run serially
};

class Emitter {
 public:
  Emitter(const kir::Kernel& k, llvm::Module& m) : k_(k), m_(m), b_(m.getContext()), v_(b_) {
    has_extern_ = contains_extern(k.body);
    llvm::FastMathFlags fmf;
    fmf.setAllowReassoc();
    fmf.setAllowContract();
    b_.setFastMathFlags(fmf);
  }

  void emit() {
    auto& ctx = m_.getContext();
    auto* ptr = b_.getPtrTy();
    // The body: void <name>.body(ptr noalias p0, ...).
    llvm::Function* body = make_body_function(k_.name + ".body", 0);
    Scope scope;
    scope.fn = body;
    for (auto& a : body->args()) scope.params.push_back(&a);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", body));
    in_scope(scope, [&] { stmt(k_.body); });
    b_.CreateRetVoid();
    // The entry point: void <name>(ptr args) loads the data pointers and calls the body.
    auto* entry = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), {ptr}, false),
                                         llvm::GlobalValue::ExternalLinkage, k_.name, m_);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", entry));
    std::vector<Value*> args;
    for (size_t i = 0; i < k_.params.size(); ++i) {
      Value* slot = b_.CreateConstInBoundsGEP1_64(ptr, entry->getArg(0), i);
      args.push_back(b_.CreateLoad(ptr, slot, "p" + std::to_string(i)));
    }
    b_.CreateCall(body, args);
    b_.CreateRetVoid();
  }

 private:
  /// internal void name(ptr noalias p0.., i64 extra0..).
  llvm::Function* make_body_function(const std::string& name, size_t extra_i64) {
    std::vector<llvm::Type*> types(k_.params.size(), b_.getPtrTy());
    types.insert(types.end(), extra_i64, b_.getInt64Ty());
    auto* fn = llvm::Function::Create(llvm::FunctionType::get(b_.getVoidTy(), types, false),
                                      llvm::GlobalValue::InternalLinkage, name, m_);
    fn->addFnAttr(llvm::Attribute::NoUnwind);
    for (size_t i = 0; i < k_.params.size(); ++i) {
      if (!has_extern_) {
        fn->addParamAttr(i, llvm::Attribute::NoAlias);
        fn->addParamAttr(i, llvm::Attribute::NoCapture);
      }
      if (!k_.params[i].output) fn->addParamAttr(i, llvm::Attribute::ReadOnly);
    }
    return fn;
  }

  static bool contains_extern(const kir::Stmt& s) {
    if (s->kind == kir::StmtKind::Extern) return true;
    for (const auto& c : s->body) {
      if (contains_extern(c)) return true;
    }
    return false;
  }

  /// void symbol(ptr params, ptr args): params an array of data pointers, args of i64 constants.
  void extern_call(const kir::Stmt& s) {
    auto& ctx = m_.getContext();
    auto* ptr = b_.getPtrTy();
    llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
    auto* ptrs_type = llvm::ArrayType::get(ptr, std::max<size_t>(1, s->params.size()));
    llvm::AllocaInst* ptrs = eb.CreateAlloca(ptrs_type, nullptr, s->symbol + ".params");
    for (size_t i = 0; i < s->params.size(); ++i) {
      b_.CreateStore(scope_->params[s->params[i]],
                     b_.CreateConstInBoundsGEP2_64(ptrs_type, ptrs, 0, i));
    }
    Value* args = llvm::ConstantPointerNull::get(ptr);
    if (!s->int_args.empty()) {
      std::vector<uint64_t> values(s->int_args.begin(), s->int_args.end());
      auto* init = llvm::ConstantDataArray::get(ctx, values);
      args = new llvm::GlobalVariable(m_, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                      init, s->symbol + ".args");
    }
    auto* fn_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr}, false);
    llvm::FunctionCallee fn = m_.getOrInsertFunction(s->symbol, fn_type);
    b_.CreateCall(fn, {ptrs, args});
  }

  template <typename F>
  void in_scope(Scope& s, F&& f) {
    Scope* saved = scope_;
    scope_ = &s;
    f();
    scope_ = saved;
  }

  DType param_dtype(int64_t i) const { return k_.params[i].dtype; }

  // ---- statements -------------------------------------------------------------------------

  void stmt(const kir::Stmt& s) {
    cache_.clear();
    switch (s->kind) {
      case kir::StmtKind::For:
        if (s->loop == kir::LoopKind::Parallel && !scope_->parallel && s->extent > 1 &&
            parallel_ok(s)) {
          parallel_loop(s);
        } else {
          loop(s->id, b_.getInt64(0), b_.getInt64(s->extent), s->body);
        }
        break;
      case kir::StmtKind::Block:
        for (const auto& c : s->body) stmt(c);
        break;
      case kir::StmtKind::Store: {
        DType pt = param_dtype(s->id);
        Value* index = expr(s->exprs[0]);
        Value* value = v_.convert(expr(s->exprs[1]), s->exprs[1]->dtype, pt);
        Value* addr = b_.CreateInBoundsGEP(v_.memory_type(pt), scope_->params[s->id], index);
        b_.CreateStore(v_.to_memory(value, pt), addr);
        break;
      }
      case kir::StmtKind::Accumulator: {
        llvm::AllocaInst*& slot = scope_->accs[s->id];
        if (!slot) {
          llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
          slot = eb.CreateAlloca(v_.value_type(s->dtype), nullptr, "acc" + std::to_string(s->id));
          acc_dtype_[s->id] = s->dtype;
        }
        b_.CreateStore(v_.convert(expr(s->exprs[0]), s->exprs[0]->dtype, s->dtype), slot);
        break;
      }
      case kir::StmtKind::Accumulate: {
        DType at = acc_dtype_.at(s->id);
        llvm::AllocaInst* slot = scope_->accs.at(s->id);
        Value* cur = b_.CreateLoad(slot->getAllocatedType(), slot);
        Value* x = v_.convert(expr(s->exprs[0]), s->exprs[0]->dtype, at);
        b_.CreateStore(combine(s->reduce, at, cur, x), slot);
        break;
      }
      case kir::StmtKind::Extern: extern_call(s); break;
    }
  }

  Value* combine(kir::ReduceOp op, DType t, Value* a, Value* x) {
    bool fp = is_floating(t);
    bool is_unsigned = t == DType::UInt8 || t == DType::Bool;
    switch (op) {
      case kir::ReduceOp::Sum:
        return fp ? b_.CreateFAdd(a, x)
                  : (t == DType::Bool ? b_.CreateOr(a, x) : b_.CreateAdd(a, x));
      case kir::ReduceOp::Prod:
        return fp ? b_.CreateFMul(a, x)
                  : (t == DType::Bool ? b_.CreateAnd(a, x) : b_.CreateMul(a, x));
      case kir::ReduceOp::Max:
        if (fp) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, a, x);
        return b_.CreateBinaryIntrinsic(is_unsigned ? llvm::Intrinsic::umax : llvm::Intrinsic::smax,
                                        a, x);
      case kir::ReduceOp::Min:
        if (fp) return b_.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, a, x);
        return b_.CreateBinaryIntrinsic(is_unsigned ? llvm::Intrinsic::umin : llvm::Intrinsic::smin,
                                        a, x);
    }
    return a;
  }

  /// for (v = begin; v < end; ++v) body.
  void loop(int64_t var_id, Value* begin, Value* end, const std::vector<kir::Stmt>& body) {
    auto& ctx = m_.getContext();
    llvm::Function* fn = scope_->fn;
    llvm::BasicBlock* pre = b_.GetInsertBlock();
    auto* head = llvm::BasicBlock::Create(ctx, "loop" + std::to_string(var_id), fn);
    auto* exit = llvm::BasicBlock::Create(ctx, "after" + std::to_string(var_id), fn);
    b_.CreateCondBr(b_.CreateICmpSLT(begin, end), head, exit);
    b_.SetInsertPoint(head);
    llvm::PHINode* i = b_.CreatePHI(b_.getInt64Ty(), 2, "v" + std::to_string(var_id));
    i->addIncoming(begin, pre);
    Value* saved = scope_->vars.count(var_id) ? scope_->vars[var_id] : nullptr;
    scope_->vars[var_id] = i;
    for (const auto& s : body) stmt(s);
    Value* next = b_.CreateAdd(i, b_.getInt64(1), "", true, true);
    i->addIncoming(next, b_.GetInsertBlock());
    b_.CreateCondBr(b_.CreateICmpSLT(next, end), head, exit);
    b_.SetInsertPoint(exit);
    if (saved) {
      scope_->vars[var_id] = saved;
    } else {
      scope_->vars.erase(var_id);
    }
    cache_.clear();
  }

  /// A Parallel loop may be outlined when it updates no accumulator declared outside it.
  bool parallel_ok(const kir::Stmt& s) {
    FreeUses u;
    u.stmt(s);
    for (int64_t a : u.accs_used) {
      if (!u.accs_declared.count(a)) return false;
    }
    return true;
  }

  void parallel_loop(const kir::Stmt& s) {
    auto& ctx = m_.getContext();
    auto* ptr = b_.getPtrTy();
    auto* i64 = b_.getInt64Ty();
    FreeUses u;
    int64_t work = 0;
    for (const auto& c : s->body) work += u.stmt(c);
    int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work));
    // Context: the data pointers, then the enclosing loop variables.
    std::vector<int64_t> var_ids;
    for (const auto& [id, v] : scope_->vars) var_ids.push_back(id);
    std::sort(var_ids.begin(), var_ids.end());
    size_t np = k_.params.size();
    std::vector<llvm::Type*> fields(np, ptr);
    fields.insert(fields.end(), var_ids.size(), i64);
    auto* ctx_type = llvm::StructType::get(ctx, fields);
    std::string name = k_.name + ".par" + std::to_string(parallel_count_++);

    // The body: <name>.body(p.., vars.., begin, end) runs the loop over [begin, end).
    llvm::Function* body = make_body_function(name + ".body", var_ids.size() + 2);
    Scope inner;
    inner.fn = body;
    inner.parallel = true;
    for (size_t i = 0; i < np; ++i) inner.params.push_back(body->getArg(i));
    for (size_t j = 0; j < var_ids.size(); ++j) inner.vars[var_ids[j]] = body->getArg(np + j);
    auto saved_ip = b_.saveIP();
    auto saved_cache = std::move(cache_);
    cache_.clear();
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", body));
    in_scope(inner, [&] {
      loop(s->id, body->getArg(np + var_ids.size()), body->getArg(np + var_ids.size() + 1),
           s->body);
    });
    b_.CreateRetVoid();

    // The thunk kiln_parallel_for calls: <name>(ptr ctx, i64 begin, i64 end).
    auto* thunk_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, i64, i64}, false);
    auto* thunk = llvm::Function::Create(thunk_type, llvm::GlobalValue::InternalLinkage, name, m_);
    thunk->addFnAttr(llvm::Attribute::NoUnwind);
    b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", thunk));
    std::vector<Value*> args;
    for (size_t f = 0; f < fields.size(); ++f) {
      args.push_back(b_.CreateLoad(fields[f], b_.CreateStructGEP(ctx_type, thunk->getArg(0), f)));
    }
    args.push_back(thunk->getArg(1));
    args.push_back(thunk->getArg(2));
    b_.CreateCall(body, args);
    b_.CreateRetVoid();

    // At the loop's place: fill the context and call the pool.
    b_.restoreIP(saved_ip);
    cache_ = std::move(saved_cache);
    llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
    llvm::AllocaInst* ctx_slot = eb.CreateAlloca(ctx_type, nullptr, name + ".ctx");
    for (size_t i = 0; i < np; ++i)
      b_.CreateStore(scope_->params[i], b_.CreateStructGEP(ctx_type, ctx_slot, i));
    for (size_t j = 0; j < var_ids.size(); ++j) {
      b_.CreateStore(scope_->vars.at(var_ids[j]), b_.CreateStructGEP(ctx_type, ctx_slot, np + j));
    }
    auto* pf_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, i64, i64}, false);
    llvm::FunctionCallee pf = m_.getOrInsertFunction("kiln_parallel_for", pf_type);
    b_.CreateCall(pf, {thunk, ctx_slot, b_.getInt64(s->extent), b_.getInt64(grain)});
  }

  // ---- expressions ------------------------------------------------------------------------

  Value* expr(const kir::Expr& e) {
    if (auto it = cache_.find(e.get()); it != cache_.end()) return it->second;
    Value* v = expr_uncached(e);
    cache_[e.get()] = v;
    return v;
  }

  Value* expr_uncached(const kir::Expr& e) {
    switch (e->kind) {
      case kir::ExprKind::IntImm: return v_.int_const(e->int_value, e->dtype);
      case kir::ExprKind::FloatImm:
        return llvm::ConstantFP::get(v_.value_type(e->dtype), e->float_value);
      case kir::ExprKind::Var: {
        auto it = scope_->vars.find(e->int_value);
        KILN_CHECK(it != scope_->vars.end(), "llvm codegen: loop variable out of scope");
        return it->second;
      }
      case kir::ExprKind::Load: {
        DType t = e->dtype;
        Value* addr = b_.CreateInBoundsGEP(v_.memory_type(t), scope_->params[e->int_value],
                                           expr(e->operands[0]));
        return v_.from_memory(b_.CreateLoad(v_.memory_type(t), addr), t);
      }
      case kir::ExprKind::Unary: return v_.unary(e->unop, expr(e->operands[0]), e->dtype);
      case kir::ExprKind::Binary:
        return v_.binary(e->binop, expr(e->operands[0]), expr(e->operands[1]),
                         e->operands[0]->dtype, e->operands[1]->kind == kir::ExprKind::IntImm);
      case kir::ExprKind::Select:
        return b_.CreateSelect(expr(e->operands[0]), expr(e->operands[1]), expr(e->operands[2]));
      case kir::ExprKind::Cast:
        return v_.convert(expr(e->operands[0]), e->operands[0]->dtype, e->dtype);
      case kir::ExprKind::AccRef: {
        llvm::AllocaInst* slot = scope_->accs.at(e->int_value);
        return v_.convert(b_.CreateLoad(slot->getAllocatedType(), slot),
                          acc_dtype_.at(e->int_value), e->dtype);
      }
      case kir::ExprKind::Philox:
        return v_.philox(e->seed, e->offset, e->dist, e->dtype, expr(e->operands[0]),
                         e->operands.size() > 1 ? expr(e->operands[1]) : nullptr);
    }
    return nullptr;
  }

  const kir::Kernel& k_;
  llvm::Module& m_;
  llvm::IRBuilder<> b_;
  Values v_;
  Scope* scope_ = nullptr;
  int parallel_count_ = 0;
  bool has_extern_ = false;
  std::unordered_map<int64_t, DType> acc_dtype_;
  std::unordered_map<const kir::ExprNode*, Value*> cache_;
};

}  // namespace

std::unique_ptr<llvm::Module> emit_module(const kir::Kernel& k, llvm::LLVMContext& ctx,
                                          llvm::TargetMachine& tm) {
  kir::verify(k);
  auto m = std::make_unique<llvm::Module>(k.name, ctx);
  m->setTargetTriple(tm.getTargetTriple().str());
  m->setDataLayout(tm.createDataLayout());
  Emitter(k, *m).emit();
  // Skylake-class CPUs default to 256-bit vectors; kernels are throughput loops, use all 512.
  bool avx512 = tm.getTargetFeatureString().contains("+avx512f");
  for (llvm::Function& f : *m) {
    if (!f.isDeclaration() && avx512) f.addFnAttr("prefer-vector-width", "512");
  }
  return m;
}

}  // namespace kiln::codegen::llvm_backend
