#include "lower/builder.h"

#include <algorithm>
#include <map>

#include "kiln/runtime/error.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;

DType compute_dtype(DType t) { return is_16_bit_float(t) ? DType::Float32 : t; }

Expr flatten_index(const std::vector<Expr>& idx, const Shape& shape) {
  Shape strides = contiguous_strides(shape);
  Expr flat = kir::int_imm(0);
  for (size_t d = 0; d < idx.size(); ++d) {
    if (shape[d] != 1) flat = kir::add(flat, kir::mul(idx[d], kir::int_imm(strides[d])));
  }
  return flat;
}

std::vector<Expr> unflatten_index(const Expr& flat, const Shape& shape) {
  Shape strides = contiguous_strides(shape);
  std::vector<Expr> idx(shape.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    idx[d] = shape[d] == 1
                 ? kir::int_imm(0)
                 : kir::mod(kir::div(flat, kir::int_imm(strides[d])), kir::int_imm(shape[d]));
  }
  return idx;
}

std::vector<Expr> merge_index(size_t rank, const std::vector<int64_t>& axes,
                              const std::vector<Expr>& outer, const std::vector<Expr>& inner) {
  std::vector<Expr> full(rank);
  size_t oi = 0, ii = 0;
  for (size_t d = 0; d < rank; ++d) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
    full[d] = reduced ? inner[ii++] : outer[oi++];
  }
  return full;
}

bool same_expr(const Expr& a, const Expr& b) { return kir::equal(a, b); }

namespace {
kir::BinOp binop_of(Op op) {
  switch (op) {
    case Op::Add: return kir::BinOp::Add;
    case Op::Sub: return kir::BinOp::Sub;
    case Op::Mul: return kir::BinOp::Mul;
    case Op::Div: return kir::BinOp::Div;
    case Op::Pow: return kir::BinOp::Pow;
    case Op::Maximum: return kir::BinOp::Max;
    case Op::Minimum: return kir::BinOp::Min;
    case Op::Lt: return kir::BinOp::Lt;
    case Op::Le: return kir::BinOp::Le;
    case Op::Gt: return kir::BinOp::Gt;
    case Op::Ge: return kir::BinOp::Ge;
    case Op::Eq: return kir::BinOp::Eq;
    case Op::Ne: return kir::BinOp::Ne;
    case Op::And: return kir::BinOp::And;
    case Op::Or: return kir::BinOp::Or;
    default: KILN_CHECK(false, std::string("not a binary op: ") + ir::op_name(op));
  }
}
}  // namespace

Expr clamp_index(Expr i, int64_t n) {
  kir::Range r = kir::range_of(i);
  if (r.hi >= n) i = kir::binary(kir::BinOp::Min, std::move(i), kir::int_imm(n - 1));
  if (r.lo < 0) i = kir::binary(kir::BinOp::Max, std::move(i), kir::int_imm(0));
  return i;
}

Expr in_bounds(const Expr& i, int64_t n) {
  kir::Range r = kir::range_of(i);
  Expr low = r.lo >= 0 ? nullptr : kir::binary(kir::BinOp::Ge, i, kir::int_imm(0));
  Expr high = r.hi < n ? nullptr : kir::binary(kir::BinOp::Lt, i, kir::int_imm(n));
  if (low && high) return kir::binary(kir::BinOp::And, low, high);
  return low ? low : high;
}

Builder::Builder(const ir::Node* root, const std::unordered_set<const ir::Node*>& materialized)
    : root_(root), materialized_(materialized) {}

bool Builder::fused(const ir::Node* n) const {
  return n == root_ || (n->op() != Op::Load && !materialized_.count(n) && n != assumed_buffer_);
}

Expr Builder::new_var(int64_t extent, int64_t* id) {
  *id = next_var_++;
  return kir::var(*id, extent);
}

int64_t Builder::param_of(const ir::Node* n) {
  auto it = params_.find(n);
  if (it != params_.end()) return it->second;
  auto p = static_cast<int64_t>(inputs_.size());
  inputs_.push_back(n);
  params_.emplace(n, p);
  return p;
}

