// ExpandingArray<D>: D integers given as one number (expanded to all D) or as a list, as
// libtorch's kernel_size, stride and padding options are. Prints as [3, 3].
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "kiln/runtime/error.h"

namespace kiln::nn {

template <size_t D>
class ExpandingArray {
 public:
  ExpandingArray(int64_t single) { values_.fill(single); }  // NOLINT: implicit like libtorch
  ExpandingArray(std::initializer_list<int64_t> list) {     // NOLINT
    if (list.size() != D) {
      throw ShapeError("[ExpandingArray] expected " + std::to_string(D) + " values, got " +
                       std::to_string(list.size()));
    }
    size_t i = 0;
    for (int64_t v : list) values_[i++] = v;
  }
  ExpandingArray(const std::array<int64_t, D>& values) : values_(values) {}  // NOLINT

  int64_t operator[](size_t i) const { return values_[i]; }
  int64_t& operator[](size_t i) { return values_[i]; }
  const std::array<int64_t, D>& operator*() const { return values_; }
  std::vector<int64_t> vec() const { return {values_.begin(), values_.end()}; }
  static constexpr size_t size() { return D; }
  friend bool operator==(const ExpandingArray& a, const ExpandingArray& b) = default;

 private:
  std::array<int64_t, D> values_{};
};

template <size_t D>
std::ostream& operator<<(std::ostream& os, const ExpandingArray<D>& a) {
  os << "[";
  for (size_t i = 0; i < D; ++i) os << (i != 0 ? ", " : "") << a[i];
  return os << "]";
}

}  // namespace kiln::nn
