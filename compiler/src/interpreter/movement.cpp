// Interpreter kernels for movement ops: each output element reads one input element (or the
// pad value), found by mapping the output's multi-index back to the input.
#include "interpreter/array.h"
#include "kiln/runtime/error.h"

namespace kiln::ir::interp {

namespace {
/// Input flat offset for output multi-index `idx`, or -1 for a padded position.
int64_t source_offset(const Node& n, const Shape& in_shape, const Shape& in_strides,
                      const std::vector<int64_t>& idx, int64_t flat) {
  const auto& a = n.attrs().ints;
  switch (n.op()) {
    case Op::Reshape: return flat;
    case Op::Permute: {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * in_strides[a[d]];
      return off;
    }
    case Op::Expand: {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        off += (in_shape[d] == 1 ? 0 : idx[d]) * in_strides[d];
      return off;
    }
    case Op::Pad: {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d) {
        int64_t j = idx[d] - a[2 * d];
        if (j < 0 || j >= in_shape[d]) return -1;
        off += j * in_strides[d];
      }
      return off;
    }
    case Op::Slice: {
      int64_t off = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        off += (a[3 * d] + idx[d] * a[3 * d + 2]) * in_strides[d];
      return off;
    }
    case Op::Flip: {
      int64_t off = 0;
      size_t next_axis = 0;
      for (size_t d = 0; d < idx.size(); ++d) {
        bool flipped = next_axis < a.size() && a[next_axis] == static_cast<int64_t>(d);
        if (flipped) ++next_axis;
        off += (flipped ? in_shape[d] - 1 - idx[d] : idx[d]) * in_strides[d];
      }
      return off;
    }
    case Op::AsStrided: {
      int64_t off = a.back();
      for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * a[d];
      return off;
    }
    case Op::Unfold: {
      // idx = [..., i, j, p, q] reads x[..., p * sh + i * dh - ph, q * sw + j * dw - pw].
      Window w = Window::of(a);
      size_t r = idx.size();
      int64_t h = idx[r - 2] * w.sh + idx[r - 4] * w.dh - w.ph;
      int64_t c = idx[r - 1] * w.sw + idx[r - 3] * w.dw - w.pw;
      size_t ir = in_shape.size();
      if (h < 0 || h >= in_shape[ir - 2] || c < 0 || c >= in_shape[ir - 1]) return -1;
      int64_t off = h * in_strides[ir - 2] + c * in_strides[ir - 1];
      for (size_t d = 0; d + 2 < ir; ++d) off += idx[d] * in_strides[d];
      return off;
    }
    default: KILN_CHECK(false, "not a movement op");
  }
}
}  // namespace

Array eval_movement(const Node& n, const Array& x) {
  Array out = make_array(n.dtype(), n.shape());
  Shape in_strides = contiguous_strides(x.shape);
  std::vector<int64_t> idx(n.shape().size(), 0);
  int64_t count = n.numel();
  double fill = n.op() == Op::Pad || n.op() == Op::Unfold ? n.attrs().scalar : 0.0;
  for (int64_t k = 0; k < count; ++k, next_index(idx, n.shape())) {
    int64_t src = source_offset(n, x.shape, in_strides, idx, k);
    if (src >= 0) {
      copy_elem(x, src, out, k);
    } else if (out.is_int()) {
      out.i[k] = static_cast<int64_t>(fill);
    } else {
      out.f[k] = fill;
    }
  }
  return out;
}

}  // namespace kiln::ir::interp
