// Kernel IR rewrites the CPU backend applies before emitting LLVM IR (the CUDA renderer keeps
// rows in registers and does not need them). Internal to the LLVM backend.
#pragma once

#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen::llvm_backend {

/// The kernel with two rewrites that trade a little rounding for much less work per element:
/// - A float division by a value that is invariant in the vector loop around it (softmax's
///   row sum, layer_norm's sqrt(var + eps)) becomes a multiplication by its reciprocal,
///   computed once before the loop (at most 1 ulp from the quotient, as PyTorch's CPU kernels).
/// - A transcendental subexpression that a row's reduction loop computes and the row's output
///   loop computes again (softmax's exp(x - max)) is computed once: the reduction loop also
///   stores it into the output, the output loop reads it back (the row is still in cache).
/// Kernels without these patterns come back unchanged.
kir::Kernel rewrite_for_cpu(const kir::Kernel& k);

}  // namespace kiln::codegen::llvm_backend
