#include "codegen/cuda/printer.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

bool is_unsigned(DType t) { return t == DType::Bool || t == DType::UInt8; }

/// The unsigned type of a signed integer's width, for wrapping arithmetic.
const char* wrap_type(DType t) { return t == DType::Int64 ? "unsigned long long" : "unsigned"; }

/// a op b in `t` (Int32 / Int64) with two's-complement wrap-around.
std::string wrapping(const char* op, DType t, const std::string& a, const std::string& b) {
  return std::string("static_cast<") + compute_type(t) + ">(static_cast<" + wrap_type(t) + ">(" +
         a + ") " + op + " static_cast<" + wrap_type(t) + ">(" + b + "))";
}

std::string int_literal(int64_t v, DType t) {
  switch (t) {
    case DType::Bool: return v ? "true" : "false";
    case DType::UInt8: return "static_cast<unsigned char>(" + std::to_string(v & 0xff) + ")";
    case DType::Int32: return std::to_string(static_cast<int32_t>(v));
    default: break;
  }
  if (v == std::numeric_limits<int64_t>::min()) return "(-9223372036854775807LL - 1)";
  return std::to_string(v) + "LL";
}

bool fits_int32(int64_t lo, int64_t hi) {
  return lo >= std::numeric_limits<int32_t>::min() && hi <= std::numeric_limits<int32_t>::max();
}

const char* fsuffix(DType t) { return t == DType::Float64 ? "" : "f"; }

}  // namespace

std::string Printer::load_text(int64_t p, const std::string& index) const {
  return from_memory("p" + std::to_string(p) + "[" + index + "]", k_.params[p].dtype);
}

std::string Printer::store_line(int64_t p, const std::string& index, const std::string& value,
                                DType value_dtype) const {
  return "p" + std::to_string(p) + "[" + index +
         "] = " + to_memory(value, value_dtype, k_.params[p].dtype) + ";";
}

std::string Printer::combine(kir::ReduceOp op, DType t, const std::string& a,
                             const std::string& x) {
  bool fp = is_floating(t);
  switch (op) {
    case kir::ReduceOp::Sum:
      if (fp) return a + " + " + x;
      if (t == DType::Bool) return a + " || " + x;
      if (t == DType::UInt8) return "static_cast<unsigned char>(" + a + " + " + x + ")";
      return wrapping("+", t, a, x);
    case kir::ReduceOp::Prod:
      if (fp) return a + " * " + x;
      if (t == DType::Bool) return a + " && " + x;
      if (t == DType::UInt8) return "static_cast<unsigned char>(" + a + " * " + x + ")";
      return wrapping("*", t, a, x);
    case kir::ReduceOp::Max: return "kiln_max(" + a + ", " + x + ")";
    case kir::ReduceOp::Min: return "kiln_min(" + a + ", " + x + ")";
  }
  return a;
}

std::string Printer::identity(kir::ReduceOp op, DType t) {
  KILN_CHECK(op == kir::ReduceOp::Sum || op == kir::ReduceOp::Prod, "no identity for max/min");
  double v = op == kir::ReduceOp::Sum ? 0 : 1;
  return is_floating(t) ? float_literal(v, t) : int_literal(static_cast<int64_t>(v), t);
}

bool Printer::narrow(const kir::Expr& e) {
  if (e->dtype != DType::Int64) return false;
  if (auto it = narrow_.find(e.get()); it != narrow_.end()) return it->second;
  bool r = false;
  switch (e->kind) {
    case kir::ExprKind::IntImm: r = fits_int32(e->int_value, e->int_value); break;
    case kir::ExprKind::Var: r = fits_int32(0, e->bound); break;
    case kir::ExprKind::Binary: {
      kir::Range range = kir::range_of(e);
      r = fits_int32(range.lo, range.hi) && narrow(e->operands[0]) && narrow(e->operands[1]);
      break;
    }
    default: break;
  }
  narrow_[e.get()] = r;
  return r;
}

