// Lowering one fused group of graph nodes to a kernel: the expression builder. It walks from
// the kernel's root through fused (non-materialized) nodes, turning movement ops into index
// math and reductions into accumulator loops, and reading materialized nodes from buffers.
// Members are defined in builder.cpp, window.cpp (unfold and fold) and gemm_call.cpp (a matmul
// as a call of the packed GEMM).
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/node.h"

namespace kiln::lower {

/// Thrown while lowering when a node cannot stay fused; the scheduler materializes it and
/// lowers again. The reason is what kiln-dump and KILN_DEBUG=3 print.
struct FusionBreak {
  const ir::Node* node;
  std::string reason;
};

/// The dtype a value is computed in: 16-bit floats compute in f32.
DType compute_dtype(DType t);
/// Row-major flat index of a multi-index into `shape`.
kir::Expr flatten_index(const std::vector<kir::Expr>& idx, const Shape& shape);
/// The multi-index of a flat index into `shape`.
std::vector<kir::Expr> unflatten_index(const kir::Expr& flat, const Shape& shape);
/// The full index of a `rank`-dim domain reduced over `axes` (sorted): `inner` at the reduced
/// dims, `outer` at the others, each in order.
std::vector<kir::Expr> merge_index(size_t rank, const std::vector<int64_t>& axes,
                                   const std::vector<kir::Expr>& outer,
                                   const std::vector<kir::Expr>& inner);
/// Structural equality of two expressions.
bool same_expr(const kir::Expr& a, const kir::Expr& b);
/// `i` clamped into [0, n) (on the sides its range does not already keep): a load index that
/// never leaves the buffer.
kir::Expr clamp_index(kir::Expr i, int64_t n);
/// 0 <= i < n, or null when the index range already proves it.
kir::Expr in_bounds(const kir::Expr& i, int64_t n);

class Builder {
 public:
  Builder(const ir::Node* root, const std::unordered_set<const ir::Node*>& materialized);

  /// The value of `n` at multi-index `idx`, in n's compute dtype.
  kir::Expr value(const ir::Node* n, const std::vector<kir::Expr>& idx);

  /// A fresh loop variable with the given extent.
  kir::Expr new_var(int64_t extent, int64_t* id);
  int64_t new_acc() { return next_acc_++; }

  /// Declares the row structure: fused reduces must reduce `axes` of `domain`, and read at the
  /// row whose kept indices are `outer` (one per non-reduced axis of domain, in order).
  void set_rows(Shape domain, std::vector<int64_t> axes, std::vector<kir::Expr> outer);
  /// Declares the elementwise context: the kernel's loop computes the root at `idx`, so a
  /// matmul read exactly there can run as an inner loop in the same kernel (its epilogue fused).
  void set_elementwise(std::vector<kir::Expr> idx);
  /// The value of matmul `n` at `idx` as a dot product over its inner dim (x[.., i, :] . y[.., :,
  /// j]), emitted into `stmts`. Throws FusionBreak when an operand holds another contraction.
  kir::Expr contraction(const ir::Node* n, const std::vector<kir::Expr>& idx,
                        std::vector<kir::Stmt>& stmts);

  // ---- matmul as a GEMM call (kernels/cpu/gemm.h; gemm_call.cpp) ------------------------
  /// Allows an f32/f64 matmul of `shape` read at the elementwise index to run as a call of the
  /// packed GEMM (a kir Extern) that writes the product into output param `out` (laid out
  /// row-major in `shape`, the kernel's logical shape); the matmul's value is then a load of
  /// `out` at the element, and the kernel's elementwise loop becomes the in-place epilogue.
  void enable_gemm(int64_t out, Shape shape);
  /// The GEMM call built while lowering, or null when the kernel has none.
  const kir::Stmt& gemm_call() const { return gemm_call_; }
  /// The matmul the GEMM computes (null when none).
  const ir::Node* gemm_node() const { return gemm_node_; }
  /// Offset and per-dim strides (elements) of `x` as a strided view of one buffer, and that
  /// buffer's param, for a library call that reads it in place (a GEMM operand, a sorted
  /// input). Throws FusionBreak when it is not one, naming what to materialize and `reason`.
  struct StridedView {
    int64_t param = 0, offset = 0;
    std::vector<int64_t> strides;
  };
  StridedView strided_view(const ir::Node* x, const char* reason);
  /// Emits the accumulator for reduce `r` (if not yet) and returns a reference to it.
  kir::Expr reduce_value(const ir::Node* r);
  /// Statements computing the fused reductions of the current row, in dependency order.
  std::vector<kir::Stmt> take_row_statements();

