// Kernel IR expression constructors and index simplification.
#include <algorithm>
#include <functional>
#include <limits>
#include <vector>

#include "kiln/compiler/kir/kir.h"
#include "kiln/runtime/error.h"

namespace kiln::kir {

namespace {
constexpr const char* kBinOpNames[] = {
#define KILN_KIR_NAME(name, text) text,
    KILN_KIR_BINOPS(KILN_KIR_NAME)
#undef KILN_KIR_NAME
};

std::shared_ptr<ExprNode> node(ExprKind kind, DType dtype) {
  auto n = std::make_shared<ExprNode>();
  n->kind = kind;
  n->dtype = dtype;
  return n;
}

bool is_int_imm(const Expr& e, int64_t* v = nullptr) {
  if (e->kind != ExprKind::IntImm || e->dtype != DType::Int64) return false;
  if (v) *v = e->int_value;
  return true;
}

void require_index(const Expr& e, const char* what) {
  KILN_CHECK(e->dtype == DType::Int64, std::string(what) + ": index expression must be int64");
}

/// Splits e into (multiple of c, rest): e == q * c + rest, when e is a sum containing a term
/// x * k with k % c == 0. Returns false when nothing divides.
bool split_multiple(const Expr& e, int64_t c, Expr* quotient, Expr* rest) {
  int64_t k = 0;
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Mul && is_int_imm(e->operands[1], &k) &&
      k % c == 0) {
    *quotient = mul(e->operands[0], int_imm(k / c));
    *rest = int_imm(0);
    return true;
  }
  if (is_int_imm(e, &k) && k % c == 0) {
    *quotient = int_imm(k / c);
    *rest = int_imm(0);
    return true;
  }
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Add) {
    Expr q, r;
    if (split_multiple(e->operands[0], c, &q, &r)) {
      *quotient = q;
      *rest = add(r, e->operands[1]);
      return true;
    }
    if (split_multiple(e->operands[1], c, &q, &r)) {
      *quotient = q;
      *rest = add(e->operands[0], r);
      return true;
    }
  }
  return false;
}

/// e == quotient * k + rest, where quotient collects e's additive terms whose constant factor is
/// a multiple of k (divided by k) and rest the other terms.
void split_terms(const Expr& e, int64_t k, Expr* quotient, Expr* rest) {
  int64_t f = 0;
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Add) {
    Expr q0, r0, q1, r1;
    split_terms(e->operands[0], k, &q0, &r0);
    split_terms(e->operands[1], k, &q1, &r1);
    *quotient = add(q0, q1);
    *rest = add(r0, r1);
  } else if (e->kind == ExprKind::Binary && e->binop == BinOp::Mul &&
             is_int_imm(e->operands[1], &f) && f % k == 0) {
    *quotient = mul(e->operands[0], int_imm(f / k));
    *rest = int_imm(0);
  } else if (is_int_imm(e, &f) && f % k == 0) {
    *quotient = int_imm(f / k);
    *rest = int_imm(0);
  } else {
    *quotient = int_imm(0);
    *rest = e;
  }
}

/// The constant factors of e's additive terms.
void term_factors(const Expr& e, std::vector<int64_t>& out) {
  int64_t f = 0;
  if (e->kind == ExprKind::Binary && e->binop == BinOp::Add) {
    term_factors(e->operands[0], out);
    term_factors(e->operands[1], out);
  } else if (e->kind == ExprKind::Binary && e->binop == BinOp::Mul &&
             is_int_imm(e->operands[1], &f)) {
    out.push_back(f);
  }
}

