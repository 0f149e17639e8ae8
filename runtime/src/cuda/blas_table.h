// The cuBLASLt functions kiln calls, resolved once from libcublasLt (blas.cpp) or filled by the
// CUDA simulator (sim/sim.h).
#pragma once

#include <cublasLt.h>

#include "kiln/runtime/dtype.h"

namespace kiln::runtime::cuda {

/// The cuBLASLt element type of a GEMM dtype (float16, bfloat16, float64; float32 otherwise).
inline cudaDataType_t blas_data_type(DType t) {
  switch (t) {
    case DType::Float16: return CUDA_R_16F;
    case DType::BFloat16: return CUDA_R_16BF;
    case DType::Float64: return CUDA_R_64F;
    default: return CUDA_R_32F;
  }
}

// clang-format off
#define KILN_CUBLASLT_FUNCTIONS(X)                                                          \
  X(cublasLtCreate) X(cublasLtMatmulDescCreate) X(cublasLtMatmulDescSetAttribute)           \
  X(cublasLtMatrixLayoutCreate) X(cublasLtMatrixLayoutSetAttribute)                         \
  X(cublasLtMatmulPreferenceCreate) X(cublasLtMatmulPreferenceSetAttribute)                 \
  X(cublasLtMatmulAlgoGetHeuristic) X(cublasLtMatmul)
// clang-format on

struct BlasTable {
#define KILN_LT_MEMBER(fn) decltype(&::fn) fn = nullptr;
  KILN_CUBLASLT_FUNCTIONS(KILN_LT_MEMBER)
#undef KILN_LT_MEMBER
  bool ok = false;
};

}  // namespace kiln::runtime::cuda