  /// Parameter index of a materialized node, registering it as an input on first use.
  int64_t param_of(const ir::Node* n);
  const std::vector<const ir::Node*>& inputs() const { return inputs_; }
  /// Marks the start of a new pass over the data (for the bytes-moved estimate).
  void next_pass() { pass_ = ++passes_; }
  /// A nested pass (a fused reduction's loop, built while its consumer's pass is being built):
  /// returns the enclosing pass for end_pass to restore.
  int64_t begin_pass() {
    int64_t enclosing = pass_;
    next_pass();
    return enclosing;
  }
  void end_pass(int64_t enclosing) { pass_ = enclosing; }
  /// Bytes the loads of this kernel move, counting each input once per pass that reads it.
  int64_t bytes_loaded() const;

  const ir::Node* root() const { return root_; }
  std::vector<const ir::Node*> fused_reduces() const;
  bool fused(const ir::Node* n) const;

 private:
  kir::Expr compute(const ir::Node* n, const std::vector<kir::Expr>& idx);
  /// A random op's run-time stream offset (null when it has none).
  kir::Expr random_stream(const ir::Node* n);
  kir::Expr movement(const ir::Node* n, const std::vector<kir::Expr>& idx);
  // ---- window.cpp -------------------------------------------------------------------------
  /// Unfold `n` at `idx`: one load of its input (or the fill outside it).
  kir::Expr unfold(const ir::Node* n, const std::vector<kir::Expr>& idx);
  /// Fold `n` at `idx` (its output element): a KH x KW loop that gathers the windows reading it.
  kir::Expr fold(const ir::Node* n, const std::vector<kir::Expr>& idx);
  /// True when `idx` is the elementwise loop's index (where inner loops can be emitted).
  bool at_elementwise_index(const std::vector<kir::Expr>& idx) const;

  const ir::Node* root_;
  const std::unordered_set<const ir::Node*>& materialized_;
  std::vector<const ir::Node*> inputs_;
  std::unordered_map<const ir::Node*, int64_t> params_;
  int64_t next_var_ = 0, next_acc_ = 0, pass_ = 0, passes_ = 0;
  std::map<std::pair<int64_t, int64_t>, bool> loads_;  // (param, pass) pairs seen

  bool contains_contraction(const ir::Node* n) const;
  /// Matmul `n` as a GEMM call into the output buffer, or null when it does not qualify.
  kir::Expr gemm_value(const ir::Node* n, const std::vector<kir::Expr>& idx);

  /// A fused node strided_view reads as if it were materialized.
  const ir::Node* assumed_buffer_ = nullptr;
  int64_t gemm_out_ = -1;
  Shape gemm_shape_;
  kir::Stmt gemm_call_;
  const ir::Node* gemm_node_ = nullptr;

  bool has_elementwise_ = false;
  std::vector<kir::Expr> elementwise_idx_;
  bool has_rows_ = false;
  Shape domain_;
  std::vector<int64_t> axes_;
  std::vector<kir::Expr> outer_;
  std::unordered_map<const ir::Node*, int64_t> acc_of_;
  std::vector<kir::Stmt> row_stmts_;
  std::map<std::pair<const ir::Node*, std::string>, kir::Expr> memo_;
};

}  // namespace kiln::lower
