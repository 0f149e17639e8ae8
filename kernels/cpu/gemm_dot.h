// The GEMM as dot products (gemm.cpp calls it): C = A * B for f32 operands that are both
// contiguous along the inner dim (A row-major, B column-major: C = X * Y^T with X and Y
// row-major), when the product is small and the inner dim long. A convolution's weight gradient
// is one: dW [O, C*KH*KW] = dY [O, pixels] * cols^T, summed over every pixel of the batch,
// with both operands stored pixel-minor. The packed GEMM would transpose both operands while
// packing them (most of its time there); here 4 x 4 blocks of C are 16 vector dot products
// read straight from the rows, summed horizontally once per 512 inner steps.
// Internal to kiln_kernels.
#pragma once

#include <cstdint>

namespace kiln::kernels {

/// True when gemm_dot_f32 runs C = A * B (m x n, inner dim k; A[i, p] at p * a_col_stride,
/// B[p, j] at p * b_row_stride) faster than the packed GEMM on this CPU.
bool gemm_dot_suits(int64_t m, int64_t n, int64_t k, int64_t a_col_stride, int64_t b_row_stride);

/// C (m x n, contiguous) = A * B with A[i, p] = a[i * ars + p] and B[p, j] = b[j * bcs + p].
/// The inner dim is cut into slices of a count fixed by k (the result does not depend on the
/// thread count), spread over kiln's thread pool, and their partial products summed in order.
void gemm_dot_f32(int64_t m, int64_t n, int64_t k, const float* a, int64_t ars, const float* b,
                  int64_t bcs, float* c);

}  // namespace kiln::kernels