/// Writes a == x * k + y with k > 1 dividing c, x >= 0 and 0 <= y < k, when a's terms allow:
/// then a / c == x / (c / k) and a % c == (x % (c / k)) * k + y (a row-major index divided by
/// a multiple of one of its strides: (h * 26 + w) / 52 == h / 2 for w < 26).
bool split_divisor(const Expr& a, int64_t c, Expr* x, Expr* y, int64_t* k) {
  std::vector<int64_t> factors;
  term_factors(a, factors);
  std::sort(factors.begin(), factors.end(), std::greater<>());
  for (int64_t f : factors) {
    if (f <= 1 || c % f != 0) continue;
    split_terms(a, f, x, y);
    Range rx = range_of(*x), ry = range_of(*y);
    if (rx.lo >= 0 && ry.lo >= 0 && ry.hi < f && !is_int_imm(*x)) {
      *k = f;
      return true;
    }
  }
  return false;
}
}  // namespace

const char* binop_name(BinOp op) { return kBinOpNames[static_cast<int>(op)]; }

bool binop_is_predicate(BinOp op) {
  switch (op) {
    case BinOp::Lt:
    case BinOp::Le:
    case BinOp::Gt:
    case BinOp::Ge:
    case BinOp::Eq:
    case BinOp::Ne:
    case BinOp::And:
    case BinOp::Or: return true;
    case BinOp::Add:
    case BinOp::Sub:
    case BinOp::Mul:
    case BinOp::Div:
    case BinOp::Mod:
    case BinOp::Pow:
    case BinOp::Max:
    case BinOp::Min: return false;
  }
  return false;
}

const char* reduce_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
    case ReduceOp::Prod: return "prod";
  }
  return "?";
}

bool equal(const Expr& a, const Expr& b) {
  if (a == b) return true;
  if (a->kind != b->kind || a->dtype != b->dtype || a->int_value != b->int_value ||
      a->float_value != b->float_value || a->unop != b->unop || a->binop != b->binop ||
      a->seed != b->seed || a->offset != b->offset || a->dist != b->dist || a->bound != b->bound ||
      a->operands.size() != b->operands.size()) {
    return false;
  }
  for (size_t i = 0; i < a->operands.size(); ++i) {
    if (!equal(a->operands[i], b->operands[i])) return false;
  }
  return true;
}

Expr int_imm(int64_t v) {
  auto n = node(ExprKind::IntImm, DType::Int64);
  n->int_value = v;
  return n;
}

Expr float_imm(double v, DType dtype) {
  KILN_CHECK(is_floating(dtype), "float_imm of a non-float dtype");
  auto n = node(ExprKind::FloatImm, dtype == DType::Float64 ? dtype : DType::Float32);
  n->float_value = dtype == DType::Float64 ? v : round_to_dtype(v, dtype);
  return n;
}

Expr imm(double v, DType dtype) {
  if (is_floating(dtype)) return float_imm(v, dtype);
  auto n = node(ExprKind::IntImm, dtype);
  n->int_value = static_cast<int64_t>(round_to_dtype(v, dtype));
  return n;
}

Expr imm_int(int64_t v, DType dtype) {
  KILN_CHECK(!is_floating(dtype), "imm_int of a float dtype");
  auto n = node(ExprKind::IntImm, dtype);
  n->int_value = v;
  return n;
}

Expr var(int64_t id, int64_t extent) {
  auto n = node(ExprKind::Var, DType::Int64);
  n->int_value = id;
  n->bound = extent;
  return n;
}

Expr load(int64_t param, DType dtype, Expr index) {
  require_index(index, "load");
  auto n = node(ExprKind::Load, dtype);
  n->int_value = param;
  n->operands = {std::move(index)};
  return n;
}

Expr unary(UnOp op, Expr x) {
  KILN_CHECK(ir::is_unary(op) && op != ir::Op::Cast, "kir::unary takes a unary math op");
  auto n = node(ExprKind::Unary, x->dtype);
  n->unop = op;
  n->operands = {std::move(x)};
  return n;
}

Expr binary(BinOp op, Expr a, Expr b) {
  KILN_CHECK(a->dtype == b->dtype,
             std::string("kir::binary ") + binop_name(op) + ": operand dtypes differ");
  if (a->dtype == DType::Int64 && !binop_is_predicate(op)) {
    switch (op) {
      case BinOp::Add: return add(std::move(a), std::move(b));
      case BinOp::Mul: return mul(std::move(a), std::move(b));
      case BinOp::Div: return div(std::move(a), std::move(b));
      case BinOp::Mod: return mod(std::move(a), std::move(b));
      default: break;
    }
  }
  auto n = node(ExprKind::Binary, binop_is_predicate(op) ? DType::Bool : a->dtype);
  n->binop = op;
  n->operands = {std::move(a), std::move(b)};
  return n;
}

