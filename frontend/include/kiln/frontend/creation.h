// Creating tensors: from host data, constants, ranges and random numbers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <type_traits>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

namespace detail {
/// Host data as doubles or int64s with the dtype it came in.
Tensor tensor_from_doubles(const std::vector<double>& values, const Shape& shape, DType source,
                           const TensorOptions& options);
Tensor tensor_from_ints(const std::vector<int64_t>& values, const Shape& shape, DType source,
                        const TensorOptions& options);

template <typename T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, bool>)
    return kBool;
  else if constexpr (std::is_same_v<T, uint8_t>)
    return kUInt8;
  else if constexpr (std::is_integral_v<T> && sizeof(T) <= 4)
    return kInt32;
  else if constexpr (std::is_integral_v<T>)
    return kInt64;
  else if constexpr (std::is_same_v<T, double>)
    return kFloat64;
  else
    return kFloat32;
}

/// The dtype of a literal list: double literals are float32 as in libtorch, ints are int64.
template <typename T>
constexpr DType literal_dtype() {
  if constexpr (std::is_same_v<T, bool>)
    return kBool;
  else if constexpr (std::is_integral_v<T>)
    return kInt64;
  else
    return kFloat32;
}

// A literal list flattened into doubles, or into int64s for integer and bool literals (exact
// past 2^53).
template <typename T, typename V>
void flatten_into(std::initializer_list<T> list, std::vector<V>& out, Shape& shape, size_t depth);

template <typename T, typename V>
void flatten_list(const T& v, std::vector<V>& out, Shape& /*shape*/, size_t /*depth*/) {
  out.push_back(static_cast<V>(v));
}
template <typename T, typename V>
void flatten_list(std::initializer_list<T> list, std::vector<V>& out, Shape& shape, size_t depth) {
  flatten_into(list, out, shape, depth);
}
/// Records the list's length at `depth` (throws ShapeError on a ragged list) and recurses.
void check_list_dim(Shape& shape, size_t depth, int64_t length);
template <typename T, typename V>
void flatten_into(std::initializer_list<T> list, std::vector<V>& out, Shape& shape, size_t depth) {
  check_list_dim(shape, depth, static_cast<int64_t>(list.size()));
  for (const auto& item : list) flatten_list(item, out, shape, depth + 1);
}
template <typename T>
struct ListScalar {
  using type = T;
};
template <typename T>
struct ListScalar<std::initializer_list<T>> {
  using type = typename ListScalar<T>::type;
};
}  // namespace detail

/// A tensor from a (nested, up to 4-D) literal list: kiln::tensor({{1., 2.}, {3., 4.}}).
template <typename T>
Tensor tensor(std::initializer_list<T> values, const TensorOptions& options = {}) {
  using S = typename detail::ListScalar<T>::type;
  Shape shape;
  if constexpr (std::is_integral_v<S>) {
    std::vector<int64_t> flat;
    detail::flatten_into(values, flat, shape, 0);
    return detail::tensor_from_ints(flat, shape, detail::literal_dtype<S>(), options);
  } else {
    std::vector<double> flat;
    detail::flatten_into(values, flat, shape, 0);
    return detail::tensor_from_doubles(flat, shape, detail::literal_dtype<S>(), options);
  }
}
template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<T>> values,
              const TensorOptions& options = {}) {
  return tensor<std::initializer_list<T>>(values, options);
}
template <typename T>
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<T>>> values,
              const TensorOptions& options = {}) {
  return tensor<std::initializer_list<std::initializer_list<T>>>(values, options);
}
template <typename T>
Tensor tensor(
    std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<T>>>>
        values,
    const TensorOptions& options = {}) {
  return tensor<std::initializer_list<std::initializer_list<std::initializer_list<T>>>>(values,
                                                                                        options);
}
/// A 0-d tensor holding one number.
Tensor scalar_tensor(Scalar value, const TensorOptions& options = {});

