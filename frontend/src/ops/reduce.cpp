// Reductions and the row-wise composites built from them: sum, mean, prod, max/min (with
// indices), argmax/argmin, norm, var, std, logsumexp, all/any, softmax, log_softmax, cumsum, sort,
// argsort, topk.
#include <algorithm>
#include <limits>

#include "kiln/compiler/marks.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

using ir::Op;

namespace {

/// Reduces x (already cast to dtype) over dims; keepdim keeps them as size 1.
Tensor reduce(const char* name, Op op, const Tensor& x, const std::vector<int64_t>& dims,
              bool keepdim, DType dtype) {
  detail::check_defined(name, x);
  std::vector<int64_t> axes = detail::reduce_axes(name, dims, x.dim());
  // Only an empty reduction with a non-empty result lacks an identity (amax of [2, 0] over dim 0
  // is an empty tensor, as in PyTorch).
  if ((op == Op::Max || op == Op::Min) && x.numel() == 0 &&
      numel_of(detail::drop_axes(x.sizes(), axes)) != 0) {
    throw Error(std::string("[") + name + "] cannot reduce an empty tensor of shape " +
                shape_str(x.sizes()) + " (the operation has no identity)");
  }
  auto r = ir::reduce(op, ir::cast(x.node(), dtype), axes);
  if (!keepdim) r = ir::reshape(r, detail::drop_axes(x.sizes(), axes));
  return Tensor::from_node(r);
}

/// sum and prod of integers and bools accumulate in int64, as in PyTorch.
DType accumulate_dtype(DType t) { return is_floating(t) ? t : kInt64; }

/// Index of the first maximum (or minimum) along `dim`, as PyTorch picks among ties.
Tensor arg_extreme(const char* name, Op op, const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(name, x);
  if (x.dim() == 0) return zeros({}, TensorOptions(kInt64).device(x.device()));
  int64_t d = wrap_dim(name, dim, x.dim());
  if (x.size(d) == 0 && numel_of(detail::drop_axes(x.sizes(), {d})) != 0) {
    throw IndexError(std::string("[") + name + "] cannot compute over an empty dimension " +
                     std::to_string(d));
  }
  Tensor best = reduce(name, op, x, {d}, true, x.dtype());
  // A NaN is the extreme wherever it occurs; it is also the first candidate found.
  Tensor hit = logical_or(eq(x, best), isnan(x));
  Shape s = x.sizes();
  Tensor pos = Tensor::from_node(ir::iota(d, kInt64, s, x.device()));
  Tensor candidates = where(hit, pos, full(s, x.size(d), TensorOptions(kInt64).device(x.device())));
  return reduce(name, Op::Min, candidates, {d}, keepdim, kInt64);
}

/// max(dim) / min(dim): values and first indices. Where x requires grad the values are read at
/// the indices, so the gradient goes to that element alone, as PyTorch's does.
std::tuple<Tensor, Tensor> extreme_with_index(const char* name, Op op, const Tensor& x, int64_t dim,
                                              bool keepdim) {
  detail::check_defined(name, x);
  int64_t d = wrap_dim(name, dim, x.dim());
  if (x.dim() == 0 || !x.requires_grad()) {
    return {reduce(name, op, x, {d}, keepdim, x.dtype()), arg_extreme(name, op, x, d, keepdim)};
  }
  Tensor index = arg_extreme(name, op, x, d, true);
  Tensor values = gather(x, d, index);
  if (!keepdim) return {values.squeeze(d), index.squeeze(d)};
  return {values, index};
}

/// all/any over `dims` (empty: every dim), by counting the zero or nonzero elements.
Tensor all_over(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("all", x);
  return reduce("all", Op::Sum, x == 0, dims, keepdim, kInt64) == 0;
}
Tensor any_over(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("any", x);
  return reduce("any", Op::Sum, x != 0, dims, keepdim, kInt64) != 0;
}

}  // namespace

