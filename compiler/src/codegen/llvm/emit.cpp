// kir -> LLVM IR. A visitor over the kernel IR: expressions return an llvm::Value* in the
// dtype's compute type (bool i1, u8 i8, i32, i64, f16/bf16/f32 as float, f64 double), statements
// emit loops and stores. Memory holds bool as i8, f16 as half and bf16 as i16 (converted with
// round-to-nearest-even by bit arithmetic). Data pointers reach the code as noalias arguments of
// an internal body function that the optimizer inlines (keeping the noalias facts as scopes).
// Parallel loops and long top-level reductions run on the thread pool (parallel.cpp).
// An Extern statement calls the named C function with an array of data pointers and an array
// of int64 constants; the JIT resolves the name (CpuJit::define_symbol). Such a kernel's data
// pointers escape into the call, so its body function does not mark them noalias / nocapture.
#include <algorithm>

#include "codegen/llvm/emitter.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::llvm_backend {

using llvm::Value;

void FreeUses::expr(const kir::Expr& e) {
  if (e->kind == kir::ExprKind::AccRef) accs_used.insert(e->int_value);
  for (const auto& o : e->operands) expr(o);
}

int64_t FreeUses::stmt(const kir::Stmt& s) {
  int64_t inner = 0;
  for (const auto& e : s->exprs) expr(e);
  switch (s->kind) {
    case kir::StmtKind::For:
    case kir::StmtKind::Block:
      for (const auto& c : s->body) inner += stmt(c);
      return s->kind == kir::StmtKind::For ? std::max<int64_t>(1, inner) * s->extent
                                           : std::max<int64_t>(1, inner);
    case kir::StmtKind::Accumulator: accs_declared.insert(s->id); return 1;
    case kir::StmtKind::Accumulate:
      accs_used.insert(s->id);
      accs_updated.insert(s->id);
      return 1;
    case kir::StmtKind::Store: return 1;
    case kir::StmtKind::Extern: return 1 << 20;  // a whole library call: never batch iterations
  }
  return 1;
}

Emitter::Emitter(const kir::Kernel& k, llvm::Module& m, PrefetchPlan prefetch)
    : k_(k), m_(m), b_(m.getContext()), v_(b_), prefetch_(std::move(prefetch)) {
  has_extern_ = contains_extern(k.body);
  llvm::FastMathFlags fmf;
  fmf.setAllowContract();
  b_.setFastMathFlags(fmf);
}

void Emitter::emit() {
  auto& ctx = m_.getContext();
  auto* ptr = b_.getPtrTy();
  // The body: void <name>.body(ptr noalias p0, ...).
  llvm::Function* body = make_body_function(k_.name + ".body", {});
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
  b_.CreateCall(body, load_params(entry->getArg(0)));
  b_.CreateRetVoid();
}

std::vector<Value*> Emitter::load_params(Value* array) {
  std::vector<Value*> params;
  for (size_t i = 0; i < k_.params.size(); ++i) {
    Value* slot = b_.CreateConstInBoundsGEP1_64(b_.getPtrTy(), array, i);
    params.push_back(b_.CreateLoad(b_.getPtrTy(), slot, "p" + std::to_string(i)));
  }
  return params;
}

Value* Emitter::params_array(const std::vector<int64_t>& which, const std::string& name) {
  llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
  auto* type = llvm::ArrayType::get(b_.getPtrTy(), std::max<size_t>(1, which.size()));
  llvm::AllocaInst* array = eb.CreateAlloca(type, nullptr, name);
  for (size_t i = 0; i < which.size(); ++i)
    b_.CreateStore(scope_->params[which[i]], b_.CreateConstInBoundsGEP2_64(type, array, 0, i));
  return array;
}

