// Scalar functions the loop vectorizer replaces by vector variants through the vector-function
// ABI ("vector-function-abi-variant"): the math variants of math_avx512.cpp, and prefetch calls
// that become one prefetch per vector iteration. Until the vectorizer has run, the scalar
// function stays a call and its variants are kept alive; release_vector_variants then makes
// them all inline. A loop holding such a call is not unrolled before the vectorizer sees it
// (emit.cpp's keep_rolled_until_vectorized).
#include <string>

#include <llvm/Transforms/Utils/ModuleUtils.h>

#include "codegen/llvm/llvm_backend.h"

namespace kiln::codegen::llvm_backend {

namespace {

constexpr const char* kLateInline = "kiln-late-inline";

}  // namespace

void attach_vector_variants(llvm::Function& scalar, const std::vector<VectorVariant>& variants) {
  std::string mappings;
  for (const VectorVariant& v : variants) {
    v.fn->addFnAttr(llvm::Attribute::NoUnwind);
    v.fn->addFnAttr(kLateInline);
    // Unused until the vectorizer calls it, so kept alive until then.
    llvm::appendToCompilerUsed(*scalar.getParent(), {v.fn});
    mappings += (mappings.empty() ? "" : ",") +
                ("_ZGV_LLVM_N" + std::to_string(v.lanes) + v.params + "_" + scalar.getName().str() +
                 "(" + v.fn->getName().str() + ")");
  }
  scalar.removeFnAttr(llvm::Attribute::AlwaysInline);
  scalar.addFnAttr(llvm::Attribute::NoInline);
  scalar.addFnAttr(kLateInline);
  scalar.addFnAttr("vector-function-abi-variant", mappings);
}

bool release_vector_variants(llvm::Module& m) {
  bool any = false;
  for (llvm::Function& f : m) {
    if (!f.hasFnAttribute(kLateInline)) continue;
    f.removeFnAttr(llvm::Attribute::NoInline);
    f.addFnAttr(llvm::Attribute::AlwaysInline);
    any = true;
  }
  if (any) {
    llvm::removeFromUsedLists(m, [](llvm::Constant* c) {
      auto* f = llvm::dyn_cast<llvm::Function>(c);
      return f && f->hasFnAttribute(kLateInline);
    });
  }
  return any;
}

llvm::Function* prefetch_function(llvm::Module& m, bool write, unsigned element_bytes) {
  constexpr unsigned kLine = 64;
  std::string name =
      std::string("kiln.prefetch.") + (write ? "w" : "r") + std::to_string(element_bytes);
  if (llvm::Function* f = m.getFunction(name)) return f;
  llvm::LLVMContext& ctx = m.getContext();
  llvm::IRBuilder<> b(ctx);
  auto* type = llvm::FunctionType::get(b.getVoidTy(), {b.getPtrTy()}, false);
  llvm::Function* intrinsic =
      llvm::Intrinsic::getDeclaration(&m, llvm::Intrinsic::prefetch, {b.getPtrTy()});
  auto prefetch = [&](llvm::Value* p) {
    b.CreateCall(intrinsic, {p, b.getInt32(write ? 1 : 0), b.getInt32(3), b.getInt32(1)});
  };
  auto make = [&](const std::string& fn_name) {
    auto* f = llvm::Function::Create(type, llvm::GlobalValue::InternalLinkage, fn_name, m);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", f));
    return f;
  };
  // Scalar (a loop the vectorizer left alone, or its remainder): only the element that starts
  // a cache line prefetches it.
  llvm::Function* scalar = make(name);
  llvm::Value* p = scalar->getArg(0);
  llvm::Value* offset = b.CreateAnd(b.CreatePtrToInt(p, b.getInt64Ty()), kLine - 1);
  auto* fetch = llvm::BasicBlock::Create(ctx, "fetch", scalar);
  auto* done = llvm::BasicBlock::Create(ctx, "done", scalar);
  b.CreateCondBr(b.CreateICmpULT(offset, b.getInt64(element_bytes)), fetch, done);
  b.SetInsertPoint(fetch);
  prefetch(p);
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  // A vector iteration of `lanes` elements: its pointer is lane 0's (a linear parameter), and it
  // prefetches each cache line its elements span.
  std::vector<VectorVariant> variants;
  for (unsigned lanes : {4u, 8u, 16u, 32u, 64u}) {
    llvm::Function* v = make(name + ".v" + std::to_string(lanes));
    unsigned lines = std::max(1u, lanes * element_bytes / kLine);
    for (unsigned i = 0; i < lines; ++i) {
      prefetch(b.CreateConstGEP1_64(b.getInt8Ty(), v->getArg(0), i * kLine));
    }
    b.CreateRetVoid();
    variants.push_back({v, lanes, "l" + std::to_string(element_bytes)});
  }
  attach_vector_variants(*scalar, variants);
  return scalar;
}

}  // namespace kiln::codegen::llvm_backend
