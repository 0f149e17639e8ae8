// Long full reductions split in two for GPUs (split_long_reductions): the rewritten graph has
// two reductions, 16-bit partials in f32, and gives the interpreter's values; counts without a
// divisor and partial reductions are left alone.
#include "kiln/compiler/split_reductions.h"

#include <cmath>

#include <catch2/catch.hpp>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/interpreter.h"

using namespace kiln;
using namespace kiln::ir;

namespace {

NodeRef filled(int64_t n, DType t, double (*f)(int64_t)) {
  auto buf = std::make_shared<runtime::Buffer>(t, n);
  for (int64_t i = 0; i < n; ++i) buf->set(i, f(i));
  return load(buf, {n});
}

std::vector<const Node*> reductions(const NodeRef& out) {
  std::vector<const Node*> r;
  for (const Node* n : topo_order({out})) {
    if (is_reduce(n->op())) r.push_back(n);
  }
  return r;
}

double value(const NodeRef& out) { return interpret({out})[0]->get(0); }

}  // namespace

TEST_CASE("split reductions: sum, max, min, prod over 2^21 elements match unsplit", "[split]") {
  const int64_t n = int64_t{3} << 19;
  NodeRef x = filled(n, DType::Float32, [](int64_t i) { return std::sin(0.001 * i); });
  NodeRef y = filled(n, DType::Float32, [](int64_t i) { return 1.0 + 1e-6 * std::cos(0.01 * i); });
  for (Op op : {Op::Sum, Op::Max, Op::Min, Op::Prod}) {
    NodeRef body = op == Op::Prod ? y : binary(Op::Mul, x, y);
    NodeRef r = reduce(op, body, {0});
    NodeRef split = split_long_reductions({r})[0];
    INFO(op_name(op));
    REQUIRE(split->shape() == r->shape());
    REQUIRE(split->dtype() == r->dtype());
    auto red = reductions(split);
    REQUIRE(red.size() == 2);
    CHECK(red[0]->input(0)->shape() == Shape{1536, 1024});  // the most rows of >= 1024
    double want = value(r), got = value(split);
    CHECK(got == Approx(want).epsilon(1e-5).margin(1e-3));
  }
}

TEST_CASE("split reductions: 16-bit sums keep f32 partials; NaN still propagates", "[split]") {
  const int64_t n = int64_t{1} << 21;
  NodeRef x = filled(n, DType::BFloat16, [](int64_t i) { return (i % 7) * 0.25; });
  NodeRef r = reduce(Op::Sum, x, {0});
  NodeRef split = split_long_reductions({r})[0];
  auto red = reductions(split);
  REQUIRE(red.size() == 2);
  CHECK(red[0]->dtype() == DType::Float32);
  CHECK(split->dtype() == DType::BFloat16);
  double exact = 0;
  for (int64_t i = 0; i < n; ++i) exact += (i % 7) * 0.25;
  CHECK(value(split) == Approx(exact).epsilon(1e-2));

  NodeRef z = filled(n, DType::Float32, [](int64_t i) { return i == 123457 ? NAN : 1.0; });
  CHECK(std::isnan(value(split_long_reductions({reduce(Op::Max, z, {0})})[0])));
}

TEST_CASE("split reductions: what is left alone", "[split]") {
  // 2^20 + 7 is prime: no row count divides it.
  NodeRef p = filled((int64_t{1} << 20) + 7, DType::Float32, [](int64_t) { return 1.0; });
  NodeRef r = reduce(Op::Sum, p, {0});
  CHECK(split_long_reductions({r})[0] == r);
  // Short, or over some axes only.
  NodeRef s = filled(1000, DType::Float32, [](int64_t) { return 1.0; });
  NodeRef rs = reduce(Op::Sum, s, {0});
  CHECK(split_long_reductions({rs})[0] == rs);
  NodeRef m =
      reshape(filled(int64_t{1} << 21, DType::Float32, [](int64_t) { return 1.0; }), {2048, 1024});
  NodeRef rows = reduce(Op::Sum, m, {1});
  CHECK(split_long_reductions({rows})[0] == rows);
  // A consumer of a split reduction is rebuilt over it; other outputs stay as they are.
  NodeRef big = filled(int64_t{1} << 21, DType::Float32,
                       [](int64_t i) { return static_cast<double>(i % 3); });
  NodeRef mean = binary(Op::Div, reduce(Op::Sum, big, {0}),
                        constant(double(int64_t{1} << 21), DType::Float32, {1}, Device()));
  auto outs = split_long_reductions({mean, rs});
  CHECK(outs[1] == rs);
  CHECK(reductions(outs[0]).size() == 2);
  CHECK(value(outs[0]) == Approx(value(mean)).epsilon(1e-6));
}
