// Layout changes as graph ops rather than strided views. A Tensor view (permute, t) is read as
// an as_strided of its storage, whose gradient is written back by a set_strided kernel of its
// own; a graph permute's gradient is the inverse permute, which fuses into its consumer.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/frontend/tensor.h"

namespace kiln::nn::functional::detail {

/// x with its dims permuted (a new tensor, not a view).
inline Tensor permuted(const Tensor& x, std::vector<int64_t> perm) {
  return Tensor::from_node(ir::permute(x.node(), std::move(perm)));
}

/// x with a new shape of the same number of elements (a new tensor, not a view).
inline Tensor reshaped(const Tensor& x, Shape shape) {
  return Tensor::from_node(ir::reshape(x.node(), std::move(shape)));
}

}  // namespace kiln::nn::functional::detail
