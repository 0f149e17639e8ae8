// Vectorizable transcendentals for the LLVM backend. Each function is an internal,
// always-inline IR function of straight-line code (range reduction, a polynomial, selects for
// the special cases; no branches and no libm calls), so once the optimizer inlines it the loop
// vectorizer turns it into AVX-512 code. Polynomials are Taylor series truncated past the
// type's precision, or fits made with mpmath/numpy (erf). Accuracy, measured by the tests
// against libm: f32 within 2-3 ulp, f64 within about 4e-16 relative (pow: (1 + |b log a|) ulp).
// No fast-math flags inside: the range reductions rely on exact IEEE rounding.
#include <cmath>
#include <string>
#include <vector>

#include "codegen/llvm/llvm_backend.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::llvm_backend {

namespace {

using llvm::Value;
constexpr long double kPiL = 3.141592653589793238462643383279502884L;
constexpr long double kLn2L = 0.693147180559945309417232121458176568L;

#include "codegen/llvm/erf_f32_coeffs.inc"
#include "codegen/llvm/erfc_coeffs.inc"
#include "codegen/llvm/exp_f32_coeffs.inc"

/// Builds straight-line math in one type (float or double).
struct Poly {
  llvm::IRBuilder<>& b;
  llvm::Type* t;
  bool f64;
  llvm::Type* it;  // same-width integer
  int mant;        // explicit mantissa bits
  int bias;

  Poly(llvm::IRBuilder<>& builder, llvm::Type* type)
      : b(builder),
        t(type),
        f64(type->isDoubleTy()),
        it(b.getIntNTy(f64 ? 64 : 32)),
        mant(f64 ? 52 : 23),
        bias(f64 ? 1023 : 127) {}

  Value* c(double v) { return llvm::ConstantFP::get(t, v); }
  /// The long double constant split into a head (the nearest T) and the tail.
  std::pair<Value*, Value*> split(long double v) {
    double hi = f64 ? static_cast<double>(v) : static_cast<double>(static_cast<float>(v));
    long double rest = v - hi;
    double lo = f64 ? static_cast<double>(rest) : static_cast<double>(static_cast<float>(rest));
    return {c(hi), c(lo)};
  }
  Value* fma(Value* a, Value* x, Value* y) {
    return b.CreateIntrinsic(llvm::Intrinsic::fma, {t}, {a, x, y});
  }
  Value* unary(llvm::Intrinsic::ID id, Value* x) { return b.CreateUnaryIntrinsic(id, x); }
  Value* horner(Value* x, llvm::ArrayRef<double> coeffs) { return emit_horner(b, x, coeffs); }
  Value* sel(Value* cond, Value* a, Value* x) { return b.CreateSelect(cond, a, x); }
  Value* is_nan(Value* x) { return b.CreateFCmpUNO(x, x); }
  /// x clamped to [lo, hi]; NaN stays NaN.
  Value* clamp(Value* x, double lo, double hi) {
    x = sel(b.CreateFCmpOLT(x, c(lo)), c(lo), x);
    return sel(b.CreateFCmpOGT(x, c(hi)), c(hi), x);
  }
  /// 2^n for an integral n with -bias < n <= bias (as a float value).
  Value* pow2(Value* n) {
    Value* e = b.CreateAdd(b.CreateFPToSI(n, it), llvm::ConstantInt::get(it, bias));
    return b.CreateBitCast(b.CreateShl(e, mant), t);
  }
  /// v * 2^n for an integral n with |n| < 2 * bias - 2, in two exact steps.
  Value* scale(Value* v, Value* n) {
    Value* n1 = unary(llvm::Intrinsic::trunc, b.CreateFMul(n, c(0.5)));
    Value* n2 = b.CreateFSub(n, n1);
    return b.CreateFMul(b.CreateFMul(v, pow2(n1)), pow2(n2));
  }
  /// p * 2^n for p in [0.5, 2) (an exp polynomial's value) and integral n down to -bias - mant
  /// (and up to bias + 1, where the caller replaces the result): n is added to p's exponent
  /// bits; below the normal range it goes through 2^64 and one rounding multiplication by
  /// 2^-64, which makes the subnormal result. 8 operations where two exact scalings take 11.
  Value* scale_exp(Value* p, Value* n) {
    Value* tiny = b.CreateFCmpOLT(n, c(2 - bias));
    Value* shifted = sel(tiny, b.CreateFAdd(n, c(64)), n);
    Value* e = b.CreateShl(b.CreateFPToSI(shifted, it), mant);
    Value* r = b.CreateBitCast(b.CreateAdd(b.CreateBitCast(p, it), e), t);
    return b.CreateFMul(r, sel(tiny, c(0x1p-64), c(1)));
  }
  /// exp(r) for |r| <= ln2 / 2: Taylor to degree 13 in f64, kExpF32Poly in f32.
  Value* exp_poly(Value* r) {
    if (f64) return horner(r, inv_factorials(13, 0));
    return horner(r, {std::begin(kExpF32Poly), std::end(kExpF32Poly)});
  }