void Printer::forget_if(const std::function<bool(const kir::ExprNode*)>& drop) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    it = drop(it->first) ? cache_.erase(it) : std::next(it);
  }
}

std::string Printer::expr(const kir::Expr& e) {
  if (auto it = cache_.find(e.get()); it != cache_.end()) return it->second;
  std::string v;
  switch (e->kind) {
    case kir::ExprKind::IntImm:
      v = narrow(e) ? std::to_string(e->int_value) : int_literal(e->int_value, e->dtype);
      break;
    case kir::ExprKind::FloatImm: v = float_literal(e->float_value, e->dtype); break;
    case kir::ExprKind::Var: {
      auto it = vars.find(e->int_value);
      KILN_CHECK(it != vars.end(), "cuda codegen: loop variable out of scope");
      v = it->second;
      break;
    }
    default: {
      std::string value = compute(e);
      v = temp();
      code_.line(std::string("const ") + (narrow(e) ? "int" : compute_type(e->dtype)) + " " + v +
                 " = " + value + ";");
    }
  }
  cache_[e.get()] = v;
  return v;
}

std::string Printer::compute(const kir::Expr& e) {
  switch (e->kind) {
    case kir::ExprKind::IntImm:
    case kir::ExprKind::FloatImm:
    case kir::ExprKind::Var: KILN_CHECK(false, "cuda codegen: leaf printed as a temporary");
    case kir::ExprKind::Load: {
      if (load_override) {
        std::string v = load_override(e);
        if (!v.empty()) return v;
      }
      return load_text(e->int_value, expr(e->operands[0]));
    }
    case kir::ExprKind::Unary: return unary(e, expr(e->operands[0]));
    case kir::ExprKind::Binary:
      return binary(e, operand(e, e->operands[0]), operand(e, e->operands[1]));
    case kir::ExprKind::Select: {
      std::string c = expr(e->operands[0]);
      return c + " ? " + operand(e, e->operands[1]) + " : " + operand(e, e->operands[2]);
    }
    case kir::ExprKind::Cast: return convert(expr(e->operands[0]), e->operands[0]->dtype, e->dtype);
    case kir::ExprKind::AccRef: {
      auto it = acc_read.find(e->int_value);
      KILN_CHECK(it != acc_read.end(), "cuda codegen: accumulator out of scope");
      return convert(it->second, acc_dtype.at(e->int_value), e->dtype);
    }
    case kir::ExprKind::Philox: {
      std::string idx = "static_cast<unsigned long long>(" + expr(e->operands[0]) + ")";
      std::string offset = std::to_string(e->offset) + "ull";
      if (e->operands.size() > 1)
        offset = "(" + offset + " + static_cast<unsigned long long>(" + expr(e->operands[1]) + "))";
      std::string key = std::to_string(e->seed) + "ull, " + offset + ", ";
      if (e->dist == 0) {
        if (e->dtype == DType::Float64) return "kiln_philox_uniform_d(" + key + idx + ")";
        int m = e->dtype == DType::Float16 ? 11 : e->dtype == DType::BFloat16 ? 8 : 24;
        return "kiln_philox_uniform_f(" + key + idx + ", " + std::to_string(m) + ")";
      }
      return convert("kiln_philox_normal(" + key + idx + ")", DType::Float64, e->dtype);
    }
  }
  return "";
}

std::string Printer::operand(const kir::Expr& e, const kir::Expr& o) {
  std::string v = expr(o);
  // A 32-bit index operand of a 64-bit operation is widened first (template arguments match).
  if (o->dtype == DType::Int64 && narrow(o) && !narrow(e))
    return "static_cast<long long>(" + v + ")";
  return v;
}

