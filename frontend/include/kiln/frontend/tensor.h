// Tensor: a lazy handle. It points to a shared storage record (the graph node that currently
// defines the whole base buffer, flat) plus view metadata (sizes, strides, offset). Reading a
// tensor derives its node from the storage's node through its view; an in-place op swaps a new
// node into the storage, so the base and every view of it see the write (functionalization).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <fmt/ostream.h>

#include "kiln/compiler/node.h"
#include "kiln/frontend/options.h"

namespace kiln {

namespace indexing {
class TensorIndex;
}

namespace detail {
struct TensorImpl;
/// An integer a size or dim list may be given as alone (libtorch's IntArrayRef takes one integer
/// as a one-element list): `x.view(-1)`, `zeros(5)`. A braced list, `{}` included, is a list.
template <typename I>
using IfSizeInt = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int>;
}  // namespace detail

class Tensor {
 public:
  /// An undefined tensor (defined() is false), as libtorch's default Tensor.
  Tensor() = default;
  /// A tensor reading `node`, in a fresh storage of its own.
  static Tensor from_node(ir::NodeRef node);

  bool defined() const { return impl_ != nullptr; }

  // ---- metadata: never runs anything ----
  const std::vector<int64_t>& sizes() const;
  const std::vector<int64_t>& shape() const { return sizes(); }
  int64_t size(int64_t dim) const;
  int64_t dim() const;
  int64_t numel() const;
  DType dtype() const;
  DType scalar_type() const { return dtype(); }
  Device device() const;
  const std::vector<int64_t>& strides() const;
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  /// True when both tensors share one storage (one is a view of the other, or both of a base).
  bool is_same_storage(const Tensor& other) const;

