// The cuBLASLt functions kiln calls, resolved once from libcublasLt (blas.cpp) or filled by the
// CUDA simulator (sim/sim.h).
#pragma once

#include <cublasLt.h>

namespace kiln::runtime::cuda {

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
