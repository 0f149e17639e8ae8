// Shape ops that make new data: flip, repeat, cat, stack, pad, gather, index_select, one_hot;
// and the free-function forms of the view ops.
#include <algorithm>

#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

Tensor reshape(const Tensor& x, std::vector<int64_t> shape) { return x.reshape(std::move(shape)); }
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) { return x.permute(dims); }
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) { return x.transpose(dim0, dim1); }
Tensor t(const Tensor& x) { return x.t(); }
Tensor squeeze(const Tensor& x) { return x.squeeze(); }
Tensor squeeze(const Tensor& x, int64_t dim) { return x.squeeze(dim); }
Tensor unsqueeze(const Tensor& x, int64_t dim) { return x.unsqueeze(dim); }
Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return x.flatten(start_dim, end_dim);
}
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return x.narrow(dim, start, length);
}
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) { return x.flip(dims); }

Tensor Tensor::flip(const std::vector<int64_t>& dims) const {
  detail::check_defined("flip", *this);
  std::vector<int64_t> axes;
  if (!dims.empty()) axes = detail::reduce_axes("flip", dims, dim());
  return Tensor::from_node(ir::flip(node(), axes));
}

Tensor Tensor::repeat(const std::vector<int64_t>& repeats) const {
  detail::check_defined("repeat", *this);
  auto n = static_cast<int64_t>(repeats.size());
  if (n < dim()) {
    throw ShapeError("[repeat] number of repeat dims (" + std::to_string(n) +
                     ") can not be smaller than number of dimensions of tensor (" +
                     std::to_string(dim()) + ")");
  }
  // Interleave a broadcast dim before every dim: [r0, s0, r1, s1, ...], then merge pairs.
  Shape padded(n - dim(), 1);
  for (int64_t s : sizes()) padded.push_back(s);
  Shape inter, expanded, out;
  for (int64_t i = 0; i < n; ++i) {
    if (repeats[i] < 0)
      throw ShapeError("[repeat] repeats can not be negative, got " + shape_str(repeats));
    inter.insert(inter.end(), {1, padded[i]});
    expanded.insert(expanded.end(), {repeats[i], padded[i]});
    out.push_back(repeats[i] * padded[i]);
  }
  auto r = ir::expand(ir::reshape(node(), inter), expanded);
  return Tensor::from_node(ir::reshape(r, out));
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("[cat] expected a non-empty list of tensors");
  // PyTorch skips 1-D empty tensors in cat (legacy behaviour), but they still take part in
  // type promotion.
  std::vector<Tensor> parts;
  std::vector<size_t> numbers;  // each part's position in `tensors`, for messages
  std::vector<detail::Operand> ops;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined("cat", t);
    ops.push_back({t.dtype(), detail::Operand::Kind::Dim});
    if (!(t.dim() == 1 && t.numel() == 0)) {
      parts.push_back(t);
      numbers.push_back(i);
    }
  }
  DType dtype = detail::result_type(ops);
  if (parts.empty()) return tensors[0].to(dtype).clone();
  const Tensor& first = parts[0];
  if (first.dim() == 0)
    throw ShapeError("[cat] zero-dimensional tensor (at position 0) cannot be concatenated");
  int64_t d = wrap_dim("cat", dim, first.dim());
  std::vector<const Tensor*> ptrs;
  int64_t total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Tensor& t = parts[i];
    if (t.dim() != first.dim()) {
      throw ShapeError("[cat] tensors must have the same number of dimensions: got " +
                       std::to_string(first.dim()) + " and " + std::to_string(t.dim()) +
                       " (tensor number " + std::to_string(numbers[i]) + ")");
    }
    for (int64_t k = 0; k < t.dim(); ++k) {
      if (k != d && t.size(k) != first.size(k)) {
        throw ShapeError("[cat] sizes of tensors must match except in dimension " +
                         std::to_string(d) + ". Expected size " + std::to_string(first.size(k)) +
                         " but got size " + std::to_string(t.size(k)) + " for tensor number " +
                         std::to_string(numbers[i]) + " in the list");
      }
    }
    ptrs.push_back(&t);
    total += t.size(d);
  }
  detail::check_same_device("cat", ptrs);
  // Each part padded with zeros to the full extent, then summed (or or-ed, for bools): the
  // parts never overlap, and pads fuse into their consumer.
  ir::NodeRef acc;
  int64_t at = 0;
  for (const auto& t : parts) {
    std::vector<int64_t> pads(2 * t.dim(), 0);
    pads[2 * d] = at;
    pads[2 * d + 1] = total - at - t.size(d);
    at += t.size(d);
    auto p = ir::pad(ir::cast(t.node(), dtype), pads, 0.0);
    acc = acc ? ir::binary(dtype == kBool ? ir::Op::Or : ir::Op::Add, acc, p) : p;
  }
  return Tensor::from_node(acc);
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("[stack] expected a non-empty list of tensors");
  int64_t d = wrap_dim("stack", dim, tensors[0].dim() + 1);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].sizes() != tensors[0].sizes()) {
      throw ShapeError("[stack] stack expects each tensor to be equal size, but got " +
                       shape_str(tensors[0].sizes()) + " at entry 0 and " +
                       shape_str(tensors[i].sizes()) + " at entry " + std::to_string(i));
    }
    parts.push_back(tensors[i].unsqueeze(d));
  }
  return cat(parts, d);
}

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  detail::check_defined("pad", x);
  if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size()) > 2 * x.dim()) {
    throw ShapeError("[pad] padding length must be even and at most twice the number of dims (" +
                     std::to_string(2 * x.dim()) + "), got " + std::to_string(pads.size()));
  }
  // F.pad lists (left, right) pairs from the last dim backwards; negative amounts crop.
  int64_t rank = x.dim();
  std::vector<int64_t> grow(2 * rank, 0), crop(3 * rank, 0);
  for (int64_t i = 0; i < rank; ++i) crop[3 * i + 1] = x.size(i), crop[3 * i + 2] = 1;
  for (size_t k = 0; k < pads.size() / 2; ++k) {
    int64_t d = rank - 1 - static_cast<int64_t>(k);
    int64_t before = pads[2 * k], after = pads[2 * k + 1];
    if (x.size(d) + before + after < 0) {
      throw ShapeError("[pad] padding " + shape_str(pads) + " makes dimension " +
                       std::to_string(d) + " of size " + std::to_string(x.size(d)) + " negative");
    }
    grow[2 * d] = std::max<int64_t>(before, 0);
    grow[2 * d + 1] = std::max<int64_t>(after, 0);
    crop[3 * d] = std::max<int64_t>(-before, 0);
    crop[3 * d + 1] = x.size(d) - std::max<int64_t>(-after, 0);
  }
  return Tensor::from_node(ir::pad(ir::slice(x.node(), crop), grow, value));
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::check_defined("gather", x);
  detail::check_defined("gather", index);
  if (index.dtype() != kInt64) {
    throw DTypeError(std::string("[gather] expected index to be int64, got ") +
                     torch_name(index.dtype()));
  }
  int64_t d = wrap_dim("gather", dim, x.dim());
  if (index.dim() != x.dim()) {
    throw ShapeError(
        "[gather] index tensor must have the same number of dimensions as input tensor (" +
        std::to_string(index.dim()) + " vs " + std::to_string(x.dim()) + ")");
  }
  for (int64_t k = 0; k < x.dim(); ++k) {
    if (k != d && index.size(k) > x.size(k)) {
      throw ShapeError("[gather] size of index " + shape_str(index.sizes()) + " exceeds input " +
                       shape_str(x.sizes()) + " in dimension " + std::to_string(k));
    }
  }
  detail::check_same_device("gather", {&x, &index});
  if (x.dim() == 0) return x.clone();
  return Tensor::from_node(ir::gather(x.node(), index.node(), d, ir::GatherCheck::Gather));
}

