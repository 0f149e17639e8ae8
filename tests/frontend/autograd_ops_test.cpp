// Finite-difference gradient checks (float64) of every differentiable op and composite of the
// API over random shapes: elementwise with broadcasting, reductions with and without keepdim,
// views, gathers, matmul/bmm/einsum and the row composites (softmax, log_softmax, layer
// norm and cross entropy written from primitives).
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"

using kiln::Tensor;
using kiln::testing::gradcheck;
using kiln::testing::leaf;
using Xs = std::vector<Tensor>;

TEST_CASE("gradcheck: unary ops", "[autograd]") {
  struct Case {
    const char* name;
    Tensor (*f)(const Tensor&);
    double lo, hi;
  };
  const std::vector<Case> cases = {
      {"neg", [](const Tensor& x) { return -x; }, -2, 2},
      {"exp", [](const Tensor& x) { return kiln::exp(x); }, -2, 2},
      {"log", [](const Tensor& x) { return kiln::log(x); }, 0.5, 3},
      {"log1p", [](const Tensor& x) { return kiln::log1p(x); }, -0.5, 2},
      {"expm1", [](const Tensor& x) { return kiln::expm1(x); }, -2, 2},
      {"sqrt", [](const Tensor& x) { return kiln::sqrt(x); }, 0.5, 3},
      {"rsqrt", [](const Tensor& x) { return kiln::rsqrt(x); }, 0.5, 3},
      {"abs", [](const Tensor& x) { return kiln::abs(x); }, 0.1, 2},
      {"abs (negative)", [](const Tensor& x) { return kiln::abs(x); }, -2, -0.1},
      {"sin", [](const Tensor& x) { return kiln::sin(x); }, -3, 3},
      {"cos", [](const Tensor& x) { return kiln::cos(x); }, -3, 3},
      {"tanh", [](const Tensor& x) { return kiln::tanh(x); }, -2, 2},
      {"sigmoid", [](const Tensor& x) { return kiln::sigmoid(x); }, -3, 3},
      {"erf", [](const Tensor& x) { return kiln::erf(x); }, -2, 2},
      {"reciprocal", [](const Tensor& x) { return kiln::reciprocal(x); }, 0.5, 2},
      {"relu", [](const Tensor& x) { return kiln::relu(x); }, -2, 2},
      {"gelu", [](const Tensor& x) { return kiln::gelu(x); }, -3, 3},
      {"gelu tanh", [](const Tensor& x) { return kiln::gelu(x, "tanh"); }, -3, 3},
      {"silu", [](const Tensor& x) { return kiln::silu(x); }, -3, 3},
      {"softplus", [](const Tensor& x) { return kiln::softplus(x); }, -3, 3},
      {"pow 3", [](const Tensor& x) { return kiln::pow(x, 3); }, -2, 2},
      {"pow 0.5", [](const Tensor& x) { return x.pow(0.5); }, 0.5, 2},
      {"2 ^ x", [](const Tensor& x) { return kiln::pow(2.0, x); }, -2, 2},
      {"clamp", [](const Tensor& x) { return x.clamp(-0.5, 0.5); }, -1, 1},
      {"square via mul", [](const Tensor& x) { return x * x; }, -2, 2},
      {"scalar ops", [](const Tensor& x) { return (2.0 - x) / 3.0 + 1.0 / (x * x + 1.0); }, -2, 2},
  };
  uint32_t seed = 0;
  for (const auto& c : cases) {
    ++seed;
    SECTION(c.name) {
      gradcheck([&](const Xs& x) { return c.f(x[0]); }, {leaf({3, 4}, seed, c.lo, c.hi)});
    }
  }
}

TEST_CASE("gradcheck: binary ops broadcast", "[autograd]") {
  Tensor a = leaf({2, 3, 4}, 11);
  Tensor b = leaf({3, 1}, 12, 0.5, 2.0);
  gradcheck([](const Xs& x) { return x[0] + x[1]; }, {a, b});
  gradcheck([](const Xs& x) { return x[0] - x[1]; }, {a, b});
  gradcheck([](const Xs& x) { return x[0] * x[1]; }, {a, b});
  gradcheck([](const Xs& x) { return x[0] / x[1]; }, {a, b});
  gradcheck([](const Xs& x) { return kiln::maximum(x[0], x[1] - 1.0); }, {a, b});
  gradcheck([](const Xs& x) { return kiln::minimum(x[0], x[1] - 1.0); }, {a, b});
  gradcheck([](const Xs& x) { return kiln::where(x[0] > 0, x[0] * 2.0, x[1]); }, {a, b});
  Tensor base = leaf({4}, 13, 0.5, 2.0);
  Tensor expo = leaf({3, 1}, 14, -1.5, 1.5);
  gradcheck([](const Xs& x) { return kiln::pow(x[0], x[1]); }, {base, expo});
}

