// Shared by the graph text printer (text_print.cpp) and parser (text.cpp): a double's bits, and
// the NaNs written without a payload. Internal to kiln_compiler.
#pragma once

#include <cstdint>
#include <cstring>

namespace kiln::ir::text_detail {

inline constexpr uint64_t kQuietNan = 0x7ff8000000000000ull;
inline constexpr uint64_t kNegativeQuietNan = 0xfff8000000000000ull;

inline uint64_t bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

inline double double_of(uint64_t b) {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

}  // namespace kiln::ir::text_detail
