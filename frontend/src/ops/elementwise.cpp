// Elementwise ops: arithmetic with broadcasting and type promotion, math functions,
// comparisons, where, and the operators.
#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

using detail::operand;
using ir::Op;

namespace {

enum class Out { Promoted, Float, Bool };

/// Broadcasts, promotes and records one binary op. `out` says what the result dtype is:
/// the promoted type, the promoted type made floating (true division), or bool.
Tensor binary(const char* name, Op op, const Tensor& a, const Tensor& b, Out out = Out::Promoted) {
  detail::check_defined(name, a);
  detail::check_defined(name, b);
  detail::check_same_device(name, {&a, &b});
  DType dtype = detail::result_type({operand(a), operand(b)});
  if (out == Out::Float && !is_floating(dtype)) dtype = kFloat32;
  Shape shape = broadcast_shapes(name, a.sizes(), b.sizes());
  return Tensor::from_node(
      ir::binary(op, detail::prepare(a, dtype, shape), detail::prepare(b, dtype, shape)));
}

Tensor binary(const char* name, Op op, const Tensor& a, Scalar b, Out out = Out::Promoted) {
  detail::check_defined(name, a);
  DType dtype = detail::result_type({operand(a), operand(b)});
  if (out == Out::Float && !is_floating(dtype)) dtype = kFloat32;
  Shape shape = a.sizes();
  return Tensor::from_node(ir::binary(op, detail::prepare(a, dtype, shape),
                                      detail::scalar_node(b, dtype, shape, a.device())));
}

Tensor binary(const char* name, Op op, Scalar a, const Tensor& b, Out out = Out::Promoted) {
  detail::check_defined(name, b);
  DType dtype = detail::result_type({operand(a), operand(b)});
  if (out == Out::Float && !is_floating(dtype)) dtype = kFloat32;
  Shape shape = b.sizes();
  return Tensor::from_node(ir::binary(op, detail::scalar_node(a, dtype, shape, b.device()),
                                      detail::prepare(b, dtype, shape)));
}

/// A math function: integer inputs are computed in float32, as PyTorch does.
Tensor unary_float(const char* name, Op op, const Tensor& x) {
  detail::check_defined(name, x);
  DType dtype = is_floating(x.dtype()) ? x.dtype() : kFloat32;
  return Tensor::from_node(ir::unary(op, ir::cast(x.node(), dtype)));
}

/// An op that keeps integer dtypes (neg, abs, sign, floor, ceil, round).
Tensor unary_same(const char* name, Op op, const Tensor& x) {
  detail::check_defined(name, x);
  if (x.dtype() == kBool && op == Op::Neg) {
    throw DTypeError(std::string("[") + name + "] is not supported for bool tensors");
  }
  if (x.dtype() == kBool ||
      (!is_floating(x.dtype()) && (op == Op::Floor || op == Op::Ceil || op == Op::Round))) {
    if (op != Op::Abs && op != Op::Neg && (op != Op::Sign || x.dtype() == kBool)) return x.clone();
  }
  return Tensor::from_node(ir::unary(op, x.node()));
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  detail::check_defined("add", a);
  detail::check_defined("add", b);
  if (a.dtype() == kBool && b.dtype() == kBool) return logical_or(a, b);
  return binary("add", Op::Add, a, b);
}
namespace {
/// PyTorch refuses `-` with a bool operand (a mask is inverted with logical_not).
void check_no_bool_sub(bool any_bool) {
  if (any_bool) {
    throw DTypeError(
        "[sub] subtraction, the `-` operator, with a bool tensor is not supported; to invert a "
        "mask use logical_not");
  }
}
}  // namespace

Tensor sub(const Tensor& a, const Tensor& b) {
  detail::check_defined("sub", a);
  detail::check_defined("sub", b);
  check_no_bool_sub(a.dtype() == kBool || b.dtype() == kBool);
  return binary("sub", Op::Sub, a, b);
}
Tensor mul(const Tensor& a, const Tensor& b) {
  detail::check_defined("mul", a);
  detail::check_defined("mul", b);
  if (a.dtype() == kBool && b.dtype() == kBool) return logical_and(a, b);
  return binary("mul", Op::Mul, a, b);
}
Tensor div(const Tensor& a, const Tensor& b) { return binary("div", Op::Div, a, b, Out::Float); }
Tensor pow(const Tensor& a, const Tensor& exponent) { return binary("pow", Op::Pow, a, exponent); }
Tensor pow(const Tensor& a, Scalar exponent) {
  detail::check_defined("pow", a);
  if (!is_floating(a.dtype()) && exponent.kind() != Scalar::Kind::Float && exponent.to_int() < 0) {
    throw DTypeError(
        std::string("[pow] integers to negative integer powers are not allowed (exponent ") +
        std::to_string(exponent.to_int()) + ", dtype " + torch_name(a.dtype()) + ")");
  }
  return binary("pow", Op::Pow, a, exponent);
}
Tensor pow(Scalar base, const Tensor& exponent) { return binary("pow", Op::Pow, base, exponent); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary("minimum", Op::Minimum, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary("maximum", Op::Maximum, a, b); }

Tensor neg(const Tensor& x) { return unary_same("neg", Op::Neg, x); }
Tensor abs(const Tensor& x) { return unary_same("abs", Op::Abs, x); }
Tensor sign(const Tensor& x) { return unary_same("sign", Op::Sign, x); }
Tensor floor(const Tensor& x) { return unary_same("floor", Op::Floor, x); }
Tensor ceil(const Tensor& x) { return unary_same("ceil", Op::Ceil, x); }
Tensor round(const Tensor& x) { return unary_same("round", Op::Round, x); }
Tensor exp(const Tensor& x) { return unary_float("exp", Op::Exp, x); }
Tensor log(const Tensor& x) { return unary_float("log", Op::Log, x); }
Tensor log1p(const Tensor& x) { return unary_float("log1p", Op::Log1p, x); }
Tensor expm1(const Tensor& x) { return unary_float("expm1", Op::Expm1, x); }
Tensor sqrt(const Tensor& x) { return unary_float("sqrt", Op::Sqrt, x); }
Tensor rsqrt(const Tensor& x) { return unary_float("rsqrt", Op::Rsqrt, x); }
Tensor sin(const Tensor& x) { return unary_float("sin", Op::Sin, x); }
Tensor cos(const Tensor& x) { return unary_float("cos", Op::Cos, x); }
Tensor tanh(const Tensor& x) { return unary_float("tanh", Op::Tanh, x); }
Tensor sigmoid(const Tensor& x) { return unary_float("sigmoid", Op::Sigmoid, x); }
Tensor erf(const Tensor& x) { return unary_float("erf", Op::Erf, x); }
Tensor reciprocal(const Tensor& x) { return unary_float("reciprocal", Op::Reciprocal, x); }

Tensor relu(const Tensor& x) {
  detail::check_defined("relu", x);
  if (x.dtype() == kBool) throw DTypeError("[relu] is not supported for bool tensors");
  return maximum(x, zeros_like(x));
}

Tensor gelu(const Tensor& x, const std::string& approximate) {
  detail::check_defined("gelu", x);
  detail::check_floating("gelu", x.dtype());
  if (approximate == "tanh") {
    const double k = std::sqrt(2.0 / std::numbers::pi);
    return 0.5 * x * (1.0 + tanh(k * (x + 0.044715 * x * x * x)));
  }
  if (approximate != "none") {
    throw Error("[gelu] approximate must be 'none' or 'tanh', got '" + approximate + "'");
  }
  // x/2 + x/2 erf(x / sqrt 2): the multiply-add contracts to one FMA (x/2 (1 + erf) takes two
  // instructions and one more rounding).
  Tensor half = 0.5 * x;
  return half + half * erf(x * (1.0 / std::numbers::sqrt2));
}

Tensor silu(const Tensor& x) {
  detail::check_floating("silu", x.dtype());
  return x * sigmoid(x);
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  detail::check_floating("softplus", x.dtype());
  Tensor bx = x * beta;
  return where(bx > threshold, x, log1p(exp(bx)) / beta);
}

Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max) {
  detail::check_defined("clamp", x);
  if (!min && !max) throw Error("[clamp] at least one of 'min' or 'max' must not be None");
  // Selects rather than maximum/minimum, so a value on a bound keeps its gradient (PyTorch's
  // clamp) and NaN passes through. An integral result cannot hold a bound past its dtype's
  // range: as in PyTorch, a bound past the far end is no bound at all, one past the near end
  // an error.
  auto in_range = [&](const Scalar& bound, DType dtype, bool is_min) {
    if (is_floating(dtype) || dtype == kBool) return true;
    double lowest = 0, highest = 0;
    detail::integral_range(dtype, &lowest, &highest);
    double v = bound.to_double();
    if (is_min ? v > highest : v < lowest) {
      throw Error(fmt::format("[clamp] {} value {} is outside the representable range of {}",
                              is_min ? "min" : "max", v, torch_name(dtype)));
    }
    return is_min ? v >= lowest : v <= highest;
  };
  auto bound_by = [&](const Tensor& r, const Scalar& bound, bool is_min) {
    DType dtype = detail::result_type({operand(r), operand(bound)});
    if (!in_range(bound, dtype, is_min)) return r.to(dtype);
    Tensor b = full_like(x, bound, dtype);
    return where(is_min ? r < b : r > b, b, r);
  };
  Tensor r = x;
  if (min) r = bound_by(r, *min, true);
  if (max) r = bound_by(r, *max, false);
  return r;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  detail::check_defined("where", cond);
  detail::check_defined("where", a);
  detail::check_defined("where", b);
  if (cond.dtype() != kBool) {
    throw DTypeError(std::string("[where] expected condition to be a bool tensor, got ") +
                     torch_name(cond.dtype()));
  }
  detail::check_same_device("where", {&cond, &a, &b});
  DType dtype = detail::result_type({operand(a), operand(b)});
  Shape shape =
      broadcast_shapes("where", broadcast_shapes("where", cond.sizes(), a.sizes()), b.sizes());
  return Tensor::from_node(ir::where(detail::prepare(cond, kBool, shape),
                                     detail::prepare(a, dtype, shape),
                                     detail::prepare(b, dtype, shape)));
}
Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  DType dtype = detail::result_type({operand(a), operand(b)});
  return where(cond, a.to(dtype), full({}, b, TensorOptions(dtype).device(a.device())));
}
Tensor where(const Tensor& cond, Scalar a, const Tensor& b) {
  DType dtype = detail::result_type({operand(a), operand(b)});
  return where(cond, full({}, a, TensorOptions(dtype).device(b.device())), b.to(dtype));
}
Tensor where(const Tensor& cond, Scalar a, Scalar b) {
  detail::check_defined("where", cond);
  DType dtype = detail::result_type({operand(a), operand(b)});
  TensorOptions options = TensorOptions(dtype).device(cond.device());
  return where(cond, full({}, a, options), full({}, b, options));
}

