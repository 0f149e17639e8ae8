// Helpers shared by the op families: type promotion, broadcasting and device checks.
#pragma once

#include <string>
#include <vector>

#include "kiln/frontend/tensor.h"
#include "tensor_impl.h"

namespace kiln::detail {

/// An operand of type promotion: a tensor with dims, a 0-d tensor, or a bare number.
struct Operand {
  enum class Kind { Dim, Zero, Wrapped };
  DType dtype;
  Kind kind;
};
Operand operand(const Tensor& t);
Operand operand(Scalar s);
/// PyTorch's result_type: dimensioned tensors win over 0-d tensors, which win over numbers,
/// unless a lower group has a higher category (bool < integer < floating).
DType result_type(const std::vector<Operand>& operands);

/// The device for a creation op; throws DeviceError for a device this build cannot run.
Device resolve_device(const char* op, const TensorOptions& options);
/// Throws DeviceError unless all tensors share a device.
void check_same_device(const char* op, const std::vector<const Tensor*>& tensors);
/// index_select's gather, with the index check `check` (ir::GatherCheck): tensor indexing
/// reads negative indices from the end, index_select rejects them as PyTorch does.
Tensor select_along(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                    ir::GatherCheck check);
/// The least and greatest values of an integral dtype (uint8, int32, int64), as doubles.
void integral_range(DType dtype, double* lowest, double* highest);
/// Throws DTypeError naming op unless the dtype is floating.
void check_floating(const char* op, DType dtype);

/// x's node broadcast to `shape` (leading 1s added, size-1 dims expanded).
ir::NodeRef broadcast_node(const ir::NodeRef& x, const Shape& shape);
/// x's node cast to dtype and broadcast to shape.
ir::NodeRef prepare(const Tensor& x, DType dtype, const Shape& shape);
/// A constant node holding s, of dtype and shape.
ir::NodeRef scalar_node(Scalar s, DType dtype, const Shape& shape, Device device);

/// Normalises a list of dims for a reduction: wraps, sorts, rejects repeats; empty means all.
std::vector<int64_t> reduce_axes(const char* op, const std::vector<int64_t>& dims, int64_t rank);
/// Removes the given (sorted) axes from a shape.
Shape drop_axes(const Shape& shape, const std::vector<int64_t>& axes);

}  // namespace kiln::detail
