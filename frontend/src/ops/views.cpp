// View ops: new handles on the same storage with other sizes, strides and offset. They move
// no data; reading a view becomes index math over its base. Copying shape ops (flip, repeat)
// live in shape.cpp.
#include <algorithm>
#include <numeric>
#include <optional>

#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

namespace {

const detail::TensorImpl& impl_of(const char* op, const Tensor& t) {
  detail::check_defined(op, t);
  return *t.impl();
}

/// Replaces one -1 in `shape` so that it holds `numel` elements; throws ShapeError otherwise.
Shape infer_size(const char* op, Shape shape, int64_t numel) {
  int64_t known = 1;
  std::optional<size_t> infer;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer) throw ShapeError(std::string("[") + op + "] only one dimension can be inferred");
      infer = i;
    } else if (shape[i] < 0) {
      throw ShapeError(std::string("[") + op + "] invalid shape dimension " +
                       std::to_string(shape[i]));
    } else {
      known *= shape[i];
    }
  }
  if (infer && known != 0 && numel % known == 0) {
    shape[*infer] = numel / known;
    return shape;
  }
  if (!infer && known == numel) return shape;
  throw ShapeError(std::string("[") + op + "] shape '" + shape_str(shape) +
                   "' is invalid for input of size " + std::to_string(numel));
}

/// Strides for viewing (sizes, strides) as `shape` without copying, or nullopt when no strides
/// can express it (PyTorch's computeStride: dims are merged into contiguous chunks).
std::optional<Shape> view_strides(const Shape& sizes, const Shape& strides, const Shape& shape) {
  if (sizes.empty()) return Shape(shape.size(), 1);
  int64_t numel = numel_of(sizes);
  if (numel == 0) return contiguous_strides(shape);
  Shape out(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

}  // namespace

Tensor Tensor::view(std::vector<int64_t> shape) const {
  const auto& im = impl_of("view", *this);
  Shape target = infer_size("view", std::move(shape), numel());
  auto st = view_strides(im.sizes, im.strides, target);
  if (!st) {
    throw ShapeError("[view] view size " + shape_str(target) +
                     " is not compatible with input tensor's size " + shape_str(im.sizes) +
                     " and stride " + shape_str(im.strides) +
                     " (at least one dimension spans across two contiguous subspaces). Use "
                     ".reshape(...) instead.");
  }
  return detail::make_view(*this, target, *st, im.offset);
}

Tensor Tensor::reshape(std::vector<int64_t> shape) const {
  const auto& im = impl_of("reshape", *this);
  Shape target = infer_size("reshape", std::move(shape), numel());
  if (auto st = view_strides(im.sizes, im.strides, target))
    return detail::make_view(*this, target, *st, im.offset);
  return Tensor::from_node(ir::reshape(node(), target));
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  const auto& im = impl_of("permute", *this);
  int64_t rank = dim();
  if (static_cast<int64_t>(dims.size()) != rank) {
    throw ShapeError("[permute] number of dims don't match: the tensor has " +
                     std::to_string(rank) + " dims but " + std::to_string(dims.size()) +
                     " were given");
  }
  Shape sizes(rank), strides(rank);
  std::vector<bool> used(rank, false);
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = wrap_dim("permute", dims[i], rank);
    if (used[d])
      throw IndexError("[permute] repeated dim " + std::to_string(d) + " in " + shape_str(dims));
    used[d] = true;
    sizes[i] = im.sizes[d];
    strides[i] = im.strides[d];
  }
  return detail::make_view(*this, sizes, strides, im.offset);
}

Tensor Tensor::transpose(int64_t dim0, int64_t dim1) const {
  int64_t rank = dim();
  if (rank == 0) return *this;
  std::vector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[wrap_dim("transpose", dim0, rank)], perm[wrap_dim("transpose", dim1, rank)]);
  return permute(perm);
}

Tensor Tensor::t() const {
  if (dim() > 2) {
    throw ShapeError("[t] expects a tensor with <= 2 dimensions, but self is " +
                     std::to_string(dim()) + "D");
  }
  return dim() < 2 ? *this : transpose(0, 1);
}

