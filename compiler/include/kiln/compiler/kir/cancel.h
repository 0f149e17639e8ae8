// Index algebra over a loop variable whose loop walks several dims at once (lower/nest.h's
// merged inner loops): the per-dim indices are divisions of it, which cancel where an index
// flattens them again.
#pragma once

#include <cstdint>

#include "kiln/compiler/kir/kir.h"

namespace kiln::kir {

/// `s` with the divisions of variable `var` cancelled where an index flattens them again:
/// (var / (c*m)) * (m*k) + (var / c % m) * k -> (var / c) * k, wherever the two terms sit in a
/// sum (until none is left, var / 1 being var). Shared subexpressions stay shared.
Stmt cancel_divisions(const Stmt& s, int64_t var);

/// True when an index in `s` still divides (or takes the remainder of) variable `var`.
bool divides_var(const Stmt& s, int64_t var);

}  // namespace kiln::kir
