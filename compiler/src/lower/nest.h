// The loop nest a kernel walks its output with: a Parallel loop over the leading dims and, when
// the trailing dims are long enough together, one Vectorizable loop per trailing dim, so that
// index arithmetic divides only once per row instead of once per element (a flat loop's
// unflattening divisions do not vectorize on the CPU). Small shapes stay one flat loop.
#pragma once

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

  /// The loops around `body` (the innermost loop's statements).
  kir::Stmt wrap(std::vector<kir::Stmt> body) const;
};

/// A nest over `shape`: the trailing dims become inner loops when, together and with at least
/// one dim left outside them, they hold `min_inner` or more elements; otherwise one flat loop.
LoopNest loop_nest(Builder& b, const Shape& shape, int64_t min_inner);

/// The multi-index of shape `to` of the element at `idx` in shape `from` (same element count):
/// the indices themselves when the two shapes differ only in size-1 dims.
std::vector<kir::Expr> reindex(const std::vector<kir::Expr>& idx, const Shape& from,
                               const Shape& to);

}  // namespace kiln::lower
