// Lowering a matmul to a call of the packed GEMM (kernels/cpu/gemm.h, cuBLASLt on CUDA): its
// operands must be strided views of buffers (strided_view.cpp); the product is written into the
// kernel's output, which the elementwise loop then reads back as its fused epilogue. Builder
// members (lower/builder.h).
#include "kiln/runtime/cuda/blas.h"
#include "kiln/runtime/error.h"
#include "lower/builder.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;

void Builder::enable_gemm(int64_t out, Shape shape) {
  gemm_out_ = out;
  gemm_shape_ = std::move(shape);
}

Expr Builder::gemm_value(const ir::Node* n, const std::vector<Expr>& idx) {
  // The GEMM writes the whole product into the output buffer, so the matmul must have the
  // kernel's logical shape and the output's dtype, and be the kernel's only one. The CPU GEMM
  // is f32 and f64; on CUDA (cuBLASLt) f16 and bf16 too.
  DType dt = n->dtype();
  bool cuda = n->device().is_cuda();
  bool gemm_dtype = dt == DType::Float32 || dt == DType::Float64 || (cuda && is_16_bit_float(dt));
  if (gemm_out_ < 0 || !gemm_dtype || dt != root_->dtype() || n->shape() != gemm_shape_ ||
      n->numel() != root_->numel() || n->numel() == 0) {
    return nullptr;
  }
  if (gemm_node_) throw FusionBreak{n, "second matmul in one kernel"};
  const ir::Node* x = n->input(0).get();
  const ir::Node* y = n->input(1).get();
  const Shape& s = n->shape();
  size_t r = s.size();
  int64_t m = s[r - 2], nn = s[r - 1], k = x->shape()[r - 1];
  if (k == 0) return nullptr;  // the dot-product loop writes the zeros
  next_pass();
  const char* reason = "matmul operand is not a strided view of a buffer";
  StridedView a = strided_view(x, reason), b = strided_view(y, reason);
  if (cuda) {
    // cuBLASLt reads an operand in place when its rows or its columns are contiguous.
    auto unit = [&](const ir::Node* operand, const StridedView& v, int64_t rows, int64_t cols) {
      if (runtime::cuda::blas_operand_ok(rows, cols, v.strides[r - 2], v.strides[r - 1])) return;
      throw FusionBreak{operand, "cuBLASLt needs a matmul operand with unit row or column stride"};
    };
    unit(x, a, m, k);
    unit(y, b, k, nn);
  }
  // The batch dims flatten to one GEMM batch dim when each operand's batch strides are those
  // of a row-major [batch...] grid times one stride (a broadcast dim has stride 0 throughout).
  int64_t batch = 1;
  for (size_t d = 0; d + 2 < r; ++d) batch *= s[d];
  auto batch_stride = [&](const ir::Node* operand, const StridedView& v) {
    int64_t stride = 0, inner = 1;
    bool found = false;
    for (size_t d = r - 2; d-- > 0;) {  // innermost batch dim first
      if (s[d] == 1) continue;
      if (!found) {
        stride = v.strides[d];
        found = true;
      } else if (v.strides[d] != stride * inner) {
        throw FusionBreak{operand, reason};
      }
      inner *= s[d];
    }
    return stride;
  };
  int64_t a_bs = batch_stride(x, a), b_bs = batch_stride(y, b);
  const char* symbol = dt == DType::Float32   ? "kiln_extern_gemm_f32"
                       : dt == DType::Float64 ? "kiln_extern_gemm_f64"
                       : dt == DType::Float16 ? "kiln_extern_gemm_f16"
                                              : "kiln_extern_gemm_bf16";
  // Argument layout: kernels/cpu/gemm.h (kiln_extern_gemm_f32).
  gemm_call_ =
      kir::extern_call(symbol, {a.param, b.param, gemm_out_},
                       {batch, m, nn, k, a.offset, a_bs, a.strides[r - 2], a.strides[r - 1],
                        b.offset, b_bs, b.strides[r - 2], b.strides[r - 1]});
  gemm_node_ = n;
  // The product is read back in the kernel's compute dtype: 16-bit floats widen to f32.
  Expr product = kir::load(gemm_out_, dt, flatten_index(idx, s));
  if (is_16_bit_float(dt)) product = kir::cast(product, DType::Float32);
  return product;
}

}  // namespace kiln::lower
