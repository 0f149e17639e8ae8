// Indexing: basic indices (ints, slices, None, ...) become views; a bool mask or an integer
// tensor selects by value. index_put_ writes through the same paths.
#include "kiln/frontend/indexing.h"

#include <cstring>

#include "autograd/leaves.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

namespace indexing {
TensorIndex::TensorIndex(const char* ellipsis) : kind_(Kind::Ellipsis) {
  if (ellipsis == nullptr || std::strcmp(ellipsis, "...") != 0) {
    throw Error(std::string("[index] expected \"...\" as a string index, got \"") +
                (ellipsis ? ellipsis : "null") + "\"");
  }
}
}  // namespace indexing

using indexing::TensorIndex;
using Kind = TensorIndex::Kind;

namespace {

/// The result of applying the basic indices: a view, and where the (single) tensor index
/// applies to it, if there is one.
struct Applied {
  Tensor view;
  std::optional<Tensor> advanced;
  int64_t advanced_dim = 0;
};

Applied apply_basic(const Tensor& x, const std::vector<TensorIndex>& indices) {
  detail::check_defined("index", x);
  int64_t consumed = 0, ellipses = 0, tensors = 0;
  for (const auto& ix : indices) {
    if (ix.kind() == Kind::Integer || ix.kind() == Kind::Slice) ++consumed;
    if (ix.kind() == Kind::Tensor) {
      ++tensors;
      consumed += ix.tensor().dtype() == kBool ? ix.tensor().dim() : 1;
    }
    if (ix.kind() == Kind::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw IndexError("[index] an index can only have a single ellipsis ('...')");
  if (tensors > 1)
    throw IndexError("[index] indexing with more than one tensor is not supported yet");
  if (consumed > x.dim()) {
    throw IndexError("[index] too many indices for tensor of dimension " + std::to_string(x.dim()) +
                     " (got " + std::to_string(consumed) + ")");
  }
  Applied r{x, std::nullopt, 0};
  int64_t d = 0;    // the dim of r.view the next index applies to
  int64_t pos = 0;  // the index's position with "..." expanded, which PyTorch's messages name
  for (const auto& ix : indices) {
    switch (ix.kind()) {
      case Kind::None:
        r.view = r.view.unsqueeze(d++);
        ++pos;
        break;
      case Kind::Ellipsis:
        d += x.dim() - consumed;
        pos += x.dim() - consumed;
        break;
      case Kind::Integer: {
        int64_t n = r.view.size(d);
        int64_t i = ix.integer();
        if (i < -n || i >= n) throw index_out_of_bounds("index", i, pos, n);
        r.view = r.view.select(d, i);
        ++pos;
        break;
      }
      case Kind::Boolean:
        // x[True] adds a dim of size 1; x[False] one of size 0.
        r.view = r.view.unsqueeze(d);
        if (!ix.integer()) r.view = r.view.slice(d, 0, 0);
        ++d;
        ++pos;
        break;
      case Kind::Slice: {
        const auto& s = ix.slice();
        r.view = r.view.slice(d++, s.start(), s.stop(), s.step());
        ++pos;
        break;
      }
      case Kind::Tensor:
        r.advanced = ix.tensor();
        r.advanced_dim = d;
        d += ix.tensor().dtype() == kBool ? ix.tensor().dim() : 1;
        pos += ix.tensor().dtype() == kBool ? ix.tensor().dim() : 1;
        break;
    }
  }
  return r;
}

/// Flat positions (over dims [d, d + mask.dim()) of `view`) where a bool mask is true. The mask's
/// values decide the result's shape, so they are read here, as PyTorch does.
Tensor mask_positions(const Tensor& view, int64_t d, const Tensor& mask) {
  for (int64_t k = 0; k < mask.dim(); ++k) {
    if (mask.size(k) != view.size(d + k)) {
      throw IndexError("[index] the shape of the mask " + shape_str(mask.sizes()) + " at index " +
                       std::to_string(k) + " does not match the shape of the indexed tensor " +
                       shape_str(view.sizes()) + " at index " + std::to_string(d + k));
    }
  }
  std::vector<int64_t> pos;
  auto values = mask.to_vector<int64_t>();
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i]) pos.push_back(static_cast<int64_t>(i));
  }
  return from_vector(pos, {static_cast<int64_t>(pos.size())},
                     TensorOptions().device(view.device()));
}

/// `view` with the dims a mask covers merged into one, so that a position list selects on it.
Tensor merge_mask_dims(const Tensor& view, int64_t d, int64_t mask_dims) {
  if (mask_dims == 0) return view.unsqueeze(d);
  return view.flatten(d, d + mask_dims - 1);
}

}  // namespace

Tensor Tensor::operator[](const Tensor& index) const { return this->index({TensorIndex(index)}); }

Tensor Tensor::index(const std::vector<TensorIndex>& indices) const {
  Applied a = apply_basic(*this, indices);
  if (!a.advanced) return a.view;
  const Tensor& idx = *a.advanced;
  if (idx.dtype() == kBool) {
    Tensor merged = merge_mask_dims(a.view, a.advanced_dim, idx.dim());
    return detail::select_along("index", merged, a.advanced_dim,
                                mask_positions(a.view, a.advanced_dim, idx), ir::GatherCheck::Wrap);
  }
  if (is_floating(idx.dtype())) {
    throw IndexError(
        std::string("[index] tensors used as indices must be long, int or bool, got ") +
        torch_name(idx.dtype()));
  }
  // An integer tensor index of any shape: select on the flattened index, then unflatten.
  Tensor picked = detail::select_along("index", a.view, a.advanced_dim, idx.reshape({-1}),
                                       ir::GatherCheck::Wrap);
  Shape out(picked.sizes().begin(), picked.sizes().begin() + a.advanced_dim);
  for (int64_t s : idx.sizes()) out.push_back(s);
  for (int64_t k = a.advanced_dim + 1; k < picked.dim(); ++k) out.push_back(picked.size(k));
  return picked.reshape(out);
}