/// A tensor copied from a vector; the dtype follows T unless options give one.
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
Tensor from_vector(const std::vector<T>& values, const std::vector<int64_t>& shape,
                   const TensorOptions& options = {}) {
  if constexpr (std::is_integral_v<T>) {
    std::vector<int64_t> v(values.begin(), values.end());
    return detail::tensor_from_ints(v, shape, detail::dtype_of<T>(), options);
  } else {
    std::vector<double> v(values.begin(), values.end());
    return detail::tensor_from_doubles(v, shape, detail::dtype_of<T>(), options);
  }
}
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
Tensor from_vector(const std::vector<T>& values, const TensorOptions& options = {}) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, options);
}

Tensor zeros(const std::vector<int64_t>& shape, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor zeros(I size, const TensorOptions& options = {}) {
  return zeros(std::vector<int64_t>{static_cast<int64_t>(size)}, options);
}
Tensor ones(const std::vector<int64_t>& shape, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor ones(I size, const TensorOptions& options = {}) {
  return ones(std::vector<int64_t>{static_cast<int64_t>(size)}, options);
}
Tensor full(const std::vector<int64_t>& shape, Scalar value, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor full(I size, Scalar value, const TensorOptions& options = {}) {
  return full(std::vector<int64_t>{static_cast<int64_t>(size)}, value, options);
}
Tensor empty(const std::vector<int64_t>& shape, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor empty(I size, const TensorOptions& options = {}) {
  return empty(std::vector<int64_t>{static_cast<int64_t>(size)}, options);
}
Tensor eye(int64_t n, const TensorOptions& options = {});
Tensor eye(int64_t n, int64_t m, const TensorOptions& options = {});
Tensor zeros_like(const Tensor& t, const TensorOptions& options = {});
Tensor ones_like(const Tensor& t, const TensorOptions& options = {});
Tensor full_like(const Tensor& t, Scalar value, const TensorOptions& options = {});
Tensor rand_like(const Tensor& t, const TensorOptions& options = {});
Tensor randn_like(const Tensor& t, const TensorOptions& options = {});
Tensor arange(Scalar end, const TensorOptions& options = {});
Tensor arange(Scalar start, Scalar end, const TensorOptions& options = {});
Tensor arange(Scalar start, Scalar end, Scalar step, const TensorOptions& options = {});
Tensor linspace(double start, double end, int64_t steps, const TensorOptions& options = {});

// ---- random numbers: Philox 4x32-10 keyed by (seed, offset) ----
/// Seeds the generator; the same seed gives the same numbers on every device.
void manual_seed(uint64_t seed);
Tensor rand(const std::vector<int64_t>& shape, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor rand(I size, const TensorOptions& options = {}) {
  return rand(std::vector<int64_t>{static_cast<int64_t>(size)}, options);
}
Tensor randn(const std::vector<int64_t>& shape, const TensorOptions& options = {});
template <typename I, detail::IfSizeInt<I> = 0>
Tensor randn(I size, const TensorOptions& options = {}) {
  return randn(std::vector<int64_t>{static_cast<int64_t>(size)}, options);
}
Tensor randint(int64_t low, int64_t high, const std::vector<int64_t>& shape,
               const TensorOptions& options = {});
Tensor randint(int64_t high, const std::vector<int64_t>& shape, const TensorOptions& options = {});
Tensor randperm(int64_t n, const TensorOptions& options = {});

// ---- devices ----
/// CUDA when present, else the CPU; KILN_DEVICE=cpu|cuda overrides.
Device default_device();
/// Waits for all queued device work.
void synchronize();
namespace cuda {
/// True when a CUDA driver and at least one GPU are present.
bool is_available();
/// Number of CUDA devices (0 without a driver).
int device_count();
/// Frees the device memory kiln's caching allocators hold for reuse.
void empty_cache();
}  // namespace cuda

}  // namespace kiln
