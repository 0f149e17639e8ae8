// Packing for the CPU GEMM (gemm.cpp): copies of operand blocks into the micro-kernel's panel
// layout, for any strides. The micro-kernel reads, for each inner index p, MR values of A and
// NR values of B; so an operand stored with p contiguous (a row-major A, a column-major B: the
// weight gradients' x^T and cols^T) is transposed while packing, by 16 x 16 AVX-512 register
// transposes where the CPU has them. Internal to kiln_kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KILN_GEMM_X86 1
#else
#define KILN_GEMM_X86 0
#endif

namespace kiln::kernels {

template <typename T>
struct Tile;
template <>
struct Tile<float> {
  static constexpr int64_t MR = 14, NR = 32, KC = 256, MC = 14 * 12, NC = 512;
};
template <>
struct Tile<double> {
  static constexpr int64_t MR = 14, NR = 16, KC = 256, MC = 14 * 12, NC = 256;
};

/// True when the AVX-512 paths (micro-kernels, transposes) run on this CPU.
bool cpu_has_avx512();

#if KILN_GEMM_X86
// GCC 12 warns that the intrinsics' own _mm512_undefined_ps() is used uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/// For q < 16: out[q * ldo + r] = src[r][q] for the lanes r set in `store` (r < rows; rows past
/// `rows` read as zeros). Each src[r] points at 16 contiguous floats.
__attribute__((target("avx512f"))) inline void transpose16(const float* const* src, int rows,
                                                           float* out, int64_t ldo,
                                                           __mmask16 store) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(src[i]) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
  for (int q = 0; q < 16; ++q) _mm512_mask_storeu_ps(out + q * ldo, store, r[q]);
}
#pragma GCC diagnostic pop
#endif

/// out[p * ld + i] = src[i * stride + p] for i < count (<= 16) and p < kc: `count` vectors with
/// p contiguous, transposed into a panel of row length ld. Returns the p it stopped at (the
/// rest is left to the caller): 16-wide blocks run as register transposes on AVX-512, f32 only.
template <typename T>
int64_t transpose_panel(const T* src, int64_t stride, int64_t count, int64_t kc, T* out,
                        int64_t ld) {
#if KILN_GEMM_X86
  if constexpr (sizeof(T) == 4) {
    if (cpu_has_avx512() && count <= 16) {
      const float* rows[16];
      int64_t p = 0;
      auto store = static_cast<__mmask16>((1u << count) - 1);
      for (; p + 16 <= kc; p += 16) {
        for (int64_t i = 0; i < count; ++i) {
          rows[i] = src + i * stride + p;
          _mm_prefetch(reinterpret_cast<const char*>(rows[i] + count * stride), _MM_HINT_T1);
        }
        transpose16(rows, static_cast<int>(count), out + p * ld, ld, store);
      }
      return p;
    }
  }
#endif
  (void)src, (void)stride, (void)count, (void)kc, (void)out, (void)ld;
  return 0;
}

/// Packs rows [0, mc) x cols [0, kc) of A into MR-row micro-panels: panel r holds, for each
/// p, the MR values A[r*MR + i, p] (zero past mc). A row-major A is transposed panel by panel;
/// of a column-major A (A^T of a row-major matrix, as in a weight gradient) each p is one
/// contiguous copy.
template <typename T>
void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* ap) {
  constexpr int64_t MR = Tile<T>::MR;
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t rows = std::min(MR, mc - ir);
    const T* src = a + ir * rs;
    if (rows == MR && rs == 1) {
      for (int64_t p = 0; p < kc; ++p) std::memcpy(ap + p * MR, src + p * cs, sizeof(T) * MR);
    } else {
      // Row by row: contiguous reads of a row-major A, the writes stay in the L1-sized panel.
      int64_t p0 = cs == 1 ? transpose_panel(src, rs, rows, kc, ap, MR) : 0;
      for (int64_t i = 0; i < rows; ++i) {
        const T* row = src + i * rs;
        for (int64_t p = p0; p < kc; ++p) ap[p * MR + i] = row[p * cs];
      }
    }
    for (int64_t p = 0; rows < MR && p < kc; ++p) {
      for (int64_t i = rows; i < MR; ++i) ap[p * MR + i] = T(0);
    }
    ap += MR * kc;
  }
}

/// Packs rows [0, kc) x cols [0, nc) of B into NR-column micro-panels (zero past nc). A
/// row-major B is copied in blocks of rows; a column-major B (W^T of a row-major weight, or a
/// convolution's cols^T) is transposed.
template <typename T>
void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* bp) {
  constexpr int64_t NR = Tile<T>::NR;
  int64_t panels = (nc + NR - 1) / NR;
  if (cs == 1) {
    // Blocks of 4 rows, each copied panel by panel: every row is read front to back and every
    // panel written in 512-byte runs. One row at a time across all panels writes 16 places
    // 32 KiB apart, which share an L1 set; one panel down all kc rows reads a new page per
    // row; blocks of 16 rows keep more streams open than the prefetchers follow. Packing
    // 288 x 15488 (a convolution's columns), on the 2-core AMD EPYC (Zen 4): 1.12 ms with 4
    // rows, 1.32 with 2 or 8, 1.65 with 16, 1.6-1.9 with 1.
    for (int64_t p0 = 0; p0 < kc; p0 += 4) {
      int64_t p1 = std::min<int64_t>(kc, p0 + 4);
      for (int64_t jp = 0; jp < panels; ++jp) {
        int64_t cols = std::min(NR, nc - jp * NR);
        for (int64_t p = p0; p < p1; ++p) {
          T* dst = bp + jp * NR * kc + p * NR;
          const T* from = b + p * rs + jp * NR;
          if (cols == NR) {
            std::memcpy(dst, from, sizeof(T) * NR);  // a constant size: inlined, no call
          } else {
            std::copy(from, from + cols, dst);
            std::fill(dst + cols, dst + NR, T(0));
          }
        }
      }
    }
    return;
  }
  for (int64_t jp = 0; jp < panels; ++jp) {
    int64_t cols = std::min(NR, nc - jp * NR);
    const T* src = b + jp * NR * cs;
    T* dst = bp + jp * NR * kc;
    int64_t p0 = 0;
    if (rs == 1) {
      for (int64_t j = 0; j < cols; j += 16) {
        p0 = transpose_panel(src + j * cs, cs, std::min<int64_t>(16, cols - j), kc, dst + j, NR);
      }
      for (int64_t p = 0; cols < NR && p < p0; ++p)
        std::fill(dst + p * NR + cols, dst + (p + 1) * NR, T(0));
    }
    for (int64_t p = p0; p < kc; ++p) {
      for (int64_t j = 0; j < cols; ++j) dst[p * NR + j] = src[p * rs + j * cs];
      for (int64_t j = cols; j < NR; ++j) dst[p * NR + j] = T(0);
    }
  }
}

}  // namespace kiln::kernels