Expr select(Expr cond, Expr a, Expr b) {
  KILN_CHECK(cond->dtype == DType::Bool && a->dtype == b->dtype, "kir::select: bad operand dtypes");
  int64_t c = 0;
  if (cond->kind == ExprKind::IntImm) {
    c = cond->int_value;
    return c ? a : b;
  }
  auto n = node(ExprKind::Select, a->dtype);
  n->operands = {std::move(cond), std::move(a), std::move(b)};
  return n;
}

Expr cast(Expr x, DType dtype) {
  if (x->dtype == dtype) return x;
  auto n = node(ExprKind::Cast, dtype);
  n->operands = {std::move(x)};
  return n;
}

Expr acc_ref(int64_t acc, DType dtype) {
  auto n = node(ExprKind::AccRef, dtype);
  n->int_value = acc;
  return n;
}

Expr philox(uint64_t seed, uint64_t offset, int64_t dist, DType dtype, Expr index, Expr stream) {
  require_index(index, "philox");
  auto n = node(ExprKind::Philox, dtype);
  n->seed = seed;
  n->offset = offset;
  n->dist = dist;
  n->operands = {std::move(index)};
  if (stream) {
    require_index(stream, "philox stream");
    n->operands.push_back(std::move(stream));
  }
  return n;
}

Range range_of(const Expr& e) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min() / 4,
                    kMax = std::numeric_limits<int64_t>::max() / 4;
  switch (e->kind) {
    case ExprKind::IntImm: return {e->int_value, e->int_value};
    case ExprKind::Var: return {0, std::max<int64_t>(e->bound - 1, 0)};
    case ExprKind::Binary: {
      if (e->dtype != DType::Int64) break;
      Range a = range_of(e->operands[0]), b = range_of(e->operands[1]);
      if (a.lo <= kMin || a.hi >= kMax || b.lo <= kMin || b.hi >= kMax) break;
      switch (e->binop) {
        case BinOp::Add: return {a.lo + b.lo, a.hi + b.hi};
        case BinOp::Sub: return {a.lo - b.hi, a.hi - b.lo};
        case BinOp::Mul:
          if (b.lo == b.hi && b.lo >= 0 && a.lo >= 0) return {a.lo * b.lo, a.hi * b.lo};
          break;
        case BinOp::Div:
          if (b.lo == b.hi && b.lo > 0 && a.lo >= 0) return {a.lo / b.lo, a.hi / b.lo};
          break;
        case BinOp::Mod:
          if (b.lo == b.hi && b.lo > 0 && a.lo >= 0) return {0, std::min(a.hi, b.lo - 1)};
          break;
        case BinOp::Max: return {std::max(a.lo, b.lo), std::max(a.hi, b.hi)};
        case BinOp::Min: return {std::min(a.lo, b.lo), std::min(a.hi, b.hi)};
        default: break;
      }
      break;
    }
    default: break;
  }
  return {kMin, kMax};
}

namespace {
Expr raw_binary(BinOp op, Expr a, Expr b) {
  auto n = node(ExprKind::Binary, DType::Int64);
  n->binop = op;
  n->operands = {std::move(a), std::move(b)};
  return n;
}
}  // namespace