  /// Taylor coefficients 1/k! for k = hi down to lo.
  static std::vector<double> inv_factorials(int hi, int lo) {
    std::vector<double> out;
    for (int k = hi; k >= lo; --k) out.push_back(1.0 / std::tgamma(k + 1.0));
    return out;
  }

  /// (x reduced by ln2: r = x - n ln2, |r| <= ln2/2, and n).
  std::pair<Value*, Value*> reduce_ln2(Value* x) {
    Value* n = unary(llvm::Intrinsic::roundeven, b.CreateFMul(x, c(1.0 / std::log(2.0))));
    auto [hi, lo] = split(kLn2L);
    Value* nn = b.CreateFNeg(n);
    return {fma(nn, lo, fma(nn, hi, x)), n};
  }

  Value* exp(Value* x) {
    // The largest T whose exp is finite (above it, scale_exp's exponent would overflow).
    double hi_lim = f64 ? 709.782712893384 : 88.72283172607422;
    double lo_lim = f64 ? -745.2 : -103.98;
    Value* xc = clamp(sel(is_nan(x), c(0), x), lo_lim - 1, hi_lim + 1);
    auto [r, n] = reduce_ln2(xc);
    Value* res = scale_exp(exp_poly(r), n);
    res = sel(b.CreateFCmpOGT(x, c(hi_lim)), c(INFINITY), res);
    res = sel(b.CreateFCmpOLT(x, c(lo_lim)), c(0), res);
    return sel(is_nan(x), x, res);
  }

  Value* expm1(Value* x) {
    double hi_lim = f64 ? 709.782712893384 : 88.72283905206835;
    double lo_lim = -(mant + 3) * std::log(2.0);  // below: -1 exactly
    Value* xc = clamp(sel(is_nan(x), c(0), x), lo_lim, hi_lim + 1);
    auto [r, n] = reduce_ln2(xc);
    // expm1(r) = r + r^2 (1/2 + r/6 + ...)
    Value* q = horner(r, inv_factorials(f64 ? 14 : 8, 2));
    Value* p = fma(b.CreateFMul(r, r), q, r);
    // expm1(x) = (p + (1 - 2^-n)) 2^n
    Value* one_minus = b.CreateFSub(c(1), scale(c(1), b.CreateFNeg(n)));
    Value* res = scale(b.CreateFAdd(p, one_minus), n);
    res = sel(b.CreateFCmpOGT(x, c(hi_lim)), c(INFINITY), res);
    res = sel(b.CreateFCmpOLT(x, c(lo_lim)), c(-1), res);
    return sel(is_nan(x), x, res);
  }

