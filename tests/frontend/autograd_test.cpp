// Autograd semantics: .grad accumulation and zeroing, retain_grad, detach, NoGradGuard,
// higher-order gradients, leaves (distinct even with equal values, stable across realization
// and updates under NoGradGuard), ties as PyTorch breaks them, gradients of views and of
// in-place writes through views, and the errors.
#include <cmath>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/compiler/graph.h>
#include <kiln/kiln.h>

using Catch::Contains;
using kiln::Tensor;

namespace {
void check_values(const Tensor& t, const std::vector<double>& want) {
  REQUIRE(t.defined());
  std::vector<double> got = t.to_vector<double>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).margin(1e-6));
  }
}
}  // namespace

TEST_CASE("autograd: the API example", "[autograd]") {
  auto x = kiln::linspace(0, 5, 100).requires_grad_();
  auto y = kiln::cos(x * x);
  std::vector<Tensor> g = kiln::autograd::grad({y.sum()}, {x});
  std::vector<double> xs = x.to_vector<double>(), gs = g[0].to_vector<double>();
  for (size_t i = 0; i < xs.size(); ++i) {
    CHECK(gs[i] == Approx(-2 * xs[i] * std::sin(xs[i] * xs[i])).margin(1e-4));
  }
  CHECK_FALSE(g[0].requires_grad());
  CHECK_FALSE(x.grad().defined());  // autograd::grad leaves .grad alone
}

TEST_CASE("autograd: backward accumulates, zero_ and graphs retained", "[autograd]") {
  Tensor x = kiln::tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor loss = (x * x).sum();
  CHECK_FALSE(x.grad().defined());
  loss.backward();
  check_values(x.grad(), {2, 4, 6});
  loss.backward();  // the same graph again: accumulates
  check_values(x.grad(), {4, 8, 12});
  Tensor handle = x.grad();
  (x * 3.0).sum().backward();
  check_values(handle, {7, 11, 15});  // accumulation is in place: handles see it
  x.grad().zero_();
  check_values(x.grad(), {0, 0, 0});
  (x * x * x).sum().backward();
  check_values(x.grad(), {3, 12, 27});
  CHECK_FALSE(x.grad().requires_grad());
}

TEST_CASE("autograd: requires_grad, is_leaf and NoGradGuard", "[autograd]") {
  Tensor a = kiln::ones({2, 2}).requires_grad_();
  Tensor b = kiln::ones({2, 2});
  CHECK(a.requires_grad());
  CHECK(a.is_leaf());
  CHECK_FALSE(b.requires_grad());
  CHECK(b.is_leaf());
  Tensor c = a * b;
  CHECK(c.requires_grad());
  CHECK_FALSE(c.is_leaf());
  CHECK(a.view({4}).requires_grad());
  CHECK_FALSE(a.view({4}).is_leaf());
  CHECK_FALSE((a > 0).requires_grad());
  {
    kiln::NoGradGuard guard;
    CHECK_FALSE(kiln::GradMode::is_enabled());
    Tensor d = a * 2.0;
    CHECK_FALSE(d.requires_grad());
    CHECK(d.is_leaf());
  }
  CHECK(kiln::GradMode::is_enabled());
  CHECK_THROWS_WITH(kiln::ones({2}, kiln::kLong).requires_grad_(),
                    Contains("[requires_grad_] only floating point tensors"));
  CHECK_THROWS_WITH(c.requires_grad_(false),
                    Contains("[requires_grad_] you can only change requires_grad flags of leaf"));
  Tensor r = kiln::zeros({3}, kiln::TensorOptions().requires_grad(true));
  CHECK(r.requires_grad());
  CHECK(r.is_leaf());
}

TEST_CASE("autograd: a result made under NoGradGuard is a constant", "[autograd]") {
  Tensor a = kiln::tensor({1.0, 2.0}).requires_grad_();
  Tensor c;
  {
    kiln::NoGradGuard guard;
    c = a * 2.0;
  }
  (c * a).sum().backward();
  check_values(a.grad(), {2, 4});  // c's dependence on a is not differentiated
}

