// TensorOptions and Scalar: the small value types every creation function and op takes.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

#include "kiln/runtime/device.h"
#include "kiln/runtime/dtype.h"

namespace kiln {

/// Options for creating a tensor, as in libtorch: dtype, device, requires_grad. Converts
/// implicitly from a bare DType or Device.
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(DType dtype) : dtype_(dtype) {}              // NOLINT: implicit like libtorch
  TensorOptions(Device device) : device_(device) {}          // NOLINT: implicit like libtorch
  TensorOptions(DeviceType type) : device_(Device(type)) {}  // NOLINT

  TensorOptions dtype(DType d) const {
    TensorOptions o = *this;
    o.dtype_ = d;
    return o;
  }
  TensorOptions device(Device d) const {
    TensorOptions o = *this;
    o.device_ = d;
    return o;
  }
  TensorOptions requires_grad(bool r = true) const {
    TensorOptions o = *this;
    o.requires_grad_ = r;
    return o;
  }

  std::optional<DType> dtype_opt() const { return dtype_; }
  /// The dtype, or `fallback` when none was set.
  DType dtype_or(DType fallback) const { return dtype_.value_or(fallback); }
  std::optional<Device> device_opt() const { return device_; }
  bool requires_grad_value() const { return requires_grad_; }

 private:
  std::optional<DType> dtype_;
  std::optional<Device> device_;
  bool requires_grad_ = false;
};

/// A number given where a tensor could be (`t + 2`, `full({2}, 7.0)`). It remembers whether it
/// was a bool, an integer or a floating value, because type promotion depends on that.
class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };

  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  Scalar(T v) {  // NOLINT: implicit, as numbers are in libtorch
    if constexpr (std::is_same_v<T, bool>) {
      kind_ = Kind::Bool;
      i_ = v ? 1 : 0;
      d_ = i_;
    } else if constexpr (std::is_integral_v<T>) {
      kind_ = Kind::Int;
      i_ = static_cast<int64_t>(v);
      d_ = static_cast<double>(v);
    } else {
      kind_ = Kind::Float;
      d_ = static_cast<double>(v);
      i_ = 0;
    }
  }

  Kind kind() const { return kind_; }
  double to_double() const { return d_; }
  int64_t to_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  /// The dtype PyTorch gives a tensor made from this number alone (bool, int64, float32).
  DType default_dtype() const;

 private:
  Kind kind_;
  double d_;
  int64_t i_;
};

}  // namespace kiln
