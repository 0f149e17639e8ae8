// Tensor printing: the text torch._tensor_str produces, computed from values already read back.
#pragma once

#include <string>
#include <vector>

#include "kiln/compiler/shape.h"
#include "kiln/runtime/device.h"
#include "kiln/runtime/dtype.h"

namespace kiln::detail {

/// What printing needs of a realized tensor: its values in row-major order, converted to double,
/// and for a non-floating dtype also exactly (a double loses int64 values past 2^53).
struct PrintData {
  std::vector<double> values;
  std::vector<int64_t> ints;  ///< empty, or the same values exactly (non-floating dtypes)
  Shape shape;
  DType dtype;
  Device device;
  bool requires_grad = false;
};

/// The text PyTorch prints for this tensor: "tensor([[1., 2.],\n        [3., 4.]])", with
/// ", device='cuda:0'", ", dtype=torch.float64", ", requires_grad=True" suffixes as PyTorch adds
/// them. Uses PyTorch's default print options (precision 4, threshold 1000, edgeitems 3,
/// linewidth 80, automatic scientific notation).
std::string format_tensor(const PrintData& t);

}  // namespace kiln::detail
