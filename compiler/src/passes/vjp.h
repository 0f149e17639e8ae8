// One vector-Jacobian rule per primitive op (vjp.cpp), used by the autograd pass.
#pragma once

#include <cstddef>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// The contribution of `g` (the cotangent of n's output) to the cotangent of n's input `i`,
/// shaped and typed like that input; null when the input gets none (integer inputs, ops whose
/// derivative is zero almost everywhere, stop_gradient).
NodeRef vjp(const NodeRef& n, size_t i, const NodeRef& g);

}  // namespace kiln::ir

namespace kiln::ir::detail {

/// The rules for elementwise ops and casts (vjp_elementwise.cpp).
NodeRef vjp_elementwise(const NodeRef& n, size_t i, const NodeRef& g);

/// A constant of `like`'s shape, dtype and device.
NodeRef full_like(double value, const NodeRef& like);

}  // namespace kiln::ir::detail
