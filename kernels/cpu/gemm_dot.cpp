// The dot-product GEMM (see gemm_dot.h). Loop nest, for one slice of the inner dim:
//
//   for p0 in slice step 512                    a chunk: m rows of A (<= 512 KiB) stay in L2
//     for j0 in 0..n step 4                     4 rows of B^T, read from memory once, stay in L1
//       for i0 in 0..m step 4                   4 rows of A, from L2
//         16 accumulators += A[i0.., p] * B[p, j0..] over the chunk, 16 p at a time
//         C[i0.., j0..] += their horizontal sums (one transposing add tree for all 16)
#include "cpu/gemm_dot.h"

#include <algorithm>
#include <vector>

#include "cpu/gemm_pack.h"
#include "cpu/tasks.h"

namespace kiln::kernels {

namespace {

constexpr int64_t kBlock = 4;         // rows of A, and columns of C, per register block
constexpr int64_t kChunk = 512;       // inner steps summed in registers between horizontal sums
constexpr int64_t kMaxSlices = 8;     // slices of the inner dim (tasks for the thread pool)
constexpr int64_t kMaxRows = 256;     // m rows of a chunk of A: 512 KiB, half the L2
constexpr int64_t kMaxSmallDim = 16;  // the packed GEMM wins once both sides of C are wider

#if KILN_GEMM_X86
// GCC 12 warns that the intrinsics' own _mm512_undefined_ps() is used uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/// The horizontal sums of the 16 accumulators x[4 r + c] of a 4 x 4 block, in lane 4 r + c:
/// four levels of shuffles and adds halve the vectors and their partial sums at once.
__attribute__((target("avx512f"))) inline __m512 sum16(const __m512* x) {
  __m512 v[8], w[4], z[2];
  for (int i = 0; i < 8; ++i) {  // 128-bit lanes 0-1: x[2i]'s halves summed, 2-3: x[2i+1]'s
    v[i] = _mm512_add_ps(_mm512_shuffle_f32x4(x[2 * i], x[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(x[2 * i], x[2 * i + 1], 0xee));
  }
  for (int i = 0; i < 4; ++i) {  // 128-bit lane l: 4 partial sums of x[4i + l]
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xdd));
  }
  for (int i = 0; i < 2; ++i) {  // lane l, floats 0-1: x[8i + l]; floats 2-3: x[8i + 4 + l]
    z[i] = _mm512_add_ps(_mm512_shuffle_ps(w[2 * i], w[2 * i + 1], 0x44),
                         _mm512_shuffle_ps(w[2 * i], w[2 * i + 1], 0xee));
  }
  // Lane 4c + r now holds x[4r + c]'s sum: transposed back.
  __m512 t =
      _mm512_add_ps(_mm512_shuffle_ps(z[0], z[1], 0x88), _mm512_shuffle_ps(z[0], z[1], 0xdd));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, t);
}
#pragma GCC diagnostic pop

/// One block step: acc[4r + c] += A row r * B column c over the 16 (or, masked, fewer) p at `p`.
#define KILN_DOT_STEP(LOAD)                                                        \
  {                                                                                \
    __m512 a0 = LOAD(rows[0] + p), a1 = LOAD(rows[1] + p), a2 = LOAD(rows[2] + p), \
           a3 = LOAD(rows[3] + p);                                                 \
    _Pragma("GCC unroll 4") for (int c = 0; c < 4; ++c) {                          \
      __m512 bv = LOAD(cols[c] + p);                                               \
      acc[c] = _mm512_fmadd_ps(a0, bv, acc[c]);                                    \
      acc[4 + c] = _mm512_fmadd_ps(a1, bv, acc[4 + c]);                            \
      acc[8 + c] = _mm512_fmadd_ps(a2, bv, acc[8 + c]);                            \
      acc[12 + c] = _mm512_fmadd_ps(a3, bv, acc[12 + c]);                          \
    }                                                                              \
  }

/// out[4r + c] = sum_{p < kc} rows[r][p] * cols[c][p] for r, c < 4.
__attribute__((target("avx512f"))) void dot_block(int64_t kc, const float* const* rows,
                                                  const float* const* cols, float* out) {
  __m512 acc[16];
  for (auto& v : acc) v = _mm512_setzero_ps();
  int64_t p = 0;
#define KILN_LOAD_FULL(ptr) _mm512_loadu_ps(ptr)
  for (; p + 16 <= kc; p += 16) KILN_DOT_STEP(KILN_LOAD_FULL)
  if (p < kc) {
    auto mask = static_cast<__mmask16>((1u << (kc - p)) - 1);
#define KILN_LOAD_TAIL(ptr) _mm512_maskz_loadu_ps(mask, ptr)
    KILN_DOT_STEP(KILN_LOAD_TAIL)
#undef KILN_LOAD_TAIL
  }
#undef KILN_LOAD_FULL
  _mm512_storeu_ps(out, sum16(acc));
}
#undef KILN_DOT_STEP
#endif

struct DotJob {
  int64_t m, n, k;
  const float* a;
  int64_t ars;
  const float* b;
  int64_t bcs;
  int64_t slices, slice_len;
  float* partial;  // [slices, m, n]
};

/// Slice s of the inner dim into partial[s] (overwritten).
void run_slice(const DotJob& j, int64_t s) {
  float* c = j.partial + s * j.m * j.n;
  std::fill(c, c + j.m * j.n, 0.0f);
#if KILN_GEMM_X86
  int64_t k1 = std::min(j.k, (s + 1) * j.slice_len);
  for (int64_t p0 = s * j.slice_len; p0 < k1; p0 += kChunk) {
    int64_t kc = std::min(kChunk, k1 - p0);
    for (int64_t j0 = 0; j0 < j.n; j0 += kBlock) {
      // Past the edge, a block repeats the last row or column; those sums are dropped.
      const float* cols[kBlock];
      for (int64_t q = 0; q < kBlock; ++q) cols[q] = j.b + std::min(j0 + q, j.n - 1) * j.bcs + p0;
      int64_t ncols = std::min(kBlock, j.n - j0);
      for (int64_t i0 = 0; i0 < j.m; i0 += kBlock) {
        const float* rows[kBlock];
        for (int64_t r = 0; r < kBlock; ++r) rows[r] = j.a + std::min(i0 + r, j.m - 1) * j.ars + p0;
        alignas(64) float out[kBlock * kBlock];
        dot_block(kc, rows, cols, out);
        for (int64_t r = 0; r < std::min(kBlock, j.m - i0); ++r) {
          for (int64_t q = 0; q < ncols; ++q) c[(i0 + r) * j.n + j0 + q] += out[r * kBlock + q];
        }
      }
    }
  }
#endif
}

}  // namespace