TEST_CASE("autograd: a view made under NoGradGuard is a constant that writes its base",
          "[autograd]") {
  Tensor a = kiln::tensor({1.0, 2.0, 3.0, 4.0}).requires_grad_();
  Tensor flat, row, t;
  {
    kiln::NoGradGuard guard;
    flat = a.view({2, 2});
    row = flat[0];
    t = flat.t();
    row.mul_(10.0);  // the base's storage changes
  }
  CHECK_FALSE(flat.requires_grad());
  CHECK_FALSE(row.requires_grad());
  CHECK_FALSE(t.requires_grad());
  check_values(a, {10, 20, 3, 4});
  (t.reshape({4}) * a).sum().backward();
  check_values(a.grad(), {10, 3, 20, 4});  // t is not differentiated
  CHECK(a.view({4}).requires_grad());      // with grad mode on, views follow their base again
  // As PyTorch: such a view may not be written in place once grad mode is back on.
  CHECK_THROWS_WITH(row.add_(1.0), Contains("made in no_grad mode"));
  CHECK_THROWS_WITH(t[0].zero_(), Contains("made in no_grad mode"));
  kiln::Tensor plain = kiln::tensor({1.0, 2.0});
  kiln::Tensor view;
  {
    kiln::NoGradGuard guard;
    view = plain.view({2});
  }
  view.add_(1.0);  // a view of a tensor that does not require grad stays writable
  check_values(plain, {2, 3});
  // detach() makes a writable tensor in any mode, of a leaf or of such a view.
  kiln::Tensor d1, d2;
  {
    kiln::NoGradGuard guard;
    d1 = a.detach();
    d2 = row.detach();
  }
  d1.add_(1.0);
  d2[0].zero_();
  check_values(a, {0, 21, 4, 5});
}

TEST_CASE("autograd: leaves with equal values stay distinct", "[autograd]") {
  Tensor a = kiln::zeros({3}).requires_grad_();
  Tensor b = kiln::zeros({3}).requires_grad_();
  Tensor k = kiln::zeros({3});
  (a * 2.0 + b * 3.0 + k * a).sum().backward();
  check_values(a.grad(), {2, 2, 2});
  check_values(b.grad(), {3, 3, 3});
}

TEST_CASE("autograd: detach shares storage and stops gradients", "[autograd]") {
  Tensor a = kiln::tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor d = a.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_same_storage(a));
  (a * d).sum().backward();
  check_values(a.grad(), {1, 2, 3});
  d.mul_(10.0);  // a write through the detached tensor changes a
  check_values(a, {10, 20, 30});
  Tensor e = (a * 2.0).detach();
  CHECK_FALSE(e.requires_grad());
  CHECK_FALSE((e * a).detach().requires_grad());
}

TEST_CASE("autograd: retain_grad on a non-leaf", "[autograd]") {
  Tensor x = kiln::tensor({1.0, -2.0}).requires_grad_();
  Tensor h = x * 3.0;
  h.retain_grad();
  CHECK(h.retains_grad());
  Tensor y = (h * h).sum();
  y.backward();
  check_values(h.grad(), {6, -12});
  check_values(x.grad(), {18, -36});
  Tensor plain = x * 5.0;
  (plain * plain).sum().backward();
  CHECK_FALSE(plain.grad().defined());  // not retained
  CHECK_THROWS_WITH(
      kiln::ones({2}).retain_grad(),
      Contains("[retain_grad] can't retain_grad on Tensor that has requires_grad=False"));
}

TEST_CASE("autograd: higher-order gradients", "[autograd]") {
  Tensor x = kiln::tensor({0.5, 1.0, 2.0}, kiln::kFloat64).requires_grad_();
  Tensor y = (x * x * x).sum();
  Tensor g = kiln::autograd::grad({y}, {x}, {}, true)[0];
  CHECK(g.requires_grad());
  check_values(g, {0.75, 3, 12});
  Tensor gg = kiln::autograd::grad({g.sum()}, {x}, {}, true)[0];
  check_values(gg, {3, 6, 12});
  Tensor ggg = kiln::autograd::grad({gg.sum()}, {x})[0];
  check_values(ggg, {6, 6, 6});
  // backward with create_graph: .grad is differentiable.
  Tensor z = kiln::sin(x).sum();
  z.backward({}, true);
  CHECK(x.grad().requires_grad());
  std::vector<double> xs = {0.5, 1.0, 2.0}, want;
  for (double v : xs) want.push_back(-std::sin(v));
  check_values(kiln::autograd::grad({x.grad().sum()}, {x})[0], want);
}