Tensor Tensor::gather(int64_t dim, const Tensor& index) const {
  return kiln::gather(*this, dim, index);
}

Tensor detail::select_along(const char* op, const Tensor& x, int64_t dim, const Tensor& index,
                            ir::GatherCheck check) {
  detail::check_defined(op, x);
  detail::check_defined(op, index);
  if (index.dtype() != kInt64 && index.dtype() != kInt32) {
    throw DTypeError(std::string("[") + op + "] expected index to be int64 or int32, got " +
                     torch_name(index.dtype()));
  }
  if (index.dim() > 1) {
    throw ShapeError(std::string("[") + op + "] index must be a vector, got shape " +
                     shape_str(index.sizes()));
  }
  int64_t d = wrap_dim(op, dim, x.dim());
  if (x.dim() == 0) return x.clone();
  Shape view(x.dim(), 1), out = x.sizes();
  view[d] = index.numel();
  out[d] = index.numel();
  auto idx = ir::expand(ir::reshape(ir::cast(index.node(), kInt64), view), out);
  return Tensor::from_node(ir::gather(x.node(), idx, d, check));
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return detail::select_along("index_select", x, dim, index, ir::GatherCheck::IndexSelect);
}

Tensor Tensor::index_select(int64_t dim, const Tensor& index) const {
  return kiln::index_select(*this, dim, index);
}

Tensor one_hot(const Tensor& x, int64_t num_classes) {
  detail::check_defined("one_hot", x);
  if (x.dtype() != kInt64) {
    throw DTypeError(
        std::string("[one_hot] one_hot is only applicable to index tensor (int64), got ") +
        torch_name(x.dtype()));
  }
  if (num_classes == -1) num_classes = x.numel() == 0 ? 0 : x.max().item<int64_t>() + 1;
  if (num_classes < 0) throw Error("[one_hot] num_classes should be positive or -1");
  Shape s = x.sizes();
  s.push_back(num_classes);
  // A realized x is checked before the program runs (ir::class_iota).
  auto classes = Tensor::from_node(
      ir::class_iota(static_cast<int64_t>(s.size()) - 1, s, x.device(), ir::ClassCheck::OneHot));
  return eq(x.unsqueeze(-1), classes).to(kInt64);
}

}  // namespace kiln
