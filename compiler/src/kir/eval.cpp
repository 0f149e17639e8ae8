#include "kiln/compiler/kir/eval.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "cpu/externs.h"
#include "kiln/compiler/kir/walk.h"
#include "kiln/runtime/buffer.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/philox.h"

namespace kiln::kir {

namespace {

/// A value: floats in f, integers and bools in i.
struct Val {
  double f = 0;
  int64_t i = 0;
};

void write(void* base, DType t, int64_t k, Val v) {
  if (is_floating(t)) {
    runtime::write_element(base, t, k, v.f);
  } else {
    runtime::write_int_element(base, t, k, v.i);
  }
}

class Evaluator {
 public:
  Evaluator(const Kernel& k, const std::vector<void*>& args) : k_(k), args_(args) {}

  int64_t index(const Expr& e, const std::unordered_map<int64_t, int64_t>& vars) {
    KILN_CHECK(e->dtype == DType::Int64, "kir::evaluate_index: not an index expression");
    vars_ = vars;
    return eval(e).i;
  }

  void run(const Stmt& s) {
    switch (s->kind) {
      case StmtKind::For:
        for (int64_t i = 0; i < s->extent; ++i) {
          vars_[s->id] = i;
          cache_.clear();
          for (const auto& b : s->body) run(b);
        }
        cache_.clear();
        break;
      case StmtKind::Block:
        for (const auto& b : s->body) run(b);
        break;
      case StmtKind::Store: {
        int64_t idx = eval(s->exprs[0]).i;
        const Param& p = k_.params[s->id];
        KILN_CHECK(idx >= 0 && idx < p.numel, "kir::evaluate: store out of bounds");
        Val v = eval(s->exprs[1]);
        write(args_[s->id], p.dtype, idx,
              is_floating(p.dtype) == is_floating(s->exprs[1]->dtype)
                  ? v
                  : convert(v, s->exprs[1]->dtype, p.dtype));
        break;
      }
      case StmtKind::Accumulator:
        accs_[s->id] = eval(s->exprs[0]);
        cache_.clear();
        break;
      case StmtKind::Accumulate: {
        Val v = eval(s->exprs[0]);
        Val& a = accs_[s->id];
        bool fl = is_floating(s->dtype);
        switch (s->reduce) {
          case ReduceOp::Sum:
            fl ? void(a.f += v.f) : void(a.i = wrap_int(a.i + v.i, s->dtype));
            break;
          case ReduceOp::Prod:
            fl ? void(a.f *= v.f) : void(a.i = wrap_int(a.i * v.i, s->dtype));
            break;
          case ReduceOp::Max:
            if (fl)
              a.f = std::isnan(a.f) || std::isnan(v.f) ? NAN : std::max(a.f, v.f);
            else
              a.i = std::max(a.i, v.i);
            break;
          case ReduceOp::Min:
            if (fl)
              a.f = std::isnan(a.f) || std::isnan(v.f) ? NAN : std::min(a.f, v.f);
            else
              a.i = std::min(a.i, v.i);
            break;
        }
        cache_.clear();
        break;
      }
      case StmtKind::Extern: {
        // The same C function the compiled kernel calls (kernels/: the known symbols).
        kernels::ExternFn fn = kernels::find_extern(s->symbol);
        KILN_CHECK(fn != nullptr, "kir::evaluate: unknown extern function " + s->symbol);
        std::vector<void*> ptrs;
        for (int64_t p : s->params) ptrs.push_back(args_[p]);
        fn(ptrs.data(), s->int_args.empty() ? nullptr : s->int_args.data());
        cache_.clear();
        break;
      }
    }
  }

 private:
  static Val convert(Val v, DType from, DType to) {
    Val r;
    if (is_floating(to)) {
      if (!is_floating(from) && to == DType::Float32) {
        r.f = static_cast<float>(v.i);  // one rounding (through double, int64 rounds twice)
        return r;
      }
      r.f = is_floating(from) ? v.f : static_cast<double>(v.i);
      if (to != DType::Float64) r.f = round_to_dtype(r.f, to);
    } else if (to == DType::Bool) {
      r.i = is_floating(from) ? v.f != 0.0 : v.i != 0;
    } else {
      r.i = wrap_int(is_floating(from) ? (std::isfinite(v.f) ? static_cast<int64_t>(v.f) : 0) : v.i,
                     to);
    }
    return r;
  }

