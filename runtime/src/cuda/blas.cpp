#include "kiln/runtime/cuda/blas.h"

#include "kiln/runtime/error.h"

namespace kiln::runtime::cuda {

namespace {
/// One operand as a column-major cuBLASLt matrix: `rows` x `cols` with leading dimension `ld`,
/// used transposed or not.
struct Operand {
  bool transposed = false;
  int64_t rows = 0, cols = 0, ld = 0;
};

/// Row-major X (r x c, strides rs, cs) seen as the column-major matrix X^T (c x r): with cs == 1
/// it is stored column-major with ld = rs; with rs == 1, X itself is column-major (ld = cs), so
/// X^T is that matrix transposed.
bool as_transposed(int64_t r, int64_t c, int64_t rs, int64_t cs, Operand* out) {
  if (c == 1) cs = 1;  // a stride of a size-1 dim is never used
  if (r == 1) rs = 1;
  if (cs == 1 && rs >= c) {
    *out = {false, c, r, rs};
    return true;
  }
  if (rs == 1 && cs >= r) {
    *out = {true, r, c, cs};
    return true;
  }
  return false;
}

}  // namespace

bool blas_operand_ok(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride) {
  Operand o;
  return as_transposed(rows, cols, row_stride, col_stride, &o);
}

}  // namespace kiln::runtime::cuda

#if KILN_WITH_CUDA
#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "cuda/blas_table.h"
#include "cuda/sim/sim.h"
#include "kiln/runtime/cuda/allocator.h"
#include "kiln/runtime/cuda/driver.h"

namespace kiln::runtime::cuda {

namespace {

const BlasTable& lt() {
  static BlasTable& l = *new BlasTable;  // never destroyed (see driver.cpp)
  static std::once_flag once;
  std::call_once(once, [] {
    if (!available()) return;
    if (simulated()) {
      sim::fill_blas(l);
      l.ok = true;
      return;
    }
    std::vector<std::string> names = {"libcublasLt.so.13", "libcublasLt.so"};
    for (const char* env : {"CUDA_HOME", "CUDA_PATH"}) {
      if (const char* dir = std::getenv(env))
        names.push_back(std::string(dir) + "/lib64/libcublasLt.so");
    }
    names.push_back("/usr/local/cuda/lib64/libcublasLt.so");
    void* lib = nullptr;
    for (const auto& n : names) {
      if ((lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL)) != nullptr) break;
    }
    if (lib == nullptr) return;
#define KILN_LT_LOAD(fn)                                    \
  l.fn = reinterpret_cast<decltype(l.fn)>(dlsym(lib, #fn)); \
  if (l.fn == nullptr) return;
    KILN_CUBLASLT_FUNCTIONS(KILN_LT_LOAD)
#undef KILN_LT_LOAD
    l.ok = true;
  });
  return l;
}

void check(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) {
    throw DeviceError(std::string("[matmul] cuBLASLt ") + what + " failed with status " +
                      std::to_string(static_cast<int>(s)));
  }
}

/// Descriptors and the chosen algorithm of one GEMM shape, made once.
struct Plan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};
};

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

cublasLtMatrixLayout_t layout(cudaDataType_t t, int64_t rows, int64_t cols, int64_t ld,
                              int64_t batch, int64_t batch_stride) {
  cublasLtMatrixLayout_t l = nullptr;
  check(lt().cublasLtMatrixLayoutCreate(&l, t, static_cast<uint64_t>(rows),
                                        static_cast<uint64_t>(cols), ld),
        "MatrixLayoutCreate");
  if (batch > 1) {
    int32_t count = static_cast<int32_t>(batch);
    check(lt().cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                                sizeof count),
          "MatrixLayoutSetAttribute");
    check(lt().cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                                &batch_stride, sizeof batch_stride),
          "MatrixLayoutSetAttribute");
  }
  return l;
}

struct DeviceBlas {
  cublasLtHandle_t handle = nullptr;
  void* workspace = nullptr;
  std::map<std::vector<int64_t>, Plan> plans;
};

}  // namespace

bool blas_available() { return lt().ok; }

bool blas_supports(const GemmArgs& g) {
  if (g.dtype != DType::Float32 && g.dtype != DType::Float64 && g.dtype != DType::Float16 &&
      g.dtype != DType::BFloat16) {
    return false;
  }
  return g.batch < (int64_t{1} << 31) &&
         blas_operand_ok(g.k, g.n, g.b_row_stride, g.b_col_stride) &&
         blas_operand_ok(g.m, g.k, g.a_row_stride, g.a_col_stride);
}

