// Shape and dtype inference per op; the node verifier (check_node, declared in node.h) uses it.
#pragma once

#include <optional>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// What an op's inputs and attributes imply about its result. Unset where the result's shape or
/// dtype is itself an attribute (leaves, reshape, expand, as_strided, cast).
struct Inferred {
  std::optional<Shape> shape;
  std::optional<DType> dtype;
};

/// Validates the inputs and attributes of `op`; throws InternalError naming what is wrong.
Inferred infer(Op op, const std::vector<NodeRef>& inputs, const Attrs& attrs);

}  // namespace kiln::ir
