// The simplify pass: constant folding, identities, dead code.
#include "kiln/compiler/simplify.h"

#include <catch2/catch.hpp>

#include "kiln/compiler/graph.h"

using namespace kiln;
using namespace kiln::ir;

namespace {
NodeRef leaf(Shape s) {
  auto buf = std::make_shared<runtime::Buffer>(DType::Float32, numel_of(s));
  return load(buf, s);
}
NodeRef c(double v, Shape s = {2, 3}) { return constant(v, DType::Float32, s, Device()); }
}  // namespace

TEST_CASE("constants fold", "[simplify]") {
  auto x = binary(Op::Mul, binary(Op::Add, c(2), c(3)), c(4));
  auto out = simplify({unary(Op::Exp, unary(Op::Neg, x))})[0];
  REQUIRE(out->op() == Op::Const);
  REQUIRE(out->attrs().scalar == Approx(std::exp(-20.0)));
  REQUIRE(out->shape() == Shape{2, 3});
}

TEST_CASE("movement of a constant is a constant", "[simplify]") {
  auto e = expand(reshape(constant(1.5, DType::Float32, {3}, Device()), {1, 3}), {2, 3});
  auto out = simplify({e})[0];
  REQUIRE(out->op() == Op::Const);
  REQUIRE(out->shape() == Shape{2, 3});
}

TEST_CASE("identities", "[simplify]") {
  auto x = leaf({2, 3});
  REQUIRE(simplify({binary(Op::Add, x, c(0))})[0] == x);
  REQUIRE(simplify({binary(Op::Mul, c(1), x)})[0] == x);
  REQUIRE(simplify({binary(Op::Div, x, c(1))})[0] == x);
  REQUIRE(simplify({unary(Op::Neg, unary(Op::Neg, x))})[0] == x);
  auto t = constant(1, DType::Bool, {2, 3}, Device());
  REQUIRE(simplify({where(t, x, c(5))})[0] == x);
  REQUIRE(simplify({cast(cast(x, DType::Float64), DType::Float32)})[0] == x);
}

TEST_CASE("float x * 0 is kept (NaN * 0 is NaN)", "[simplify]") {
  auto x = leaf({2, 3});
  auto m = binary(Op::Mul, x, c(0));
  REQUIRE(simplify({m})[0] == m);
}

TEST_CASE("simplification reaches through a chain and drops dead nodes", "[simplify]") {
  auto x = leaf({2, 3});
  auto y = binary(Op::Add, binary(Op::Mul, x, binary(Op::Sub, c(3), c(2))), c(0));
  auto out = simplify({unary(Op::Exp, y)});
  REQUIRE(out[0] == unary(Op::Exp, x));
  REQUIRE(topo_order(out).size() == 2);
}

TEST_CASE("an unchanged graph comes back as the same nodes", "[simplify]") {
  auto x = leaf({4});
  auto g = reduce(Op::Sum, unary(Op::Exp, x), {0});
  REQUIRE(simplify({g})[0] == g);
}
