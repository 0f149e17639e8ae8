// Interpreter kernels for the opaque ops: set_strided, matmul, argsort, gather, scatter, cumsum,
// fold.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "interpreter/array.h"
#include "kiln/runtime/error.h"

namespace kiln::ir::interp {

namespace {

/// Flat offsets of `x` along `axis` for every "row" (all other indices fixed): calls
/// fn(base_offset, stride, length) once per row.
template <typename Fn>
void for_each_row(const Shape& shape, int64_t axis, Fn fn) {
  Shape strides = contiguous_strides(shape);
  Shape outer = shape;
  outer[axis] = 1;
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t rows = numel_of(outer);
  if (numel_of(shape) == 0) return;
  for (int64_t r = 0; r < rows; ++r, next_index(idx, outer)) {
    int64_t base = 0;
    for (size_t d = 0; d < idx.size(); ++d) base += idx[d] * strides[d];
    fn(base, strides[axis], shape[axis]);
  }
}

Array set_strided(const Node& n, const Array& base, const Array& src) {
  Array out = base;
  const auto& a = n.attrs().ints;
  std::vector<int64_t> idx(src.shape.size(), 0);
  int64_t count = numel_of(src.shape);
  for (int64_t k = 0; k < count; ++k, next_index(idx, src.shape)) {
    int64_t off = a.back();
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * a[d];
    copy_elem(src, k, out, off);
  }
  return out;
}

Array matmul(const Node& n, const Array& x, const Array& y) {
  Array out = make_array(n.dtype(), n.shape());
  size_t r = x.shape.size();
  int64_t m = x.shape[r - 2], k = x.shape[r - 1], nn = y.shape[r - 1];
  int64_t batch = numel_of(Shape(x.shape.begin(), x.shape.end() - 2));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < nn; ++j) {
        double acc = 0.0;
        int64_t iacc = 0;
        for (int64_t p = 0; p < k; ++p) {
          int64_t xi = (b * m + i) * k + p, yi = (b * k + p) * nn + j;
          if (out.is_int()) {
            iacc += x.i[xi] * y.i[yi];
          } else {
            acc += x.f[xi] * y.f[yi];
          }
        }
        int64_t o = (b * m + i) * nn + j;
        if (out.is_int()) {
          out.i[o] = wrap_int(iacc, out.dtype);
        } else {
          out.f[o] = acc;
        }
      }
    }
  }
  return out;
}

Array argsort(const Node& n, const Array& x) {
  Array out = make_array(DType::Int64, n.shape());
  bool descending = n.attrs().ints[1] != 0;
  // NaN sorts as the largest value, as in PyTorch; the sort is stable.
  auto less = [&](double a, double b) {
    if (std::isnan(b)) return !std::isnan(a);
    return a < b;
  };
  for_each_row(x.shape, n.attrs().ints[0], [&](int64_t base, int64_t stride, int64_t len) {
    std::vector<int64_t> order(static_cast<size_t>(len));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) {
      int64_t i = base + p * stride, j = base + q * stride;
      // Integers compare as integers: int64 values past 2^53 are not all doubles.
      if (x.is_int()) return descending ? x.i[j] < x.i[i] : x.i[i] < x.i[j];
      return descending ? less(x.f[j], x.f[i]) : less(x.f[i], x.f[j]);
    });
    for (int64_t j = 0; j < len; ++j) out.i[base + j * stride] = order[j];
  });
  return out;
}

[[noreturn]] void index_error(const char* op, int64_t index, int64_t axis, int64_t size) {
  throw index_out_of_bounds(op, index, axis, size);
}

/// Offset in a tensor of `shape` of multi-index `idx` with the `axis` entry replaced by `j`.
int64_t offset_with(const Shape& strides, const std::vector<int64_t>& idx, int64_t axis,
                    int64_t j) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d)
    off += (static_cast<int64_t>(d) == axis ? j : idx[d]) * strides[d];
  return off;
}