Tensor Tensor::expand(const std::vector<int64_t>& sizes) const {
  const auto& im = impl_of("expand", *this);
  int64_t rank = dim();
  auto n = static_cast<int64_t>(sizes.size());
  if (n < rank) {
    throw ShapeError("[expand] the number of sizes provided (" + std::to_string(n) +
                     ") must be greater or equal to the number of dimensions in the tensor (" +
                     std::to_string(rank) + ")");
  }
  Shape out(n), strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t src = i - (n - rank);
    int64_t want = sizes[i];
    if (src < 0) {
      if (want < 0)
        throw ShapeError(
            "[expand] the expanded size -1 is not allowed in a leading, non-existing dimension");
      out[i] = want;
      // As PyTorch: a new leading dim of size 1 gets the stride that keeps the view contiguous.
      strides[i] = want == 1 && rank > 0 ? out[i + 1] * strides[i + 1] : 0;
      continue;
    }
    int64_t have = im.sizes[src];
    if (want == -1) want = have;
    if (have != want && have != 1) {
      throw ShapeError("[expand] the expanded size of the tensor (" + std::to_string(want) +
                       ") must match the existing size (" + std::to_string(have) +
                       ") at non-singleton dimension " + std::to_string(i) + ".  Target sizes: " +
                       shape_str(sizes) + ".  Tensor sizes: " + shape_str(im.sizes));
    }
    out[i] = want;
    strides[i] = have == want ? im.strides[src] : 0;
  }
  return detail::make_view(*this, out, strides, im.offset);
}

Tensor Tensor::expand_as(const Tensor& other) const { return expand(other.sizes()); }

Tensor Tensor::squeeze() const {
  const auto& im = impl_of("squeeze", *this);
  Shape sizes, strides;
  for (size_t i = 0; i < im.sizes.size(); ++i) {
    if (im.sizes[i] != 1) {
      sizes.push_back(im.sizes[i]);
      strides.push_back(im.strides[i]);
    }
  }
  return detail::make_view(*this, sizes, strides, im.offset);
}

Tensor Tensor::squeeze(int64_t d) const {
  const auto& im = impl_of("squeeze", *this);
  if (dim() == 0) return *this;
  int64_t w = wrap_dim("squeeze", d, dim());
  if (im.sizes[w] != 1) return *this;
  Shape sizes = im.sizes, strides = im.strides;
  sizes.erase(sizes.begin() + w);
  strides.erase(strides.begin() + w);
  return detail::make_view(*this, sizes, strides, im.offset);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  const auto& im = impl_of("unsqueeze", *this);
  int64_t w = wrap_dim("unsqueeze", d, dim() + 1);
  Shape sizes = im.sizes, strides = im.strides;
  int64_t stride = w < dim() ? im.sizes[w] * im.strides[w] : 1;
  sizes.insert(sizes.begin() + w, 1);
  strides.insert(strides.begin() + w, stride);
  return detail::make_view(*this, sizes, strides, im.offset);
}

Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  detail::check_defined("flatten", *this);
  if (dim() == 0) return reshape({1});
  int64_t s = wrap_dim("flatten", start_dim, dim()), e = wrap_dim("flatten", end_dim, dim());
  if (s > e) throw IndexError("[flatten] start_dim cannot come after end_dim");
  if (s == e) return *this;  // as PyTorch: no reshape, so size-1 dims keep their strides
  Shape shape(sizes().begin(), sizes().begin() + s);
  int64_t merged = 1;
  for (int64_t i = s; i <= e; ++i) merged *= size(i);
  shape.push_back(merged);
  for (int64_t i = e + 1; i < dim(); ++i) shape.push_back(size(i));
  return reshape(shape);
}

Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end,
                     int64_t step) const {
  const auto& im = impl_of("slice", *this);
  if (dim() == 0) throw IndexError("[slice] cannot slice a 0-d tensor");
  int64_t w = wrap_dim("slice", d, dim());
  if (step <= 0) throw Error("[slice] step must be greater than zero, got " + std::to_string(step));
  int64_t n = im.sizes[w];
  // Python slice semantics: negative bounds count from the end, then clamp to [0, n].
  auto clamp_bound = [n](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    int64_t x = *v < 0 ? *v + n : *v;
    return std::clamp<int64_t>(x, 0, n);
  };
  int64_t b = clamp_bound(start, 0), e = std::max(clamp_bound(end, n), b);
  Shape sizes = im.sizes, strides = im.strides;
  sizes[w] = (e - b + step - 1) / step;
  strides[w] = im.strides[w] * step;
  return detail::make_view(*this, sizes, strides, im.offset + b * im.strides[w]);
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  detail::check_defined("narrow", *this);
  int64_t w = wrap_dim("narrow", d, dim());
  int64_t n = size(w);
  if (start < 0) start += n;
  if (start < 0 || length < 0 || start + length > n) {
    throw IndexError("[narrow] start (" + std::to_string(start) + ") + length (" +
                     std::to_string(length) + ") exceeds dimension size (" + std::to_string(n) +
                     ")");
  }
  return slice(w, start, start + length, 1);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  const auto& im = impl_of("select", *this);
  if (dim() == 0) throw IndexError("[select] invalid index of a 0-dim tensor");
  int64_t w = wrap_dim("select", d, dim());
  int64_t n = im.sizes[w];
  if (index < -n || index >= n) throw index_out_of_bounds("select", index, w, n);
  if (index < 0) index += n;
  Shape sizes = im.sizes, strides = im.strides;
  sizes.erase(sizes.begin() + w);
  strides.erase(strides.begin() + w);
  return detail::make_view(*this, sizes, strides, im.offset + index * im.strides[w]);
}

