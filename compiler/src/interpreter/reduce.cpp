// Interpreter kernels for reductions: sum, max, min, prod over sorted axes (kept as size 1).
#include <cmath>

#include "interpreter/array.h"
#include "kiln/runtime/error.h"

namespace kiln::ir::interp {

namespace {
double combine(Op op, double acc, double v) {
  switch (op) {
    case Op::Sum: return acc + v;
    case Op::Prod: return acc * v;
    case Op::Max: return std::isnan(acc) || std::isnan(v) ? NAN : (v > acc ? v : acc);
    case Op::Min: return std::isnan(acc) || std::isnan(v) ? NAN : (v < acc ? v : acc);
    default: KILN_CHECK(false, "not a reduction");
  }
}

int64_t combine_int(Op op, int64_t acc, int64_t v) {
  switch (op) {
    case Op::Sum:
      return static_cast<int64_t>(static_cast<uint64_t>(acc) + static_cast<uint64_t>(v));
    case Op::Prod:
      return static_cast<int64_t>(static_cast<uint64_t>(acc) * static_cast<uint64_t>(v));
    case Op::Max: return v > acc ? v : acc;
    case Op::Min: return v < acc ? v : acc;
    default: KILN_CHECK(false, "not a reduction");
  }
}
}  // namespace

Array eval_reduce(const Node& n, const Array& x) {
  Op op = n.op();
  Array out = make_array(n.dtype(), n.shape());
  int64_t out_count = n.numel();
  const Shape& in_shape = x.shape;
  if (numel_of(in_shape) == 0) {
    if (op == Op::Max || op == Op::Min) {
      throw Error(std::string("[") + op_name(op) +
                  "] cannot reduce over a zero-size dimension without an identity");
    }
  }
  // Identity, then fold every input element into its output slot.
  std::vector<bool> seen(static_cast<size_t>(out_count), false);
  for (int64_t k = 0; k < out_count; ++k) {
    if (out.is_int()) {
      out.i[k] = op == Op::Prod ? 1 : 0;
    } else {
      out.f[k] = op == Op::Prod ? 1.0 : 0.0;
    }
  }
  Shape out_strides = contiguous_strides(n.shape());
  std::vector<int64_t> idx(in_shape.size(), 0);
  int64_t total = numel_of(in_shape);
  for (int64_t k = 0; k < total; ++k, next_index(idx, in_shape)) {
    int64_t o = 0;
    for (size_t d = 0; d < idx.size(); ++d) {
      if (n.shape()[d] != 1) o += idx[d] * out_strides[d];
    }
    bool first = !seen[o];
    seen[o] = true;
    if (out.is_int()) {
      out.i[o] =
          first && (op == Op::Max || op == Op::Min) ? x.i[k] : combine_int(op, out.i[o], x.i[k]);
      out.i[o] = wrap_int(out.i[o], out.dtype);
    } else {
      out.f[o] = first && (op == Op::Max || op == Op::Min) ? x.f[k] : combine(op, out.f[o], x.f[k]);
    }
  }
  return out;
}

}  // namespace kiln::ir::interp