/// Walks every element of `index` and calls fn(k, offset in x) with the offset that element
/// selects along `axis` (negative indices count from the end; out of range throws).
template <typename Fn>
void for_each_indexed(const char* op, const Array& x, const Array& index, int64_t axis,
                      int64_t least, Fn fn) {
  Shape xs = contiguous_strides(x.shape);
  std::vector<int64_t> idx(index.shape.size(), 0);
  int64_t count = numel_of(index.shape);
  int64_t size = x.shape[axis];
  for (int64_t k = 0; k < count; ++k, next_index(idx, index.shape)) {
    int64_t j = index.i[k];
    if (j < least || j >= size) index_error(op, j, axis, size);
    if (j < 0) j += size;
    for (size_t d = 0; d < idx.size(); ++d) {
      if (static_cast<int64_t>(d) != axis && idx[d] >= x.shape[d])
        index_error(op, idx[d], static_cast<int64_t>(d), x.shape[d]);
    }
    fn(k, offset_with(xs, idx, axis, j));
  }
}

Array gather(const Node& n, const Array& x, const Array& index) {
  Array out = make_array(n.dtype(), n.shape());
  for_each_indexed(index_op_name(n), x, index, n.attrs().ints[0], least_index(n),
                   [&](int64_t k, int64_t off) { copy_elem(x, off, out, k); });
  return out;
}

Array scatter(const Node& n, const Array& x, const Array& index, const Array& src) {
  Array out = x;
  for_each_indexed(index_op_name(n), x, index, n.attrs().ints[0], least_index(n),
                   [&](int64_t k, int64_t off) { copy_elem(src, k, out, off); });
  return out;
}

Array cumsum(const Node& n, const Array& x) {
  Array out = make_array(n.dtype(), n.shape());
  for_each_row(x.shape, n.attrs().ints[0], [&](int64_t base, int64_t stride, int64_t len) {
    double acc = 0.0;
    int64_t iacc = 0;
    for (int64_t j = 0; j < len; ++j) {
      int64_t o = base + j * stride;
      if (out.is_int()) {
        iacc += x.i[o];
        out.i[o] = wrap_int(iacc, out.dtype);
      } else {
        acc += x.f[o];
        out.f[o] = acc;
      }
    }
  });
  return out;
}

/// fold by its definition: every element of g added where unfold reads it.
Array fold(const Node& n, const Array& g) {
  Array out = make_array(n.dtype(), n.shape());
  Window w = Window::of(n.attrs().ints);
  size_t r = g.shape.size();
  int64_t h = n.shape()[r - 4], wd = n.shape()[r - 3];
  std::vector<int64_t> idx(r, 0);
  int64_t count = numel_of(g.shape);
  for (int64_t k = 0; k < count; ++k, next_index(idx, g.shape)) {
    int64_t y = idx[r - 2] * w.sh + idx[r - 4] * w.dh - w.ph;
    int64_t x = idx[r - 1] * w.sw + idx[r - 3] * w.dw - w.pw;
    if (y < 0 || y >= h || x < 0 || x >= wd) continue;
    int64_t o = 0;
    for (size_t d = 0; d + 4 < r; ++d) o = o * g.shape[d] + idx[d];
    o = (o * h + y) * wd + x;
    if (out.is_int()) {
      auto sum = static_cast<uint64_t>(out.i[o]) + static_cast<uint64_t>(g.i[k]);
      out.i[o] = wrap_int(static_cast<int64_t>(sum), out.dtype);
    } else {
      out.f[o] += g.f[k];
    }
  }
  return out;
}

}  // namespace

Array eval_opaque(const Node& n, const std::vector<const Array*>& in) {
  switch (n.op()) {
    case Op::SetStrided: return set_strided(n, *in[0], *in[1]);
    case Op::MatMul: return matmul(n, *in[0], *in[1]);
    case Op::ArgSort: return argsort(n, *in[0]);
    case Op::Gather: return gather(n, *in[0], *in[1]);
    case Op::Scatter: return scatter(n, *in[0], *in[1], *in[2]);
    case Op::Cumsum: return cumsum(n, *in[0]);
    case Op::Fold: return fold(n, *in[0]);
    default: KILN_CHECK(false, std::string("not an opaque op: ") + op_name(n.op()));
  }
}

}  // namespace kiln::ir::interp
