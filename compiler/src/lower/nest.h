// The loop nest a kernel walks its output with: a Parallel loop over the leading dims and, when
// the trailing dims are long enough together, one Vectorizable loop per trailing dim, so that
// index arithmetic divides only once per row instead of once per element (a flat loop's
// unflattening divisions do not vectorize on the CPU). Small shapes stay one flat loop.
#pragma once

#include <optional>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "lower/builder.h"

namespace kiln::lower {

struct LoopNest {
  struct Loop {
    int64_t id, extent;
    kir::LoopKind kind;
  };
  std::vector<kir::Expr> idx;  ///< one index per dim of the shape
  kir::Expr flat;              ///< the row-major flat index
  std::vector<Loop> loops;     ///< outer to inner
  int64_t merged = 0;          ///< inner dims walked by the innermost loop when > 1 (merge)

  /// The loops around `body` (the innermost loop's statements).
  kir::Stmt wrap(std::vector<kir::Stmt> body) const;
};

/// A nest over `shape`: the trailing dims become inner loops when, together and with at least
/// one dim left outside them, they hold `min_inner` or more elements (and more of them, up to
/// rows of 1024 elements); otherwise one flat loop. The last `merge` inner dims of more than
/// one element (all when fewer), when two or more, are one Vectorizable loop, their indices
/// divisions of its variable: what a kernel wants when every access is contiguous across them,
/// so that the divisions cancel ([N, C, 11, 11] read through a permute of N and C: one loop of
/// 121, not 11 of 11 that LLVM vectorizes with gathers).
LoopNest loop_nest(Builder& b, const Shape& shape, int64_t min_inner, int64_t merge = 0);
/// The elements loop_nest's inner loops cover (1 for a flat loop); `split`, when given, gets
/// the first inner dim (the rank for a flat loop).
int64_t inner_elements(const Shape& shape, int64_t min_inner, size_t* split = nullptr);

/// When each dim of `coarse` is the product of a run of `fine`'s dims, in order (size-1 dims
/// aside; the two shapes then have the same row-major order): the positions in `fine` of each
/// dim's run. Otherwise nullopt.
std::optional<std::vector<std::vector<size_t>>> runs_of(const Shape& fine, const Shape& coarse);

/// The multi-index of shape `to` of the element at `idx` in shape `from` (same element count):
/// runs of them flattened when `from` refines `to` (runs_of).
std::vector<kir::Expr> reindex(const std::vector<kir::Expr>& idx, const Shape& from,
                               const Shape& to);

}  // namespace kiln::lower
