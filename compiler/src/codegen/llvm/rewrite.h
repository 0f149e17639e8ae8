// Kernel IR rewrites the CPU backend applies before emitting LLVM IR (the CUDA renderer keeps
// rows in registers and does not need them). Internal to the LLVM backend.
#pragma once

#include <unordered_map>
#include <vector>

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

/// `e` with loop variable `from` replaced by `to`.
kir::Expr rename_var(const kir::Expr& e, int64_t from, const kir::Expr& to);

/// Whether `e` is a transcendental function or a power (costly per element).
bool is_transcendental(const kir::Expr& e);

/// Whether `s` or a statement inside it calls hand-written code (an Extern): such a kernel's
/// data pointers escape, and its loops are left as they are.
bool contains_extern(const kir::Stmt& s);

/// An element to prefetch: param[index], index in terms of the prefetching loop's variable,
/// stepping by one element as that variable does.
struct Prefetch {
  int64_t param;
  kir::Expr index;
  bool write = false;  // for a store (prefetchw: the line is fetched for ownership)
};
/// Per loop: what it prefetches. A row kernel's loop prefetches each cache line once (through
/// prefetch_function's vector variants); a flat stream, one element per 16-element strip (every
/// line for f32, every other line for 8-byte types).
using PrefetchPlan = std::unordered_map<const kir::StmtNode*, std::vector<Prefetch>>;

/// Software prefetches of the next iteration of a Parallel loop (the next row of a softmax, the
/// next block of an elementwise kernel): the hardware prefetcher stops at 4 KiB page boundaries,
/// so each row would otherwise start with a burst of cache misses that nothing overlaps. A row
/// kernel's costliest loop (softmax's exp loop) prefetches the next row's inputs, and its
/// outputs' lines for ownership, while its arithmetic hides them: softmax [4096,1024] f32 took
/// 1.86 ms with them in its last loop (a multiply, too short to hide them) and 1.46 ms so. A
/// flat Parallel loop of stores over more than 4 MiB prefetches its unit-stride streams half a
/// page ahead instead (the stores' lines for ownership), one prefetch per 16-element strip.
PrefetchPlan plan_prefetches(const kir::Kernel& k);

}  // namespace kiln::codegen::llvm_backend
