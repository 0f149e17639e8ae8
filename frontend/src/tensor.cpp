// Tensor handles: metadata, node derivation through views, value reads and in-place writes.
#include "kiln/frontend/tensor.h"

#include <algorithm>
#include <exception>
#include <ostream>

#include "autograd/leaves.h"
#include "kiln/compiler/marks.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/format.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "tensor_impl.h"
#include "trace.h"

namespace kiln {

using detail::Storage;
using detail::TensorImpl;

Tensor Tensor::from_node(ir::NodeRef node) {
  auto impl = std::make_shared<TensorImpl>();
  impl->sizes = node->shape();
  impl->strides = contiguous_strides(node->shape());
  impl->storage = std::make_shared<Storage>();
  if (!GradMode::is_enabled()) node = ir::stop_gradient(std::move(node));
  int64_t depth = node->depth();
  impl->storage->node = ir::reshape(std::move(node), {numel_of(impl->sizes)});
  Tensor t(std::move(impl));
  if (depth > detail::kMaxPendingDepth) detail::realize_deep(t);
  return t;
}

namespace detail {

namespace {
thread_local RealizeDeepTogether* innermost_batch = nullptr;
}  // namespace

RealizeDeepTogether::RealizeDeepTogether()
    : outer_(innermost_batch), exceptions_(std::uncaught_exceptions()) {
  innermost_batch = this;
}

RealizeDeepTogether::~RealizeDeepTogether() noexcept(false) {
  innermost_batch = outer_;
  // Not while unwinding: the error that ended the scope is the one to report (the graphs stay
  // pending and are realized when next read).
  if (std::uncaught_exceptions() > exceptions_) return;
  std::vector<std::vector<Tensor>> by_device;  // a program runs on one device
  for (const auto& w : waiting_) {
    std::shared_ptr<TensorImpl> impl = w.lock();
    if (!impl) continue;
    Tensor t(std::move(impl));
    auto same = [&](const std::vector<Tensor>& g) { return g[0].device() == t.device(); };
    auto it = std::find_if(by_device.begin(), by_device.end(), same);
    if (it == by_device.end()) {
      by_device.push_back({t});
    } else {
      it->push_back(t);
    }
  }
  for (const auto& group : by_device) realize(group);
}

void realize_deep(const Tensor& t) {
  if (innermost_batch) {
    innermost_batch->waiting_.push_back(t.impl());
  } else {
    t.eval();
  }
}

Tensor make_view(const Tensor& base, Shape sizes, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->sizes = std::move(sizes);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->leaf_id = base.impl()->leaf_id;
  impl->detached = base.impl()->detached;
  impl->no_grad_view_of = base.impl()->no_grad_view_of;
  // As in PyTorch, a view made without grad mode does not require grad; writes through it still
  // reach its base's storage (but not with grad mode on: detail::check_inplace).
  if (!GradMode::is_enabled()) {
    if (impl->leaf_id != 0) impl->no_grad_view_of = impl->leaf_id;
    impl->leaf_id = 0;
    impl->detached = true;
  }
  return Tensor(std::move(impl));
}

void check_defined(const char* op, const Tensor& t) {
  if (!t.defined()) throw Error(std::string("[") + op + "] the tensor is undefined");
}

}  // namespace detail

const std::vector<int64_t>& Tensor::sizes() const {
  detail::check_defined("sizes", *this);
  return impl_->sizes;
}
int64_t Tensor::size(int64_t dim) const {
  detail::check_defined("size", *this);
  return impl_->sizes[wrap_dim("size", dim, static_cast<int64_t>(impl_->sizes.size()))];
}
int64_t Tensor::dim() const {
  detail::check_defined("dim", *this);
  return static_cast<int64_t>(impl_->sizes.size());
}
int64_t Tensor::numel() const {
  detail::check_defined("numel", *this);
  return numel_of(impl_->sizes);
}
DType Tensor::dtype() const {
  detail::check_defined("dtype", *this);
  return impl_->storage->node->dtype();
}
Device Tensor::device() const {
  detail::check_defined("device", *this);
  return impl_->storage->node->device();
}
const std::vector<int64_t>& Tensor::strides() const {
  detail::check_defined("strides", *this);
  return impl_->strides;
}
int64_t Tensor::stride(int64_t dim) const {
  detail::check_defined("stride", *this);
  return impl_->strides[wrap_dim("stride", dim, static_cast<int64_t>(impl_->sizes.size()))];
}
int64_t Tensor::storage_offset() const {
  detail::check_defined("storage_offset", *this);
  return impl_->offset;
}
bool Tensor::is_same_storage(const Tensor& other) const {
  return defined() && other.defined() && impl_->storage == other.impl_->storage;
}

bool Tensor::is_contiguous() const {
  detail::check_defined("is_contiguous", *this);
  // PyTorch's rule: size-1 dims may have any stride; an empty tensor is contiguous.
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (size_t i = impl_->sizes.size(); i-- > 0;) {
    int64_t s = impl_->sizes[i];
    if (s == 1) continue;
    if (impl_->strides[i] != expected) return false;
    expected *= s;
  }
  return true;
}

bool Tensor::requires_grad() const {
  return defined() && is_floating(dtype()) &&
         (impl_->requires_grad || detail::depends_on_leaf(node()));
}
Tensor& Tensor::requires_grad_(bool requires_grad) {
  detail::check_defined("requires_grad_", *this);
  if (requires_grad && !is_floating(dtype())) {
    throw DTypeError(std::string("[requires_grad_] only floating point tensors can require "
                                 "gradients, got ") +
                     torch_name(dtype()));
  }
  if (!requires_grad && impl_->requires_grad) {
    impl_->requires_grad = false;
    impl_->leaf_id = 0;
    return *this;
  }
  if (!requires_grad) {
    if (this->requires_grad()) {
      throw Error(
          "[requires_grad_] you can only change requires_grad flags of leaf variables. If you "
          "want to use a computed variable in a subgraph that doesn't require differentiation "
          "use var_no_grad = var.detach().");
    }
    return *this;
  }
  if (impl_->requires_grad || this->requires_grad()) return *this;  // already requires grad
  impl_->requires_grad = true;
  impl_->leaf_id = detail::register_leaf(impl_);
  return *this;
}

ir::NodeRef Tensor::node() const {
  detail::check_defined("node", *this);
  if (detail::Trace* trace = detail::current_trace()) trace->note_read(impl_->storage);
  ir::NodeRef base = impl_->storage->node;
  if (impl_->detached) base = ir::stop_gradient(std::move(base));
  if (impl_->leaf_id != 0) base = ir::leaf_mark(std::move(base), impl_->leaf_id);
  return ir::as_strided(std::move(base), impl_->sizes, impl_->strides, impl_->offset);
}

uint64_t Tensor::version() const {
  detail::check_defined("version", *this);
  return impl_->storage->version;
}

void Tensor::write(const ir::NodeRef& value) {
  KILN_CHECK(value->shape() == impl_->sizes && value->dtype() == dtype(), "write: value mismatch");
  Storage& st = *impl_->storage;
  if (st.node->op() == ir::Op::Load) st.home = st.node;
  // Without grad mode the write is a constant to autograd (an optimizer's update of a leaf).
  ir::NodeRef v = GradMode::is_enabled() ? value : ir::stop_gradient(value);
  int64_t total = st.node->numel();
  bool whole = impl_->offset == 0 && numel() == total && is_contiguous();
  st.node =
      whole ? ir::reshape(v, {total}) : ir::set_strided(st.node, v, impl_->strides, impl_->offset);
  ++st.version;
  if (detail::Trace* trace = detail::current_trace()) trace->written.push_back(*this);
  if (st.node->depth() > detail::kMaxPendingDepth) detail::realize_deep(*this);
}

const Tensor& Tensor::eval() const {
  detail::realize({*this});
  return *this;
}

void eval(const std::vector<Tensor>& tensors) { detail::realize(tensors); }

namespace {
/// Reads every element of a realized tensor through its view, in row-major order.
template <typename T, typename Get>
std::vector<T> read_view(const Tensor& t, Get get) {
  detail::refuse_read_in_trace("reading values (item, to_vector, printing, a boolean mask)");
  t.eval();
  const auto& impl = *t.impl();
  runtime::BufferPtr buf = impl.storage->node->buffer();
  KILN_CHECK(buf != nullptr, "realized storage without a buffer");
  if (!buf->device().is_cpu()) buf = runtime::copy_to(*buf, Device(kCPU));
  std::vector<T> out;
  int64_t n = t.numel();
  out.reserve(static_cast<size_t>(n));
  std::vector<int64_t> idx(impl.sizes.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = impl.offset;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * impl.strides[d];
    out.push_back(get(*buf, off));
    for (size_t d = idx.size(); d-- > 0;) {
      if (++idx[d] < impl.sizes[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

void check_single(const Tensor& t) {
  if (t.numel() != 1) {
    throw ValueError("[item] a Tensor with " + std::to_string(t.numel()) +
                     " elements cannot be converted to Scalar");
  }
}
}  // namespace

std::vector<double> Tensor::values_double() const {
  detail::check_defined("to_vector", *this);
  return read_view<double>(*this, [](const runtime::Buffer& b, int64_t i) { return b.get(i); });
}
std::vector<int64_t> Tensor::values_int() const {
  detail::check_defined("to_vector", *this);
  return read_view<int64_t>(*this,
                            [](const runtime::Buffer& b, int64_t i) { return b.get_int(i); });
}
double Tensor::item_double() const {
  detail::check_defined("item", *this);
  check_single(*this);
  return values_double()[0];
}
int64_t Tensor::item_int() const {
  detail::check_defined("item", *this);
  check_single(*this);
  return values_int()[0];
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  detail::PrintData data{{}, {}, t.sizes(), t.dtype(), t.device(), t.impl()->requires_grad};
  if (is_floating(t.dtype())) {
    data.values = t.to_vector<double>();
  } else {  // read once, exactly
    data.ints = t.to_vector<int64_t>();
    data.values.assign(data.ints.begin(), data.ints.end());
  }
  return os << detail::format_tensor(data);
}

}  // namespace kiln