TEST_CASE("autograd: grad with grad_outputs and non-leaf inputs", "[autograd]") {
  Tensor x = kiln::tensor({1.0, 2.0}).requires_grad_();
  Tensor h = x * x;
  Tensor y = h * 3.0;
  auto g = kiln::autograd::grad({y}, {h, x}, {kiln::tensor({1.0, 10.0})});
  check_values(g[0], {3, 30});
  check_values(g[1], {6, 120});
  Tensor unused = kiln::ones({2}).requires_grad_();
  check_values(kiln::autograd::grad({y.sum()}, {unused})[0], {0, 0});
  CHECK_THROWS_WITH(kiln::autograd::grad({y}, {x}),
                    Contains("[grad] grad can be implicitly created only for scalar outputs"));
  CHECK_THROWS_WITH(kiln::autograd::grad({y.sum()}, {kiln::ones({2})}),
                    Contains("[grad] One of the differentiated Tensors does not require grad"));
  CHECK_THROWS_WITH(kiln::ones({2}).sum().backward(),
                    Contains("[backward] element 0 of tensors does not require grad"));
  CHECK_THROWS_WITH(y.backward(kiln::ones({3})), Contains("[backward] mismatch in shape"));
}

TEST_CASE("autograd: in-place on a leaf that requires grad", "[autograd]") {
  Tensor p = kiln::tensor({1.0, 2.0}).requires_grad_();
  CHECK_THROWS_WITH(p.add_(1.0),
                    "[add_] a leaf Variable that requires grad is being used in an in-place "
                    "operation.");
  CHECK_THROWS_WITH(p.view({2, 1}).mul_(2.0),
                    "[mul_] a view of a leaf Variable that requires grad is being used in an "
                    "in-place operation.");
  using namespace kiln::indexing;
  CHECK_THROWS_WITH(p.index_put_({0}, 5.0), Contains("[index_put_] a leaf Variable"));
  check_values(p, {1, 2});
  {
    kiln::NoGradGuard guard;
    p.sub_(0.5);
  }
  check_values(p, {0.5, 1.5});
  CHECK(p.requires_grad());
  CHECK(p.is_leaf());
}

TEST_CASE("autograd: a leaf keeps its identity across realization and updates", "[autograd]") {
  Tensor p = kiln::full({2}, 3.0).requires_grad_();
  Tensor y1 = (p * p).sum();  // reads p before it is realized
  p.eval();
  Tensor y2 = (p * 10.0).sum();  // reads p as a buffer
  (y1 + y2).backward();
  check_values(p.grad(), {16, 16});
  // Plain gradient descent on (p - 1)^2, the update lazy under NoGradGuard.
  Tensor q = kiln::tensor({3.0, -1.0}, kiln::kFloat64).requires_grad_();
  std::vector<double> ref = {3.0, -1.0};
  for (int step = 0; step < 5; ++step) {
    ((q - 1.0) * (q - 1.0)).sum().backward();
    {
      kiln::NoGradGuard guard;
      q.sub_(0.1 * q.grad());
      q.grad().zero_();
    }
    for (double& v : ref) v -= 0.1 * 2 * (v - 1.0);
  }
  check_values(q, ref);
}

