// Shapes: dimension lists and the arithmetic on them that every layer shares.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kiln {

using Shape = std::vector<int64_t>;

/// Product of the dimensions (1 for a 0-d shape).
int64_t numel_of(const Shape& shape);
/// Row-major strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);
/// "[2, 3]", as PyTorch prints sizes in messages.
std::string shape_str(const Shape& shape);
/// Wraps a possibly negative dim into [0, rank); throws IndexError naming `op` otherwise.
int64_t wrap_dim(const char* op, int64_t dim, int64_t rank);
/// The broadcast of two shapes (NumPy rules); throws ShapeError naming `op`.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);

}  // namespace kiln
