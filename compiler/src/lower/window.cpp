// Lowering of the sliding-window ops. unfold (im2col) is index arithmetic: one load per
// element, behind a bounds predicate only where the padding can be reached. fold (col2im) is
// computed at its output element as a KH x KW loop that gathers the window positions reading
// that element (no scatter, so no atomics and no zero-filled buffer to add into).
#include "lower/builder.h"

namespace kiln::lower {

using kir::Expr;

namespace {

Expr sub(Expr a, Expr b) { return kir::binary(kir::BinOp::Sub, std::move(a), std::move(b)); }

Expr both(Expr a, Expr b) {
  if (!a) return b;
  if (!b) return a;
  return kir::binary(kir::BinOp::And, std::move(a), std::move(b));
}

/// The output position p that window offset `i` maps to input row `y` (y = p * stride +
/// i * dilation - padding), clamped into [0, out); `valid` collects the conditions for such
/// a p to exist. Never divides a negative number.
Expr window_start(const Expr& y, const Expr& i, int64_t kernel, int64_t stride, int64_t padding,
                  int64_t dilation, int64_t out, Expr& valid) {
  Expr p = sub(kir::add(y, kir::int_imm(padding)), kir::mul(i, kir::int_imm(dilation)));
  if (stride > 1) {
    // Shifted by whole strides so that the dividend is never negative.
    int64_t shift = (dilation * (kernel - 1) + stride - 1) / stride;
    Expr t = kir::add(p, kir::int_imm(shift * stride));
    valid = both(valid,
                 kir::binary(kir::BinOp::Eq, kir::mod(t, kir::int_imm(stride)), kir::int_imm(0)));
    p = kir::add(kir::div(t, kir::int_imm(stride)), kir::int_imm(-shift));
  }
  Expr ok = in_bounds(p, out);
  if (!ok) return p;
  valid = both(valid, ok);
  return clamp_index(p, out);
}

}  // namespace

bool Builder::at_elementwise_index(const std::vector<Expr>& idx) const {
  bool here = has_elementwise_ && idx.size() == elementwise_idx_.size();
  for (size_t d = 0; here && d < idx.size(); ++d) here = same_expr(idx[d], elementwise_idx_[d]);
  return here;
}

Expr Builder::unfold(const ir::Node* n, const std::vector<Expr>& idx) {
  const ir::Node* in = n->input(0).get();
  const Shape& is = in->shape();
  ir::Window w = ir::Window::of(n->attrs().ints);
  size_t r = idx.size(), ir = is.size();
  std::vector<Expr> at(idx.begin(), idx.begin() + static_cast<int64_t>(ir - 2));
  Expr inside;
  auto source = [&](const Expr& p, const Expr& i, int64_t stride, int64_t dilation, int64_t padding,
                    int64_t size) {
    Expr y =
        kir::add(kir::add(kir::mul(p, kir::int_imm(stride)), kir::mul(i, kir::int_imm(dilation))),
                 kir::int_imm(-padding));
    Expr ok = in_bounds(y, size);
    if (!ok) return y;
    inside = both(inside, ok);
    return clamp_index(y, size);  // never load out of bounds, even where the fill wins
  };
  at.push_back(source(idx[r - 2], idx[r - 4], w.sh, w.dh, w.ph, is[ir - 2]));
  at.push_back(source(idx[r - 1], idx[r - 3], w.sw, w.dw, w.pw, is[ir - 1]));
  Expr v = value(in, at);
  if (!inside) return v;
  return kir::select(inside, v, kir::imm(n->attrs().scalar, compute_dtype(n->dtype())));
}

Expr Builder::fold(const ir::Node* n, const std::vector<Expr>& idx) {
  if (!at_elementwise_index(idx))
    throw FusionBreak{n, "fold read other than at its output element"};
  if (n != root_) acc_of_.emplace(n, -1);  // counted like a fused reduction
  const ir::Node* g = n->input(0).get();
  const Shape& gs = g->shape();
  ir::Window w = ir::Window::of(n->attrs().ints);
  size_t r = idx.size(), gr = gs.size();
  int64_t i_id = 0, j_id = 0;
  Expr i = new_var(w.kh, &i_id);
  Expr j = new_var(w.kw, &j_id);
  Expr valid;
  std::vector<Expr> at(idx.begin(), idx.begin() + static_cast<int64_t>(r - 2));
  at.push_back(i);
  at.push_back(j);
  at.push_back(window_start(idx[r - 2], i, w.kh, w.sh, w.ph, w.dh, gs[gr - 2], valid));
  at.push_back(window_start(idx[r - 1], j, w.kw, w.sw, w.pw, w.dw, gs[gr - 1], valid));
  int64_t enclosing = begin_pass();
  Expr v = value(g, at);
  end_pass(enclosing);
  DType dt = compute_dtype(n->dtype());
  if (valid) v = kir::select(valid, v, kir::imm(0, dt));
  int64_t acc = new_acc();
  row_stmts_.push_back(kir::accumulator(acc, dt, kir::imm(0, dt)));
  row_stmts_.push_back(kir::loop(i_id, w.kh, kir::LoopKind::Serial,
                                 {kir::loop(j_id, w.kw, kir::LoopKind::Serial,
                                            {kir::accumulate(acc, kir::ReduceOp::Sum, v)})}));
  return kir::acc_ref(acc, dt);
}

}  // namespace kiln::lower
