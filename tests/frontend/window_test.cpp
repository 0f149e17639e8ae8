// unfold and fold, the window primitives behind conv2d and pooling (compiler/node.h): compiled
// on the CPU against the reference interpreter over strides, padding, dilation, windows that
// reach past the input and fill values; fused with their neighbours; as each other's adjoints;
// through autograd (finite differences in float64, second order included); and the kernels they
// lower to (one load per im2col element, the fold computed where its consumer reads it).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"
#include "frontend/random_graph.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/kir/kir.h"
#include "kiln/compiler/node.h"
#include "kiln/compiler/schedule.h"

using kiln::Tensor;
using kiln::ir::Window;
namespace F = kiln::nn::functional;

namespace {

struct Config {
  Window w;
  int64_t h, wd, oh, ow;
  double fill;
};

std::vector<Config> configs() {
  return {
      {{3, 3, 1, 1, 0, 0, 1, 1}, 6, 6, 4, 4, 0.0},    // a plain 3x3 convolution
      {{3, 3, 1, 1, 1, 1, 1, 1}, 6, 5, 6, 5, 0.0},    // "same" padding
      {{2, 3, 2, 1, 1, 0, 1, 2}, 7, 8, 4, 4, -1.5},   // stride, dilation, one-sided padding
      {{3, 3, 2, 2, 1, 1, 1, 1}, 6, 6, 4, 4, -1e30},  // ceil-mode windows past the padding
      {{1, 1, 1, 1, 0, 0, 1, 1}, 3, 4, 3, 4, 0.0},    // 1x1
      {{5, 5, 1, 1, 2, 2, 1, 1}, 3, 3, 3, 3, 0.0},    // a kernel larger than the input
      {{2, 2, 2, 2, 0, 0, 1, 1}, 5, 5, 2, 2, 0.0},    // pooling tiles, last row unread
      {{3, 2, 3, 2, 0, 1, 2, 1}, 9, 6, 2, 4, 0.0},    // stride > kernel: gaps
  };
}

Tensor unfold(const Tensor& x, const Config& c) {
  return Tensor::from_node(kiln::ir::unfold(x.node(), c.w, c.oh, c.ow, c.fill));
}

Tensor fold(const Tensor& g, const Config& c) {
  return Tensor::from_node(kiln::ir::fold(g.node(), c.w, c.h, c.wd));
}

Tensor realized(Tensor t) {
  t.eval();
  return t;
}

void require_interpreted(const Tensor& t) {
  auto want = kiln::ir::interpret({t.node()})[0];
  kiln_test::require_close(t, *want);
}

}  // namespace

TEST_CASE("unfold and fold equal the reference interpreter", "[window]") {
  uint64_t seed = 1;
  for (const Config& c : configs()) {
    for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kInt32}) {
      CAPTURE(c.w.kh, c.w.kw, c.w.sh, c.w.sw, c.w.ph, c.w.pw, c.w.dh, c.w.dw, c.h, c.wd, dt);
      kiln::manual_seed(seed++);
      Tensor x = realized(kiln::randint(-5, 5, {2, 3, c.h, c.wd}).to(dt));
      Tensor g = realized(kiln::randint(-5, 5, {2, 3, c.w.kh, c.w.kw, c.oh, c.ow}).to(dt));
      require_interpreted(unfold(x, c));
      require_interpreted(fold(g, c));
      if (dt == kiln::kInt32) continue;
      // Fused: a pooling reduction over the windows, an elementwise epilogue after the fold, and
      // a fold read through a permute (materialized: its loop runs at its own output element).
      require_interpreted(unfold(x * 2 - 1, c).amax({2, 3}));
      require_interpreted(fold(kiln::tanh(g), c) * 3 + x);
      require_interpreted(fold(g, c).permute({0, 1, 3, 2}) + 1);
    }
  }
}

TEST_CASE("fold is the adjoint of unfold", "[window]") {
  kiln::manual_seed(7);
  for (const Config& c : configs()) {
    Tensor x = realized(kiln::randn({2, 3, c.h, c.wd}, kiln::kFloat64));
    Tensor g = realized(kiln::randn({2, 3, c.w.kh, c.w.kw, c.oh, c.ow}, kiln::kFloat64));
    // <unfold(x), g> == <x, fold(g)> (the fill adds nothing: it is not a function of x).
    Tensor zero_fill = Tensor::from_node(kiln::ir::unfold(x.node(), c.w, c.oh, c.ow, 0.0));
    double lhs = (zero_fill * g).sum().item<double>();
    double rhs = (x * fold(g, c)).sum().item<double>();
    CHECK(std::abs(lhs - rhs) <= 1e-9 * (1 + std::abs(lhs)));
  }
}

TEST_CASE("unfold and fold gradients match finite differences", "[window][grad]") {
  using kiln::testing::gradcheck;
  using kiln::testing::leaf;
  for (Config c : configs()) {
    CAPTURE(c.w.kh, c.w.kw, c.w.sh, c.w.sw, c.w.ph, c.w.pw, c.w.dh, c.w.dw);
    c.fill = std::max(c.fill, -2.0);  // a huge fill would swamp the finite differences
    gradcheck([&](const std::vector<Tensor>& v) { return unfold(v[0], c); },
              {leaf({1, 2, c.h, c.wd}, 1)});
    gradcheck([&](const std::vector<Tensor>& v) { return fold(v[0], c); },
              {leaf({1, 2, c.w.kh, c.w.kw, c.oh, c.ow}, 2)});
  }
  // Second order through conv2d: the input gradient is a fold, its gradient an unfold.
  gradcheck(
      [](const std::vector<Tensor>& v) {
        // The finite differences call this with plain tensors: differentiate a leaf then.
        Tensor x = v[0].requires_grad() ? v[0] : v[0].detach().requires_grad_();
        Tensor y = F::conv2d(x, v[1], {}, 2, 1);
        return kiln::autograd::grad({(y * y).sum()}, {x}, {}, /*create_graph=*/true)[0];
      },
      {leaf({1, 2, 5, 5}, 3), leaf({2, 2, 3, 3}, 4)});
}

TEST_CASE("im2col is one load per element; a fold fuses into its consumer", "[window]") {
  kiln::manual_seed(3);
  Tensor x = realized(kiln::randn({2, 3, 8, 8}));
  Tensor w = realized(kiln::randn({4, 3, 3, 3}));
  // conv2d: im2col, the GEMM, and the bias with the layout change back.
  Tensor y = F::conv2d(x, w, realized(kiln::randn({4})));
  kiln::ir::Schedule s = kiln::ir::schedule({y.node()});
  REQUIRE(s.kernels.size() == 3);
  std::string im2col = kiln::kir::print(s.kernels[0].kernel);
  CAPTURE(im2col);
  CHECK(im2col.find("select") == std::string::npos);  // no padding: no predicate at all
  CHECK(im2col.find("p0[") == im2col.rfind("p0["));   // one load of the input
  // With padding, one predicate per load.
  std::string padded =
      kiln::kir::print(kiln::ir::schedule({F::conv2d(x, w, {}, 1, 1).node()}).kernels[0].kernel);
  CAPTURE(padded);
  CHECK(padded.find("select") == padded.rfind("select"));
  // The input gradient's fold and the epilogue after it: one kernel over the input.
  Config c{{3, 3, 1, 1, 1, 1, 1, 1}, 8, 8, 8, 8, 0.0};
  Tensor g = realized(kiln::randn({2, 3, 3, 3, 8, 8}));
  CHECK(kiln::ir::schedule({(kiln::relu(fold(g, c)) + x).node()}).kernels.size() == 1);
}
