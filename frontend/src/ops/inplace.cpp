// In-place ops. Each computes the new value functionally and writes it into the tensor's
// region of its storage, so the base and every other view see it.
#include "autograd/leaves.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

namespace {

/// PyTorch refuses in-place results that would need a narrowing category change
/// (float into an integer tensor, anything but bool into a bool tensor).
void check_can_cast(const char* op, DType from, DType to) {
  bool ok = !((is_floating(from) && !is_floating(to)) || (from != kBool && to == kBool));
  if (!ok) {
    throw DTypeError(std::string("[") + op + "] result type " + torch_name(from) +
                     " can't be cast to the desired output type " + torch_name(to));
  }
}

/// Refuses writes into a view where several elements share one memory location.
void check_no_overlap(const char* op, const Tensor& t) {
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.stride(d) == 0 && t.size(d) > 1) {
      throw Error(
          std::string("[") + op +
          "] unsupported operation: more than one element of the written-to tensor refers to a "
          "single memory location. Please clone() the tensor before performing the operation.");
    }
  }
}

Tensor& assign(const char* op, Tensor& self, const Tensor& value) {
  detail::check_defined(op, self);
  detail::check_inplace(op, self);
  check_can_cast(op, value.dtype(), self.dtype());
  check_no_overlap(op, self);
  if (value.device() != self.device()) {
    throw DeviceError(std::string("[") + op + "] expected " + self.device().str() + " but got " +
                      value.device().str());
  }
  Shape b = broadcast_shapes(op, self.sizes(), value.sizes());
  if (b != self.sizes()) {
    throw ShapeError(std::string("[") + op + "] output with shape " + shape_str(self.sizes()) +
                     " doesn't match the broadcast shape " + shape_str(b));
  }
  self.write(detail::prepare(value, self.dtype(), self.sizes()));
  return self;
}

}  // namespace

Tensor& Tensor::copy_(const Tensor& src) {
  detail::check_defined("copy_", src);
  detail::check_defined("copy_", *this);
  // copy_ converts any dtype and copies across devices, unlike the arithmetic in-place ops; a
  // copy from another device is eager (Tensor::to), and gradients do not cross devices.
  Tensor value = src;
  if (src.device() != device()) {
    if (GradMode::is_enabled() && src.requires_grad()) {
      throw Error("[copy_] gradients do not flow between devices: copy from " + src.device().str() +
                  " a tensor that does not require grad (src.detach()), or under NoGradGuard");
    }
    value = src.detach().to(device());
  }
  return assign("copy_", *this, value.to(dtype()));
}
Tensor& Tensor::add_(const Tensor& other, Scalar alpha) {
  return assign("add_", *this, alpha.to_double() == 1.0 ? *this + other : *this + other * alpha);
}
Tensor& Tensor::add_(Scalar other) { return assign("add_", *this, *this + other); }
Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) {
  return assign("sub_", *this, alpha.to_double() == 1.0 ? *this - other : *this - other * alpha);
}
Tensor& Tensor::sub_(Scalar other) { return assign("sub_", *this, *this - other); }
Tensor& Tensor::mul_(const Tensor& other) { return assign("mul_", *this, *this * other); }
Tensor& Tensor::mul_(Scalar other) { return assign("mul_", *this, *this * other); }
Tensor& Tensor::div_(const Tensor& other) { return assign("div_", *this, *this / other); }
Tensor& Tensor::div_(Scalar other) { return assign("div_", *this, *this / other); }
Tensor& Tensor::zero_() { return fill_(0); }
Tensor& Tensor::fill_(Scalar value) {
  detail::check_defined("fill_", *this);
  return assign("fill_", *this, full({}, value, TensorOptions(dtype()).device(device())));
}
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  return assign("clamp_", *this, kiln::clamp(*this, min, max));
}

}  // namespace kiln