// The all-elements forms pass an empty list of dims (all of them) straight to the vector form.
Tensor sum(const Tensor& x) { return sum(x, std::vector<int64_t>{}, false); }
Tensor sum(const Tensor& x, int64_t dim, bool keepdim) {
  return sum(x, std::vector<int64_t>{dim}, keepdim);
}
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("sum", x);
  return reduce("sum", Op::Sum, x, dims, keepdim, accumulate_dtype(x.dtype()));
}
Tensor mean(const Tensor& x) { return mean(x, std::vector<int64_t>{}, false); }
Tensor mean(const Tensor& x, int64_t dim, bool keepdim) {
  return mean(x, std::vector<int64_t>{dim}, keepdim);
}
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("mean", x);
  if (!is_floating(x.dtype())) {
    throw DTypeError(
        std::string("[mean] could not infer output dtype: input dtype must be floating, got ") +
        torch_name(x.dtype()));
  }
  // 16-bit floats are averaged in f32 and rounded once, as PyTorch accumulates them: their
  // element count may be no f16 (inf past 65504) or round in bf16 (69413 -> 69632), and their
  // sum may overflow f16 where the mean does not. var likewise.
  if (is_16_bit_float(x.dtype())) return mean(x.to(kFloat32), dims, keepdim).to(x.dtype());
  std::vector<int64_t> axes = detail::reduce_axes("mean", dims, x.dim());
  int64_t count = 1;
  for (int64_t a : axes) count *= x.size(a);
  return sum(x, dims, keepdim) / static_cast<double>(count);
}
Tensor prod(const Tensor& x) {
  return reduce("prod", Op::Prod, x, {}, false, accumulate_dtype(x.dtype()));
}
Tensor prod(const Tensor& x, int64_t dim, bool keepdim) {
  return reduce("prod", Op::Prod, x, {dim}, keepdim, accumulate_dtype(x.dtype()));
}
Tensor prod(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce("prod", Op::Prod, x, dims, keepdim, accumulate_dtype(x.dtype()));
}
Tensor max(const Tensor& x) { return reduce("max", Op::Max, x, {}, false, x.dtype()); }
Tensor min(const Tensor& x) { return reduce("min", Op::Min, x, {}, false, x.dtype()); }
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce("amax", Op::Max, x, dims, keepdim, x.dtype());
}
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce("amin", Op::Min, x, dims, keepdim, x.dtype());
}
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_with_index("max", Op::Max, x, dim, keepdim);
}
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_with_index("min", Op::Min, x, dim, keepdim);
}
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce("max", Op::Max, x, dims, keepdim, x.dtype());
}
Tensor min(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return reduce("min", Op::Min, x, dims, keepdim, x.dtype());
}
Tensor argmax(const Tensor& x) { return arg_extreme("argmax", Op::Max, x.reshape({-1}), 0, false); }
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme("argmax", Op::Max, x, dim, keepdim);
}
Tensor argmin(const Tensor& x) { return arg_extreme("argmin", Op::Min, x.reshape({-1}), 0, false); }
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme("argmin", Op::Min, x, dim, keepdim);
}

Tensor norm(const Tensor& x, double p) { return norm(x, p, std::vector<int64_t>{}, false); }
Tensor norm(const Tensor& x, double p, int64_t dim, bool keepdim) {
  return norm(x, p, std::vector<int64_t>{dim}, keepdim);
}
Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("norm", x);
  detail::check_floating("norm", x.dtype());
  if (p == std::numeric_limits<double>::infinity()) return amax(abs(x), dims, keepdim);
  if (p == -std::numeric_limits<double>::infinity()) return amin(abs(x), dims, keepdim);
  if (p == 2.0) {
    // Where the sum of squares is 0 the norm's gradient is 0 (PyTorch's subgradient), not
    // 0 * inf: the square root is taken of a stand-in there, and its result not selected.
    Tensor s = sum(x * x, dims, keepdim);
    Tensor zero = s == 0;
    return where(zero, zeros_like(s), sqrt(where(zero, ones_like(s), s)));
  }
  if (p == 1.0) return sum(abs(x), dims, keepdim);
  if (p == 0.0) return sum((x != 0).to(x.dtype()), dims, keepdim);
  return pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p);
}

Tensor var(const Tensor& x) { return var(x, std::vector<int64_t>{}, true, false); }
Tensor var(const Tensor& x, int64_t dim, bool unbiased, bool keepdim) {
  return var(x, std::vector<int64_t>{dim}, unbiased, keepdim);
}
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  detail::check_defined("var", x);
  detail::check_floating("var", x.dtype());
  if (is_16_bit_float(x.dtype())) {
    return var(x.to(kFloat32), dims, unbiased, keepdim).to(x.dtype());
  }
  std::vector<int64_t> axes = detail::reduce_axes("var", dims, x.dim());
  int64_t count = 1;
  for (int64_t a : axes) count *= x.size(a);
  Tensor centered = x - mean(x, dims, true);
  // No degrees of freedom left (one element unbiased, or none) gives NaN, as in PyTorch.
  double denom = static_cast<double>(std::max<int64_t>(count - (unbiased ? 1 : 0), 0));
  return sum(centered * centered, dims, keepdim) / denom;
}
Tensor std(const Tensor& x) { return sqrt(var(x)); }
Tensor std(const Tensor& x, int64_t dim, bool unbiased, bool keepdim) {
  return sqrt(var(x, dim, unbiased, keepdim));
}
Tensor std(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  return sqrt(var(x, dims, unbiased, keepdim));
}

