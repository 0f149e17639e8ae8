// Work on the thread pool: a Parallel loop outlined into a body function run by
// kiln_parallel_for, and a long top-level reduction (a full sum, max, ...) split into fixed
// chunks whose partial results are combined in chunk order afterwards. The chunking depends
// only on the loop's length, so a result is the same for any KILN_NUM_THREADS.
#include <algorithm>

#include "codegen/llvm/emitter.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::llvm_backend {

using llvm::Value;

namespace {

/// Iterations of a reduction loop worth splitting over the pool, and the chunk bounds.
constexpr int64_t kSplitMinIterations = 1 << 15;
constexpr int64_t kSplitMinChunk = 1 << 13;
constexpr int64_t kSplitMaxChunks = 256;

}  // namespace

bool Emitter::parallel_ok(const kir::Stmt& s) {
  FreeUses u;
  u.stmt(s);
  for (int64_t a : u.accs_used) {
    if (!u.accs_declared.count(a)) return false;
  }
  return true;
}

void Emitter::parallel_loop(const kir::Stmt& s) {
  FreeUses u;
  int64_t work = 0;
  for (const auto& c : s->body) work += u.stmt(c);
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work));
  outline(k_.name + ".par" + std::to_string(parallel_count_++), s->extent, grain, {}, nullptr,
          [&](Value* begin, Value* end, Value*) {
            if (auto it = prefetch_.find(s.get()); it != prefetch_.end()) {
              prefetched_loop(s->id, begin, end, s->body, it->second);
            } else {
              loop(s->id, begin, end, s->body);
            }
          });
}

bool Emitter::split_reduction_ok(const kir::Stmt& s) {
  if (scope_->parallel || s->loop != kir::LoopKind::Vectorizable) return false;
  if (s->extent < kSplitMinIterations || s->body.empty()) return false;
  FreeUses reads;
  for (const auto& c : s->body) {
    if (c->kind != kir::StmtKind::Accumulate) return false;
    reads.expr(c->exprs[0]);
  }
  for (const auto& c : s->body) {
    // A running value read inside the loop (a cumulative sum) cannot be split.
    if (reads.accs_used.count(c->id)) return false;
    for (const auto& d : s->body) {
      if (d->id == c->id && d->reduce != c->reduce) return false;
    }
  }
  return true;
}

void Emitter::split_reduction(const kir::Stmt& s) {
  auto& ctx = m_.getContext();
  int64_t n = s->extent;
  int64_t chunk = std::max(kSplitMinChunk, (n + kSplitMaxChunks - 1) / kSplitMaxChunks);
  chunk = (chunk + 63) / 64 * 64;
  int64_t chunks = (n + chunk - 1) / chunk;

  // The accumulators the loop updates (each once in `accs`), and those it only reads.
  std::vector<const kir::StmtNode*> accs;
  for (const auto& c : s->body) {
    bool seen = std::any_of(accs.begin(), accs.end(), [&](auto* a) { return a->id == c->id; });
    if (!seen) accs.push_back(c.get());
  }
  // Captured: the accumulators the loop reads, and those it maxes / mins (their initial values
  // start every thread's partial: combining them again is harmless, as in the CUDA rows).
  FreeUses reads;
  for (const auto& c : s->body) reads.expr(c->exprs[0]);
  auto idempotent = [](const kir::StmtNode* a) {
    return a->reduce == kir::ReduceOp::Max || a->reduce == kir::ReduceOp::Min;
  };
  for (const auto* a : accs) {
    if (idempotent(a)) reads.accs_used.insert(a->id);
  }
  std::vector<int64_t> captured(reads.accs_used.begin(), reads.accs_used.end());

  // Partials: chunks x {one field per accumulator}, on the caller's stack.
  std::vector<llvm::Type*> fields;
  for (const auto* a : accs) fields.push_back(v_.value_type(acc_dtype_.at(a->id)));
  auto* row_type = llvm::StructType::get(ctx, fields);
  auto* table_type = llvm::ArrayType::get(row_type, static_cast<uint64_t>(chunks));
  llvm::IRBuilder<> eb(&scope_->fn->getEntryBlock(), scope_->fn->getEntryBlock().begin());
  llvm::AllocaInst* table = eb.CreateAlloca(table_type, nullptr, "partials");

  // A sum's (or product's) chunk starts from 0 (or 1); a max / min runs on from its start.
  auto restart = [&](const kir::StmtNode* a) {
    if (idempotent(a)) return;
    DType t = acc_dtype_.at(a->id);
    int64_t v = a->reduce == kir::ReduceOp::Prod ? 1 : 0;
    b_.CreateStore(is_floating(t) ? static_cast<Value*>(llvm::ConstantFP::get(v_.value_type(t), v))
                                  : v_.int_const(v, t),
                   acc_slot(a->id, t));
  };
  auto slot_of = [&](Value* base, Value* c, size_t j) {
    return b_.CreateInBoundsGEP(table_type, base, {b_.getInt64(0), c, b_.getInt32(j)});
  };
  std::string name = k_.name + ".red" + std::to_string(parallel_count_++);
  outline(name, chunks, 1, captured, table, [&](Value* begin, Value* end, Value* partials) {
    for_range(name + ".c", begin, end, [&](Value* c) {
      for (const auto* a : accs) restart(a);
      Value* lo = b_.CreateMul(c, b_.getInt64(chunk), "", true, true);
      Value* hi = b_.CreateBinaryIntrinsic(llvm::Intrinsic::smin,
                                           b_.CreateAdd(lo, b_.getInt64(chunk)), b_.getInt64(n));
      loop(s->id, lo, hi, s->body);
      for (size_t j = 0; j < accs.size(); ++j) {
        llvm::AllocaInst* slot = scope_->accs.at(accs[j]->id);
        b_.CreateStore(b_.CreateLoad(slot->getAllocatedType(), slot), slot_of(partials, c, j));
      }
    });
  });
  // Combine in chunk order into the accumulators (which hold their initial values).
  for_range(name + ".combine", b_.getInt64(0), b_.getInt64(chunks), [&](Value* c) {
    for (size_t j = 0; j < accs.size(); ++j) {
      DType t = acc_dtype_.at(accs[j]->id);
      llvm::AllocaInst* slot = scope_->accs.at(accs[j]->id);
      Value* part = b_.CreateLoad(fields[j], slot_of(table, c, j));
      Value* cur = b_.CreateLoad(slot->getAllocatedType(), slot);
      b_.CreateStore(combine(accs[j]->reduce, t, cur, part), slot);
    }
  });
  cache_.clear();
}

