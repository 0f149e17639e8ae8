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

/// Whether `s` or a statement inside it calls hand-written code (an Extern): such a kernel's
/// data pointers escape, and its loops are left as they are.
bool contains_extern(const kir::Stmt& s);

/// An element to prefetch: param[index], index in terms of the prefetching loop's variable.
struct Prefetch {
  int64_t param;
  kir::Expr index;
  bool write = false;  // for a store (prefetchw: the line is fetched for ownership)
};
/// Per vector loop: what it prefetches, one cache line per 16 iterations.
using PrefetchPlan = std::unordered_map<const kir::StmtNode*, std::vector<Prefetch>>;

/// Software prefetches of the next iteration of a Parallel loop (the next row of a softmax, the
/// next block of an elementwise kernel), issued by the Parallel body's last loop when that loop
/// only stores: the hardware prefetcher stops at 4 KiB page boundaries, so each row would
/// otherwise start with a burst of cache misses that nothing overlaps. A flat Parallel loop of
/// stores over more than 4 MiB prefetches its unit-stride streams a page ahead instead (the
/// stores' lines for ownership).
PrefetchPlan plan_prefetches(const kir::Kernel& k);

}  // namespace kiln::codegen::llvm_backend