TEST_CASE("autograd: ties go where PyTorch sends them", "[autograd]") {
  Tensor x = kiln::tensor({1.0, 3.0, 3.0, 0.0}).requires_grad_();
  x.max().backward();
  check_values(x.grad(), {0, 0.5, 0.5, 0});  // evenly split
  x.grad().zero_();
  x.amax({0}).backward();
  check_values(x.grad(), {0, 0.5, 0.5, 0});
  x.grad().zero_();
  std::get<0>(x.max(0)).backward();
  check_values(x.grad(), {0, 1, 0, 0});  // max(dim): to the index it returns
  x.grad().zero_();
  kiln::relu(x - 1.0).sum().backward();
  check_values(x.grad(), {0, 1, 1, 0});  // relu at 0 has gradient 0
  x.grad().zero_();
  x.clamp(0.0, 3.0).sum().backward();
  check_values(x.grad(), {1, 1, 1, 1});  // clamp keeps the gradient on its bounds
  x.grad().zero_();
  kiln::maximum(x, kiln::tensor({1.0, 3.0, 0.0, 5.0})).sum().backward();
  check_values(x.grad(), {0.5, 0.5, 1, 0});
}

TEST_CASE("autograd: views of a leaf and writes through views", "[autograd]") {
  Tensor x = kiln::arange(6, kiln::kFloat64).reshape({2, 3}).detach().requires_grad_();
  (x.t().select(0, 1) * kiln::tensor({2.0, 5.0}, kiln::kFloat64)).sum().backward();
  check_values(x.grad(), {0, 2, 0, 0, 5, 0});
  x.grad().zero_();
  // A write into a view of an intermediate: the overwritten region gets no gradient from
  // before, the written values get theirs.
  Tensor y = x * 2.0;
  Tensor v = y.view({6});
  v.narrow(0, 1, 2).copy_(x.select(0, 1).narrow(0, 0, 2) * 7.0);
  y.sum().backward();
  check_values(x.grad(), {2, 0, 0, 9, 9, 2});
  x.grad().zero_();
  // An expanded (stride 0) view sums its gradient back.
  (x.select(0, 0).unsqueeze(0).expand({4, 3}) * 1.5).sum().backward();
  check_values(x.grad(), {6, 6, 6, 0, 0, 0});
  // The cast to float32 differentiates back to float64.
  x.grad().zero_();
  (x.to(kiln::kFloat32) * 2.0f).sum().backward();
  CHECK(x.grad().dtype() == kiln::kFloat64);
  check_values(x.grad(), {2, 2, 2, 2, 2, 2});
}

TEST_CASE("autograd: reading a value before backward keeps the graph", "[autograd]") {
  Tensor x = kiln::tensor({1.0, 2.0}).requires_grad_();
  Tensor h = x * x;
  Tensor loss = (h * 3.0).sum();
  CHECK(loss.item<double>() == Approx(15.0));      // realizes loss
  CHECK(h.to_vector<double>()[1] == Approx(4.0));  // and h
  CHECK(loss.requires_grad());
  loss.backward();
  check_values(x.grad(), {6, 12});
  Tensor more = (h * x).sum();  // built on the realized h
  more.backward();
  check_values(x.grad(), {6 + 3, 12 + 12});
}

TEST_CASE("autograd: gradients read realized forward values instead of recomputing them",
          "[autograd]") {
  auto count_exp = [](const Tensor& t) {
    int n = 0;
    for (const kiln::ir::Node* node : kiln::ir::topo_order({t.node()}))
      n += node->op() == kiln::ir::Op::Exp;
    return n;
  };
  Tensor x = kiln::tensor({0.5, -1.0}, kiln::kFloat64).requires_grad_();
  Tensor h = kiln::exp(x);
  h.eval();
  Tensor loss = (h * h).sum();
  Tensor g = kiln::autograd::grad({loss}, {x})[0];
  CHECK(count_exp(g) == 0);  // exp(x) comes from h's buffer
  check_values(g, {2 * std::exp(1.0), 2 * std::exp(-2.0)});
  Tensor g2 = kiln::autograd::grad({loss}, {x}, {}, true)[0];
  CHECK(count_exp(g2) > 0);  // differentiable again: the graph is kept
  check_values(kiln::autograd::grad({g2.sum()}, {x})[0], {4 * std::exp(1.0), 4 * std::exp(-2.0)});
}
