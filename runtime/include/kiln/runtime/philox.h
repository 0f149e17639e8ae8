// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
// a counter-based generator. Element i of a random tensor depends only on (seed, offset, i),
// so every device and every thread count gives the same numbers.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace kiln::runtime {

/// Ten Philox rounds over counter (c0..c3) with key (k0, k1).
inline std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = static_cast<uint64_t>(kM0) * c[0];
    uint64_t p1 = static_cast<uint64_t>(kM1) * c[2];
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
    k0 += kW0;
    k1 += kW1;
  }
  return c;
}

/// The four 32-bit words for element `index` of the stream (seed, offset).
inline std::array<uint32_t, 4> philox_words(uint64_t seed, uint64_t offset, uint64_t index) {
  return philox4x32_10({static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                        static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)},
                       static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

/// A uniform double in [0, 1) from two words (53 random bits).
inline double philox_uniform(uint32_t a, uint32_t b) {
  uint64_t bits = (static_cast<uint64_t>(a) << 21) ^ (static_cast<uint64_t>(b) >> 11);
  bits &= (uint64_t{1} << 53) - 1;
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

/// Element `index` of the random op (seed, offset): dist 0 is uniform in [0, 1) with
/// `mantissa_bits` random bits (so it stays below 1 in that precision), dist 1 is a standard
/// normal by Box-Muller. Every backend computes exactly this.
inline double philox_sample(uint64_t seed, uint64_t offset, uint64_t index, int64_t dist,
                            int mantissa_bits) {
  auto w = philox_words(seed, offset, index);
  if (dist == 0) {
    double scale = std::ldexp(1.0, mantissa_bits);
    return std::floor(philox_uniform(w[0], w[1]) * scale) / scale;
  }
  double u1 = 1.0 - philox_uniform(w[0], w[1]);  // (0, 1]: the log stays finite
  double u2 = philox_uniform(w[2], w[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace kiln::runtime
