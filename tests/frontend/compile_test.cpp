// kiln::compile: a whole training step as one program, the same numbers as running it
// uncompiled, nothing compiled again on later calls, and value reads refused inside.
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

using kiln::Tensor;

struct Problem {
  std::vector<Tensor> params;
  Tensor x, y;
};

Problem make_problem() {
  kiln::manual_seed(5);
  Problem p;
  p.params = {(kiln::randn({6, 12}) * 0.3).requires_grad_(), kiln::zeros({12}).requires_grad_(),
              (kiln::randn({12, 3}) * 0.3).requires_grad_(), kiln::zeros({3}).requires_grad_()};
  p.x = kiln::randn({16, 6});
  p.y = kiln::randint(0, 3, {16, 1});
  return p;
}

Tensor loss_of(const std::vector<Tensor>& w, const Tensor& x, const Tensor& y) {
  Tensor h = kiln::relu(kiln::matmul(x, w[0]) + w[1]);
  Tensor logits = kiln::matmul(h, w[2]) + w[3];
  return -kiln::gather(kiln::log_softmax(logits, 1), 1, y).mean();
}

}  // namespace

TEST_CASE("compile: compiled and uncompiled training steps give the same numbers", "[compile]") {
  Problem a = make_problem(), b = make_problem();
  kiln::optim::Adam opt_a(a.params, kiln::optim::AdamOptions(1e-2));
  kiln::optim::Adam opt_b(b.params, kiln::optim::AdamOptions(1e-2));
  auto step = kiln::compile([&](Tensor x, Tensor y) {
    Tensor loss = loss_of(b.params, x, y);
    opt_b.zero_grad();
    loss.backward();
    opt_b.step();
    return loss;
  });
  for (int i = 0; i < 5; ++i) {
    opt_a.zero_grad();
    Tensor loss_a = loss_of(a.params, a.x, a.y);
    loss_a.backward();
    opt_a.step();
    kiln::reset_stats();
    Tensor loss_b = step(b.x, b.y);
    // The whole step (forward, backward, update) is one program; after the first two calls
    // (the first step's optimizer state starts as zeros) nothing compiles.
    CHECK(kiln::stats().program_cache_hits + kiln::stats().programs_compiled == 1);
    if (i >= 2) CHECK(kiln::stats().programs_compiled == 0);
    REQUIRE(loss_b.item<double>() == Approx(loss_a.item<double>()).epsilon(1e-6));
  }
  for (size_t p = 0; p < a.params.size(); ++p) {
    auto va = a.params[p].to_vector<double>(), vb = b.params[p].to_vector<double>();
    for (size_t i = 0; i < va.size(); ++i) REQUIRE(vb[i] == Approx(va[i]).epsilon(1e-6));
  }
}

TEST_CASE("compile: reading a value inside a compiled function throws", "[compile]") {
  auto f = kiln::compile([](Tensor x) {
    Tensor y = x * 2;
    (void)y.item<float>();
    return y;
  });
  REQUIRE_THROWS_WITH(f(kiln::ones({1})),
                      Catch::Contains("[compile]") && Catch::Contains("inside a kiln::compile"));
  // Outside, reading works again.
  REQUIRE((kiln::ones({1}) * 2).item<float>() == 2.0f);
}

TEST_CASE("compile: a function returning several tensors realizes them in one program",
          "[compile]") {
  auto f = kiln::compile([](Tensor x) { return std::vector<Tensor>{x.exp(), x.sum(), x * 3}; });
  Tensor x = kiln::arange(6, kiln::kFloat32);
  x.eval();
  kiln::reset_stats();
  auto out = f(x);
  REQUIRE(kiln::stats().program_cache_hits + kiln::stats().programs_compiled == 1);
  REQUIRE(out[1].item<float>() == 15.0f);
  REQUIRE(out[2].to_vector<float>()[5] == 15.0f);
}