namespace {
/// The shift that keeps exp from overflowing in softmax, log_softmax and logsumexp. Their
/// value does not depend on it, so its gradient is exactly zero: it is a constant to
/// differentiation, and the backward pass needs no max-with-ties mask.
Tensor row_shift(const Tensor& max) { return Tensor::from_node(ir::stop_gradient(max.node())); }
}  // namespace

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  detail::check_defined("logsumexp", x);
  std::vector<int64_t> axes = detail::reduce_axes("logsumexp", dims, x.dim());
  Tensor xf = is_floating(x.dtype()) ? x : x.to(kFloat32);
  int64_t count = 1;
  for (int64_t a : axes) count *= x.size(a);
  if (count == 0) return log(sum(exp(xf), dims, keepdim));  // an empty sum: -inf, as in PyTorch
  Tensor m = row_shift(amax(xf, dims, true));
  // An all -inf (or +inf) row would give inf - inf; shift by 0 there instead.
  Tensor shift = where(abs(m) == std::numeric_limits<double>::infinity(), zeros_like(m), m);
  Tensor r = log(sum(exp(xf - shift), dims, true)) + shift;
  if (!keepdim)
    r = Tensor::from_node(ir::reshape(
        r.node(), detail::drop_axes(x.sizes(), detail::reduce_axes("logsumexp", dims, x.dim()))));
  return r;
}
Tensor logsumexp(const Tensor& x) { return logsumexp(x, std::vector<int64_t>{}, false); }
Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim) {
  return logsumexp(x, std::vector<int64_t>{dim}, keepdim);
}

// Counted rather than min/max-reduced, so that an empty reduction gives all -> true, any -> false.
Tensor all(const Tensor& x) { return all_over(x, {}, false); }
Tensor all(const Tensor& x, int64_t dim, bool keepdim) { return all_over(x, {dim}, keepdim); }
Tensor all(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return all_over(x, dims, keepdim);
}
Tensor any(const Tensor& x) { return any_over(x, {}, false); }
Tensor any(const Tensor& x, int64_t dim, bool keepdim) { return any_over(x, {dim}, keepdim); }
Tensor any(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return any_over(x, dims, keepdim);
}

Tensor softmax(const Tensor& x, int64_t dim) {
  detail::check_defined("softmax", x);
  Tensor xf = is_floating(x.dtype()) ? x : x.to(kFloat32);
  int64_t d = wrap_dim("softmax", dim, x.dim());
  if (x.dim() > 0 && x.size(d) == 0) return xf.clone();  // PyTorch: an empty result
  Tensor e = exp(xf - row_shift(amax(xf, {d}, true)));
  return e / sum(e, {d}, true);
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  detail::check_defined("log_softmax", x);
  Tensor xf = is_floating(x.dtype()) ? x : x.to(kFloat32);
  int64_t d = wrap_dim("log_softmax", dim, x.dim());
  if (x.dim() > 0 && x.size(d) == 0) return xf.clone();
  Tensor shifted = xf - row_shift(amax(xf, {d}, true));
  return shifted - log(sum(exp(shifted), {d}, true));
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  detail::check_defined("cumsum", x);
  if (x.dim() == 0) return x.to(accumulate_dtype(x.dtype()));
  int64_t d = wrap_dim("cumsum", dim, x.dim());
  return Tensor::from_node(ir::cumsum(ir::cast(x.node(), accumulate_dtype(x.dtype())), d));
}

std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending) {
  detail::check_defined("sort", x);
  if (x.dim() == 0) return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
  int64_t d = wrap_dim("sort", dim, x.dim());
  auto idx = ir::argsort(x.node(), d, descending);
  return {Tensor::from_node(ir::gather(x.node(), idx, d)), Tensor::from_node(idx)};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  detail::check_defined("argsort", x);
  if (x.dim() == 0) return zeros({}, TensorOptions(kInt64).device(x.device()));
  int64_t d = wrap_dim("argsort", dim, x.dim());
  return Tensor::from_node(ir::argsort(x.node(), d, descending));
}

std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest,
                                bool sorted) {
  (void)sorted;  // the k values always come sorted (PyTorch allows any order when false)
  detail::check_defined("topk", x);
  int64_t size = x.dim() == 0 ? 1 : x.size(wrap_dim("topk", dim, x.dim()));
  if (k < 0 || k > size) {
    throw IndexError("[topk] k = " + std::to_string(k) +
                     " is out of range for a dimension of size " + std::to_string(size) +
                     " (shape " + shape_str(x.sizes()) + ")");
  }
  if (x.dim() == 0) {
    if (k == 1) return {x.clone(), zeros({}, TensorOptions(kInt64).device(x.device()))};
    return {zeros({0}, TensorOptions(x.dtype()).device(x.device())),
            zeros({0}, TensorOptions(kInt64).device(x.device()))};
  }
  int64_t d = wrap_dim("topk", dim, x.dim());
  Tensor idx = Tensor::from_node(ir::argsort(x.node(), d, largest)).slice(d, 0, k);
  return {Tensor::from_node(ir::gather(x.node(), idx.node(), d)), idx};
}

}  // namespace kiln
