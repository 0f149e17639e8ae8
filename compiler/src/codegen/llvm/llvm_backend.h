// Internal interface of the LLVM backend, shared by its parts: emit.cpp (kir -> LLVM IR),
// math.cpp (vectorizable transcendentals as always-inline IR functions), math_avx512.cpp (their
// AVX-512 vector variants), guarded_select.cpp (loads under a bounds test) and target.cpp (host
// TargetMachine, O3 pipeline, object emission). Only the backend's .cpp files include this.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Target/TargetMachine.h>

#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen::llvm_backend {

/// Math functions math.cpp provides; each works on float and double scalars.
enum class MathFn { Exp, Expm1, Log, Log1p, Sin, Cos, Tanh, Sigmoid, Erf, Pow };

/// Emits a call to the module's always-inline implementation of `fn` for x's type (creating it
/// on first use). `y` is the exponent of Pow. The call is inlined by the optimizer, so the
/// loop around it vectorizes.
llvm::Value* emit_math(llvm::IRBuilder<>& b, MathFn fn, llvm::Value* x, llvm::Value* y = nullptr);

/// On a host with AVX-512 (module flag "kiln.avx512"), gives the scalar f32 exp, sigmoid or erf
/// function a 16-lane variant (math_avx512.cpp) that the loop vectorizer calls through the
/// vector-function ABI; the scalar function stays a call until release_vector_variants.
/// Returns false, changing nothing, for other functions, types and hosts.
bool add_vector_variant(llvm::Module& m, MathFn fn, llvm::Function& scalar);

/// A vector variant of a scalar function: `lanes` wide, `params` its parameters' letters in the
/// vector-function ABI ("v" a vector, "l4" linear with a 4-byte step: lane 0's value).
struct VectorVariant {
  llvm::Function* fn;
  unsigned lanes;
  std::string params;
};

/// Lets the loop vectorizer call `variants` in place of `scalar` (vector_calls.cpp): the
/// scalar function stays a call, and the variants stay alive, until release_vector_variants.
void attach_vector_variants(llvm::Function& scalar, const std::vector<VectorVariant>& variants);

/// After the vectorizer: makes the scalar functions and their variants always-inline again
/// and drops them from llvm.compiler.used. Returns whether there were any.
bool release_vector_variants(llvm::Module& m);

/// void prefetch(ptr) of one element of `element_bytes`, for ownership when `write`, whose
/// vector variants prefetch each cache line of a vector iteration's elements once: in a loop
/// over unit-stride elements it prefetches every line without strip-mining the loop.
llvm::Function* prefetch_function(llvm::Module& m, bool write, unsigned element_bytes);

/// coeffs[0] x^(n-1) + ... + coeffs[n-1] by Horner's scheme with FMAs, in x's type (a float
/// or double scalar or vector).
llvm::Value* emit_horner(llvm::IRBuilder<>& b, llvm::Value* x, llvm::ArrayRef<double> coeffs);

/// Integer power with the interpreter's rules (negative exponents give 0 unless |base| is 1).
llvm::Value* emit_ipow(llvm::IRBuilder<>& b, llvm::Value* base, llvm::Value* exp);

/// For select(cond, value, other): `value` with the index clamps of its loads that `cond` makes
/// idle removed (min(e, n - 1) where cond has e < n, max(e, 0) where it has e >= 0), or null
/// when it has none, computes a transcendental or loads elements narrower than 32 bits
/// (guarded_select.cpp). Valid only where `value` is evaluated under `cond`:
/// the emitter then branches around it, and the vectorizer turns the branch into masked loads.
kir::Expr unclamped_under(const kir::Expr& cond, const kir::Expr& value);

/// The kernel as an unoptimized module for `tm`'s triple and data layout.
std::unique_ptr<llvm::Module> emit_module(const kir::Kernel& k, llvm::LLVMContext& ctx,
                                          llvm::TargetMachine& tm);

/// A TargetMachine for the host CPU and all its features, at CodeGenOptLevel::Aggressive.
std::unique_ptr<llvm::TargetMachine> host_target_machine();

/// Runs the new pass manager's O3 pipeline on `m`.
void optimize(llvm::Module& m, llvm::TargetMachine& tm);

}  // namespace kiln::codegen::llvm_backend