  Value* log(Value* x) {
    // Subnormals are scaled into the normal range first.
    double min_normal = f64 ? 2.2250738585072014e-308 : 1.17549435e-38;
    int sub_shift = mant + 2;
    Value* sub = b.CreateFCmpOLT(x, c(min_normal));
    Value* xs = sel(sub, b.CreateFMul(x, c(std::ldexp(1.0, sub_shift))), x);
    Value* bits = b.CreateBitCast(xs, it);
    Value* e_int = b.CreateSub(b.CreateLShr(bits, mant), llvm::ConstantInt::get(it, bias));
    Value* m_bits =
        b.CreateOr(b.CreateAnd(bits, llvm::ConstantInt::get(it, (uint64_t{1} << mant) - 1)),
                   llvm::ConstantInt::get(it, static_cast<uint64_t>(bias) << mant));
    Value* m = b.CreateBitCast(m_bits, t);  // [1, 2)
    Value* e = b.CreateSIToFP(e_int, t);
    e = sel(sub, b.CreateFSub(e, c(sub_shift)), e);
    Value* big = b.CreateFCmpOGT(m, c(std::sqrt(2.0)));
    m = sel(big, b.CreateFMul(m, c(0.5)), m);
    e = sel(big, b.CreateFAdd(e, c(1)), e);
    Value* f = b.CreateFSub(m, c(1));  // [sqrt(1/2) - 1, sqrt(2) - 1]
    // log(1 + f) = f - hfsq + s (hfsq + R), s = f / (2 + f), R = sum 2 s^2k / (2k + 1)
    Value* s = b.CreateFDiv(f, b.CreateFAdd(c(2), f));
    Value* z = b.CreateFMul(s, s);
    std::vector<double> rc;
    for (int k = f64 ? 11 : 5; k >= 1; --k) rc.push_back(2.0 / (2 * k + 1));
    Value* R = b.CreateFMul(z, horner(z, rc));
    Value* hfsq = b.CreateFMul(c(0.5), b.CreateFMul(f, f));
    auto [ln2_hi, ln2_lo] = split(kLn2L);
    // e ln2_hi - ((hfsq - (s (hfsq + R) + e ln2_lo)) - f)
    Value* t1 = fma(s, b.CreateFAdd(hfsq, R), b.CreateFMul(e, ln2_lo));
    Value* res = fma(e, ln2_hi, b.CreateFNeg(b.CreateFSub(b.CreateFSub(hfsq, t1), f)));
    res = sel(b.CreateFCmpOEQ(x, c(INFINITY)), x, res);
    res = sel(b.CreateFCmpOEQ(x, c(0)), c(-INFINITY), res);
    res = sel(b.CreateFCmpOLT(x, c(0)), c(NAN), res);
    return sel(is_nan(x), x, res);
  }

  Value* log1p(Value* x) {
    Value* u = b.CreateFAdd(c(1), x);
    Value* d = b.CreateFSub(u, c(1));
    Value* res = b.CreateFMul(log(u), b.CreateFDiv(x, d));
    res = sel(b.CreateFCmpOEQ(d, c(0)), x, res);
    return sel(b.CreateFCmpOEQ(x, c(INFINITY)), x, res);
  }

  /// sin(x) for quadrant_offset 0, cos(x) for 1.
  Value* sincos(Value* x, int quadrant_offset) {
    Value* finite = b.CreateFCmpOLT(unary(llvm::Intrinsic::fabs, x), c(INFINITY));
    Value* xf = sel(finite, x, c(0));
    Value* n = unary(llvm::Intrinsic::roundeven, b.CreateFMul(xf, c(2.0 / M_PI)));
    Value* nn = b.CreateFNeg(n);
    Value* r = nullptr;
    if (f64) {  // fdlibm's pio2_1, pio2_2, pio2_3 (33 bits each)
      r = fma(nn, c(1.57079632673412561417e+00), xf);
      r = fma(nn, c(6.07710050630396597660e-11), r);
      r = fma(nn, c(2.02226624871116645580e-21), r);
    } else {
      long double half_pi = kPiL / 2;
      float c1 = static_cast<float>(half_pi);
      float c2 = static_cast<float>(half_pi - c1);
      float c3 = static_cast<float>(half_pi - c1 - c2);
      r = fma(nn, c(c1), xf);
      r = fma(nn, c(c2), r);
      r = fma(nn, c(c3), r);
    }
    // Quadrant (n + offset) mod 4, computed in floating point (exact for integral n).
    Value* nq = b.CreateFAdd(n, c(quadrant_offset));
    Value* qf = b.CreateFSub(
        nq, b.CreateFMul(c(4), unary(llvm::Intrinsic::floor, b.CreateFMul(nq, c(0.25)))));
    Value* q = b.CreateFPToSI(qf, b.getInt32Ty());
    Value* z = b.CreateFMul(r, r);
    std::vector<double> sc, cc;
    for (int k = f64 ? 8 : 4; k >= 1; --k)
      sc.push_back((k % 2 ? -1.0 : 1.0) / std::tgamma(2 * k + 2.0));
    for (int k = f64 ? 9 : 5; k >= 0; --k)
      cc.push_back((k % 2 ? -1.0 : 1.0) / std::tgamma(2 * k + 1.0));
    Value* sin_r = fma(b.CreateFMul(r, z), horner(z, sc), r);
    Value* cos_r = horner(z, cc);
    Value* odd = b.CreateICmpNE(b.CreateAnd(q, b.getInt32(1)), b.getInt32(0));
    Value* neg = b.CreateICmpNE(b.CreateAnd(q, b.getInt32(2)), b.getInt32(0));
    Value* res = sel(odd, cos_r, sin_r);
    res = sel(neg, b.CreateFNeg(res), res);
    return sel(finite, res, b.CreateFSub(x, x));
  }

