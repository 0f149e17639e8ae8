// The GEMM's micro-kernels (gemm.cpp): C[0..MR, 0..NR] = (acc ? C : 0) + Ap * Bp over kc steps
// of packed panels (gemm_pack.h), the C tile held in registers. AVX-512 versions (14 x 32 f32,
// 14 x 16 f64) where the CPU has it, a portable loop elsewhere. Internal to kiln_kernels.
#pragma once

#include <cstdint>

#include "cpu/gemm_pack.h"

namespace kiln::kernels {

/// The micro-kernel: C[0..MR, 0..NR] (ldc) = (acc ? C : 0) + Ap * Bp over kc steps.
template <typename T>
using MicroFn = void (*)(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, bool acc);

/// Portable micro-kernel (any CPU): plain loops the compiler vectorizes as it can.
template <typename T>
void micro_generic(int64_t kc, const T* ap, const T* bp, T* c, int64_t ldc, bool acc) {
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
  T t[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t i = 0; i < MR; ++i) {
      T a = ap[p * MR + i];
      for (int64_t j = 0; j < NR; ++j) t[i][j] += a * bp[p * NR + j];
    }
  }
  for (int64_t i = 0; i < MR; ++i) {
    for (int64_t j = 0; j < NR; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i][j] : t[i][j];
  }
}

#if KILN_GEMM_X86
// AVX-512 micro-kernels: 14 rows x 2 vectors of accumulators (28 zmm) + 2 B vectors + one
// broadcast A value = 31 of the 32 registers. Compiled for AVX-512 by attribute only, so the
// library builds for (and runs on) any x86-64; they are called after a CPU check.
#define KILN_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

#define KILN_MICRO_AVX512(NAME, T, VEC, W, LOAD)                                                \
  __attribute__((target("avx512f,fma"))) inline void NAME(int64_t kc, const T* ap, const T* bp, \
                                                          T* c, int64_t ldc, bool acc) {        \
    KILN_ROWS(KILN_DECL)                                                                        \
    for (int64_t p = 0; p < kc; ++p) {                                                          \
      VEC b0 = LOAD(bp), b1 = LOAD(bp + W);                                                     \
      KILN_ROWS(KILN_STEP)                                                                      \
      ap += 14;                                                                                 \
      bp += 2 * W;                                                                              \
    }                                                                                           \
    if (acc) {                                                                                  \
      KILN_ROWS(KILN_ADD_STORE)                                                                 \
    } else {                                                                                    \
      KILN_ROWS(KILN_STORE)                                                                     \
    }                                                                                           \
  }

// f32: 14 x 32.
#define KILN_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
#define KILN_STEP(i)                           \
  {                                            \
    __m512 a = _mm512_set1_ps(ap[i]);          \
    c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0); \
    c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1); \
  }
#define KILN_STORE(i)                     \
  _mm512_storeu_ps(c + (i)*ldc, c##i##0); \
  _mm512_storeu_ps(c + (i)*ldc + 16, c##i##1);
#define KILN_ADD_STORE(i)                                                              \
  _mm512_storeu_ps(c + (i)*ldc, _mm512_add_ps(_mm512_loadu_ps(c + (i)*ldc), c##i##0)); \
  _mm512_storeu_ps(c + (i)*ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + (i)*ldc + 16), c##i##1));
KILN_MICRO_AVX512(micro_f32_avx512, float, __m512, 16, _mm512_load_ps)
#undef KILN_DECL
#undef KILN_STEP
#undef KILN_STORE
#undef KILN_ADD_STORE

// f64: 14 x 16.
#define KILN_DECL(i) __m512d c##i##0 = _mm512_setzero_pd(), c##i##1 = _mm512_setzero_pd();
#define KILN_STEP(i)                           \
  {                                            \
    __m512d a = _mm512_set1_pd(ap[i]);         \
    c##i##0 = _mm512_fmadd_pd(a, b0, c##i##0); \
    c##i##1 = _mm512_fmadd_pd(a, b1, c##i##1); \
  }
#define KILN_STORE(i)                     \
  _mm512_storeu_pd(c + (i)*ldc, c##i##0); \
  _mm512_storeu_pd(c + (i)*ldc + 8, c##i##1);
#define KILN_ADD_STORE(i)                                                              \
  _mm512_storeu_pd(c + (i)*ldc, _mm512_add_pd(_mm512_loadu_pd(c + (i)*ldc), c##i##0)); \
  _mm512_storeu_pd(c + (i)*ldc + 8, _mm512_add_pd(_mm512_loadu_pd(c + (i)*ldc + 8), c##i##1));
KILN_MICRO_AVX512(micro_f64_avx512, double, __m512d, 8, _mm512_load_pd)
#undef KILN_DECL
#undef KILN_STEP
#undef KILN_STORE
#undef KILN_ADD_STORE
#undef KILN_MICRO_AVX512
#undef KILN_ROWS
#endif

template <typename T>
MicroFn<T> micro_kernel() {
#if KILN_GEMM_X86
  if (cpu_has_avx512()) {
    if constexpr (sizeof(T) == 4)
      return &micro_f32_avx512;
    else
      return &micro_f64_avx512;
  }
#endif
  return &micro_generic<T>;
}

}  // namespace kiln::kernels