void Emitter::outline(const std::string& name, int64_t n, int64_t grain,
                      const std::vector<int64_t>& captured, Value* extra,
                      const std::function<void(Value*, Value*, Value*)>& emit_range) {
  auto& ctx = m_.getContext();
  auto* ptr = b_.getPtrTy();
  auto* i64 = b_.getInt64Ty();
  // Context: the data pointers, the enclosing loop variables, the captured accumulators' values
  // and the extra pointer.
  std::vector<int64_t> var_ids;
  for (const auto& [id, v] : scope_->vars) var_ids.push_back(id);
  std::sort(var_ids.begin(), var_ids.end());
  size_t np = k_.params.size(), nv = var_ids.size();
  std::vector<llvm::Type*> fields(np, ptr);
  fields.insert(fields.end(), nv, i64);
  for (int64_t a : captured) fields.push_back(v_.value_type(acc_dtype_.at(a)));
  fields.push_back(ptr);
  auto* ctx_type = llvm::StructType::get(ctx, fields);

  // The body: <name>.body(p.., vars.., captured.., extra, begin, end) runs [begin, end).
  std::vector<llvm::Type*> extra_args(fields.begin() + static_cast<std::ptrdiff_t>(np),
                                      fields.end());
  extra_args.push_back(i64);
  extra_args.push_back(i64);
  llvm::Function* body = make_body_function(name + ".body", extra_args);
  Scope inner;
  inner.fn = body;
  inner.parallel = true;
  for (size_t i = 0; i < np; ++i) inner.params.push_back(body->getArg(i));
  for (size_t j = 0; j < nv; ++j) inner.vars[var_ids[j]] = body->getArg(np + j);
  auto saved_ip = b_.saveIP();
  auto saved_cache = std::move(cache_);
  cache_.clear();
  b_.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", body));
  size_t after = fields.size();  // index of `begin`
  in_scope(inner, [&] {
    for (size_t j = 0; j < captured.size(); ++j) {
      b_.CreateStore(body->getArg(np + nv + j), acc_slot(captured[j], acc_dtype_.at(captured[j])));
    }
    emit_range(body->getArg(after), body->getArg(after + 1), body->getArg(after - 1));
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
  auto field = [&](size_t f) { return b_.CreateStructGEP(ctx_type, ctx_slot, f); };
  for (size_t i = 0; i < np; ++i) b_.CreateStore(scope_->params[i], field(i));
  for (size_t j = 0; j < nv; ++j) b_.CreateStore(scope_->vars.at(var_ids[j]), field(np + j));
  for (size_t j = 0; j < captured.size(); ++j) {
    llvm::AllocaInst* slot = scope_->accs.at(captured[j]);
    b_.CreateStore(b_.CreateLoad(slot->getAllocatedType(), slot), field(np + nv + j));
  }
  b_.CreateStore(extra ? extra : llvm::ConstantPointerNull::get(ptr), field(after - 1));
  auto* pf_type = llvm::FunctionType::get(b_.getVoidTy(), {ptr, ptr, i64, i64}, false);
  llvm::FunctionCallee pf = m_.getOrInsertFunction("kiln_parallel_for", pf_type);
  b_.CreateCall(pf, {thunk, ctx_slot, b_.getInt64(n), b_.getInt64(grain)});
}

}  // namespace kiln::codegen::llvm_backend
