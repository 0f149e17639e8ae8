// Lowering a matmul to a call of the packed GEMM (kernels/cpu/gemm.h, cuBLASLt on CUDA): its
// operands must be strided views of buffers, found by reading them at fresh loop variables and
// asking for an affine flat index; the product is written into the kernel's output, which the
// elementwise loop then reads back as its fused epilogue. Builder members (lower/builder.h).
#include <map>

#include "kiln/runtime/cuda/blas.h"
#include "kiln/runtime/error.h"
#include "lower/builder.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;

namespace {
/// An Int64 index expression as offset + sum(coef[v] * var v), each var v in [0, bound[v]).
struct Affine {
  int64_t offset = 0;
  std::map<int64_t, int64_t> coef, bound;

  void add(const Affine& o, int64_t scale) {
    offset += scale * o.offset;
    for (const auto& [v, c] : o.coef) coef[v] += scale * c;
    for (const auto& [v, b] : o.bound) bound[v] = b;
  }
  kir::Range range() const {
    kir::Range r{offset, offset};
    for (const auto& [v, c] : coef) {
      int64_t span = c * (bound.at(v) - 1);
      (span < 0 ? r.lo : r.hi) += span;
    }
    return r;
  }
};

/// Decomposes `e` as an Affine; false when it is not affine in the loop variables. A mod or
/// div whose dividend provably lies in [0, divisor) (as reshapes of a flat buffer leave) folds.
bool affine(const Expr& e, Affine& out) {
  switch (e->kind) {
    case kir::ExprKind::IntImm: out.offset = e->int_value; return true;
    case kir::ExprKind::Var:
      out.coef[e->int_value] = 1;
      out.bound[e->int_value] = e->bound;
      return true;
    case kir::ExprKind::Binary: {
      Affine a, b;
      if (!affine(e->operands[0], a) || !affine(e->operands[1], b)) return false;
      switch (e->binop) {
        case kir::BinOp::Add:
          out.add(a, 1);
          out.add(b, 1);
          return true;
        case kir::BinOp::Sub:
          out.add(a, 1);
          out.add(b, -1);
          return true;
        case kir::BinOp::Mul:
          if (!b.coef.empty()) std::swap(a, b);
          if (!b.coef.empty()) return false;
          out.add(a, b.offset);
          return true;
        case kir::BinOp::Mod:
        case kir::BinOp::Div: {
          if (!b.coef.empty() || b.offset <= 0) return false;
          kir::Range r = a.range();
          if (e->binop == kir::BinOp::Div && b.offset == 1) {
            out.add(a, 1);
            return true;
          }
          if (r.lo < 0 || r.hi >= b.offset) return false;
          if (e->binop == kir::BinOp::Mod) out.add(a, 1);  // x % c == x, x / c == 0
          return true;
        }
        default: return false;
      }
    }
    default: return false;
  }
}

/// Movement ops whose index maps can be affine (views of a strided buffer).
bool is_view_op(Op op) {
  return op == Op::Reshape || op == Op::Permute || op == Op::Expand || op == Op::Slice ||
         op == Op::Flip || op == Op::AsStrided;
}
}  // namespace

void Builder::enable_gemm(int64_t out, Shape shape) {
  gemm_out_ = out;
  gemm_shape_ = std::move(shape);
}

Builder::StridedView Builder::strided_view(const ir::Node* x) {
  const char* reason = "matmul operand is not a strided view of a buffer";
  // Only views may lie between the operand and the buffer it reads. When something else is
  // computed there, it is materialized if the views then read its buffer as a strided view,
  // and the operand itself otherwise (so that one kernel computes it, views included).
  const ir::Node* computed = nullptr;
  for (const ir::Node* v = x; fused(v); v = v->input(0).get()) {
    if (!is_view_op(v->op())) {
      computed = v;
      break;
    }
  }
  assumed_buffer_ = computed;  // read as a buffer below; this builder is dropped after the break
  // Read the operand at fresh variables, one per dim, and ask for an affine flat index.
  std::vector<Expr> at;
  std::vector<int64_t> ids(x->shape().size());
  for (size_t d = 0; d < ids.size(); ++d) at.push_back(new_var(x->shape()[d], &ids[d]));
  Expr e = value(x, at);
  // A load of a 16-bit float widens to f32 through a cast: the GEMM reads the stored dtype.
  if (e->kind == kir::ExprKind::Cast &&
      (e->operands[0]->dtype == e->dtype || e->operands[0]->dtype == x->dtype())) {
    e = e->operands[0];
  }
  Affine f;
  bool strided = e->kind == kir::ExprKind::Load && affine(e->operands[0], f);
  if (computed) throw FusionBreak{strided ? computed : x, reason};
  if (!strided) throw FusionBreak{x, reason};
  StridedView view;
  view.param = e->int_value;
  view.offset = f.offset;
  for (int64_t id : ids) view.strides.push_back(f.coef.count(id) ? f.coef[id] : 0);
  return view;
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
  StridedView a = strided_view(x), b = strided_view(y);
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
        throw FusionBreak{operand, "matmul operand is not a strided view of a buffer"};
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