llvm::Function* Emitter::make_body_function(const std::string& name,
                                            const std::vector<llvm::Type*>& extra) {
  std::vector<llvm::Type*> types(k_.params.size(), b_.getPtrTy());
  types.insert(types.end(), extra.begin(), extra.end());
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

/// void symbol(ptr params, ptr args): params an array of data pointers, args of i64 values.
void Emitter::extern_call(const kir::Stmt& s, const std::string& symbol,
                          const std::vector<Value*>& extra) {
  auto& ctx = m_.getContext();
  auto* ptr = b_.getPtrTy();
  const std::string& name = symbol.empty() ? s->symbol : symbol;
  Value* ptrs = params_array(s->params, name + ".params");
  Value* args = llvm::ConstantPointerNull::get(ptr);
  if (!extra.empty()) {
    // Run-time values: the whole array on the stack.
    llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
    auto* args_type = llvm::ArrayType::get(b_.getInt64Ty(), s->int_args.size() + extra.size());
    llvm::AllocaInst* slots = eb.CreateAlloca(args_type, nullptr, name + ".args");
    for (size_t i = 0; i < s->int_args.size() + extra.size(); ++i) {
      Value* v =
          i < s->int_args.size() ? b_.getInt64(s->int_args[i]) : extra[i - s->int_args.size()];
      b_.CreateStore(v, b_.CreateConstInBoundsGEP2_64(args_type, slots, 0, i));
    }
    args = slots;
  } else if (!s->int_args.empty()) {
    std::vector<uint64_t> values(s->int_args.begin(), s->int_args.end());
    auto* init = llvm::ConstantDataArray::get(ctx, values);
    args = new llvm::GlobalVariable(m_, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                    init, name + ".args");
  }
  auto* fn_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr}, false);
  llvm::FunctionCallee fn = m_.getOrInsertFunction(name, fn_type);
  b_.CreateCall(fn, {ptrs, args});
}