TEST_CASE("gradcheck: reductions", "[autograd]") {
  Tensor x = leaf({3, 4, 5}, 21);
  gradcheck([](const Xs& v) { return v[0].sum(); }, {x});
  gradcheck([](const Xs& v) { return v[0].sum(1); }, {x});
  gradcheck([](const Xs& v) { return v[0].sum({0, 2}, true); }, {x});
  gradcheck([](const Xs& v) { return v[0].mean({1}, true); }, {x});
  gradcheck([](const Xs& v) { return v[0].mean(); }, {x});
  gradcheck([](const Xs& v) { return v[0].prod(2); }, {x});
  gradcheck([](const Xs& v) { return v[0].max(); }, {x});
  gradcheck([](const Xs& v) { return v[0].min(); }, {x});
  gradcheck([](const Xs& v) { return v[0].amax({0, 2}); }, {x});
  gradcheck([](const Xs& v) { return v[0].amin({1}, true); }, {x});
  gradcheck([](const Xs& v) { return std::get<0>(v[0].max(1)); }, {x});
  gradcheck([](const Xs& v) { return std::get<0>(v[0].min(2, true)); }, {x});
  gradcheck([](const Xs& v) { return v[0].norm(); }, {x});
  gradcheck([](const Xs& v) { return v[0].norm(1.0, {1}); }, {x});
  gradcheck([](const Xs& v) { return v[0].norm(3.0, {2}, true); }, {x});
  gradcheck([](const Xs& v) { return v[0].var({1}); }, {x});
  gradcheck([](const Xs& v) { return v[0].std({0, 2}, false, true); }, {x});
  gradcheck([](const Xs& v) { return v[0].logsumexp({2}); }, {x});
  gradcheck([](const Xs& v) { return v[0].softmax(1); }, {x});
  gradcheck([](const Xs& v) { return v[0].log_softmax(2); }, {x});
  gradcheck([](const Xs& v) { return v[0].cumsum(1); }, {x});
  gradcheck([](const Xs& v) { return std::get<0>(v[0].sort(2, true)); }, {x});
}

TEST_CASE("gradcheck: prod with zeros", "[autograd]") {
  // One zero in a row: its gradient is the product of the others; two zeros: all zero.
  Tensor x = kiln::tensor({{2.0, 0.0, 3.0}, {0.0, 0.0, 5.0}, {1.5, 2.0, -1.0}}, kiln::kFloat64)
                 .requires_grad_();
  x.prod(1).sum().backward();
  std::vector<double> want = {0, 6, 0, 0, 0, 0, -2, -1.5, 3};
  std::vector<double> got = x.grad().to_vector<double>();
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]));
  gradcheck([](const Xs& v) { return v[0].prod(); }, {leaf({2, 3}, 29)});
}

TEST_CASE("gradcheck: views", "[autograd]") {
  Tensor x = leaf({4, 6}, 31);
  gradcheck([](const Xs& v) { return v[0].reshape({3, 8}) * 2.0; }, {x});
  gradcheck([](const Xs& v) { return v[0].view({2, 2, 6}).permute({2, 0, 1}).exp(); }, {x});
  gradcheck([](const Xs& v) { return v[0].t().matmul(v[0]); }, {x});
  gradcheck([](const Xs& v) { return v[0].transpose(0, 1).contiguous().sin(); }, {x});
  gradcheck([](const Xs& v) { return v[0].unsqueeze(1).expand({4, 3, 6}) * v[0].sum(); }, {x});
  gradcheck([](const Xs& v) { return v[0].narrow(1, 2, 3).tanh(); }, {x});
  gradcheck([](const Xs& v) { return v[0].slice(1, 1, 6, 2) * v[0].slice(0, 0, 4, 3).sum(); }, {x});
  gradcheck([](const Xs& v) { return v[0].select(0, 2) + v[0].select(1, -1).sum(); }, {x});
  gradcheck([](const Xs& v) { return v[0].flip({0, 1}) * v[0]; }, {x});
  gradcheck([](const Xs& v) { return v[0].flatten().squeeze(); }, {x});
  gradcheck([](const Xs& v) { return v[0].repeat({2, 1, 2}); }, {x});
  gradcheck([](const Xs& v) { return kiln::cat({v[0], v[0].exp()}, 1); }, {x});
  gradcheck([](const Xs& v) { return kiln::stack({v[0], v[0] * v[0]}, 0); }, {x});
  gradcheck([](const Xs& v) { return kiln::pad(v[0], {1, 2, 0, 1}, 0.5); }, {x});
  gradcheck([](const Xs& v) { return v[0].chunk(3, 1)[1] * v[0].split(2, 1)[2]; }, {x});
  using namespace kiln::indexing;
  gradcheck([](const Xs& v) { return v[0].index({Slice(1, None, 2), Slice(None, -1)}); }, {x});
}