void blas_gemm(const GemmArgs& g, int device) {
  if (!blas_available()) throw DeviceError("[matmul] cuBLASLt could not be loaded");
  if (!blas_supports(g)) throw InternalError("blas_gemm: unsupported operand layout");
  static std::mutex mu;
  static std::map<int, DeviceBlas>& devices = *new std::map<int, DeviceBlas>;
  std::lock_guard<std::mutex> lock(mu);
  activate(device);
  DeviceBlas& dev = devices[device];
  if (dev.handle == nullptr) {
    check(lt().cublasLtCreate(&dev.handle), "Create");
    dev.workspace = DeviceAllocator::instance(device).allocate(kWorkspaceBytes);
  }
  // Row-major C = A B is column-major C^T = B^T A^T: cuBLASLt's "A" is our B^T, its "B" our A^T.
  Operand x, y;
  as_transposed(g.k, g.n, g.b_row_stride, g.b_col_stride, &x);
  as_transposed(g.m, g.k, g.a_row_stride, g.a_col_stride, &y);
  std::vector<int64_t> key = {static_cast<int64_t>(g.dtype),
                              g.batch,
                              g.m,
                              g.n,
                              g.k,
                              x.transposed,
                              x.ld,
                              y.transposed,
                              y.ld,
                              g.a_batch_stride,
                              g.b_batch_stride};
  auto it = dev.plans.find(key);
  if (it == dev.plans.end()) {
    Plan p;
    cudaDataType_t t = blas_data_type(g.dtype);
    bool f64 = g.dtype == DType::Float64;
    check(lt().cublasLtMatmulDescCreate(&p.desc, f64 ? CUBLAS_COMPUTE_64F : CUBLAS_COMPUTE_32F,
                                        f64 ? CUDA_R_64F : CUDA_R_32F),
          "MatmulDescCreate");
    cublasOperation_t op_a = x.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t op_b = y.transposed ? CUBLAS_OP_T : CUBLAS_OP_N;
    check(lt().cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_a,
                                              sizeof op_a),
          "MatmulDescSetAttribute");
    check(lt().cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_b,
                                              sizeof op_b),
          "MatmulDescSetAttribute");
    p.a = layout(t, x.rows, x.cols, x.ld, g.batch, g.b_batch_stride);
    p.b = layout(t, y.rows, y.cols, y.ld, g.batch, g.a_batch_stride);
    p.c = layout(t, g.n, g.m, g.n, g.batch, g.m * g.n);
    cublasLtMatmulPreference_t pref = nullptr;
    check(lt().cublasLtMatmulPreferenceCreate(&pref), "MatmulPreferenceCreate");
    uint64_t ws = kWorkspaceBytes;
    check(lt().cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &ws, sizeof ws),
          "MatmulPreferenceSetAttribute");
    cublasLtMatmulHeuristicResult_t result{};
    int found = 0;
    check(lt().cublasLtMatmulAlgoGetHeuristic(dev.handle, p.desc, p.a, p.b, p.c, p.c, pref, 1,
                                              &result, &found),
          "MatmulAlgoGetHeuristic");
    if (found == 0) throw DeviceError("[matmul] cuBLASLt found no algorithm for this GEMM");
    p.algo = result.algo;
    it = dev.plans.emplace(key, p).first;
  }
  const Plan& p = it->second;
  double alpha64 = 1.0, beta64 = 0.0;
  float alpha32 = 1.0f, beta32 = 0.0f;
  bool f64 = g.dtype == DType::Float64;
  const void* alpha = f64 ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta = f64 ? static_cast<const void*>(&beta64) : &beta32;
  check(lt().cublasLtMatmul(dev.handle, p.desc, alpha, g.b, p.a, g.a, p.b, beta, g.c, p.c, g.c, p.c,
                            &p.algo, dev.workspace, kWorkspaceBytes,
                            static_cast<cudaStream_t>(stream(device))),
        "Matmul");
}

}  // namespace kiln::runtime::cuda

#else

namespace kiln::runtime::cuda {
bool blas_available() { return false; }
bool blas_supports(const GemmArgs&) { return false; }
void blas_gemm(const GemmArgs&, int) {
  throw DeviceError("[matmul] this build of kiln has no CUDA support");
}
}  // namespace kiln::runtime::cuda

#endif
