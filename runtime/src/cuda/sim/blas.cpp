// The simulator's cuBLASLt (sim.h): the descriptors kiln makes, read back by a plain GEMM that
// follows cuBLASLt's column-major conventions (op(A) m x k, op(B) k x n, D m x n, leading
// dimensions, strided batches) and rejects what cuBLASLt would (mismatched dims, a leading
// dimension below the rows), so that a wrong layout from kiln fails or computes wrong here too.
#include <cstdint>
#include <cstring>
#include <vector>

#include "cuda/sim/sim.h"
#include "kiln/runtime/buffer.h"
#include "kiln/runtime/dtype.h"

namespace kiln::runtime::cuda::sim {

namespace {

struct Desc {
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  cublasOperation_t trans_a = CUBLAS_OP_N, trans_b = CUBLAS_OP_N;
};
struct Layout {
  DType type = DType::Float32;  ///< the element type (cuBLASLt's, as kiln's dtype)
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0;
  int32_t batch = 1;
  int64_t batch_stride = 0;
};
// An opaque descriptor holds a pointer to the simulator's own struct (kiln never destroys
// descriptors: its plans live as long as the process).
template <class T, class Opaque>
T& unwrap(Opaque* o) {
  T* p = nullptr;
  std::memcpy(&p, o->data, sizeof p);
  return *p;
}
template <class T, class Opaque>
Opaque* wrap(T value) {
  auto* o = new Opaque{};
  T* p = new T(value);
  std::memcpy(o->data, &p, sizeof p);
  return o;
}
Desc& desc(cublasLtMatmulDesc_t d) { return unwrap<Desc>(d); }
Layout& layout(cublasLtMatrixLayout_t l) { return unwrap<Layout>(l); }

template <class T>
cublasStatus_t set(T* field, const void* buf, size_t size) {
  if (size != sizeof(T)) return CUBLAS_STATUS_INVALID_VALUE;
  std::memcpy(field, buf, size);
  return CUBLAS_STATUS_SUCCESS;
}

/// The dtype whose cuBLASLt type is `t` (blas_data_type's inverse); false for another type.
bool dtype_of(cudaDataType_t t, DType* out) {
  for (DType d : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    if (blas_data_type(d) == t) {
      *out = d;
      return true;
    }
  }
  return false;
}

/// op(X)'s rows and cols for a layout used with `op`.
void op_dims(const Layout& l, cublasOperation_t op, uint64_t* rows, uint64_t* cols) {
  *rows = op == CUBLAS_OP_N ? l.rows : l.cols;
  *cols = op == CUBLAS_OP_N ? l.cols : l.rows;
}

cublasStatus_t matmul(cublasLtHandle_t, cublasLtMatmulDesc_t d, const void* alpha, const void* A,
                      cublasLtMatrixLayout_t a_desc, const void* B, cublasLtMatrixLayout_t b_desc,
                      const void* beta, const void* C, cublasLtMatrixLayout_t c_desc, void* D,
                      cublasLtMatrixLayout_t d_desc, const cublasLtMatmulAlgo_t*, void*, size_t,
                      cudaStream_t stream) {
  const Desc m = desc(d);
  const Layout la = layout(a_desc), lb = layout(b_desc), lc = layout(c_desc), ld = layout(d_desc);
  uint64_t am = 0, ak = 0, bk = 0, bn = 0;
  op_dims(la, m.trans_a, &am, &ak);
  op_dims(lb, m.trans_b, &bk, &bn);
  if (ak != bk || am != ld.rows || bn != ld.cols || lc.rows != ld.rows || lc.cols != ld.cols)
    return CUBLAS_STATUS_INVALID_VALUE;
  for (const Layout* l : {&la, &lb, &lc, &ld}) {
    if (l->ld < static_cast<int64_t>(l->rows) || l->batch != ld.batch)
      return CUBLAS_STATUS_INVALID_VALUE;
  }
  bool f64 = m.compute == CUBLAS_COMPUTE_64F;
  double al = f64 ? *static_cast<const double*>(alpha) : *static_cast<const float*>(alpha);
  double be = f64 ? *static_cast<const double*>(beta) : *static_cast<const float*>(beta);
  CUresult r = submit(reinterpret_cast<CUstream>(stream), [=] {
    auto at = [](const Layout& l, cublasOperation_t op, int64_t i, int64_t j) {
      return op == CUBLAS_OP_N ? i + j * l.ld : j + i * l.ld;
    };
    for (int64_t b = 0; b < ld.batch; ++b) {
      for (int64_t j = 0; j < static_cast<int64_t>(ld.cols); ++j) {
        for (int64_t i = 0; i < static_cast<int64_t>(ld.rows); ++i) {
          double acc = 0;
          for (int64_t p = 0; p < static_cast<int64_t>(ak); ++p) {
            acc += read_element(A, la.type, b * la.batch_stride + at(la, m.trans_a, i, p)) *
                   read_element(B, lb.type, b * lb.batch_stride + at(lb, m.trans_b, p, j));
          }
          double v = al * acc;
          if (be != 0) v += be * read_element(C, lc.type, b * lc.batch_stride + i + j * lc.ld);
          write_element(D, ld.type, b * ld.batch_stride + i + j * ld.ld, v);
        }
      }
    }
    return CUDA_SUCCESS;
  });
  return r == CUDA_SUCCESS ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // namespace

void fill_blas(BlasTable& t) {
  static int handle_tag = 0;
  t.cublasLtCreate = [](cublasLtHandle_t* h) {
    *h = reinterpret_cast<cublasLtHandle_t>(&handle_tag);
    return CUBLAS_STATUS_SUCCESS;
  };
  t.cublasLtMatmulDescCreate = [](cublasLtMatmulDesc_t* d, cublasComputeType_t c, cudaDataType_t) {
    Desc value;
    value.compute = c;
    *d = wrap<Desc, cublasLtMatmulDescOpaque_t>(value);
    return CUBLAS_STATUS_SUCCESS;
  };
  t.cublasLtMatmulDescSetAttribute = [](cublasLtMatmulDesc_t d, cublasLtMatmulDescAttributes_t a,
                                        const void* buf, size_t size) {
    if (a == CUBLASLT_MATMUL_DESC_TRANSA) return set(&desc(d).trans_a, buf, size);
    if (a == CUBLASLT_MATMUL_DESC_TRANSB) return set(&desc(d).trans_b, buf, size);
    return CUBLAS_STATUS_NOT_SUPPORTED;
  };
  t.cublasLtMatrixLayoutCreate = [](cublasLtMatrixLayout_t* l, cudaDataType t, uint64_t rows,
                                    uint64_t cols, int64_t ld) {
    DType type = DType::Float32;
    if (!dtype_of(t, &type)) return CUBLAS_STATUS_NOT_SUPPORTED;
    *l = wrap<Layout, cublasLtMatrixLayoutOpaque_t>(Layout{type, rows, cols, ld, 1, 0});
    return CUBLAS_STATUS_SUCCESS;
  };
  t.cublasLtMatrixLayoutSetAttribute = [](cublasLtMatrixLayout_t l,
                                          cublasLtMatrixLayoutAttribute_t a, const void* buf,
                                          size_t size) {
    if (a == CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT) return set(&layout(l).batch, buf, size);
    if (a == CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET)
      return set(&layout(l).batch_stride, buf, size);
    return CUBLAS_STATUS_NOT_SUPPORTED;
  };
  t.cublasLtMatmulPreferenceCreate = [](cublasLtMatmulPreference_t* p) {
    *p = new cublasLtMatmulPreferenceOpaque_t{};
    return CUBLAS_STATUS_SUCCESS;
  };
  t.cublasLtMatmulPreferenceSetAttribute = [](cublasLtMatmulPreference_t,
                                              cublasLtMatmulPreferenceAttributes_t, const void*,
                                              size_t) { return CUBLAS_STATUS_SUCCESS; };
  t.cublasLtMatmulAlgoGetHeuristic =
      [](cublasLtHandle_t, cublasLtMatmulDesc_t, cublasLtMatrixLayout_t, cublasLtMatrixLayout_t,
         cublasLtMatrixLayout_t, cublasLtMatrixLayout_t, cublasLtMatmulPreference_t, int requested,
         cublasLtMatmulHeuristicResult_t* results, int* found) {
        if (requested < 1) return CUBLAS_STATUS_INVALID_VALUE;
        results[0] = cublasLtMatmulHeuristicResult_t{};
        results[0].state = CUBLAS_STATUS_SUCCESS;
        *found = 1;
        return CUBLAS_STATUS_SUCCESS;
      };
  t.cublasLtMatmul = matmul;
}

}  // namespace kiln::runtime::cuda::sim