std::vector<Tensor> Tensor::split(int64_t split_size, int64_t d) const {
  detail::check_defined("split", *this);
  int64_t w = wrap_dim("split", d, dim());
  if (split_size <= 0)
    throw Error("[split] split_size must be positive, got " + std::to_string(split_size));
  std::vector<Tensor> parts;
  for (int64_t s = 0; s < size(w) || (s == 0 && size(w) == 0); s += split_size) {
    parts.push_back(narrow(w, s, std::min(split_size, size(w) - s)));
    if (size(w) == 0) break;
  }
  return parts;
}

std::vector<Tensor> Tensor::split(const std::vector<int64_t>& split_sizes, int64_t d) const {
  detail::check_defined("split", *this);
  int64_t w = wrap_dim("split", d, dim());
  int64_t total = std::accumulate(split_sizes.begin(), split_sizes.end(), int64_t{0});
  if (total != size(w)) {
    throw ShapeError("[split] split sizes " + shape_str(split_sizes) + " sum to " +
                     std::to_string(total) + " but dimension " + std::to_string(w) + " has size " +
                     std::to_string(size(w)));
  }
  std::vector<Tensor> parts;
  int64_t s = 0;
  for (int64_t len : split_sizes) {
    parts.push_back(narrow(w, s, len));
    s += len;
  }
  return parts;
}

std::vector<Tensor> Tensor::chunk(int64_t chunks, int64_t d) const {
  detail::check_defined("chunk", *this);
  if (chunks <= 0) throw Error("[chunk] chunks must be positive, got " + std::to_string(chunks));
  int64_t w = wrap_dim("chunk", d, dim());
  // PyTorch: an empty dim gives `chunks` empty parts.
  if (size(w) == 0) {
    std::vector<Tensor> parts;
    for (int64_t i = 0; i < chunks; ++i) parts.push_back(narrow(w, 0, 0));  // distinct views
    return parts;
  }
  int64_t each = (size(w) + chunks - 1) / chunks;
  return split(std::max<int64_t>(each, 1), w);
}

Tensor Tensor::contiguous() const {
  detail::check_defined("contiguous", *this);
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  detail::check_defined("clone", *this);
  return Tensor::from_node(node());
}

Tensor Tensor::detach() const {
  const auto& im = impl_of("detach", *this);
  Tensor d = detail::make_view(*this, im.sizes, im.strides, im.offset);
  d.impl()->requires_grad = false;
  d.impl()->leaf_id = 0;
  d.impl()->detached = true;
  d.impl()->no_grad_view_of = 0;  // a detached tensor is writable in any mode, as in PyTorch
  return d;
}

}  // namespace kiln
