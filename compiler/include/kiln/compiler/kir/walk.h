// Walks over the kernel IR: visiting and rewriting expressions (copy-on-write: a rewrite that
// changes nothing returns the same node), shared by the passes that read or edit kernels.
#pragma once

#include <functional>

#include "kiln/compiler/kir/kir.h"

namespace kiln::kir {

/// `e` with each subexpression for which `f` returns non-null replaced by that (outermost
/// first: a replaced subexpression is not visited further).
Expr map_expr(const Expr& e, const std::function<Expr(const Expr&)>& f);
/// `s` with map_expr(_, f) applied to every expression of it and of the statements inside it.
Stmt map_exprs(const Stmt& s, const std::function<Expr(const Expr&)>& f);
/// True when `f` holds for `e` or a subexpression of it.
bool any_of(const Expr& e, const std::function<bool(const Expr&)>& f);
/// Calls f on every expression of s and of the statements inside it.
void each_expr(const Stmt& s, const std::function<void(const Expr&)>& f);

}  // namespace kiln::kir