TEST_CASE("gradcheck: gathers and indexing", "[autograd]") {
  Tensor x = leaf({4, 5}, 41);
  Tensor idx = kiln::tensor({{0, 4, 4}, {1, 1, 2}, {3, 0, 0}}, kiln::kLong);
  gradcheck([&](const Xs& v) { return v[0].gather(1, idx); }, {x});
  Tensor rows = kiln::tensor({{3, 0, 1, 3, 2}}, kiln::kLong);
  gradcheck([&](const Xs& v) { return v[0].gather(0, rows); }, {x});
  Tensor pick = kiln::tensor({2, 0, 2, 3}, kiln::kLong);
  gradcheck([&](const Xs& v) { return v[0].index_select(0, pick); }, {x});
  gradcheck([&](const Xs& v) { return v[0].index_select(1, pick) * 2.0; }, {x});
  gradcheck([&](const Xs& v) { return v[0].index({pick}); }, {x});
  Tensor mask = kiln::tensor({true, false, true, true});
  gradcheck([&](const Xs& v) { return v[0].index({mask}); }, {x});
}

TEST_CASE("gradcheck: matmul, bmm, einsum", "[autograd]") {
  Tensor a = leaf({3, 4}, 51), b = leaf({4, 2}, 52);
  gradcheck([](const Xs& v) { return kiln::mm(v[0], v[1]); }, {a, b});
  Tensor p = leaf({2, 3, 4}, 53), q = leaf({2, 4, 5}, 54);
  gradcheck([](const Xs& v) { return kiln::bmm(v[0], v[1]); }, {p, q});
  gradcheck([](const Xs& v) { return kiln::matmul(v[0], v[1]); }, {p, b});  // broadcast batch
  Tensor vec = leaf({4}, 55);
  gradcheck([](const Xs& v) { return kiln::matmul(v[0], v[1]); }, {a, vec});
  gradcheck([](const Xs& v) { return kiln::matmul(v[1], v[0]); }, {b, vec});
  gradcheck([](const Xs& v) { return kiln::einsum("bij,bjk->bik", {v[0], v[1]}); }, {p, q});
  gradcheck(
      [](const Xs& v) {
        return kiln::einsum("ij,ij->i", {v[0], v[1]});
      },
      {a, leaf({3, 4}, 56)});
  gradcheck([](const Xs& v) { return kiln::einsum("ij,kj->ik", {v[0], v[0]}); }, {a});
}

TEST_CASE("gradcheck: row composites", "[autograd]") {
  Tensor x = leaf({4, 6}, 61, -2, 2);
  Tensor w = leaf({6}, 62), b = leaf({6}, 63);
  auto layer_norm = [](const Xs& v) {
    Tensor mu = v[0].mean({1}, true);
    Tensor var = (v[0] - mu).pow(2).mean({1}, true);
    return (v[0] - mu) * kiln::rsqrt(var + 1e-5) * v[1] + v[2];
  };
  gradcheck(layer_norm, {x, w, b});
  Tensor target = kiln::tensor({{1}, {5}, {0}, {3}}, kiln::kLong);
  auto cross_entropy = [&](const Xs& v) { return -v[0].log_softmax(1).gather(1, target).mean(); };
  gradcheck(cross_entropy, {x});
  auto mse = [](const Xs& v) { return (v[0] - v[1]).pow(2).mean(); };
  gradcheck(mse, {x, leaf({4, 6}, 64)});
}

TEST_CASE("gradcheck: in-place writes through views of intermediates", "[autograd]") {
  Tensor x = leaf({3, 4}, 71);
  gradcheck(
      [](const Xs& v) {
        Tensor y = v[0] * 1.0;
        y.narrow(1, 1, 2).mul_(v[0].narrow(1, 0, 2));
        y.select(0, 2).add_(3.0);
        return y;
      },
      {x});
  gradcheck(
      [](const Xs& v) {
        Tensor y = v[0].exp();
        Tensor view = y.view({12});
        view.slice(0, 0, 12, 5).zero_();
        return y * v[0];
      },
      {x});
  using namespace kiln::indexing;
  gradcheck(
      [](const Xs& v) {
        Tensor y = v[0].clone();
        y.index_put_({Slice(), 0}, v[0].select(1, 3) * 2.0);
        return y;
      },
      {x});
  Tensor src = leaf({2}, 72);
  gradcheck(
      [](const Xs& v) {
        Tensor y = v[0].clone();
        y.index_put_({kiln::tensor({2, 0}, kiln::kLong)}, v[1].unsqueeze(1).expand({2, 4}));
        return y * y;
      },
      {x, src});
}

TEST_CASE("the 2-norm's gradient at zero is zero", "[autograd]") {
  // PyTorch's subgradient: x / ||x|| where the norm is not 0, else 0 (not 0 * inf).
  auto x = kiln::tensor({0., 0.}).requires_grad_();
  x.norm().backward();
  CHECK(x.grad().to_vector<float>() == std::vector<float>{0.f, 0.f});
  auto y = kiln::tensor({3., 4.}).requires_grad_();
  auto n = y.norm();
  n.backward();
  CHECK(n.item<float>() == 5.f);
  auto g = y.grad().to_vector<float>();
  CHECK(g[0] == Approx(0.6f));
  CHECK(g[1] == Approx(0.8f));
}
