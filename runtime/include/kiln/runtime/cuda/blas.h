// Matrix products on CUDA through cuBLASLt, loaded with dlopen at first use (like the driver,
// never linked). kiln's GEMM Extern statements (kernels/cpu/gemm.h describes the argument
// layout) run here on a GPU: C[b] = A[b] @ B[b], row-major contiguous C, strided A and B.
//
// Precision follows PyTorch's defaults: f32 in full f32 (no TF32), f16 and bf16 on tensor cores
// with f32 accumulation, f64 in f64.
#pragma once

#include <cstdint>

#include "kiln/runtime/dtype.h"

namespace kiln::runtime::cuda {

struct GemmArgs {
  DType dtype = DType::Float32;
  int64_t batch = 1, m = 0, n = 0, k = 0;
  const void* a = nullptr;  ///< element [0, 0, 0] of A
  int64_t a_batch_stride = 0, a_row_stride = 0, a_col_stride = 0;
  const void* b = nullptr;
  int64_t b_batch_stride = 0, b_row_stride = 0, b_col_stride = 0;
  void* c = nullptr;  ///< contiguous [batch, m, n]
};

/// True when cuBLASLt reads a row-major rows x cols operand with these strides in place: its
/// rows or its columns are contiguous (a transposed view qualifies), with a leading dimension
/// that covers the other extent.
bool blas_operand_ok(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride);
/// True when cuBLASLt loads (needs a CUDA driver too).
bool blas_available();
/// True when cuBLASLt can run `g` as given: one of each operand's row/column strides is 1 (a
/// transposed view is fine), a dtype it supports. Otherwise the caller uses another kernel.
bool blas_supports(const GemmArgs& g);
/// Queues the product on `device`'s stream. Throws DeviceError when cuBLASLt fails.
void blas_gemm(const GemmArgs& g, int device);

}  // namespace kiln::runtime::cuda