int64_t Builder::bytes_loaded() const {
  int64_t bytes = 0;
  for (const auto& [key, seen] : loads_) {
    const ir::Node* n = inputs_[key.first];
    bytes += n->numel() * itemsize(n->dtype());
  }
  return bytes;
}

void Builder::set_rows(Shape domain, std::vector<int64_t> axes, std::vector<Expr> outer) {
  has_rows_ = true;
  domain_ = std::move(domain);
  axes_ = std::move(axes);
  outer_ = std::move(outer);
}

void Builder::set_elementwise(std::vector<Expr> idx) {
  has_elementwise_ = true;
  elementwise_idx_ = std::move(idx);
}

bool Builder::contains_contraction(const ir::Node* n) const {
  std::vector<const ir::Node*> stack{n};
  std::unordered_set<const ir::Node*> seen{n};
  while (!stack.empty()) {
    const ir::Node* x = stack.back();
    stack.pop_back();
    if (!fused(x)) continue;
    if (x->op() == Op::MatMul || ir::is_reduce(x->op())) return true;
    for (const auto& in : x->inputs()) {
      if (seen.insert(in.get()).second) stack.push_back(in.get());
    }
  }
  return false;
}

Expr Builder::contraction(const ir::Node* n, const std::vector<Expr>& idx,
                          std::vector<kir::Stmt>& stmts) {
  const ir::Node* x = n->input(0).get();
  const ir::Node* y = n->input(1).get();
  for (const ir::Node* operand : {x, y}) {
    if (contains_contraction(operand))
      throw FusionBreak{operand, "matmul operand computed by another contraction"};
  }
  size_t r = idx.size();
  int64_t k = x->shape()[r - 1];
  int64_t k_id = 0;
  Expr kk = new_var(k, &k_id);
  std::vector<Expr> xi(idx.begin(), idx.end() - 1);  // x[..., i, k]
  xi.push_back(kk);
  std::vector<Expr> yi(idx.begin(), idx.end() - 2);  // y[..., k, j]
  yi.push_back(kk);
  yi.push_back(idx.back());
  int64_t enclosing = begin_pass();
  Expr xv = value(x, xi);  // operands in order: param numbering must not depend on the compiler
  Expr prod = kir::binary(kir::BinOp::Mul, xv, value(y, yi));
  end_pass(enclosing);
  DType dt = compute_dtype(n->dtype());
  int64_t acc = new_acc();
  stmts.push_back(kir::accumulator(acc, dt, kir::imm(0, dt)));
  stmts.push_back(kir::loop(k_id, k, kir::LoopKind::Vectorizable,
                            {kir::accumulate(acc, kir::ReduceOp::Sum, prod)}));
  return kir::acc_ref(acc, dt);
}

std::vector<const ir::Node*> Builder::fused_reduces() const {
  std::vector<const ir::Node*> out;
  for (const auto& [n, acc] : acc_of_) out.push_back(n);
  return out;
}

std::vector<kir::Stmt> Builder::take_row_statements() { return std::move(row_stmts_); }