  Value* tanh(Value* x) {
    double lim = f64 ? 20.0 : 10.0;
    Value* e = expm1(b.CreateFMul(c(2), clamp(x, -lim, lim)));
    return b.CreateFDiv(e, b.CreateFAdd(e, c(2)));
  }

  Value* sigmoid(Value* x) {
    if (!f64) return sigmoid_f32(x);
    // e = exp(-|x|) never overflows; sigmoid(x) = 1 / (1 + e) for x >= 0, e / (1 + e) below.
    Value* e = exp(b.CreateFNeg(unary(llvm::Intrinsic::fabs, x)));
    Value* s = b.CreateFDiv(c(1), b.CreateFAdd(c(1), e));
    return sel(b.CreateFCmpOGE(x, c(0)), s, b.CreateFMul(e, s));
  }

  /// f32 sigmoid without a division: e = exp(-|x|) (exp's reduction and polynomial, for a
  /// non-positive argument clamped at -104 where it underflows; NaN goes there too), then
  /// r = 1 / d for d = 1 + e in [1, 2] from a quadratic minimax start (relative error 0.0101)
  /// and two Newton steps. sigmoid = r for x >= 0, e r below. Max 2.48 ulp (every 251st f32).
  Value* sigmoid_f32(Value* x) {
    Value* a = b.CreateFNeg(unary(llvm::Intrinsic::fabs, x));
    a = sel(b.CreateFCmpOGE(a, c(-104)), a, c(-104));
    auto [r, n] = reduce_ln2(a);
    Value* e = scale_exp(exp_poly(r), n);
    Value* d = b.CreateFAdd(c(1), e);
    Value* q = horner(d, {0.323231906, -1.45454419, 2.12121129});
    for (int i = 0; i < 2; ++i) q = fma(q, fma(b.CreateFNeg(d), q, c(1)), q);
    Value* res = sel(b.CreateFCmpOGE(x, c(0)), q, b.CreateFMul(e, q));
    return sel(is_nan(x), x, res);
  }

  /// f32 erf from two polynomials, no division or exp (coefficients in erf_f32_coeffs.inc):
  /// x + x P(x^2) below 1, Q(|x| - mid) up to where erf rounds to 1, then 1; sign copied.
  /// Max 0.99 ulp below 1 and 1.47 ulp above (every f32 in [0, 4] against double erf).
  Value* erf_f32(Value* x) {
    Value* a = unary(llvm::Intrinsic::fabs, x);
    Value* p = horner(b.CreateFMul(x, x), {std::begin(kErfF32Small), std::end(kErfF32Small)});
    Value* small = fma(x, p, x);
    Value* q =
        horner(b.CreateFSub(a, c(kErfF32Mid)), {std::begin(kErfF32Big), std::end(kErfF32Big)});
    q = sel(b.CreateFCmpOGT(q, c(1)), c(1), q);
    q = sel(b.CreateFCmpOGT(a, c(kErfF32One)), c(1), q);  // NaN stays in q
    Value* big = b.CreateIntrinsic(llvm::Intrinsic::copysign, {t}, {q, x});
    return sel(b.CreateFCmpOLT(a, c(1)), small, big);
  }