Expr add(Expr a, Expr b) {
  require_index(a, "add");
  require_index(b, "add");
  int64_t x = 0, y = 0;
  bool ca = is_int_imm(a, &x), cb = is_int_imm(b, &y);
  if (ca && cb) return int_imm(x + y);
  if (ca && x == 0) return b;
  if (cb && y == 0) return a;
  if (ca) std::swap(a, b);  // constants go right
  // (x / c) * c + x % c -> x
  int64_t c = 0, c2 = 0;
  for (int swap = 0; swap < 2; ++swap) {
    const Expr& p = swap ? b : a;
    const Expr& q = swap ? a : b;
    if (p->kind == ExprKind::Binary && p->binop == BinOp::Mul && is_int_imm(p->operands[1], &c) &&
        p->operands[0]->kind == ExprKind::Binary && p->operands[0]->binop == BinOp::Div &&
        is_int_imm(p->operands[0]->operands[1], &c2) && c == c2 && q->kind == ExprKind::Binary &&
        q->binop == BinOp::Mod && is_int_imm(q->operands[1], &c2) && c == c2 &&
        p->operands[0]->operands[0] == q->operands[0]) {
      return q->operands[0];
    }
  }
  return raw_binary(BinOp::Add, std::move(a), std::move(b));
}

Expr mul(Expr a, Expr b) {
  require_index(a, "mul");
  require_index(b, "mul");
  int64_t x = 0, y = 0;
  bool ca = is_int_imm(a, &x), cb = is_int_imm(b, &y);
  if (ca && cb) return int_imm(x * y);
  if (ca) {
    std::swap(a, b);
    std::swap(x, y);
    std::swap(ca, cb);
  }
  if (cb && y == 0) return int_imm(0);
  if (cb && y == 1) return a;
  int64_t k = 0;
  if (cb && a->kind == ExprKind::Binary && a->binop == BinOp::Mul &&
      is_int_imm(a->operands[1], &k)) {
    return mul(a->operands[0], int_imm(k * y));
  }
  return raw_binary(BinOp::Mul, std::move(a), std::move(b));
}

Expr div(Expr a, Expr b) {
  require_index(a, "div");
  require_index(b, "div");
  int64_t c = 0;
  if (!is_int_imm(b, &c) || c <= 0) return raw_binary(BinOp::Div, std::move(a), std::move(b));
  int64_t x = 0;
  if (is_int_imm(a, &x) && x >= 0) return int_imm(x / c);
  if (c == 1) return a;
  Range r = range_of(a);
  if (r.lo >= 0 && r.hi < c) return int_imm(0);
  Expr q, rest;
  if (split_multiple(a, c, &q, &rest)) {
    Range rr = range_of(rest);
    if (rr.lo >= 0) return add(q, div(rest, int_imm(c)));
  }
  int64_t k = 0;
  if (split_divisor(a, c, &q, &rest, &k)) return div(q, int_imm(c / k));
  int64_t inner = 0;
  if (a->kind == ExprKind::Binary && a->binop == BinOp::Div && is_int_imm(a->operands[1], &inner) &&
      inner > 0 && range_of(a->operands[0]).lo >= 0) {
    return div(a->operands[0], int_imm(inner * c));
  }
  return raw_binary(BinOp::Div, std::move(a), std::move(b));
}

Expr mod(Expr a, Expr b) {
  require_index(a, "mod");
  require_index(b, "mod");
  int64_t c = 0;
  if (!is_int_imm(b, &c) || c <= 0) return raw_binary(BinOp::Mod, std::move(a), std::move(b));
  if (c == 1) return int_imm(0);
  int64_t x = 0;
  if (is_int_imm(a, &x) && x >= 0) return int_imm(x % c);
  Range r = range_of(a);
  if (r.lo >= 0 && r.hi < c) return a;
  Expr q, rest;
  if (split_multiple(a, c, &q, &rest) && range_of(rest).lo >= 0) return mod(rest, int_imm(c));
  int64_t k = 0;
  if (split_divisor(a, c, &q, &rest, &k)) {
    // Only when x % (c / k) simplifies away: otherwise it is no cheaper than a % c.
    Expr m = mod(q, int_imm(c / k));
    if (m->kind != ExprKind::Binary || m->binop != BinOp::Mod) return add(mul(m, int_imm(k)), rest);
  }
  return raw_binary(BinOp::Mod, std::move(a), std::move(b));
}

}  // namespace kiln::kir
