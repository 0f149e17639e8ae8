// The interpreter's value: a dense row-major array of doubles (floating dtypes) or int64s
// (integer and bool dtypes), and the index arithmetic its kernels share.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir::interp {

struct Array {
  DType dtype = DType::Float32;
  Shape shape;
  std::vector<double> f;   // floating dtypes
  std::vector<int64_t> i;  // integer and bool dtypes

  bool is_int() const { return !is_floating(dtype); }
  double get(int64_t k) const { return is_int() ? static_cast<double>(i[k]) : f[k]; }
};

/// A zero-filled array of the given dtype and shape.
Array make_array(DType dtype, const Shape& shape);
/// Copies element `from` of `src` into element `to` of `dst` (same dtype).
inline void copy_elem(const Array& src, int64_t from, Array& dst, int64_t to) {
  if (dst.is_int()) {
    dst.i[to] = src.i[from];
  } else {
    dst.f[to] = src.f[from];
  }
}

/// Advances a row-major multi-index over `shape`; returns false after the last one.
bool next_index(std::vector<int64_t>& idx, const Shape& shape);

// Families of node evaluators; each takes the node and its evaluated inputs.
/// `stream`: a random op's run-time stream input (null when it has none).
Array eval_leaf(const Node& n, const Array* stream);
Array eval_elementwise(const Node& n, const std::vector<const Array*>& in);
Array eval_reduce(const Node& n, const Array& x);
Array eval_movement(const Node& n, const Array& x);
Array eval_opaque(const Node& n, const std::vector<const Array*>& in);

}  // namespace kiln::ir::interp