  Val eval(const Expr& e) {
    auto it = cache_.find(e.get());
    if (it != cache_.end()) return it->second;
    Val v = compute(e);
    cache_.emplace(e.get(), v);
    return v;
  }

  Val compute(const Expr& e) {
    Val r;
    bool fl = is_floating(e->dtype);
    switch (e->kind) {
      case ExprKind::IntImm: r.i = e->int_value; return r;
      case ExprKind::FloatImm: r.f = e->float_value; return r;
      case ExprKind::Var: r.i = vars_.at(e->int_value); return r;
      case ExprKind::AccRef: return accs_.at(e->int_value);
      case ExprKind::Load: {
        int64_t idx = eval(e->operands[0]).i;
        const Param& p = k_.params[e->int_value];
        KILN_CHECK(idx >= 0 && idx < p.numel, "kir::evaluate: load out of bounds in " + k_.name);
        if (fl)
          r.f = runtime::read_element(args_[e->int_value], p.dtype, idx);
        else
          r.i = runtime::read_int_element(args_[e->int_value], p.dtype, idx);
        return r;
      }
      case ExprKind::Cast: return convert(eval(e->operands[0]), e->operands[0]->dtype, e->dtype);
      case ExprKind::Select:
        return eval(e->operands[0]).i ? eval(e->operands[1]) : eval(e->operands[2]);
      case ExprKind::Philox: {
        uint64_t offset = e->offset;
        if (e->operands.size() > 1) offset += static_cast<uint64_t>(eval(e->operands[1]).i);
        r.f = round_to_dtype(
            runtime::philox_sample(e->seed, offset, static_cast<uint64_t>(eval(e->operands[0]).i),
                                   e->dist, mantissa_bits(e->dtype)),
            e->dtype);
        return r;
      }
      case ExprKind::Unary: return unary(e->unop, eval(e->operands[0]), e->dtype);
      case ExprKind::Binary:
        return binary(e->binop, eval(e->operands[0]), eval(e->operands[1]), e->operands[0]->dtype);
    }
    return r;
  }

  static Val unary(ir::Op op, Val x, DType t) {
    Val r;
    if (!is_floating(t)) {
      switch (op) {
        case ir::Op::Neg: r.i = wrap_int(-x.i, t); break;
        case ir::Op::Abs: r.i = wrap_int(x.i < 0 ? -x.i : x.i, t); break;
        case ir::Op::Sign: r.i = (x.i > 0) - (x.i < 0); break;
        case ir::Op::Not: r.i = x.i == 0; break;
        default: r.i = x.i; break;
      }
      return r;
    }
    double v = x.f;
    switch (op) {
      case ir::Op::Neg: r.f = -v; break;
      case ir::Op::Exp: r.f = std::exp(v); break;
      case ir::Op::Log: r.f = std::log(v); break;
      case ir::Op::Log1p: r.f = std::log1p(v); break;
      case ir::Op::Expm1: r.f = std::expm1(v); break;
      case ir::Op::Sqrt: r.f = std::sqrt(v); break;
      case ir::Op::Rsqrt: r.f = 1.0 / std::sqrt(v); break;
      case ir::Op::Abs: r.f = std::fabs(v); break;
      case ir::Op::Sign: r.f = (v > 0) - (v < 0); break;  // sign(NaN) = 0, as in PyTorch
      case ir::Op::Sin: r.f = std::sin(v); break;
      case ir::Op::Cos: r.f = std::cos(v); break;
      case ir::Op::Tanh: r.f = std::tanh(v); break;
      case ir::Op::Sigmoid: r.f = 1.0 / (1.0 + std::exp(-v)); break;
      case ir::Op::Erf: r.f = std::erf(v); break;
      case ir::Op::Floor: r.f = std::floor(v); break;
      case ir::Op::Ceil: r.f = std::ceil(v); break;
      case ir::Op::Round: r.f = std::nearbyint(v); break;
      case ir::Op::Reciprocal: r.f = 1.0 / v; break;
      case ir::Op::Not: r.f = v == 0.0; break;
      default: KILN_CHECK(false, "kir::evaluate: bad unary op");
    }
    if (t != DType::Float64) r.f = round_to_dtype(r.f, t);
    return r;
  }

