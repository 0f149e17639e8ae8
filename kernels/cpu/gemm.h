// Packed, register-tiled GEMM for the CPU (f32 and f64), the kernel behind kiln's matmul.
//
// C[b, i, j] = sum_p A[b, i, p] * B[b, p, j] for b < batch, i < m, j < n, p < k, where
// A[b, i, p] = a[b * a_batch_stride + i * a_row_stride + p * a_col_stride] (strides in elements,
// any sign, 0 for a broadcast dim), likewise B, and C is contiguous [batch, m, n] and is
// overwritten (k == 0 writes zeros). So transposed, sliced or broadcast operands (views) are
// read in place, never copied by the caller.
//
// Algorithm (the BLIS/GotoBLAS structure): B is packed in KC x NC blocks (kept in L2), A in
// MC x KC blocks of MR-row micro-panels; an MR x NR micro-kernel (AVX-512 FMA: 14x32 for f32,
// 14x16 for f64, chosen at run time with __builtin_cpu_supports; a portable loop elsewhere)
// keeps the C tile in registers over KC steps (one block when k <= 1.5 KC). Edge tiles are
// zero-padded in the packed panels. The work is split over kiln's thread pool
// (kiln_parallel_for) by batch, rows or columns, or by slices of a long inner dim. An f32
// product with one side of C at most 16 wide over a long inner dim that both operands store
// contiguously (a convolution's weight gradient) runs as vector dot products instead (gemm_dot.h).
#pragma once

#include <cstdint>
#include <string_view>

extern "C" {

void kiln_gemm_f32(int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t a_batch_stride, int64_t a_row_stride, int64_t a_col_stride,
                   const float* b, int64_t b_batch_stride, int64_t b_row_stride,
                   int64_t b_col_stride, float* c);

void kiln_gemm_f64(int64_t batch, int64_t m, int64_t n, int64_t k, const double* a,
                   int64_t a_batch_stride, int64_t a_row_stride, int64_t a_col_stride,
                   const double* b, int64_t b_batch_stride, int64_t b_row_stride,
                   int64_t b_col_stride, double* c);

// The same GEMMs in the calling convention of the kernel IR's Extern statement
// (kir::extern_call): void fn(void* const* params, const int64_t* args) with
//   params = {A base, B base, C}   (the kernel's buffers, element 0 of each)
//   args   = {batch, m, n, k, a_offset, a_batch_stride, a_row_stride, a_col_stride,
//             b_offset, b_batch_stride, b_row_stride, b_col_stride}
// where a_offset / b_offset (elements) locate element [0, 0, 0] of the view in its buffer.
void kiln_extern_gemm_f32(void* const* params, const int64_t* args);
void kiln_extern_gemm_f64(void* const* params, const int64_t* args);

// A GEMM with a fused epilogue: the same, with two more args at run time,
//   args[12] = the address of `void epilogue(void* ctx, int64_t r0, int64_t r1, int64_t c0,
//              int64_t c1)`, args[13] = ctx,
// where the epilogue rewrites C[r, c] in place for r in [r0, r1), c in [c0, c1), rows counted
// over batch * m (r = b * m + i). It is called once for every element, from the thread that
// computed it, as soon as the element's product is final: per register tile, while the tile
// is still in L1. The LLVM backend emits the epilogue from the kernel's elementwise loop.
typedef void (*kiln_gemm_epilogue_fn)(void* ctx, int64_t r0, int64_t r1, int64_t c0, int64_t c1);
void kiln_extern_gemm_f32_epilogue(void* const* params, const int64_t* args);
void kiln_extern_gemm_f64_epilogue(void* const* params, const int64_t* args);
}

namespace kiln::kernels {

/// The name of the fused-epilogue variant of GEMM extern `symbol`, or "" when it has none.
std::string_view epilogue_variant(std::string_view symbol);

/// True when the AVX-512 micro-kernels run on this CPU.
bool gemm_uses_avx512();

}  // namespace kiln::kernels