Expr Builder::reduce_value(const ir::Node* r) {
  auto it = acc_of_.find(r);
  if (it != acc_of_.end()) return kir::acc_ref(it->second, compute_dtype(r->dtype()));
  const ir::Node* in = r->input(0).get();
  if (!has_rows_ || in->shape() != domain_ || r->attrs().ints != axes_) {
    throw FusionBreak{
        r, "reduce over other rows than the kernel's (input " + shape_str(in->shape()) + ")"};
  }
  // Inner loop over the reduced axes; the kept axes are the current row's.
  Shape inner_shape;
  for (int64_t a : axes_) inner_shape.push_back(domain_[a]);
  int64_t var_id = 0;
  Expr k = new_var(numel_of(inner_shape), &var_id);
  std::vector<Expr> inner = unflatten_index(k, inner_shape);
  std::vector<Expr> full = merge_index(domain_.size(), axes_, outer_, inner);
  int64_t enclosing = begin_pass();
  Expr body = value(in, full);
  end_pass(enclosing);
  DType dt = compute_dtype(r->dtype());
  kir::ReduceOp op = r->op() == Op::Sum   ? kir::ReduceOp::Sum
                     : r->op() == Op::Max ? kir::ReduceOp::Max
                     : r->op() == Op::Min ? kir::ReduceOp::Min
                                          : kir::ReduceOp::Prod;
  double init = 0.0;
  if (op == kir::ReduceOp::Prod) init = 1.0;
  int64_t acc = new_acc();
  if (op == kir::ReduceOp::Max || op == kir::ReduceOp::Min) {
    // Seed with the row's first element, so no identity is needed for any dtype.
    std::vector<Expr> first = full;
    for (size_t d = 0; d < domain_.size(); ++d) {
      if (std::binary_search(axes_.begin(), axes_.end(), static_cast<int64_t>(d)))
        first[d] = kir::int_imm(0);
    }
    row_stmts_.push_back(kir::accumulator(acc, dt, value(in, first)));
  } else {
    row_stmts_.push_back(kir::accumulator(acc, dt, kir::imm(init, dt)));
  }
  row_stmts_.push_back(kir::loop(var_id, numel_of(inner_shape), kir::LoopKind::Vectorizable,
                                 {kir::accumulate(acc, op, body)}));
  acc_of_.emplace(r, acc);
  return kir::acc_ref(acc, dt);
}

Expr Builder::value(const ir::Node* n, const std::vector<Expr>& idx) {
  std::string key;
  for (const auto& e : idx) key += kir::print(e) + ";";
  auto mk = std::make_pair(n, key);
  auto it = memo_.find(mk);
  if (it != memo_.end()) return it->second;
  Expr e;
  if (!fused(n)) {
    int64_t p = param_of(n);
    loads_[{p, pass_}] = true;
    e = kir::cast(kir::load(p, n->dtype(), flatten_index(idx, n->shape())),
                  compute_dtype(n->dtype()));
  } else {
    e = compute(n, idx);
  }
  memo_.emplace(mk, e);
  return e;
}

Expr Builder::random_stream(const ir::Node* n) {
  return n->inputs().empty() ? nullptr : value(n->input(0).get(), {});
}

Expr Builder::compute(const ir::Node* n, const std::vector<Expr>& idx) {
  DType dt = compute_dtype(n->dtype());
  const auto& a = n->attrs();
  switch (ir::op_kind(n->op())) {
    case ir::OpKind::Leaf:
      switch (n->op()) {
        case Op::Const:
          if (!a.ints.empty()) return kir::imm_int(a.ints[0], dt);
          return kir::imm(a.scalar, dt);
        case Op::Iota: return kir::cast(idx[a.ints[0]], dt);
        case Op::Random:
          return kir::cast(kir::philox(a.seed, a.offset, a.ints[0], n->dtype(),
                                       flatten_index(idx, n->shape()), random_stream(n)),
                           dt);
        default: KILN_CHECK(false, "load reached compute()");
      }
    case ir::OpKind::Unary: {
      Expr x = value(n->input(0).get(), idx);
      if (n->op() != Op::Cast) return kir::unary(n->op(), x);
      // A cast to a 16-bit float rounds there, then widens back for computing.
      if (dt != n->dtype()) return kir::cast(kir::cast(x, n->dtype()), dt);
      return kir::cast(x, dt);
    }
    case ir::OpKind::Binary: {
      // Operands are built in order (not as call arguments, whose order C++ leaves open), so
      // params and kernel names are the same whichever compiler built kiln.
      Expr a = value(n->input(0).get(), idx);
      return kir::binary(binop_of(n->op()), a, value(n->input(1).get(), idx));
    }
    case ir::OpKind::Ternary: {
      Expr c = value(n->input(0).get(), idx);
      Expr a = value(n->input(1).get(), idx);
      return kir::select(c, a, value(n->input(2).get(), idx));
    }
    case ir::OpKind::Reduce: {
      // A fused reduce is a per-row scalar: it must be read at the current row.
      size_t oi = 0;
      for (size_t d = 0; d < idx.size(); ++d) {
        bool reduced = std::binary_search(axes_.begin(), axes_.end(), static_cast<int64_t>(d));
        if (reduced) continue;
        if (!has_rows_ || oi >= outer_.size() || !same_expr(idx[d], outer_[oi++])) {
          throw FusionBreak{n, "reduce result read outside the row that computes it"};
        }
      }
      return reduce_value(n);
    }
    case ir::OpKind::Movement: return movement(n, idx);
    case ir::OpKind::Opaque:
      if (n->op() == Op::Fold) return fold(n, idx);
      if (n->op() == Op::MatMul) {
        if (!at_elementwise_index(idx))
          throw FusionBreak{n, "matmul read other than at its output element"};
        if (n != root_) acc_of_.emplace(n, -1);  // counted like a fused reduction
        if (Expr g = gemm_value(n, idx)) return g;
        return contraction(n, idx, row_stmts_);
      }
      if (n->op() == Op::Gather) {
        const ir::Node* x = n->input(0).get();
        int64_t axis = a.ints[0], size = x->shape()[axis];
        Expr j = value(n->input(1).get(), idx);
        if (a.ints.size() == 1) {  // ir::GatherCheck::Wrap: a negative index counts from the end
          j = kir::select(kir::binary(kir::BinOp::Lt, j, kir::int_imm(0)),
                          kir::add(j, kir::int_imm(size)), j);
        }
        std::vector<Expr> at = idx;
        at[axis] = clamp_index(j, size);
        return value(x, at);
      }
      throw FusionBreak{n, std::string(ir::op_name(n->op())) + " runs as its own kernel"};
  }
  KILN_CHECK(false, "unhandled op kind");
}