Tensor lt(const Tensor& a, const Tensor& b) { return binary("lt", Op::Lt, a, b, Out::Bool); }
Tensor le(const Tensor& a, const Tensor& b) { return binary("le", Op::Le, a, b, Out::Bool); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary("gt", Op::Gt, a, b, Out::Bool); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary("ge", Op::Ge, a, b, Out::Bool); }
Tensor eq(const Tensor& a, const Tensor& b) { return binary("eq", Op::Eq, a, b, Out::Bool); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary("ne", Op::Ne, a, b, Out::Bool); }
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return binary("logical_and", Op::And, a.to(kBool), b.to(kBool));
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return binary("logical_or", Op::Or, a.to(kBool), b.to(kBool));
}
Tensor logical_not(const Tensor& x) {
  detail::check_defined("logical_not", x);
  return Tensor::from_node(ir::unary(Op::Not, ir::cast(x.node(), kBool)));
}
Tensor isnan(const Tensor& x) { return ne(x, x); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, Scalar b) { return binary("add", Op::Add, a, b); }
Tensor operator-(const Tensor& a, Scalar b) {
  detail::check_defined("sub", a);
  check_no_bool_sub(a.dtype() == kBool || b.kind() == Scalar::Kind::Bool);
  return binary("sub", Op::Sub, a, b);
}
Tensor operator*(const Tensor& a, Scalar b) { return binary("mul", Op::Mul, a, b); }
Tensor operator/(const Tensor& a, Scalar b) { return binary("div", Op::Div, a, b, Out::Float); }
Tensor operator+(Scalar a, const Tensor& b) { return binary("add", Op::Add, a, b); }
Tensor operator-(Scalar a, const Tensor& b) {
  detail::check_defined("sub", b);
  check_no_bool_sub(b.dtype() == kBool || a.kind() == Scalar::Kind::Bool);
  return binary("sub", Op::Sub, a, b);
}
Tensor operator*(Scalar a, const Tensor& b) { return binary("mul", Op::Mul, a, b); }
Tensor operator/(Scalar a, const Tensor& b) { return binary("div", Op::Div, a, b, Out::Float); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor lt(const Tensor& a, Scalar b) { return binary("lt", Op::Lt, a, b, Out::Bool); }
Tensor le(const Tensor& a, Scalar b) { return binary("le", Op::Le, a, b, Out::Bool); }
Tensor gt(const Tensor& a, Scalar b) { return binary("gt", Op::Gt, a, b, Out::Bool); }
Tensor ge(const Tensor& a, Scalar b) { return binary("ge", Op::Ge, a, b, Out::Bool); }
Tensor eq(const Tensor& a, Scalar b) { return binary("eq", Op::Eq, a, b, Out::Bool); }
Tensor ne(const Tensor& a, Scalar b) { return binary("ne", Op::Ne, a, b, Out::Bool); }
Tensor operator<(const Tensor& a, Scalar b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, Scalar b) { return le(a, b); }
Tensor operator>(const Tensor& a, Scalar b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, Scalar b) { return ge(a, b); }
Tensor operator==(const Tensor& a, Scalar b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, Scalar b) { return ne(a, b); }
Tensor operator<(Scalar a, const Tensor& b) { return binary("lt", Op::Lt, a, b, Out::Bool); }
Tensor operator<=(Scalar a, const Tensor& b) { return binary("le", Op::Le, a, b, Out::Bool); }
Tensor operator>(Scalar a, const Tensor& b) { return binary("gt", Op::Gt, a, b, Out::Bool); }
Tensor operator>=(Scalar a, const Tensor& b) { return binary("ge", Op::Ge, a, b, Out::Bool); }
Tensor operator==(Scalar a, const Tensor& b) { return binary("eq", Op::Eq, a, b, Out::Bool); }
Tensor operator!=(Scalar a, const Tensor& b) { return binary("ne", Op::Ne, a, b, Out::Bool); }

}  // namespace kiln
