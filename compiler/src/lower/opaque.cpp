#include "lower/opaque.h"

#include <algorithm>

#include "kiln/runtime/error.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;
using kir::LoopKind;

namespace {

/// Index vectors for a "row" walk along `axis` of `shape`: the row variable covers all other
/// dims; returns the multi-index with `along` placed at axis.
std::vector<Expr> row_index(const Shape& shape, int64_t axis, const Expr& row, const Expr& along) {
  Shape outer = shape;
  outer[axis] = 1;
  std::vector<Expr> idx = unflatten_index(row, outer);
  idx[axis] = along;
  return idx;
}

Shape without_axis(const Shape& s, int64_t axis) {
  Shape r = s;
  r[axis] = 1;
  return r;
}

kir::Stmt cumsum(Builder& b, const ir::Node* n, int64_t out) {
  int64_t axis = n->attrs().ints[0];
  const Shape& s = n->shape();
  int64_t row_id = 0, j_id = 0;
  Expr row = b.new_var(numel_of(without_axis(s, axis)), &row_id);
  Expr j = b.new_var(s[axis], &j_id);
  std::vector<Expr> idx = row_index(s, axis, row, j);
  // A scan adds one element at a time, so its rounding error grows with the row: an f32
  // running sum drifted by 5e-4 of its value over 40000 elements. f32 rows accumulate in f64,
  // as PyTorch's CPU cumsum does (16-bit rows already accumulate in f32).
  DType dt = n->dtype() == DType::Float32 ? DType::Float64 : compute_dtype(n->dtype());
  int64_t acc = b.new_acc();
  Expr v = b.value(n->input(0).get(), idx);
  return kir::loop(row_id, numel_of(without_axis(s, axis)), LoopKind::Parallel,
                   {kir::accumulator(acc, dt, kir::imm(0, dt)),
                    kir::loop(j_id, s[axis], LoopKind::Serial,
                              {kir::accumulate(acc, kir::ReduceOp::Sum, v),
                               kir::store(out, flatten_index(idx, s),
                                          kir::cast(kir::acc_ref(acc, dt), n->dtype()))})});
}

/// p goes before q in a sort: p < q (p > q when descending), NaN after every number (before,
/// when descending), as PyTorch orders them; ties are left to the caller.
Expr sorts_before(const Expr& p, const Expr& q, bool descending) {
  auto isnan = [](const Expr& v) { return kir::binary(kir::BinOp::Ne, v, v); };
  auto lt = [&](const Expr& a, const Expr& c) {  // a < c with NaN largest
    if (!is_floating(a->dtype)) return kir::binary(kir::BinOp::Lt, a, c);
    return kir::select(isnan(c), kir::unary(Op::Not, isnan(a)), kir::binary(kir::BinOp::Lt, a, c));
  };
  return descending ? lt(q, p) : lt(p, q);
}

/// Stable argsort on a GPU for short rows, by rank: element i of a row goes to position
/// #{j : x_j before x_i, or equal with j < i}. O(n^2) compares per row, but every element's rank
/// is an independent reduction over j, which a GPU runs in parallel in one launch.
kir::Stmt argsort_by_rank(Builder& b, const ir::Node* n, int64_t out) {
  int64_t axis = n->attrs().ints[0];
  bool descending = n->attrs().ints[1] != 0;
  const ir::Node* x = n->input(0).get();
  const Shape& s = n->shape();
  int64_t rows = numel_of(without_axis(s, axis));
  int64_t row_id = 0, i_id = 0, j_id = 0;
  Expr row = b.new_var(rows, &row_id);
  Expr i = b.new_var(s[axis], &i_id);
  Expr j = b.new_var(s[axis], &j_id);
  Expr xi = b.value(x, row_index(s, axis, row, i));
  Expr xj = b.value(x, row_index(s, axis, row, j));
  Expr before = sorts_before(xj, xi, descending);
  Expr tie = kir::binary(kir::BinOp::And, kir::unary(Op::Not, sorts_before(xi, xj, descending)),
                         kir::binary(kir::BinOp::Lt, j, i));
  Expr counts = kir::cast(kir::binary(kir::BinOp::Or, before, tie), DType::Int64);
  int64_t acc = b.new_acc();
  Expr pos = flatten_index(row_index(s, axis, row, kir::acc_ref(acc, DType::Int64)), s);
  return kir::loop(row_id, rows, LoopKind::Parallel,
                   {kir::loop(i_id, s[axis], LoopKind::Serial,
                              {kir::accumulator(acc, DType::Int64, kir::int_imm(0)),
                               kir::loop(j_id, s[axis], LoopKind::Vectorizable,
                                         {kir::accumulate(acc, kir::ReduceOp::Sum, counts)}),
                               kir::store(out, pos, i)})});
}

/// Rows up to this long sort by rank on a GPU (one launch); longer ones by the bitonic network.
constexpr int64_t kRankSortMax = 256;

/// One compare-exchange stage of argsort_bitonic over every row: the pairs (lo, hi) of
/// positions `span` apart (lo in the lower half of its 2*span block), or, for a merge's first
/// stage (`mirror`), lo and its mirror in its 2*span block. Only pairs with lo inside the row are
/// visited; a pair whose hi is past the row's end (a pad) reads and writes lo alone, unchanged.
kir::Stmt bitonic_stage(Builder& b, const ir::Node* n, int64_t out, int64_t span, bool mirror) {
  int64_t axis = n->attrs().ints[0];
  bool descending = n->attrs().ints[1] != 0;
  const Shape& s = n->shape();
  int64_t len = s[axis], rows = numel_of(without_axis(s, axis));
  int64_t pairs = len / (2 * span) * span + std::min(len % (2 * span), span);  // lo < len
  int64_t t_id = 0, once_id = 0;
  Expr t = b.new_var(rows * pairs, &t_id);
  b.new_var(1, &once_id);
  Expr row = kir::div(t, kir::int_imm(pairs)), q = kir::mod(t, kir::int_imm(pairs));
  Expr block = kir::mul(kir::div(q, kir::int_imm(span)), kir::int_imm(2 * span));
  Expr r = kir::mod(q, kir::int_imm(span));
  Expr lo = kir::add(block, r);
  Expr hi =
      mirror ? kir::add(block, kir::add(kir::int_imm(2 * span - 1), kir::mul(r, kir::int_imm(-1))))
             : kir::add(lo, kir::int_imm(span));
  hi = kir::select(kir::binary(kir::BinOp::Lt, hi, kir::int_imm(len)), hi, lo);
  Expr at_lo = flatten_index(row_index(s, axis, row, lo), s);
  Expr at_hi = flatten_index(row_index(s, axis, row, hi), s);
  // The two positions' indices, read once (a store to lo must not change what hi's store
  // sees), and whether they swap, decided once (the values are gathered through them).
  int64_t a_acc = b.new_acc(), c_acc = b.new_acc(), swap_acc = b.new_acc();
  Expr a = kir::acc_ref(a_acc, DType::Int64), c = kir::acc_ref(c_acc, DType::Int64);
  const ir::Node* x = n->input(0).get();
  Expr va = b.value(x, row_index(s, axis, row, a));
  Expr vc = b.value(x, row_index(s, axis, row, c));
  // (value, index) is a total order, so the network's result is the stable sort.
  Expr swap = kir::binary(
      kir::BinOp::Or, sorts_before(vc, va, descending),
      kir::binary(kir::BinOp::And, kir::unary(Op::Not, sorts_before(va, vc, descending)),
                  kir::binary(kir::BinOp::Lt, c, a)));
  Expr swapped = kir::binary(kir::BinOp::Ne, kir::acc_ref(swap_acc, DType::Int64), kir::int_imm(0));
  return kir::loop(
      t_id, rows * pairs, LoopKind::Parallel,
      {kir::loop(once_id, 1, LoopKind::Serial,
                 {kir::accumulator(a_acc, DType::Int64, kir::load(out, DType::Int64, at_lo)),
                  kir::accumulator(c_acc, DType::Int64, kir::load(out, DType::Int64, at_hi)),
                  kir::accumulator(swap_acc, DType::Int64, kir::cast(swap, DType::Int64)),
                  kir::store(out, at_lo, kir::select(swapped, c, a)),
                  kir::store(out, at_hi, kir::select(swapped, a, c))})});
}

/// Stable argsort on a GPU for long rows: a bitonic sorting network over each row's indices,
/// O(n log^2 n) compares, one launch per stage (log2(N) * (log2(N) + 1) / 2 stages for rows
/// padded to N, a power of two). Every comparator puts the element that goes first at the lower
/// position (a merge starts by comparing mirrored positions instead of alternating directions),
/// so the virtual pads past the row's end, which go after everything, never move: comparators
/// reaching them are skipped. Each stage reads the values through the indices placed so far.
kir::Stmt argsort_bitonic(Builder& b, const ir::Node* n, int64_t out) {
  int64_t axis = n->attrs().ints[0];
  const Shape& s = n->shape();
  int64_t t_id = 0;
  Expr t = b.new_var(numel_of(s), &t_id);
  std::vector<kir::Stmt> stages = {kir::loop(t_id, numel_of(s), LoopKind::Parallel,
                                             {kir::store(out, t, unflatten_index(t, s)[axis])})};
  for (int64_t merged = 2; merged / 2 < s[axis]; merged *= 2) {
    for (int64_t span = merged / 2; span >= 1; span /= 2) {
      b.next_pass();
      stages.push_back(bitonic_stage(b, n, out, span, span == merged / 2));
    }
  }
  return kir::block(std::move(stages));
}

/// Argsort on the CPU: a call of the row sort (kernels/cpu/sort.h, O(n log n) per row) that
/// reads the input in place, so a computed input is materialized first (a FusionBreak).
kir::Stmt argsort(Builder& b, const ir::Node* n, int64_t out) {
  if (n->device().is_cuda()) {
    int64_t len = n->shape()[n->attrs().ints[0]];
    return len <= kRankSortMax ? argsort_by_rank(b, n, out) : argsort_bitonic(b, n, out);
  }
  const ir::Node* x = n->input(0).get();
  b.next_pass();
  Builder::StridedView v = b.strided_view(x, "argsort's input is not a strided view of a buffer");
  const Shape& s = x->shape();
  // Argument layout: kernels/cpu/sort.h.
  std::vector<int64_t> args = {static_cast<int64_t>(x->dtype()), n->attrs().ints[1],
                               n->attrs().ints[0], static_cast<int64_t>(s.size()), v.offset};
  args.insert(args.end(), s.begin(), s.end());
  args.insert(args.end(), v.strides.begin(), v.strides.end());
  return kir::extern_call("kiln_extern_argsort", {v.param, out}, std::move(args));
}

/// The first pass of scatter and set_strided: copy the base into the output.
kir::Stmt copy_base(Builder& b, const ir::Node* base, const Shape& shape, DType dtype,
                    int64_t out) {
  int64_t id = 0;
  Expr i = b.new_var(numel_of(shape), &id);
  return kir::loop(
      id, numel_of(shape), LoopKind::Parallel,
      {kir::store(out, i, kir::cast(b.value(base, unflatten_index(i, shape)), dtype))});
}

kir::Stmt scatter(Builder& b, const ir::Node* n, int64_t out) {
  int64_t axis = n->attrs().ints[0];
  const ir::Node* index = n->input(1).get();
  const Shape& is = index->shape();
  kir::Stmt copy = copy_base(b, n->input(0).get(), n->shape(), n->dtype(), out);
  b.next_pass();
  int64_t id = 0;
  Expr i = b.new_var(numel_of(is), &id);
  std::vector<Expr> idx = unflatten_index(i, is);
  int64_t size = n->shape()[axis];
  Expr j = b.value(index, idx);
  j = kir::select(kir::binary(kir::BinOp::Lt, j, kir::int_imm(0)), kir::add(j, kir::int_imm(size)),
                  j);
  j = kir::binary(kir::BinOp::Max, kir::binary(kir::BinOp::Min, j, kir::int_imm(size - 1)),
                  kir::int_imm(0));
  std::vector<Expr> at = idx;
  at[axis] = j;
  // Serial, so that with repeated indices the last write wins deterministically.
  return kir::block(
      {copy, kir::loop(id, numel_of(is), LoopKind::Serial,
                       {kir::store(out, flatten_index(at, n->shape()),
                                   kir::cast(b.value(n->input(2).get(), idx), n->dtype()))})});
}

kir::Stmt set_strided(Builder& b, const ir::Node* n, int64_t out) {
  const ir::Node* src = n->input(1).get();
  const auto& a = n->attrs().ints;
  kir::Stmt copy = copy_base(b, n->input(0).get(), n->shape(), n->dtype(), out);
  b.next_pass();
  int64_t id = 0;
  Expr i = b.new_var(src->numel(), &id);
  std::vector<Expr> idx = unflatten_index(i, src->shape());
  Expr pos = kir::int_imm(a.back());
  for (size_t d = 0; d < idx.size(); ++d) pos = kir::add(pos, kir::mul(idx[d], kir::int_imm(a[d])));
  return kir::block(
      {copy, kir::loop(id, src->numel(), LoopKind::Parallel,
                       {kir::store(out, pos, kir::cast(b.value(src, idx), n->dtype()))})});
}

}  // namespace

kir::Stmt opaque_body(Builder& b, const ir::Node* root, int64_t out) {
  switch (root->op()) {
    case Op::Cumsum: return cumsum(b, root, out);
    case Op::ArgSort: return argsort(b, root, out);
    case Op::Scatter: return scatter(b, root, out);
    case Op::SetStrided: return set_strided(b, root, out);
    default: KILN_CHECK(false, std::string("no kernel for opaque op ") + ir::op_name(root->op()));
  }
}

}  // namespace kiln::lower