  Value* erf(Value* x) {
    if (!f64) return erf_f32(x);
    Value* a = unary(llvm::Intrinsic::fabs, x);
    // |x| < 1: Taylor series x sum (-1)^n 2 / sqrt(pi) x^2n / (n! (2n + 1)).
    std::vector<double> tc;
    for (int n = 17; n >= 0; --n) {
      tc.push_back((n % 2 ? -1.0 : 1.0) * 2.0 / std::sqrt(M_PI) /
                   (std::tgamma(n + 1.0) * (2 * n + 1)));
    }
    Value* small = b.CreateFMul(x, horner(b.CreateFMul(x, x), tc));
    // |x| >= 1: erf = 1 - exp(-x^2) P(1/x), P a Chebyshev fit on two intervals of u = 1/x.
    Value* ac = clamp(a, 1.0, 6.0);
    Value* u = b.CreateFDiv(c(1), ac);
    Value* lower = b.CreateFCmpOLT(u, c(0.4));
    const double(*coeffs)[2] = kErfcF64;
    const double* mid = kErfcF64Mid;
    size_t count = std::size(kErfcF64);
    Value* v = b.CreateFSub(u, sel(lower, c(mid[0]), c(mid[1])));
    Value* p = sel(lower, c(coeffs[0][0]), c(coeffs[0][1]));
    for (size_t i = 1; i < count; ++i) p = fma(p, v, sel(lower, c(coeffs[i][0]), c(coeffs[i][1])));
    Value* sq_hi = b.CreateFMul(ac, ac);
    Value* sq_lo = fma(ac, ac, b.CreateFNeg(sq_hi));
    Value* ex = b.CreateFMul(exp(b.CreateFNeg(sq_hi)), b.CreateFSub(c(1), sq_lo));
    Value* big = b.CreateFSub(c(1), b.CreateFMul(ex, p));
    big = b.CreateIntrinsic(llvm::Intrinsic::copysign, {t}, {big, x});
    return sel(b.CreateFCmpOLT(a, c(1)), small, big);
  }

  /// pow in this type (callers widen f32 to f64 first).
  Value* pow(Value* x, Value* y) {
    Value* ax = unary(llvm::Intrinsic::fabs, x);
    Value* r = exp(b.CreateFMul(y, log(ax)));
    Value* y_int = b.CreateFCmpOEQ(unary(llvm::Intrinsic::floor, y), y);
    Value* half = b.CreateFMul(y, c(0.5));
    Value* y_odd = b.CreateAnd(y_int, b.CreateFCmpONE(unary(llvm::Intrinsic::floor, half), half));
    Value* neg_x = b.CreateICmpSLT(b.CreateBitCast(x, it), llvm::ConstantInt::get(it, 0));
    r = sel(b.CreateAnd(neg_x, y_odd), b.CreateFNeg(r), r);
    r = sel(b.CreateAnd(b.CreateFCmpOLT(x, c(0)), b.CreateNot(y_int)), c(NAN), r);
    Value* y_inf = b.CreateFCmpOEQ(unary(llvm::Intrinsic::fabs, y), c(INFINITY));
    Value* one = b.CreateOr(b.CreateOr(b.CreateFCmpOEQ(x, c(1)), b.CreateFCmpOEQ(y, c(0))),
                            b.CreateAnd(b.CreateFCmpOEQ(ax, c(1)), y_inf));
    return sel(one, c(1), r);
  }
};

const char* fn_name(MathFn fn) {
  switch (fn) {
    case MathFn::Exp: return "exp";
    case MathFn::Expm1: return "expm1";
    case MathFn::Log: return "log";
    case MathFn::Log1p: return "log1p";
    case MathFn::Sin: return "sin";
    case MathFn::Cos: return "cos";
    case MathFn::Tanh: return "tanh";
    case MathFn::Sigmoid: return "sigmoid";
    case MathFn::Erf: return "erf";
    case MathFn::Pow: return "pow";
  }
  return "?";
}

Value* build_body(Poly& p, MathFn fn, Value* x, Value* y) {
  switch (fn) {
    case MathFn::Exp: return p.exp(x);
    case MathFn::Expm1: return p.expm1(x);
    case MathFn::Log: return p.log(x);
    case MathFn::Log1p: return p.log1p(x);
    case MathFn::Sin: return p.sincos(x, 0);
    case MathFn::Cos: return p.sincos(x, 1);
    case MathFn::Tanh: return p.tanh(x);
    case MathFn::Sigmoid: return p.sigmoid(x);
    case MathFn::Erf: return p.erf(x);
    case MathFn::Pow: return p.pow(x, y);
  }
  return nullptr;
}

/// The module's internal always-inline function for (fn, type), created on first use.
llvm::Function* math_function(llvm::Module& m, MathFn fn, llvm::Type* t) {
  std::string name = std::string("kiln.math.") + fn_name(fn) + (t->isDoubleTy() ? ".f64" : ".f32");
  if (llvm::Function* f = m.getFunction(name)) return f;
  bool binary = fn == MathFn::Pow;
  std::vector<llvm::Type*> args(binary ? 2 : 1, t);
  auto* f = llvm::Function::Create(llvm::FunctionType::get(t, args, false),
                                   llvm::GlobalValue::InternalLinkage, name, m);
  f->addFnAttr(llvm::Attribute::AlwaysInline);
  f->addFnAttr(llvm::Attribute::NoUnwind);
  f->setDoesNotAccessMemory();
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(m.getContext(), "entry", f));
  Poly p(b, t);
  Value* y = binary ? f->getArg(1) : nullptr;
  b.CreateRet(build_body(p, fn, f->getArg(0), y));
  add_vector_variant(m, fn, *f);
  return f;
}

}  // namespace

