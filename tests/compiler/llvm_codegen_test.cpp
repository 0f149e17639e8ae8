// The LLVM backend: hand-built kernels compiled, JIT-loaded and run, against std:: math in
// double (per-dtype tolerances) and, for Philox, bit-exactly against the interpreter's formula.
#if KILN_WITH_LLVM

#include "kiln/compiler/codegen/llvm_codegen.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/llvm_test_util.h"
#include "kiln/runtime/cpu_jit.h"
#include "kiln/runtime/philox.h"
#include "kiln/runtime/thread_pool.h"

using namespace kiln;
using namespace kiln::test;
using kir::BinOp;
using kir::LoopKind;
using Op = ir::Op;

namespace {

std::vector<double> sample(double lo, double hi, int n, bool log_scale = false) {
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(log_scale ? std::pow(10.0, d(rng)) : d(rng));
  return v;
}

struct UnaryCase {
  Op op;
  double lo, hi;
  bool log_scale;
  double (*ref)(double);
};

const UnaryCase kUnary[] = {
    {Op::Neg, -10, 10, false, [](double x) { return -x; }},
    {Op::Exp, -110, 90, false, [](double x) { return std::exp(x); }},
    {Op::Log, -40, 38, true, [](double x) { return std::log(x); }},
    {Op::Log1p, -0.999, 100, false, [](double x) { return std::log1p(x); }},
    {Op::Expm1, -20, 89, false, [](double x) { return std::expm1(x); }},
    {Op::Sqrt, 0, 1000, false, [](double x) { return std::sqrt(x); }},
    {Op::Rsqrt, 0, 1000, false, [](double x) { return 1.0 / std::sqrt(x); }},
    {Op::Abs, -10, 10, false, [](double x) { return std::fabs(x); }},
    {Op::Sign, -10, 10, false,
     [](double x) { return double((x > 0) - (x < 0)); }},  // sign(NaN) = 0 (PyTorch)
    {Op::Sin, -100, 100, false, [](double x) { return std::sin(x); }},
    {Op::Cos, -100, 100, false, [](double x) { return std::cos(x); }},
    {Op::Tanh, -20, 20, false, [](double x) { return std::tanh(x); }},
    {Op::Sigmoid, -100, 100, false, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
    {Op::Erf, -7, 7, false, [](double x) { return std::erf(x); }},
    {Op::Floor, -10, 10, false, [](double x) { return std::floor(x); }},
    {Op::Ceil, -10, 10, false, [](double x) { return std::ceil(x); }},
    {Op::Round, -10, 10, false, [](double x) { return std::nearbyint(x); }},
    {Op::Reciprocal, -10, 10, false, [](double x) { return 1.0 / x; }},
    {Op::Not, -2, 2, false, [](double x) { return x == 0.0 ? 1.0 : 0.0; }},
};

}  // namespace

TEST_CASE("llvm: every unary op on f32 and f64 matches std:: math", "[llvm]") {
  for (DType t : {DType::Float32, DType::Float64}) {
    for (const UnaryCase& c : kUnary) {
      bool f64 = t == DType::Float64;
      double lo = c.lo, hi = c.hi;
      if (f64 && c.op == Op::Exp) lo = -750, hi = 710;
      if (f64 && c.op == Op::Log) lo = -310, hi = 308;
      std::vector<double> xs = sample(lo, hi, 1500, c.log_scale);
      for (double s : std::initializer_list<double>{0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5,
                                                    1e-8, -1e-8, 1e-30, INFINITY, -INFINITY, NAN}) {
        xs.push_back(s);
      }
      Buf in(t, xs.size()), out(t, xs.size());
      for (size_t i = 0; i < xs.size(); ++i) in.set(i, xs[i]);
      std::string name = std::string("t_unary_") + ir::op_name(c.op) + "_" + short_name(t);
      run(map_kernel(name, t, t, xs.size(), [&](kir::Expr x) { return kir::unary(c.op, x); }),
          {&in, &out});
      double rel = f64 ? 2e-15 : 3.6e-7;  // about 3 ulp
      double abs = f64 ? 1e-320 : 3e-45;
      if (c.op == Op::Sin || c.op == Op::Cos) abs = f64 ? 1e-16 : 1e-12;
      for (size_t i = 0; i < xs.size(); ++i) {
        double x = in.get(i), want = c.ref(x);
        if (!f64) want = static_cast<float>(want);
        INFO(name << "(" << x << ") = " << out.get(i) << ", want " << want);
        CHECK(near(out.get(i), want, rel, abs));
      }
    }
  }
}

TEST_CASE("llvm: binary float ops, NaN-propagating max/min, comparisons and pow", "[llvm]") {
  const int64_t n = 1030;
  std::vector<double> a = sample(-5, 5, n), b = sample(0.1, 4, n);
  for (int64_t i = 0; i < n; i += 2) b[i] = -b[i];
  a[3] = NAN, b[5] = NAN, a[7] = INFINITY;
  for (int64_t i = 10; i < 40; ++i) b[i] = std::round(b[i]);  // integer exponents of negative bases
  for (DType t : {DType::Float32, DType::Float64}) {
    for (BinOp op : {BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Max, BinOp::Min,
                     BinOp::Pow, BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge, BinOp::Eq, BinOp::Ne,
                     BinOp::And, BinOp::Or}) {
      DType out_t = kir::binop_is_predicate(op) ? DType::Bool : t;
      kir::Expr i = kir::var(0, n);
      kir::Kernel k;
      k.name = std::string("t_binary_") + std::to_string(static_cast<int>(op)) + short_name(t);
      k.params = {param(t, n, false), param(t, n, false), param(out_t, n, true)};
      k.body =
          kir::loop(0, n, LoopKind::Vectorizable,
                    {kir::store(2, i, kir::binary(op, kir::load(0, t, i), kir::load(1, t, i)))});
      Buf ba(t, n), bb(t, n), out(out_t, n);
      for (int64_t j = 0; j < n; ++j) ba.set(j, a[j]), bb.set(j, b[j]);
      run(k, {&ba, &bb, &out});
      for (int64_t j = 0; j < n; ++j) {
        double x = ba.get(j), y = bb.get(j), want = 0;
        switch (op) {
          case BinOp::Add: want = x + y; break;
          case BinOp::Sub: want = x - y; break;
          case BinOp::Mul: want = x * y; break;
          case BinOp::Div: want = x / y; break;
          case BinOp::Max: want = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
          case BinOp::Min: want = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
          case BinOp::Pow: want = std::pow(x, y); break;
          case BinOp::Lt: want = x < y; break;
          case BinOp::Le: want = x <= y; break;
          case BinOp::Gt: want = x > y; break;
          case BinOp::Ge: want = x >= y; break;
          case BinOp::Eq: want = x == y; break;
          case BinOp::Ne: want = x != y; break;
          case BinOp::And: want = x != 0 && y != 0; break;
          case BinOp::Or: want = x != 0 || y != 0; break;
          case BinOp::Mod: break;
        }
        if (out_t == DType::Float32) want = static_cast<float>(want);
        INFO(k.name << ": " << x << " op " << y << " = " << out.get(j) << ", want " << want);
        CHECK(near(out.get(j), want, t == DType::Float64 ? 1e-14 : 3.6e-7, 0));
      }
    }
  }
}

TEST_CASE("llvm: integer arithmetic, index div/mod and select", "[llvm]") {
  const int64_t rows = 7, cols = 150, n = rows * cols;
  kir::Expr i = kir::var(0, n);
  // Transpose through index math: out[i] = in[(i % rows) * cols + i / rows].
  kir::Kernel tr = map_kernel("t_index_divmod", DType::Float32, DType::Float32, n, [&](kir::Expr) {
    return kir::load(0, DType::Float32,
                     kir::add(kir::mul(kir::mod(i, kir::int_imm(rows)), kir::int_imm(cols)),
                              kir::div(i, kir::int_imm(rows))));
  });
  Buf in(DType::Float32, n), out(DType::Float32, n);
  for (int64_t j = 0; j < n; ++j) in.set(j, static_cast<double>(j));
  run(tr, {&in, &out});
  for (int64_t j = 0; j < n; ++j)
    CHECK(out.get(j) == static_cast<double>((j % rows) * cols + j / rows));

  for (DType t : {DType::Int32, DType::Int64, DType::UInt8}) {
    for (BinOp op : {BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Mod, BinOp::Max,
                     BinOp::Min, BinOp::Pow}) {
      kir::Kernel k;
      k.name = std::string("t_int_") + std::to_string(static_cast<int>(op)) + short_name(t);
      k.params = {param(t, n, false), param(t, n, false), param(t, n, true)};
      k.body =
          kir::loop(0, n, LoopKind::Vectorizable,
                    {kir::store(2, i, kir::binary(op, kir::load(0, t, i), kir::load(1, t, i)))});
      Buf ba(t, n), bb(t, n), out(t, n);
      bool neg = t != DType::UInt8 && op != BinOp::Mod;
      for (int64_t j = 0; j < n; ++j) {
        ba.set(j, neg ? (j * 37 % 201) - 100 : j * 37 % 201);
        bb.set(j, op == BinOp::Pow ? j % 5 - (neg ? 1 : 0) : 1 + j % 13);
      }
      run(k, {&ba, &bb, &out});
      for (int64_t j = 0; j < n; ++j) {
        auto x = static_cast<int64_t>(ba.get(j)), y = static_cast<int64_t>(bb.get(j));
        int64_t want = 0;
        switch (op) {
          case BinOp::Add: want = x + y; break;
          case BinOp::Sub: want = x - y; break;
          case BinOp::Mul: want = x * y; break;
          case BinOp::Div: want = x / y; break;
          case BinOp::Mod: want = x % y; break;
          case BinOp::Max: want = std::max(x, y); break;
          case BinOp::Min: want = std::min(x, y); break;
          case BinOp::Pow:
            want = y < 0 ? (x == 1    ? 1
                            : x == -1 ? (y % 2 ? -1 : 1)
                                      : 0)
                         : static_cast<int64_t>(std::pow(x, y));
            break;
          default: break;
        }
        INFO(k.name << ": " << x << " op " << y);
        CHECK(out.get(j) == round_to_dtype(static_cast<double>(want), t));
      }
    }
  }

  kir::Kernel sel = map_kernel("t_select", DType::Float32, DType::Float32, n, [&](kir::Expr x) {
    return kir::select(kir::binary(BinOp::Gt, x, kir::float_imm(0, DType::Float32)), x,
                       kir::binary(BinOp::Mul, x, kir::float_imm(0.25, DType::Float32)));
  });
  for (int64_t j = 0; j < n; ++j) in.set(j, static_cast<double>(j % 11) - 5);
  run(sel, {&in, &out});
  for (int64_t j = 0; j < n; ++j)
    CHECK(out.get(j) == (in.get(j) > 0 ? in.get(j) : in.get(j) * 0.25));
}

#endif  // KILN_WITH_LLVM
