// libtorch-style indexing: x.index({Slice(None, 5), 0, None, mask}) and index_put_.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

#include "kiln/frontend/tensor.h"

namespace kiln::indexing {

/// The "no value" marker: Slice(None, 5), or a new axis in index({None, Slice()}).
struct NoneType {};
inline constexpr NoneType None{};

/// The "..." marker: all remaining dims.
struct EllipsisType {};
inline constexpr EllipsisType Ellipsis{};

/// A slice bound: an integer or None.
class SliceBound {
 public:
  SliceBound(NoneType) {}  // NOLINT: implicit, as in libtorch
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  SliceBound(T v) : value_(static_cast<int64_t>(v)) {}  // NOLINT
  const std::optional<int64_t>& value() const { return value_; }

 private:
  std::optional<int64_t> value_;
};

/// Python's start:stop:step.
class Slice {
 public:
  Slice(SliceBound start = None, SliceBound stop = None, SliceBound step = None)
      : start_(start.value()), stop_(stop.value()), step_(step.value().value_or(1)) {}
  const std::optional<int64_t>& start() const { return start_; }
  const std::optional<int64_t>& stop() const { return stop_; }
  int64_t step() const { return step_; }

 private:
  std::optional<int64_t> start_, stop_;
  int64_t step_;
};

/// One entry of an index list.
class TensorIndex {
 public:
  enum class Kind { None, Ellipsis, Integer, Boolean, Slice, Tensor };

  TensorIndex(NoneType) : kind_(Kind::None) {}                // NOLINT
  TensorIndex(EllipsisType) : kind_(Kind::Ellipsis) {}        // NOLINT
  TensorIndex(const char* ellipsis);                          // NOLINT: "..."
  TensorIndex(bool b) : kind_(Kind::Boolean), integer_(b) {}  // NOLINT
  template <typename T,
            typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
  TensorIndex(T i) : kind_(Kind::Integer), integer_(static_cast<int64_t>(i)) {}  // NOLINT
  TensorIndex(Slice s) : kind_(Kind::Slice), slice_(s) {}                        // NOLINT
  TensorIndex(kiln::Tensor t) : kind_(Kind::Tensor), tensor_(std::move(t)) {}    // NOLINT

  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const kiln::Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
  kiln::Tensor tensor_;
};

}  // namespace kiln::indexing