  // ---- values: these realize ----
  template <typename T>
  T item() const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return static_cast<T>(item_int());
    } else {
      return static_cast<T>(item_double());
    }
  }
  template <typename T>
  std::vector<T> to_vector() const {
    std::vector<T> out;
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      for (int64_t v : values_int()) out.push_back(static_cast<T>(v));
    } else {
      for (double v : values_double()) out.push_back(static_cast<T>(v));
    }
    return out;
  }
  /// Realizes this tensor (one compiled program); returns *this.
  const Tensor& eval() const;

  // ---- conversion and copies ----
  Tensor to(Device device) const;
  Tensor to(DeviceType type) const { return to(Device(type)); }
  Tensor to(DType dtype) const;
  Tensor to(const TensorOptions& options) const;
  Tensor cpu() const { return to(Device(kCPU)); }
  Tensor cuda() const { return to(Device(kCUDA, 0)); }
  Tensor float_() const { return to(kFloat32); }
  Tensor double_() const { return to(kFloat64); }
  Tensor long_() const { return to(kInt64); }
  Tensor int_() const { return to(kInt32); }
  Tensor bool_() const { return to(kBool); }
  Tensor half() const { return to(kFloat16); }
  Tensor bfloat16() const { return to(kBFloat16); }
  Tensor contiguous() const;
  Tensor clone() const;
  /// A tensor sharing this one's storage that does not require grad.
  Tensor detach() const;

  // ---- autograd (kiln/frontend/autograd.h) ----
  /// True for a leaf made to require grad and for every result computed from one in grad mode.
  bool requires_grad() const;
  /// Makes this tensor a leaf that requires grad (or, with false, one that does not).
  Tensor& requires_grad_(bool requires_grad = true);
  /// True unless this tensor was computed from a tensor that requires grad.
  bool is_leaf() const;
  /// The accumulated gradient (undefined until a backward() reaches this tensor).
  Tensor grad() const;
  Tensor& mutable_grad();
  /// Makes backward() fill .grad() of this non-leaf tensor too.
  void retain_grad();
  bool retains_grad() const;
  /// Accumulates d(this)/d(leaf) (times `gradient`; implicit for one element) into .grad() of
  /// every leaf that requires grad. With create_graph the gradients are differentiable.
  void backward(const Tensor& gradient = {}, bool create_graph = false) const;

  // ---- elementwise (methods mirroring free functions) ----
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(Scalar exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor expm1() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor erf() const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor round() const;
  Tensor reciprocal() const;
  Tensor neg() const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt) const;
  Tensor lt(const Tensor& o) const;
  Tensor le(const Tensor& o) const;
  Tensor gt(const Tensor& o) const;
  Tensor ge(const Tensor& o) const;
  Tensor eq(const Tensor& o) const;
  Tensor ne(const Tensor& o) const;
  Tensor lt(Scalar o) const;
  Tensor le(Scalar o) const;
  Tensor gt(Scalar o) const;
  Tensor ge(Scalar o) const;
  Tensor eq(Scalar o) const;
  Tensor ne(Scalar o) const;
  Tensor logical_not() const;
  Tensor logical_and(const Tensor& o) const;
  Tensor logical_or(const Tensor& o) const;
  Tensor minimum(const Tensor& o) const;
  Tensor maximum(const Tensor& o) const;
  /// self.where(condition, other) is where(condition, self, other), as in libtorch.
  Tensor where(const Tensor& condition, const Tensor& other) const;
  Tensor where(const Tensor& condition, Scalar other) const;
  Tensor add(const Tensor& o) const;
  Tensor sub(const Tensor& o) const;
  Tensor mul(const Tensor& o) const;
  Tensor div(const Tensor& o) const;
  Tensor add(Scalar o) const;
  Tensor sub(Scalar o) const;
  Tensor mul(Scalar o) const;
  Tensor div(Scalar o) const;

  // ---- reductions ----
  Tensor sum() const;
  Tensor sum(int64_t dim, bool keepdim = false) const;
  Tensor sum(const std::vector<int64_t>& dims, bool keepdim = false) const;
  // A braced list is a list of dims ({} is all of them), never one dim, for every reduction
  // with both forms but max and min, whose one-dim form returns (values, indices) as libtorch's.
  Tensor sum(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return sum(std::vector<int64_t>(dims), keepdim);
  }
  Tensor mean() const;
  Tensor mean(int64_t dim, bool keepdim = false) const;
  Tensor mean(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor mean(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return mean(std::vector<int64_t>(dims), keepdim);
  }
  Tensor prod() const;
  Tensor prod(int64_t dim, bool keepdim = false) const;
  Tensor prod(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor prod(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return prod(std::vector<int64_t>(dims), keepdim);
  }
  Tensor max() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  /// The maximum over several dims: values only (amax), as indices exist for one dim alone.
  Tensor max(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  /// The minimum over several dims: values only (amin).
  Tensor min(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor amax(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor amin(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(int64_t dim, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(int64_t dim, bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor norm(double p, int64_t dim, bool keepdim = false) const;
  Tensor norm(double p, const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor norm(double p, std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return norm(p, std::vector<int64_t>(dims), keepdim);
  }
  // var/std over all elements take exactly a bool, so that t.var(1) is the dim form (an int
  // would otherwise convert to `unbiased`); libtorch's argument order: (dim, unbiased, keepdim).
  Tensor var() const;
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Tensor var(B unbiased) const {
    return var(std::vector<int64_t>{}, unbiased);
  }
  Tensor var(int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor var(const std::vector<int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  Tensor var(std::initializer_list<int64_t> dims, bool unbiased = true,
             bool keepdim = false) const {
    return var(std::vector<int64_t>(dims), unbiased, keepdim);
  }
  Tensor std() const;
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Tensor std(B unbiased) const {
    return std(std::vector<int64_t>{}, unbiased);
  }
  Tensor std(int64_t dim, bool unbiased = true, bool keepdim = false) const;
  Tensor std(const std::vector<int64_t>& dims, bool unbiased = true, bool keepdim = false) const;
  Tensor std(std::initializer_list<int64_t> dims, bool unbiased = true,
             bool keepdim = false) const {
    return std(std::vector<int64_t>(dims), unbiased, keepdim);
  }
  Tensor logsumexp() const;
  Tensor logsumexp(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor logsumexp(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return logsumexp(std::vector<int64_t>(dims), keepdim);
  }
  Tensor logsumexp(int64_t dim, bool keepdim = false) const;
  Tensor all() const;
  Tensor all(int64_t dim, bool keepdim = false) const;
  Tensor all(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor all(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return all(std::vector<int64_t>(dims), keepdim);
  }
  Tensor any() const;
  Tensor any(int64_t dim, bool keepdim = false) const;
  Tensor any(const std::vector<int64_t>& dims, bool keepdim = false) const;
  Tensor any(std::initializer_list<int64_t> dims, bool keepdim = false) const {
    return any(std::vector<int64_t>(dims), keepdim);
  }
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;
  Tensor cumsum(int64_t dim) const;
  std::tuple<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true,
                                  bool sorted = true) const;

  // ---- shapes and views ----
  Tensor view(std::vector<int64_t> shape) const;
  template <typename I, detail::IfSizeInt<I> = 0>
  Tensor view(I size) const {
    return view(std::vector<int64_t>{static_cast<int64_t>(size)});
  }
  Tensor reshape(std::vector<int64_t> shape) const;
  template <typename I, detail::IfSizeInt<I> = 0>
  Tensor reshape(I size) const {
    return reshape(std::vector<int64_t>{static_cast<int64_t>(size)});
  }
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;
  Tensor expand(const std::vector<int64_t>& sizes) const;
  template <typename I, detail::IfSizeInt<I> = 0>
  Tensor expand(I size) const {
    return expand(std::vector<int64_t>{static_cast<int64_t>(size)});
  }
  Tensor expand_as(const Tensor& other) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(const std::vector<int64_t>& split_sizes, int64_t dim = 0) const;
  Tensor flip(const std::vector<int64_t>& dims) const;
  template <typename I, detail::IfSizeInt<I> = 0>
  Tensor flip(I size) const {
    return flip(std::vector<int64_t>{static_cast<int64_t>(size)});
  }
  Tensor repeat(const std::vector<int64_t>& repeats) const;
  template <typename I, detail::IfSizeInt<I> = 0>
  Tensor repeat(I size) const {
    return repeat(std::vector<int64_t>{static_cast<int64_t>(size)});
  }
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;

  // ---- indexing ----
  /// t[i] is t.select(0, i) (a view); t[idx] with an integer or bool tensor is t.index({idx})
  /// (advanced indexing along dim 0), as in libtorch.
  Tensor operator[](int64_t index) const { return select(0, index); }
  Tensor operator[](const Tensor& index) const;
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value);
  Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, Scalar value);
  Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value);

  // ---- in place: writes through views update the base and every other view ----
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& add_(Scalar other);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(Scalar other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar other);
  Tensor& zero_();
  Tensor& fill_(Scalar value);
  Tensor& copy_(const Tensor& src);
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);

  // ---- internals shared with the rest of kiln ----
  /// The graph node this tensor reads now.
  ir::NodeRef node() const;
  /// Replaces this tensor's region of its storage with `value` (same shape and dtype).
  void write(const ir::NodeRef& value);
  /// The storage's version counter (bumped by every in-place write).
  uint64_t version() const;
  const std::shared_ptr<detail::TensorImpl>& impl() const { return impl_; }
  explicit Tensor(std::shared_ptr<detail::TensorImpl> impl) : impl_(std::move(impl)) {}

 private:
  double item_double() const;
  int64_t item_int() const;
  std::vector<double> values_double() const;
  std::vector<int64_t> values_int() const;

  std::shared_ptr<detail::TensorImpl> impl_;
};

/// Realizes several tensors in one program.
void eval(const std::vector<Tensor>& tensors);

/// Prints as PyTorch does: tensor([[1., 2.], [3., 4.]]).
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace kiln

template <>
struct fmt::formatter<kiln::Tensor> : fmt::ostream_formatter {};