  static Val binary(BinOp op, Val a, Val b, DType t) {
    Val r;
    bool fl = is_floating(t);
    double x = fl ? a.f : static_cast<double>(a.i), y = fl ? b.f : static_cast<double>(b.i);
    switch (op) {
      case BinOp::Lt: r.i = fl ? x < y : a.i < b.i; return r;
      case BinOp::Le: r.i = fl ? x <= y : a.i <= b.i; return r;
      case BinOp::Gt: r.i = fl ? x > y : a.i > b.i; return r;
      case BinOp::Ge: r.i = fl ? x >= y : a.i >= b.i; return r;
      case BinOp::Eq: r.i = fl ? x == y : a.i == b.i; return r;
      case BinOp::Ne: r.i = fl ? x != y : a.i != b.i; return r;
      case BinOp::And: r.i = (fl ? x != 0 : a.i != 0) && (fl ? y != 0 : b.i != 0); return r;
      case BinOp::Or: r.i = (fl ? x != 0 : a.i != 0) || (fl ? y != 0 : b.i != 0); return r;
      default: break;
    }
    if (!fl) {
      auto ua = static_cast<uint64_t>(a.i), ub = static_cast<uint64_t>(b.i);
      switch (op) {
        case BinOp::Add: r.i = static_cast<int64_t>(ua + ub); break;
        case BinOp::Sub: r.i = static_cast<int64_t>(ua - ub); break;
        case BinOp::Mul: r.i = static_cast<int64_t>(ua * ub); break;
        case BinOp::Div: r.i = b.i == 0 ? 0 : a.i / b.i; break;
        case BinOp::Mod: r.i = b.i == 0 ? 0 : a.i % b.i; break;
        case BinOp::Pow: r.i = static_cast<int64_t>(std::pow(x, y)); break;
        case BinOp::Max: r.i = std::max(a.i, b.i); break;
        case BinOp::Min: r.i = std::min(a.i, b.i); break;
        default: break;
      }
      r.i = wrap_int(r.i, t);
      return r;
    }
    switch (op) {
      case BinOp::Add: r.f = x + y; break;
      case BinOp::Sub: r.f = x - y; break;
      case BinOp::Mul: r.f = x * y; break;
      case BinOp::Div: r.f = x / y; break;
      case BinOp::Mod: r.f = std::fmod(x, y); break;
      case BinOp::Pow: r.f = std::pow(x, y); break;
      case BinOp::Max: r.f = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
      case BinOp::Min: r.f = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
      default: break;
    }
    if (t != DType::Float64) r.f = round_to_dtype(r.f, t);
    return r;
  }

  const Kernel& k_;
  const std::vector<void*>& args_;
  std::unordered_map<int64_t, int64_t> vars_;
  std::unordered_map<int64_t, Val> accs_;
  std::unordered_map<const ExprNode*, Val> cache_;
};

}  // namespace

int64_t evaluate_index(const Expr& e, const std::unordered_map<int64_t, int64_t>& vars) {
  KILN_CHECK(!any_of(e,
                     [](const Expr& x) {
                       return x->kind == ExprKind::Load || x->kind == ExprKind::AccRef ||
                              x->kind == ExprKind::Philox;
                     }),
             "kir::evaluate_index: the expression reads memory");
  Kernel none;
  return Evaluator(none, {}).index(e, vars);
}

void evaluate(const Kernel& k, const std::vector<void*>& args) {
  KILN_CHECK(args.size() == k.params.size(), "kir::evaluate: wrong argument count");
  Evaluator(k, args).run(k.body);
}

}  // namespace kiln::kir