std::string Printer::unary(const kir::Expr& e, const std::string& x) {
  using ir::Op;
  DType t = e->dtype;
  std::string ct = compute_type(t);
  if (!is_floating(t)) {
    switch (e->unop) {
      case Op::Neg:
        if (t == DType::Bool) return x;
        if (t == DType::UInt8) return "static_cast<unsigned char>(-" + x + ")";
        return wrapping("-", t, "0", x);
      case Op::Abs:
        if (is_unsigned(t)) return x;
        return x + " < 0 ? " + wrapping("-", t, "0", x) + " : " + x;
      case Op::Sign:
        if (is_unsigned(t)) return "static_cast<" + ct + ">(" + x + " != 0)";
        return "static_cast<" + ct + ">((" + x + " > 0) - (" + x + " < 0))";
      case Op::Floor:
      case Op::Ceil:
      case Op::Round: return x;
      case Op::Not: return "static_cast<" + ct + ">(" + x + " == 0)";
      default: KILN_CHECK(false, std::string("cuda codegen: no integer ") + ir::op_name(e->unop));
    }
  }
  const char* s = fsuffix(t);
  auto call = [&](const char* fn) { return std::string(fn) + s + "(" + x + ")"; };
  std::string one = float_literal(1, t), zero = float_literal(0, t);
  switch (e->unop) {
    case Op::Neg: return "-" + x;
    case Op::Exp: return call("exp");
    case Op::Log: return call("log");
    case Op::Log1p: return call("log1p");
    case Op::Expm1: return call("expm1");
    case Op::Sqrt: return call("sqrt");
    case Op::Rsqrt: return one + " / " + call("sqrt");
    case Op::Abs: return call("fabs");
    case Op::Sign:  // sign(NaN) = 0, as in PyTorch
      return "static_cast<" + ct + ">((" + x + " > " + zero + ") - (" + x + " < " + zero + "))";
    case Op::Sin: return call("sin");
    case Op::Cos: return call("cos");
    case Op::Tanh: return call("tanh");
    case Op::Sigmoid: return one + " / (" + one + " + exp" + s + "(-" + x + "))";
    case Op::Erf: return call("erf");
    case Op::Floor: return call("floor");
    case Op::Ceil: return call("ceil");
    case Op::Round: return call("rint");
    case Op::Reciprocal: return one + " / " + x;
    case Op::Not: return x + " == " + zero + " ? " + one + " : " + zero;
    default: KILN_CHECK(false, std::string("cuda codegen: no float ") + ir::op_name(e->unop));
  }
  return "";
}

