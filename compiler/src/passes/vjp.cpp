// Vector-Jacobian rules of the reductions, movement ops and opaque ops (the elementwise ones
// are in vjp_elementwise.cpp). Scatter-adds (the adjoint of gather and of overlapping views)
// are a comparison against an iota reduced over the source positions: one fused reduction, no
// new primitive.
#include "passes/vjp.h"

#include <algorithm>
#include <numeric>

#include "kiln/compiler/marks.h"
#include "kiln/runtime/error.h"

namespace kiln::ir {

using detail::full_like;

namespace {

NodeRef zeros(DType dt, Shape shape, Device dev) {
  return constant(0.0, dt, std::move(shape), dev);
}

/// Dims (of a reduce's keepdim shape) that `x` reduced.
std::vector<int64_t> reduced_axes(const Node& n) { return n.attrs().ints; }

/// max/min: the gradient split evenly among the elements equal to the result (PyTorch's amax).
NodeRef extreme_vjp(const NodeRef& n, const NodeRef& g) {
  const NodeRef& x = n->input(0);
  NodeRef hit = binary(Op::Eq, x, expand(n, x->shape()));
  NodeRef count = reduce(Op::Sum, cast(hit, x->dtype()), reduced_axes(*n));
  NodeRef share = expand(binary(Op::Div, g, count), x->shape());
  return where(hit, share, full_like(0.0, share));
}

/// True where an unfold reads its input, false at the positions it fills; null when it reads
/// its input everywhere (no padding, no window past the end).
NodeRef unfold_inside(const Node& u) {
  const auto& a = u.attrs().ints;
  Window w = Window::of(a);
  const Shape& in = u.input(0)->shape();
  int64_t h = in[in.size() - 2], wd = in.back();
  bool rows = w.ph == 0 && (a[8] - 1) * w.sh + (w.kh - 1) * w.dh < h;
  bool cols = w.pw == 0 && (a[9] - 1) * w.sw + (w.kw - 1) * w.dw < wd;
  if (rows && cols) return nullptr;
  NodeRef ones = constant(1.0, u.dtype(), in, u.device());
  NodeRef read = unfold(ones, w, a[8], a[9], 0.0);
  return binary(Op::Ne, read, full_like(0.0, read));
}

/// reduce_first's max/min: the whole gradient to the first extreme element of each row,
/// positions numbered row-major over the reduced axes; in a row whose result is NaN, to its last
/// NaN (max_pool2d's scan replaces its maximum by every NaN it meets). The chosen position is a
/// min reduction of the candidates' ranks, as arg_extreme computes argmax.
NodeRef first_extreme_vjp(const NodeRef& n, const NodeRef& g) {
  const NodeRef& x = n->input(0);
  const Shape& xs = x->shape();
  auto axes = reduced_axes(*n);
  Device dev = x->device();
  int64_t count = 1;
  for (int64_t a : axes) count *= xs[a];
  // Positions in i32 (16 lanes a vector where i64 has 8) unless a row is too long for it.
  DType it = count < (int64_t{1} << 30) ? DType::Int32 : DType::Int64;
  auto index = [&](int64_t v) { return constant_int(v, it, xs, dev); };
  NodeRef pos;
  int64_t stride = 1;
  for (auto a = axes.rbegin(); a != axes.rend(); ++a) {
    NodeRef term = binary(Op::Mul, iota(*a, it, xs, dev), index(stride));
    pos = pos ? binary(Op::Add, pos, term) : term;
    stride *= xs[*a];
  }
  NodeRef nan_row = binary(Op::Ne, n, n);
  NodeRef rank = where(expand(nan_row, xs), binary(Op::Sub, index(count - 1), pos), pos);
  NodeRef hit = binary(Op::Or, binary(Op::Eq, x, expand(n, xs)), binary(Op::Ne, x, x));
  if (x->op() == Op::Unfold) {
    if (NodeRef inside = unfold_inside(*x)) hit = binary(Op::And, hit, inside);
  }
  NodeRef chosen = reduce(Op::Min, where(hit, rank, index(count)), axes);
  // The chosen rank turned back into a position once per row, so that the element test reads
  // `pos` (iotas, cheap to recompute in both kernels) rather than `rank`, whose NaN test reaches
  // back through the pooled value to its producers and so would be materialized: for the CNN's
  // pooling an i32 tensor of the input's size written, then gathered.
  const Shape& rs = chosen->shape();
  NodeRef last = constant_int(count - 1, it, rs, dev);
  NodeRef chosen_pos = where(nan_row, binary(Op::Sub, last, chosen), chosen);
  return where(binary(Op::Eq, pos, expand(chosen_pos, xs)), expand(g, xs), full_like(0.0, x));
}

/// prod: g * prod(others), exact with zeros: one zero gets the product of the rest, and with two
/// or more every element gets 0.
NodeRef prod_vjp(const NodeRef& n, const NodeRef& g) {
  const NodeRef& x = n->input(0);
  const Shape& xs = x->shape();
  auto axes = reduced_axes(*n);
  NodeRef zero = binary(Op::Eq, x, full_like(0.0, x));
  NodeRef zeros_count = expand(reduce(Op::Sum, cast(zero, x->dtype()), axes), xs);
  NodeRef nonzero_prod = expand(reduce(Op::Prod, where(zero, full_like(1.0, x), x), axes), xs);
  NodeRef ge = expand(g, xs);
  NodeRef plain = binary(Op::Div, binary(Op::Mul, ge, expand(n, xs)), x);
  NodeRef single = where(binary(Op::And, zero, binary(Op::Eq, zeros_count, full_like(1.0, x))),
                         binary(Op::Mul, ge, nonzero_prod), full_like(0.0, x));
  return where(binary(Op::Eq, zeros_count, full_like(0.0, x)), plain, single);
}

/// slice: the cotangent spread back with zeros between steps, then padded to the input.
NodeRef slice_vjp(const Node& n, const NodeRef& g) {
  const Shape& xs = n.input(0)->shape();
  const auto& a = n.attrs().ints;
  NodeRef r = g;
  std::vector<int64_t> pads;
  for (size_t d = 0; d < xs.size(); ++d) {
    int64_t start = a[3 * d], stop = a[3 * d + 1], step = a[3 * d + 2];
    Shape s = r->shape();
    if (step > 1 && s[d] > 0) {
      Shape u = s;
      u.insert(u.begin() + static_cast<int64_t>(d) + 1, 1);
      std::vector<int64_t> p(2 * u.size(), 0);
      p[2 * (d + 1) + 1] = step - 1;
      Shape merged = s;
      merged[d] = s[d] * step;
      r = reshape(pad(reshape(r, u), p, 0.0), merged);
      std::vector<int64_t> keep;
      for (size_t e = 0; e < merged.size(); ++e) {
        keep.insert(keep.end(), {0, e == d ? stop - start : merged[e], 1});
      }
      r = slice(r, keep);
    }
    pads.push_back(start);
    pads.push_back(xs[d] - start - r->shape()[d]);
  }
  return pad(r, pads, 0.0);
}

/// result[p] = sum over m of values[m] where positions[m] == p, for p < n (both inputs [M]).
NodeRef scatter_add_flat(const NodeRef& values, const NodeRef& positions, int64_t n) {
  int64_t m = values->numel();
  Shape grid{m, n};
  NodeRef v = expand(reshape(values, {m, 1}), grid);
  NodeRef p = expand(reshape(positions, {m, 1}), grid);
  NodeRef hit = binary(Op::Eq, p, iota(1, DType::Int64, grid, values->device()));
  return reshape(reduce(Op::Sum, where(hit, v, full_like(0.0, v)), {0}), {n});
}

/// True when no two elements of a view with these sizes and strides share a location.
bool non_overlapping(const Shape& sizes, const std::vector<int64_t>& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // stride, size
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] > 1) dims.emplace_back(strides[d], sizes[d]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t reach = 0;
  for (auto [stride, size] : dims) {
    if (stride <= reach) return false;
    reach += (size - 1) * stride;
  }
  return true;
}

/// as_strided: broadcast dims summed, then the view's elements written back into a zero base;
/// an overlapping view scatter-adds over flat positions.
NodeRef as_strided_vjp(const Node& n, const NodeRef& g) {
  const NodeRef& flat = n.input(0);
  const auto& a = n.attrs().ints;
  std::vector<int64_t> strides(a.begin(), a.end() - 1);
  int64_t offset = a.back();
  std::vector<int64_t> broadcast;
  for (size_t d = 0; d < strides.size(); ++d) {
    if (strides[d] == 0 && n.shape()[d] > 1) broadcast.push_back(static_cast<int64_t>(d));
  }
  NodeRef gr = reduce(Op::Sum, g, broadcast);
  NodeRef base = zeros(g->dtype(), flat->shape(), g->device());
  if (gr->numel() == 0) return base;
  if (non_overlapping(gr->shape(), strides)) return set_strided(base, gr, strides, offset);
  const Shape& s = gr->shape();
  NodeRef pos = constant_int(offset, DType::Int64, s, g->device());
  for (size_t d = 0; d < s.size(); ++d) {
    NodeRef term = binary(Op::Mul, iota(static_cast<int64_t>(d), DType::Int64, s, g->device()),
                          constant_int(strides[d], DType::Int64, s, g->device()));
    pos = binary(Op::Add, pos, term);
  }
  return scatter_add_flat(reshape(gr, {gr->numel()}), reshape(pos, {gr->numel()}), flat->numel());
}

/// gather: each index's cotangent added at the position it read, one comparison per candidate.
NodeRef gather_vjp(const Node& n, const NodeRef& g) {
  const NodeRef& x = n.input(0);
  const NodeRef& index = n.input(1);
  int64_t axis = n.attrs().ints[0];
  const Shape& is = index->shape();
  int64_t size = x->shape()[axis];
  Shape unsq = is;
  unsq.insert(unsq.begin() + axis + 1, 1);
  Shape grid = unsq;
  grid[axis + 1] = size;
  NodeRef wrapped =
      where(binary(Op::Lt, index, constant_int(0, DType::Int64, is, x->device())),
            binary(Op::Add, index, constant_int(size, DType::Int64, is, x->device())), index);
  NodeRef idx = expand(reshape(wrapped, unsq), grid);
  NodeRef ge = expand(reshape(g, unsq), grid);
  NodeRef hit = binary(Op::Eq, idx, iota(axis + 1, DType::Int64, grid, x->device()));
  NodeRef summed = reduce(Op::Sum, where(hit, ge, full_like(0.0, ge)), {axis});
  Shape out = is;
  out[axis] = size;
  NodeRef r = reshape(summed, out);
  std::vector<int64_t> pads;
  for (size_t d = 0; d < out.size(); ++d) {
    pads.push_back(0);
    pads.push_back(x->shape()[d] - out[d]);
  }
  return pad(r, pads, 0.0);
}

std::vector<int64_t> swap_last_two(int64_t rank) {
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

}  // namespace

NodeRef vjp(const NodeRef& n, size_t i, const NodeRef& g) {
  if (is_elementwise(n->op())) return detail::vjp_elementwise(n, i, g);
  const NodeRef& x = n->input(0);
  const Shape& xs = x->shape();
  const auto& a = n->attrs().ints;
  switch (n->op()) {
    case Op::Load:
    case Op::Const:
    case Op::Iota:
    case Op::Random:
    case Op::ArgSort: return nullptr;
    case Op::Sum: return expand(g, xs);
    case Op::Max:
    case Op::Min: return is_reduce_first(*n) ? first_extreme_vjp(n, g) : extreme_vjp(n, g);
    case Op::Prod: return prod_vjp(n, g);
    case Op::Reshape: return reshape(g, xs);
    case Op::Permute: {
      std::vector<int64_t> inverse(a.size());
      for (size_t d = 0; d < a.size(); ++d) inverse[a[d]] = static_cast<int64_t>(d);
      return permute(g, inverse);
    }
    case Op::Expand: {
      std::vector<int64_t> axes;
      for (size_t d = 0; d < xs.size(); ++d) {
        if (xs[d] != n->shape()[d]) axes.push_back(static_cast<int64_t>(d));
      }
      return reduce(Op::Sum, g, axes);
    }
    case Op::Pad: {
      std::vector<int64_t> keep;
      for (size_t d = 0; d < xs.size(); ++d)
        keep.insert(keep.end(), {a[2 * d], a[2 * d] + xs[d], 1});
      return slice(g, keep);
    }
    case Op::Slice: return slice_vjp(*n, g);
    case Op::Flip: return flip(g, a);
    case Op::AsStrided: return as_strided_vjp(*n, g);
    // unfold and fold are each other's adjoints (im2col and col2im).
    case Op::Unfold: return fold(g, Window::of(a), xs[xs.size() - 2], xs.back());
    case Op::Fold: return unfold(g, Window::of(a), xs[xs.size() - 2], xs.back(), 0.0);
    case Op::SetStrided: {
      const NodeRef& src = n->input(1);
      std::vector<int64_t> strides(a.begin(), a.end() - 1);
      if (i == 0) return set_strided(g, full_like(0.0, src), strides, a.back());
      return as_strided(g, src->shape(), strides, a.back());
    }
    case Op::MatMul: {
      const NodeRef& y = n->input(1);
      if (i == 0) return matmul(g, permute(y, swap_last_two(y->rank())));
      return matmul(permute(x, swap_last_two(x->rank())), g);
    }
    case Op::Gather: return i == 0 ? gather_vjp(*n, g) : nullptr;
    case Op::Scatter: {
      const NodeRef& index = n->input(1);
      if (i == 0) return scatter(g, index, full_like(0.0, n->input(2)), a[0]);
      if (i == 2) return gather(g, index, a[0]);
      return nullptr;
    }
    case Op::Cumsum: return flip(cumsum(flip(g, {a[0]}), a[0]), {a[0]});
    default: KILN_CHECK(false, std::string("vjp: unhandled op ") + op_name(n->op()));
  }
}

}  // namespace kiln::ir
