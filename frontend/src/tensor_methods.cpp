// Tensor methods that forward to the free functions, and dtype/device conversion.
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"
#include "tensor_impl.h"
#include "trace.h"

namespace kiln {

Tensor Tensor::to(DType dtype) const {
  detail::check_defined("to", *this);
  if (dtype == this->dtype()) return *this;
  return Tensor::from_node(ir::cast(node(), dtype));
}

Tensor Tensor::to(Device device) const {
  detail::check_defined("to", *this);
  if (device == this->device()) return *this;
  // The copy is eager (below), so it cannot be recorded into a compiled function's graph.
  detail::refuse_read_in_trace("to(device)");
  detail::resolve_device("to", TensorOptions(device));
  // Realize the elements in row-major order on the source device, then copy that buffer.
  Tensor src = Tensor::from_node(node());
  src.eval();
  runtime::BufferPtr moved = runtime::copy_to(*src.impl()->storage->node->buffer(), device);
  Tensor r = Tensor::from_node(ir::load(moved, sizes()));
  // Gradients do not flow between devices: a tensor that requires grad arrives as a new leaf
  // (what moving a model's parameters wants).
  if (requires_grad()) r.requires_grad_();
  return r;
}

Tensor Tensor::to(const TensorOptions& options) const {
  Tensor r = *this;
  if (options.device_opt()) r = r.to(*options.device_opt());
  if (options.dtype_opt()) r = r.to(*options.dtype_opt());
  return r;
}

Tensor Tensor::pow(const Tensor& e) const { return kiln::pow(*this, e); }
Tensor Tensor::pow(Scalar e) const { return kiln::pow(*this, e); }
Tensor Tensor::exp() const { return kiln::exp(*this); }
Tensor Tensor::log() const { return kiln::log(*this); }
Tensor Tensor::log1p() const { return kiln::log1p(*this); }
Tensor Tensor::expm1() const { return kiln::expm1(*this); }
Tensor Tensor::sqrt() const { return kiln::sqrt(*this); }
Tensor Tensor::rsqrt() const { return kiln::rsqrt(*this); }
Tensor Tensor::abs() const { return kiln::abs(*this); }
Tensor Tensor::sign() const { return kiln::sign(*this); }
Tensor Tensor::sin() const { return kiln::sin(*this); }
Tensor Tensor::cos() const { return kiln::cos(*this); }
Tensor Tensor::tanh() const { return kiln::tanh(*this); }
Tensor Tensor::sigmoid() const { return kiln::sigmoid(*this); }
Tensor Tensor::relu() const { return kiln::relu(*this); }
Tensor Tensor::erf() const { return kiln::erf(*this); }
Tensor Tensor::floor() const { return kiln::floor(*this); }
Tensor Tensor::ceil() const { return kiln::ceil(*this); }
Tensor Tensor::round() const { return kiln::round(*this); }
Tensor Tensor::reciprocal() const { return kiln::reciprocal(*this); }
Tensor Tensor::neg() const { return kiln::neg(*this); }
Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const {
  return kiln::clamp(*this, min, max);
}
Tensor Tensor::lt(const Tensor& o) const { return kiln::lt(*this, o); }
Tensor Tensor::le(const Tensor& o) const { return kiln::le(*this, o); }
Tensor Tensor::gt(const Tensor& o) const { return kiln::gt(*this, o); }
Tensor Tensor::ge(const Tensor& o) const { return kiln::ge(*this, o); }
Tensor Tensor::eq(const Tensor& o) const { return kiln::eq(*this, o); }
Tensor Tensor::ne(const Tensor& o) const { return kiln::ne(*this, o); }
Tensor Tensor::lt(Scalar o) const { return kiln::lt(*this, o); }
Tensor Tensor::le(Scalar o) const { return kiln::le(*this, o); }
Tensor Tensor::gt(Scalar o) const { return kiln::gt(*this, o); }
Tensor Tensor::ge(Scalar o) const { return kiln::ge(*this, o); }
Tensor Tensor::eq(Scalar o) const { return kiln::eq(*this, o); }
Tensor Tensor::ne(Scalar o) const { return kiln::ne(*this, o); }
Tensor Tensor::logical_not() const { return kiln::logical_not(*this); }
Tensor Tensor::logical_and(const Tensor& o) const { return kiln::logical_and(*this, o); }
Tensor Tensor::logical_or(const Tensor& o) const { return kiln::logical_or(*this, o); }
Tensor Tensor::minimum(const Tensor& o) const { return kiln::minimum(*this, o); }
Tensor Tensor::maximum(const Tensor& o) const { return kiln::maximum(*this, o); }
Tensor Tensor::where(const Tensor& condition, const Tensor& other) const {
  return kiln::where(condition, *this, other);
}
Tensor Tensor::where(const Tensor& condition, Scalar other) const {
  return kiln::where(condition, *this, other);
}
Tensor Tensor::add(const Tensor& o) const { return kiln::add(*this, o); }
Tensor Tensor::sub(const Tensor& o) const { return kiln::sub(*this, o); }
Tensor Tensor::mul(const Tensor& o) const { return kiln::mul(*this, o); }
Tensor Tensor::div(const Tensor& o) const { return kiln::div(*this, o); }
Tensor Tensor::add(Scalar o) const { return *this + o; }
Tensor Tensor::sub(Scalar o) const { return *this - o; }
Tensor Tensor::mul(Scalar o) const { return *this * o; }
Tensor Tensor::div(Scalar o) const { return *this / o; }

Tensor Tensor::sum() const { return kiln::sum(*this); }
Tensor Tensor::sum(int64_t dim, bool keepdim) const { return kiln::sum(*this, dim, keepdim); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::sum(*this, dims, keepdim);
}
Tensor Tensor::mean() const { return kiln::mean(*this); }
Tensor Tensor::mean(int64_t dim, bool keepdim) const { return kiln::mean(*this, dim, keepdim); }
Tensor Tensor::mean(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::mean(*this, dims, keepdim);
}
Tensor Tensor::prod() const { return kiln::prod(*this); }
Tensor Tensor::prod(int64_t dim, bool keepdim) const { return kiln::prod(*this, dim, keepdim); }
Tensor Tensor::prod(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::prod(*this, dims, keepdim);
}
Tensor Tensor::max() const { return kiln::max(*this); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const {
  return kiln::max(*this, dim, keepdim);
}
Tensor Tensor::min() const { return kiln::min(*this); }
std::tuple<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const {
  return kiln::min(*this, dim, keepdim);
}
Tensor Tensor::max(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::max(*this, dims, keepdim);
}
Tensor Tensor::min(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::min(*this, dims, keepdim);
}
Tensor Tensor::amax(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::amax(*this, dims, keepdim);
}
Tensor Tensor::amin(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::amin(*this, dims, keepdim);
}
Tensor Tensor::argmax() const { return kiln::argmax(*this); }
Tensor Tensor::argmax(int64_t dim, bool keepdim) const { return kiln::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin() const { return kiln::argmin(*this); }
Tensor Tensor::argmin(int64_t dim, bool keepdim) const { return kiln::argmin(*this, dim, keepdim); }
Tensor Tensor::norm(double p) const { return kiln::norm(*this, p); }
Tensor Tensor::norm(double p, int64_t dim, bool keepdim) const {
  return kiln::norm(*this, p, dim, keepdim);
}
Tensor Tensor::norm(double p, const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::norm(*this, p, dims, keepdim);
}
Tensor Tensor::var() const { return kiln::var(*this); }
Tensor Tensor::var(int64_t dim, bool unbiased, bool keepdim) const {
  return kiln::var(*this, dim, unbiased, keepdim);
}
Tensor Tensor::var(const std::vector<int64_t>& dims, bool unbiased, bool keepdim) const {
  return kiln::var(*this, dims, unbiased, keepdim);
}
Tensor Tensor::std() const { return kiln::std(*this); }
Tensor Tensor::std(int64_t dim, bool unbiased, bool keepdim) const {
  return kiln::std(*this, dim, unbiased, keepdim);
}
Tensor Tensor::std(const std::vector<int64_t>& dims, bool unbiased, bool keepdim) const {
  return kiln::std(*this, dims, unbiased, keepdim);
}
Tensor Tensor::logsumexp() const { return kiln::logsumexp(*this); }
Tensor Tensor::logsumexp(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::logsumexp(*this, dims, keepdim);
}
Tensor Tensor::logsumexp(int64_t dim, bool keepdim) const {
  return kiln::logsumexp(*this, dim, keepdim);
}
Tensor Tensor::all() const { return kiln::all(*this); }
Tensor Tensor::all(int64_t dim, bool keepdim) const { return kiln::all(*this, dim, keepdim); }
Tensor Tensor::all(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::all(*this, dims, keepdim);
}
Tensor Tensor::any() const { return kiln::any(*this); }
Tensor Tensor::any(int64_t dim, bool keepdim) const { return kiln::any(*this, dim, keepdim); }
Tensor Tensor::any(const std::vector<int64_t>& dims, bool keepdim) const {
  return kiln::any(*this, dims, keepdim);
}
Tensor Tensor::softmax(int64_t dim) const { return kiln::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return kiln::log_softmax(*this, dim); }
Tensor Tensor::cumsum(int64_t dim) const { return kiln::cumsum(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending) const {
  return kiln::sort(*this, dim, descending);
}
Tensor Tensor::argsort(int64_t dim, bool descending) const {
  return kiln::argsort(*this, dim, descending);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return kiln::topk(*this, k, dim, largest, sorted);
}

}  // namespace kiln
