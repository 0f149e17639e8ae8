// Kernel IR: index simplification (div/mod folding), the text form, the verifier and the
// evaluator on a hand-built kernel.
#include "kiln/compiler/kir/kir.h"

#include <vector>

#include <catch2/catch.hpp>

#include "kiln/compiler/kir/eval.h"
#include "kiln/runtime/error.h"

using namespace kiln;
using namespace kiln::kir;

TEST_CASE("index arithmetic folds constants and identities", "[kir]") {
  Expr v = var(0, 100);
  REQUIRE(print(add(int_imm(2), int_imm(3))) == "5");
  REQUIRE(add(v, int_imm(0)) == v);
  REQUIRE(mul(v, int_imm(1)) == v);
  REQUIRE(print(mul(v, int_imm(0))) == "0");
  REQUIRE(print(mul(mul(v, int_imm(3)), int_imm(4))) == "(v0 * 12)");
  REQUIRE(print(add(int_imm(7), v)) == "(v0 + 7)");  // constants go right
}

TEST_CASE("div and mod fold by ranges", "[kir]") {
  Expr v = var(0, 8);   // v0 in [0, 8)
  Expr w = var(1, 16);  // v1 in [0, 16)
  REQUIRE(print(div(v, int_imm(8))) == "0");
  REQUIRE(mod(v, int_imm(8)) == v);
  // (w * 8 + v) / 8 -> w and (w * 8 + v) % 8 -> v, as a reshape's index math needs.
  Expr flat = add(mul(w, int_imm(8)), v);
  REQUIRE(print(div(flat, int_imm(8))) == "v1");
  REQUIRE(print(mod(flat, int_imm(8))) == "v0");
  REQUIRE(print(div(div(var(2, 1000), int_imm(4)), int_imm(5))) == "(v2 / 20)");
  REQUIRE(print(mod(mul(w, int_imm(6)), int_imm(3))) == "0");
  // (x / c) * c + x % c -> x
  Expr x = var(3, 1000);
  REQUIRE(add(mul(div(x, int_imm(10)), int_imm(10)), mod(x, int_imm(10))) == x);
  // No folding without a range proof.
  REQUIRE(print(div(var(4, 100), int_imm(7))) == "(v4 / 7)");
  // Divided by a multiple of one of its strides: (h * 26 + c) / 52 -> h / 2 for c < 26, and
  // the modulo when what remains folds: (h * 26 + c) % 52 -> (h % 2) * 26 + c.
  Expr h = var(5, 13), c = var(6, 26);
  Expr row = add(mul(h, int_imm(26)), c);
  REQUIRE(print(div(row, int_imm(52))) == "(v5 / 2)");
  REQUIRE(print(mod(add(mul(var(7, 2), int_imm(26)), c), int_imm(52))) == "((v7 * 26) + v6)");
  REQUIRE(print(div(add(row, int_imm(26)), int_imm(52))) == "((v5 + 1) / 2)");
  // Not when the rest can reach the stride.
  REQUIRE(print(div(add(mul(h, int_imm(26)), var(8, 27)), int_imm(52))) ==
          "(((v5 * 26) + v8) / 52)");
}

TEST_CASE("value ranges", "[kir]") {
  Range r = range_of(add(mul(var(0, 4), int_imm(10)), var(1, 10)));
  REQUIRE(r.lo == 0);
  REQUIRE(r.hi == 39);
  Range m = range_of(mod(var(2, 1000), int_imm(7)));
  REQUIRE(m.hi == 6);
}

TEST_CASE("a kernel prints, verifies and evaluates", "[kir]") {
  // out[i] = sum_j x[i * 4 + j] * 2 over a [3, 4] input.
  Kernel k;
  k.name = "k_rowsum";
  k.params = {{DType::Float32, 12, false}, {DType::Float32, 3, true}};
  Expr i = var(0, 3), j = var(1, 4);
  Expr x = load(0, DType::Float32, add(mul(i, int_imm(4)), j));
  k.body = loop(
      0, 3, LoopKind::Parallel,
      {accumulator(0, DType::Float32, imm(0, DType::Float32)),
       loop(1, 4, LoopKind::Vectorizable,
            {accumulate(0, ReduceOp::Sum, binary(BinOp::Mul, x, float_imm(2, DType::Float32)))}),
       store(1, i, acc_ref(0, DType::Float32))});
  verify(k);
  std::string text = print(k);
  REQUIRE(text.find("parallel for v0 in 0..3") != std::string::npos);
  REQUIRE(text.find("a0 sum= (p0[((v0 * 4) + v1)] * 2:f32)") != std::string::npos);
  std::vector<float> in(12), out(3);
  for (int t = 0; t < 12; ++t) in[t] = static_cast<float>(t);
  evaluate(k, {in.data(), out.data()});
  REQUIRE(out == std::vector<float>{12.f, 44.f, 76.f});
}

TEST_CASE("the verifier rejects broken kernels", "[kir]") {
  Kernel k;
  k.name = "k_bad";
  k.params = {{DType::Float32, 4, false}, {DType::Float32, 4, true}};
  // A loop variable used outside its loop.
  k.body = store(1, var(0, 4), float_imm(1, DType::Float32));
  REQUIRE_THROWS_WITH(verify(k), Catch::Contains("used outside its loop"));
  // A store into an input.
  k.body = loop(0, 4, LoopKind::Serial, {store(0, var(0, 4), float_imm(1, DType::Float32))});
  REQUIRE_THROWS_WITH(verify(k), Catch::Contains("not an output"));
  // An accumulator read before it is declared.
  k.body = loop(0, 4, LoopKind::Serial, {store(1, var(0, 4), acc_ref(3, DType::Float32))});
  REQUIRE_THROWS_WITH(verify(k), Catch::Contains("before it is declared"));
}