Expr Builder::movement(const ir::Node* n, const std::vector<Expr>& idx) {
  const ir::Node* in = n->input(0).get();
  const Shape& is = in->shape();
  const auto& a = n->attrs().ints;
  std::vector<Expr> at(is.size());
  switch (n->op()) {
    case Op::Reshape: return value(in, unflatten_index(flatten_index(idx, n->shape()), is));
    case Op::Permute:
      for (size_t d = 0; d < idx.size(); ++d) at[a[d]] = idx[d];
      return value(in, at);
    case Op::Expand:
      for (size_t d = 0; d < idx.size(); ++d) at[d] = is[d] == 1 ? kir::int_imm(0) : idx[d];
      return value(in, at);
    case Op::Pad: {
      Expr inside;
      for (size_t d = 0; d < idx.size(); ++d) {
        Expr j = kir::add(idx[d], kir::int_imm(-a[2 * d]));
        Expr ok = in_bounds(j, is[d]);
        if (!ok) {
          at[d] = j;
          continue;
        }
        inside = inside ? kir::binary(kir::BinOp::And, inside, ok) : ok;
        at[d] = clamp_index(j, is[d]);  // never load out of bounds, even where the pad value wins
      }
      Expr v = value(in, at);
      if (!inside) return v;
      return kir::select(inside, v, kir::imm(n->attrs().scalar, compute_dtype(n->dtype())));
    }
    case Op::Slice:
      for (size_t d = 0; d < idx.size(); ++d) {
        at[d] = kir::add(kir::mul(idx[d], kir::int_imm(a[3 * d + 2])), kir::int_imm(a[3 * d]));
      }
      return value(in, at);
    case Op::Flip:
      at = idx;
      for (int64_t d : a)
        at[d] = kir::add(kir::mul(idx[d], kir::int_imm(-1)), kir::int_imm(is[d] - 1));
      return value(in, at);
    case Op::AsStrided: {
      Expr flat = kir::int_imm(a.back());
      for (size_t d = 0; d < idx.size(); ++d)
        flat = kir::add(flat, kir::mul(idx[d], kir::int_imm(a[d])));
      return value(in, {flat});
    }
    case Op::Unfold: return unfold(n, idx);
    default: KILN_CHECK(false, "not a movement op");
  }
}

}  // namespace kiln::lower