Value* emit_math(llvm::IRBuilder<>& b, MathFn fn, Value* x, Value* y) {
  llvm::Module& m = *b.GetInsertBlock()->getModule();
  llvm::Type* t = x->getType();
  KILN_CHECK(t->isFloatTy() || t->isDoubleTy(), "emit_math: float or double operand expected");
  if (fn == MathFn::Pow && t->isFloatTy()) {  // f32 pow through f64 keeps it within an ulp
    llvm::Type* d = b.getDoubleTy();
    Value* r = b.CreateCall(math_function(m, fn, d), {b.CreateFPExt(x, d), b.CreateFPExt(y, d)});
    return b.CreateFPTrunc(r, t);
  }
  if (fn == MathFn::Pow) return b.CreateCall(math_function(m, fn, t), {x, y});
  return b.CreateCall(math_function(m, fn, t), {x});
}

Value* emit_horner(llvm::IRBuilder<>& b, Value* x, llvm::ArrayRef<double> coeffs) {
  llvm::Type* t = x->getType();
  Value* acc = llvm::ConstantFP::get(t, coeffs[0]);
  for (size_t i = 1; i < coeffs.size(); ++i) {
    acc =
        b.CreateIntrinsic(llvm::Intrinsic::fma, {t}, {acc, x, llvm::ConstantFP::get(t, coeffs[i])});
  }
  return acc;
}

Value* emit_ipow(llvm::IRBuilder<>& b, Value* base, Value* exp) {
  // Square-and-multiply over the exponent's bits, unrolled (no loop, so it vectorizes).
  llvm::Type* t = base->getType();
  unsigned bits = t->getIntegerBitWidth();
  Value* zero = llvm::ConstantInt::get(t, 0);
  Value* one = llvm::ConstantInt::get(t, 1);
  Value* result = one;
  Value* sq = base;
  for (unsigned i = 0; i + 1 < bits; ++i) {
    Value* bit = b.CreateICmpNE(b.CreateAnd(b.CreateLShr(exp, i), one), zero);
    result = b.CreateSelect(bit, b.CreateMul(result, sq), result);
    sq = b.CreateMul(sq, sq);
  }
  // Negative exponents: 1 for base 1, +-1 for base -1, else 0.
  Value* neg = b.CreateICmpSLT(exp, zero);
  Value* odd = b.CreateICmpNE(b.CreateAnd(exp, one), zero);
  Value* minus_one = llvm::ConstantInt::get(t, -1, true);
  Value* neg_result = b.CreateSelect(
      b.CreateICmpEQ(base, one), one,
      b.CreateSelect(b.CreateICmpEQ(base, minus_one), b.CreateSelect(odd, minus_one, one), zero));
  return b.CreateSelect(neg, neg_result, result);
}

}  // namespace kiln::codegen::llvm_backend