Tensor Tensor::index(std::initializer_list<TensorIndex> indices) const {
  return index(std::vector<TensorIndex>(indices));
}

Tensor& Tensor::index_put_(const std::vector<TensorIndex>& indices, const Tensor& value) {
  detail::check_inplace("index_put_", *this);
  Applied a = apply_basic(*this, indices);
  if (!a.advanced) {
    a.view.copy_(value);
    return *this;
  }
  const Tensor& idx = *a.advanced;
  Tensor target = a.view;
  if (idx.dtype() == kBool) {
    // A mask needs no values read: where(mask, value, old) over the masked dims.
    Shape mshape(a.advanced_dim, 1);
    for (int64_t s : idx.sizes()) mshape.push_back(s);
    while (static_cast<int64_t>(mshape.size()) < target.dim()) mshape.push_back(1);
    Tensor m = idx.reshape(mshape);
    // The values broadcast to the indexing result [..., N, ...], N the true positions (the
    // mask's dims merged into one): a value dim along N other than 1 fills those positions in
    // order (PyTorch's x[mask] = v); every other dim must broadcast. Leading size-1 dims past
    // the result's rank are dropped.
    Shape result = target.sizes();
    result.erase(result.begin() + a.advanced_dim, result.begin() + a.advanced_dim + idx.dim());
    result.insert(result.begin() + a.advanced_dim, -1);
    auto rank = static_cast<int64_t>(result.size());
    auto mismatch = [&] {
      if (result[a.advanced_dim] < 0) result[a.advanced_dim] = idx.sum().item<int64_t>();
      return ShapeError("[index_put_] shape mismatch: value tensor of shape " +
                        shape_str(value.sizes()) +
                        " cannot be broadcast to indexing result of shape " + shape_str(result));
    };
    Tensor v = value;
    while (v.dim() > rank && v.size(0) == 1) v = v.squeeze(0);
    if (v.dim() > rank) throw mismatch();
    int64_t along_n = 1;  // the value's size along N
    for (int64_t k = 0; k < v.dim(); ++k) {
      int64_t r = rank - v.dim() + k;  // the result dim value's dim k lines up with
      int64_t vs = v.size(k);
      if (r == a.advanced_dim) {
        along_n = vs;
      } else if (vs != 1 && vs != result[r]) {
        throw mismatch();
      }
    }
    if (along_n != 1) {
      // Write into a merged copy through the integer-index path, then copy it back.
      Tensor positions = mask_positions(target, a.advanced_dim, idx);
      result[a.advanced_dim] = positions.numel();
      if (positions.numel() != along_n) throw mismatch();
      if (along_n == 0) return *this;  // nothing selected, nothing given
      Tensor merged = merge_mask_dims(target, a.advanced_dim, idx.dim()).clone();
      std::vector<TensorIndex> sel(static_cast<size_t>(a.advanced_dim), indexing::Slice());
      sel.emplace_back(positions);
      merged.index_put_(sel, v);
      target.copy_(merged.reshape(target.sizes()));
      return *this;
    }
    // One value along N: as a [..., 1 (per mask dim), ...] tensor it lines up with the target.
    Shape vshape(static_cast<size_t>(rank - v.dim()), 1);
    for (int64_t sz : v.sizes()) vshape.push_back(sz);
    vshape.erase(vshape.begin() + a.advanced_dim);
    vshape.insert(vshape.begin() + a.advanced_dim, static_cast<size_t>(idx.dim()), 1);
    v = v.reshape(vshape);
    target.copy_(kiln::where(m.expand(target.sizes()), v.to(target.dtype()), target));
    return *this;
  }
  if (is_floating(idx.dtype())) {
    throw IndexError(
        std::string("[index_put_] tensors used as indices must be long, int or bool, got ") +
        torch_name(idx.dtype()));
  }
  if (idx.dim() != 1) throw IndexError("[index_put_] integer tensor indices must be 1-D");
  // Scatter along the indexed dim: index and value broadcast to the selected slab's shape.
  int64_t d = a.advanced_dim;
  Shape slab = target.sizes();
  slab[d] = idx.numel();
  Shape ishape(target.dim(), 1);
  ishape[d] = idx.numel();
  Tensor full_idx = idx.to(kInt64).reshape(ishape).expand(slab);
  Tensor v = value.to(target.dtype()).expand(slab);
  target.copy_(
      Tensor::from_node(ir::scatter(target.node(), full_idx.node(), v.contiguous().node(), d)));
  return *this;
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, const Tensor& value) {
  return index_put_(std::vector<TensorIndex>(indices), value);
}

Tensor& Tensor::index_put_(std::initializer_list<TensorIndex> indices, Scalar value) {
  return index_put_(std::vector<TensorIndex>(indices),
                    full({}, value, TensorOptions(dtype()).device(device())));
}

}  // namespace kiln