void Emitter::stmt(const kir::Stmt& s) {
  cache_.clear();
  switch (s->kind) {
    case kir::StmtKind::For:
      if (s->loop == kir::LoopKind::Parallel && !scope_->parallel && s->extent > 1 &&
          parallel_ok(s)) {
        parallel_loop(s);
      } else if (split_reduction_ok(s)) {
        split_reduction(s);
      } else {
        auto it = prefetch_.find(s.get());
        loop(s->id, b_.getInt64(0), b_.getInt64(s->extent), s->body,
             it == prefetch_.end() ? nullptr : &it->second);
      }
      break;
    case kir::StmtKind::Block:
      for (size_t i = 0; i < s->body.size(); ++i) {
        if (i + 1 < s->body.size() && gemm_with_epilogue(s->body[i], s->body[i + 1])) {
          ++i;  // the loop ran inside the GEMM
          continue;
        }
        stmt(s->body[i]);
      }
      break;
    case kir::StmtKind::Store: {
      DType pt = param_dtype(s->id);
      Value* index = expr(s->exprs[0]);
      Value* value = v_.convert(expr(s->exprs[1]), s->exprs[1]->dtype, pt);
      Value* addr = b_.CreateInBoundsGEP(v_.memory_type(pt), scope_->params[s->id], index);
      b_.CreateStore(v_.to_memory(value, pt), addr);
      break;
    }
    case kir::StmtKind::Accumulator:
      b_.CreateStore(v_.convert(expr(s->exprs[0]), s->exprs[0]->dtype, s->dtype),
                     acc_slot(s->id, s->dtype));
      break;
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

llvm::AllocaInst* Emitter::acc_slot(int64_t id, DType t) {
  llvm::AllocaInst*& slot = scope_->accs[id];
  if (!slot) {
    llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
    slot = eb.CreateAlloca(v_.value_type(t), nullptr, "acc" + std::to_string(id));
    acc_dtype_[id] = t;
  }
  return slot;
}

Value* Emitter::combine(kir::ReduceOp op, DType t, Value* a, Value* x) {
  // Only a reduction's combine may be reassociated (so that it vectorizes); elsewhere LLVM
  // keeps the kernel's order of operations and only contracts a * b + c into an FMA.
  llvm::IRBuilder<>::FastMathFlagGuard guard(b_);
  llvm::FastMathFlags fmf = b_.getFastMathFlags();
  fmf.setAllowReassoc();
  b_.setFastMathFlags(fmf);
  bool fp = is_floating(t);
  bool is_unsigned = t == DType::UInt8 || t == DType::Bool;
  switch (op) {
    case kir::ReduceOp::Sum:
      return fp ? b_.CreateFAdd(a, x) : (t == DType::Bool ? b_.CreateOr(a, x) : b_.CreateAdd(a, x));
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

void Emitter::for_range(const std::string& name, Value* begin, Value* end,
                        const std::function<void(Value*)>& body) {
  auto& ctx = m_.getContext();
  llvm::Function* fn = scope_->fn;
  llvm::BasicBlock* pre = b_.GetInsertBlock();
  auto* head = llvm::BasicBlock::Create(ctx, "loop" + name, fn);
  auto* exit = llvm::BasicBlock::Create(ctx, "after" + name, fn);
  b_.CreateCondBr(b_.CreateICmpSLT(begin, end), head, exit);
  b_.SetInsertPoint(head);
  llvm::PHINode* i = b_.CreatePHI(b_.getInt64Ty(), 2, "v" + name);
  i->addIncoming(begin, pre);
  size_t variant_calls = vector_variant_calls();
  body(i);
  Value* next = b_.CreateAdd(i, b_.getInt64(1), "", true, true);
  i->addIncoming(next, b_.GetInsertBlock());
  llvm::BranchInst* latch = b_.CreateCondBr(b_.CreateICmpSLT(next, end), head, exit);
  if (vector_variant_calls() > variant_calls) keep_rolled_until_vectorized(latch);
  b_.SetInsertPoint(exit);
}

size_t Emitter::vector_variant_calls() const {
  size_t calls = 0;
  for (const llvm::Function& f : m_) {
    if (f.hasFnAttribute("vector-function-abi-variant")) calls += f.getNumUses();
  }
  return calls;
}

void Emitter::keep_rolled_until_vectorized(llvm::BranchInst* latch) {
  // A call to a math function with vector variants (math_avx512.cpp) looks cheap to the full
  // unroller, which would turn a short row into straight-line scalar calls before the
  // vectorizer sees the loop. So no unrolling before vectorization; the loops vectorization
  // makes get only "is vectorized" and are unrolled as usual.
  auto& ctx = m_.getContext();
  auto* one = llvm::ConstantAsMetadata::get(b_.getInt32(1));
  llvm::Metadata* vectorized =
      llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, "llvm.loop.isvectorized"), one});
  llvm::Metadata* attrs[] = {
      nullptr, llvm::MDNode::get(ctx, {llvm::MDString::get(ctx, "llvm.loop.unroll.disable")}),
      llvm::MDNode::get(
          ctx, {llvm::MDString::get(ctx, "llvm.loop.vectorize.followup_all"), vectorized})};
  llvm::MDNode* id = llvm::MDNode::getDistinct(ctx, attrs);
  id->replaceOperandWith(0, id);
  latch->setMetadata(llvm::LLVMContext::MD_loop, id);
}

void Emitter::loop(int64_t var_id, Value* begin, Value* end, const std::vector<kir::Stmt>& body,
                   const std::vector<Prefetch>* prefetches) {
  Value* saved = scope_->vars.count(var_id) ? scope_->vars[var_id] : nullptr;
  for_range(std::to_string(var_id), begin, end, [&](Value* i) {
    scope_->vars[var_id] = i;
    if (prefetches) {
      for (const Prefetch& f : *prefetches) {
        auto bytes = static_cast<unsigned>(itemsize(param_dtype(f.param)));
        b_.CreateCall(prefetch_function(m_, f.write, bytes), {prefetch_address(f)});
      }
    }
    for (const auto& s : body) stmt(s);
  });
  if (saved) {
    scope_->vars[var_id] = saved;
  } else {
    scope_->vars.erase(var_id);
  }
  cache_.clear();
}

Value* Emitter::prefetch_address(const Prefetch& f) {
  // Not inbounds: the last rows' targets lie past the buffer (prefetches never fault).
  return b_.CreateGEP(v_.memory_type(param_dtype(f.param)), scope_->params[f.param], expr(f.index));
}

void Emitter::prefetched_loop(int64_t var_id, Value* begin, Value* end,
                              const std::vector<kir::Stmt>& body,
                              const std::vector<Prefetch>& targets) {
  constexpr int64_t kStrip = 16;  // 64 bytes of f32: one cache line per strip
  Value* saved = scope_->vars.count(var_id) ? scope_->vars[var_id] : nullptr;
  llvm::Function* prefetch =
      llvm::Intrinsic::getDeclaration(&m_, llvm::Intrinsic::prefetch, {b_.getPtrTy()});
  Value* strips = b_.CreateSDiv(b_.CreateSub(end, begin), b_.getInt64(kStrip));
  for_range(std::to_string(var_id) + ".strip", b_.getInt64(0), strips, [&](Value* strip) {
    Value* first = b_.CreateAdd(begin, b_.CreateMul(strip, b_.getInt64(kStrip), "", true, true), "",
                                true, true);
    cache_.clear();
    scope_->vars[var_id] = first;
    for (const Prefetch& f : targets) {
      b_.CreateCall(prefetch, {prefetch_address(f), b_.getInt32(f.write ? 1 : 0), b_.getInt32(3),
                               b_.getInt32(1)});
    }
    // Counted from 0 so that the vectorizer sees exactly 16 iterations.
    for_range(std::to_string(var_id), b_.getInt64(0), b_.getInt64(kStrip), [&](Value* j) {
      scope_->vars[var_id] = b_.CreateAdd(first, j, "", true, true);
      for (const auto& st : body) stmt(st);
    });
  });
  // The iterations past the last whole strip (none when the extent is a multiple of 16).
  loop(var_id, b_.CreateAdd(begin, b_.CreateMul(strips, b_.getInt64(kStrip), "", true, true)), end,
       body);
  if (saved) {
    scope_->vars[var_id] = saved;
  } else {
    scope_->vars.erase(var_id);
  }
  cache_.clear();
}

Value* Emitter::expr(const kir::Expr& e) {
  if (auto it = cache_.find(e.get()); it != cache_.end()) return it->second;
  Value* v = expr_uncached(e);
  cache_[e.get()] = v;
  return v;
}

Value* Emitter::expr_uncached(const kir::Expr& e) {
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
      return v_.binary(e->binop, expr(e->operands[0]), expr(e->operands[1]), e->operands[0]->dtype,
                       e->operands[1]->kind == kir::ExprKind::IntImm);
    case kir::ExprKind::Select: {
      Value* cond = expr(e->operands[0]);
      Value* other = expr(e->operands[2]);
      if (kir::Expr value = unclamped_under(e->operands[0], e->operands[1]))
        return guarded(cond, value, other);
      return b_.CreateSelect(cond, expr(e->operands[1]), other);
    }
    case kir::ExprKind::Cast:
      return v_.convert(expr(e->operands[0]), e->operands[0]->dtype, e->dtype);
    case kir::ExprKind::AccRef: {
      llvm::AllocaInst* slot = scope_->accs.at(e->int_value);
      return v_.convert(b_.CreateLoad(slot->getAllocatedType(), slot), acc_dtype_.at(e->int_value),
                        e->dtype);
    }
    case kir::ExprKind::Philox:
      return v_.philox(e->seed, e->offset, e->dist, e->dtype, expr(e->operands[0]),
                       e->operands.size() > 1 ? expr(e->operands[1]) : nullptr);
  }
  return nullptr;
}