bool gemm_dot_suits(int64_t m, int64_t n, int64_t k, int64_t a_col_stride, int64_t b_row_stride) {
  return KILN_GEMM_X86 && cpu_has_avx512() && a_col_stride == 1 && b_row_stride == 1 &&
         std::min(m, n) <= kMaxSmallDim && m <= kMaxRows && k >= 2 * kChunk &&
         k >= 4 * std::max(m, n);
}

void gemm_dot_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t ars, const float* b,
                  int64_t bcs, float* c) {
  if (m <= 0 || n <= 0) return;
  int64_t chunks = (k + kChunk - 1) / kChunk;
  // Slices of whole chunks, none empty (17 chunks: 6 slices of 3, not 8 with two empty).
  int64_t per = (chunks + kMaxSlices - 1) / kMaxSlices;
  per = std::max(per, int64_t{2});
  int64_t slices = (chunks + per - 1) / per;
  DotJob job{m, n, k, a, ars, b, bcs, slices, per * kChunk, nullptr};
  if (slices == 1) {
    job.partial = c;
    run_slice(job, 0);
    return;
  }
  // Each slice writes its own partial product; they are added in slice order.
  std::vector<float> all(static_cast<size_t>(slices * m * n));
  job.partial = all.data();
  for_each_task(slices, runtime::ThreadPool::instance().num_threads(),
                [&](int64_t s) { run_slice(job, s); });
  sum_in_order(all.data(), slices, m * n, c);
}

}  // namespace kiln::kernels