std::string Printer::binary(const kir::Expr& e, const std::string& a, const std::string& b) {
  using kir::BinOp;
  DType t = e->operands[0]->dtype;
  bool fp = is_floating(t);
  switch (e->binop) {
    case BinOp::Lt: return a + " < " + b;
    case BinOp::Le: return a + " <= " + b;
    case BinOp::Gt: return a + " > " + b;
    case BinOp::Ge: return a + " >= " + b;
    case BinOp::Eq: return a + " == " + b;
    case BinOp::Ne: return a + " != " + b;
    case BinOp::And: return convert(a, t, DType::Bool) + " && " + convert(b, t, DType::Bool);
    case BinOp::Or: return convert(a, t, DType::Bool) + " || " + convert(b, t, DType::Bool);
    case BinOp::Max: return "kiln_max(" + a + ", " + b + ")";
    case BinOp::Min: return "kiln_min(" + a + ", " + b + ")";
    default: break;
  }
  if (fp) {
    const char* s = fsuffix(t);
    switch (e->binop) {
      case BinOp::Add: return a + " + " + b;
      case BinOp::Sub: return a + " - " + b;
      case BinOp::Mul: return a + " * " + b;
      case BinOp::Div: return a + " / " + b;
      case BinOp::Mod: return std::string("fmod") + s + "(" + a + ", " + b + ")";
      case BinOp::Pow: return std::string("pow") + s + "(" + a + ", " + b + ")";
      default: break;
    }
  }
  if (t == DType::Bool) {
    switch (e->binop) {
      case BinOp::Add: return a + " || " + b;
      case BinOp::Sub: return a + " != " + b;
      case BinOp::Mul: return a + " && " + b;
      case BinOp::Div: return a;
      case BinOp::Mod: return "false";
      case BinOp::Pow: return a + " || !" + b;
      default: break;
    }
  }
  if (narrow(e)) {  // in range: plain int arithmetic (Div / Mod here have a positive constant)
    switch (e->binop) {
      case BinOp::Add: return a + " + " + b;
      case BinOp::Sub: return a + " - " + b;
      case BinOp::Mul: return a + " * " + b;
      case BinOp::Div: return a + " / " + b;
      case BinOp::Mod: return a + " % " + b;
      default: break;
    }
  }
  std::string ct = compute_type(t);
  const kir::Expr& divisor = e->operands[1];
  bool safe_divisor = divisor->kind == kir::ExprKind::IntImm && divisor->int_value > 0;
  switch (e->binop) {
    case BinOp::Add:
    case BinOp::Sub:
    case BinOp::Mul: {
      const char* op = e->binop == BinOp::Add ? "+" : e->binop == BinOp::Sub ? "-" : "*";
      if (t == DType::UInt8) return "static_cast<unsigned char>(" + a + " " + op + " " + b + ")";
      return wrapping(op, t, a, b);
    }
    case BinOp::Div:
      if (safe_divisor) return "static_cast<" + ct + ">(" + a + " / " + b + ")";
      return "kiln_div<" + ct + ">(" + a + ", " + b + ")";
    case BinOp::Mod:
      if (safe_divisor) return "static_cast<" + ct + ">(" + a + " % " + b + ")";
      return "kiln_mod<" + ct + ">(" + a + ", " + b + ")";
    case BinOp::Pow: {
      std::string args = ">(" + a + ", " + b + ")";
      if (t == DType::UInt8) return "kiln_ipow<unsigned char, unsigned, int" + args;
      if (t == DType::Int32) return "kiln_ipow<int, unsigned, int" + args;
      return "kiln_ipow<long long, unsigned long long, long long" + args;
    }
    default: break;
  }
  KILN_CHECK(false, "cuda codegen: unhandled binary op");
  return "";
}

void Printer::stmt(const kir::Stmt& s) {
  clear();
  switch (s->kind) {
    case kir::StmtKind::For: {
      std::string v = "v" + std::to_string(s->id);
      const char* it = s->extent <= std::numeric_limits<int32_t>::max() ? "int" : "long long";
      code_.open(std::string("for (") + it + " " + v + " = 0; " + v + " < " +
                 std::to_string(s->extent) + "; ++" + v + ")");
      vars[s->id] = v;
      for (const auto& c : s->body) stmt(c);
      vars.erase(s->id);
      code_.close();
      clear();
      break;
    }
    case kir::StmtKind::Block:
      for (const auto& c : s->body) stmt(c);
      break;
    case kir::StmtKind::Store: {
      std::string index = expr(s->exprs[0]);
      std::string value = expr(s->exprs[1]);
      code_.line(store_line(s->id, index, value, s->exprs[1]->dtype));
      break;
    }
    case kir::StmtKind::Accumulator: {
      acc_dtype[s->id] = s->dtype;
      std::string name = "a" + std::to_string(s->id);
      if (!acc_write.count(s->id)) acc_write[s->id] = name;
      if (!acc_read.count(s->id)) acc_read[s->id] = name;
      std::string init = convert(expr(s->exprs[0]), s->exprs[0]->dtype, s->dtype);
      code_.line(acc_write.at(s->id) + " = " + init + ";");
      break;
    }
    case kir::StmtKind::Accumulate: {
      DType t = acc_dtype.at(s->id);
      std::string x = convert(expr(s->exprs[0]), s->exprs[0]->dtype, t);
      const std::string& a = acc_write.at(s->id);
      code_.line(a + " = " + combine(s->reduce, t, a, x) + ";");
      break;
    }
    case kir::StmtKind::Extern:
      KILN_CHECK(false, "cuda codegen: an Extern statement below the kernel's top level");
  }
}

}  // namespace kiln::codegen::cuda