/// cond ? value : other, evaluating `value` only where cond holds (its loads may then read out
/// of bounds elsewhere): a branch around it, which the vectorizer turns into masked loads.
/// Values computed inside the branch are forgotten after it (they do not dominate what follows).
Value* Emitter::guarded(Value* cond, const kir::Expr& value, Value* other) {
  llvm::Function* f = b_.GetInsertBlock()->getParent();
  auto* then = llvm::BasicBlock::Create(b_.getContext(), "guarded", f);
  auto* done = llvm::BasicBlock::Create(b_.getContext(), "guarded.end", f);
  llvm::BasicBlock* skip_from = b_.GetInsertBlock();
  b_.CreateCondBr(cond, then, done);
  b_.SetInsertPoint(then);
  auto outside = cache_;
  Value* v = expr(value);
  llvm::BasicBlock* then_end = b_.GetInsertBlock();
  b_.CreateBr(done);
  cache_ = std::move(outside);
  b_.SetInsertPoint(done);
  llvm::PHINode* phi = b_.CreatePHI(v->getType(), 2);
  phi->addIncoming(v, then_end);
  phi->addIncoming(other, skip_from);
  return phi;
}

std::unique_ptr<llvm::Module> emit_module(const kir::Kernel& k, llvm::LLVMContext& ctx,
                                          llvm::TargetMachine& tm) {
  kir::verify(k);
  kir::Kernel rewritten = rewrite_for_cpu(k);
  auto m = std::make_unique<llvm::Module>(k.name, ctx);
  m->setTargetTriple(tm.getTargetTriple().str());
  m->setDataLayout(tm.createDataLayout());
  bool avx512 = tm.getTargetFeatureString().contains("+avx512f");
  if (avx512 && tm.getTargetFeatureString().contains("+avx512vl"))
    m->addModuleFlag(llvm::Module::Warning, "kiln.avx512", 1);  // math_avx512.cpp
  Emitter(rewritten, *m, plan_prefetches(rewritten)).emit();
  // Skylake-class CPUs default to 256-bit vectors; kernels are throughput loops, use all 512.
  for (llvm::Function& f : *m) {
    if (!f.isDeclaration() && avx512) f.addFnAttr("prefer-vector-width", "512");
  }
  return m;
}

}  // namespace kiln::codegen::llvm_backend
