// Optimizers and schedules: 20-step trajectories on a fixed 2x2 linear least-squares objective
// against the documented update equations (worked in double by plain loops below), the
// zero_grad rules, one program per step, no recompilation when the learning rate or step count
// changes, and an MLP classifier trained on a synthetic 2-D task.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/frontend/optim.h>
#include <kiln/kiln.h>

using kiln::Tensor;
namespace optim = kiln::optim;

namespace {

// loss(p) = 0.5 * |A p - b|^2, gradient A^T (A p - b).
const double kA[2][2] = {{2.0, 0.5}, {-1.0, 1.5}};
const double kB[2] = {1.0, -2.0};
const std::vector<double> kStart = {0.8, -0.3};

std::vector<double> ref_grad(const std::vector<double>& p) {
  double r[2];
  for (int i = 0; i < 2; ++i) r[i] = kA[i][0] * p[0] + kA[i][1] * p[1] - kB[i];
  return {kA[0][0] * r[0] + kA[1][0] * r[1], kA[0][1] * r[0] + kA[1][1] * r[1]};
}

Tensor loss_of(const Tensor& p) {
  Tensor a = kiln::tensor({{2.0, 0.5}, {-1.0, 1.5}}, kiln::kFloat64);
  Tensor b = kiln::tensor({1.0, -2.0}, kiln::kFloat64);
  Tensor r = kiln::matmul(a, p) - b;
  return (r * r).sum() * 0.5;
}

/// A reference update: (p, g, lr, step number from 1) -> new p, keeping its own state.
using RefStep =
    std::function<void(std::vector<double>& p, std::vector<double> g, double lr, int t)>;

/// Runs 20 steps of `opt` (learning rate from `lr_at(step)` when given) against `ref`.
void check_trajectory(optim::Optimizer& opt, Tensor& p, RefStep ref,
                      std::function<void(int)> after_step = {}) {
  std::vector<double> want = kStart;
  for (int t = 1; t <= 20; ++t) {
    double lr = opt.lr();
    loss_of(p).backward();
    opt.step();
    opt.zero_grad();
    ref(want, ref_grad(want), lr, t);
    std::vector<double> got = p.to_vector<double>();
    for (int i = 0; i < 2; ++i) {
      INFO("step " << t << " element " << i);
      CHECK(got[i] == Approx(want[i]).epsilon(1e-10).margin(1e-12));
    }
    if (after_step) after_step(t);
  }
}

Tensor param() { return kiln::from_vector(kStart, {2}, kiln::kFloat64).requires_grad_(); }

RefStep ref_sgd(double momentum, double dampening, double wd, bool nesterov) {
  auto buf = std::make_shared<std::vector<double>>();
  return [=](std::vector<double>& p, std::vector<double> g, double lr, int) {
    for (int i = 0; i < 2; ++i) g[i] += wd * p[i];
    if (momentum != 0) {
      if (buf->empty()) {
        *buf = g;
      } else {
        for (int i = 0; i < 2; ++i) (*buf)[i] = momentum * (*buf)[i] + (1 - dampening) * g[i];
      }
      for (int i = 0; i < 2; ++i) g[i] = nesterov ? g[i] + momentum * (*buf)[i] : (*buf)[i];
    }
    for (int i = 0; i < 2; ++i) p[i] -= lr * g[i];
  };
}

RefStep ref_adam(double b1, double b2, double eps, double wd, bool decoupled,
                 bool amsgrad = false) {
  auto m = std::make_shared<std::vector<double>>(2, 0.0);
  auto v = std::make_shared<std::vector<double>>(2, 0.0);
  auto vmax = std::make_shared<std::vector<double>>(2, 0.0);
  return [=](std::vector<double>& p, std::vector<double> g, double lr, int t) {
    for (int i = 0; i < 2; ++i) {
      if (decoupled) {
        p[i] *= 1 - lr * wd;
      } else {
        g[i] += wd * p[i];
      }
      (*m)[i] = (*m)[i] + (1 - b1) * (g[i] - (*m)[i]);
      (*v)[i] = b2 * (*v)[i] + (1 - b2) * g[i] * g[i];
      (*vmax)[i] = std::max((*vmax)[i], (*v)[i]);
      double second = amsgrad ? (*vmax)[i] : (*v)[i];
      double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      p[i] -= lr / bc1 * (*m)[i] / (std::sqrt(second) / std::sqrt(bc2) + eps);
    }
  };
}

RefStep ref_rmsprop(double alpha, double eps, double wd, double momentum, bool centered) {
  auto sq = std::make_shared<std::vector<double>>(2, 0.0);
  auto ga = std::make_shared<std::vector<double>>(2, 0.0);
  auto buf = std::make_shared<std::vector<double>>(2, 0.0);
  return [=](std::vector<double>& p, std::vector<double> g, double lr, int) {
    for (int i = 0; i < 2; ++i) {
      g[i] += wd * p[i];
      (*sq)[i] = alpha * (*sq)[i] + (1 - alpha) * g[i] * g[i];
      double avg;
      if (centered) {
        (*ga)[i] = (*ga)[i] + (1 - alpha) * (g[i] - (*ga)[i]);
        avg = std::sqrt((*sq)[i] - (*ga)[i] * (*ga)[i]) + eps;
      } else {
        avg = std::sqrt((*sq)[i]) + eps;
      }
      if (momentum > 0) {
        (*buf)[i] = momentum * (*buf)[i] + g[i] / avg;
        p[i] -= lr * (*buf)[i];
      } else {
        p[i] -= lr * g[i] / avg;
      }
    }
  };
}

}  // namespace

TEST_CASE("optim: SGD trajectories", "[optim]") {
  SECTION("plain") {
    Tensor p = param();
    optim::SGD opt({p}, optim::SGDOptions(0.1));
    check_trajectory(opt, p, ref_sgd(0, 0, 0, false));
  }
  SECTION("momentum, dampening, weight decay") {
    Tensor p = param();
    optim::SGD opt({p}, optim::SGDOptions(0.05).momentum(0.9).dampening(0.3).weight_decay(0.1));
    check_trajectory(opt, p, ref_sgd(0.9, 0.3, 0.1, false));
  }
  SECTION("nesterov") {
    Tensor p = param();
    optim::SGD opt({p}, optim::SGDOptions(0.05).momentum(0.5).nesterov(true));
    check_trajectory(opt, p, ref_sgd(0.5, 0, 0, true));
  }
  CHECK_THROWS_WITH(optim::SGD({param()}, optim::SGDOptions(0.1).nesterov(true)),
                    "[SGD] Nesterov momentum requires a momentum and zero dampening");
}

TEST_CASE("optim: Adam and AdamW trajectories", "[optim]") {
  SECTION("Adam") {
    Tensor p = param();
    optim::Adam opt({p}, optim::AdamOptions(0.1).betas({0.8, 0.95}).eps(1e-6));
    check_trajectory(opt, p, ref_adam(0.8, 0.95, 1e-6, 0, false));
  }
  SECTION("Adam with weight decay") {
    Tensor p = param();
    optim::Adam opt({p}, optim::AdamOptions(0.05).weight_decay(0.2));
    check_trajectory(opt, p, ref_adam(0.9, 0.999, 1e-8, 0.2, false));
  }
  SECTION("AdamW") {
    Tensor p = param();
    optim::AdamW opt({p}, optim::AdamWOptions(0.05).weight_decay(0.3));
    check_trajectory(opt, p, ref_adam(0.9, 0.999, 1e-8, 0.3, true));
  }
  SECTION("Adam and AdamW with amsgrad") {
    // A large first gradient then small ones: v decays below its maximum, which then rules.
    Tensor p = param();
    optim::Adam opt({p}, optim::AdamOptions(0.2).betas({0.5, 0.6}).amsgrad(true));
    check_trajectory(opt, p, ref_adam(0.5, 0.6, 1e-8, 0, false, true));
    Tensor q = param();
    optim::AdamW optw({q}, optim::AdamWOptions(0.2).betas({0.5, 0.6}).amsgrad(true));
    check_trajectory(optw, q, ref_adam(0.5, 0.6, 1e-8, 1e-2, true, true));
    CHECK(opt.state_tensors(0).size() == 4);  // exp_avg, exp_avg_sq, max_exp_avg_sq, step
  }
}

TEST_CASE("optim: libtorch's forms: a bare learning rate, frozen parameters", "[optim]") {
  // Options convert from a learning rate, as libtorch's do.
  Tensor p = param();
  optim::SGD sgd({p}, 0.1);
  check_trajectory(sgd, p, ref_sgd(0, 0, 0, false));
  Tensor q = param();
  optim::Adam adam({q}, 0.05);
  check_trajectory(adam, q, ref_adam(0.9, 0.999, 1e-8, 0, false));
  // A parameter that does not require grad (a frozen layer) is accepted and left alone.
  Tensor trained = param();
  Tensor frozen = kiln::from_vector(kStart, {2}, kiln::kFloat64);
  optim::SGD opt({trained, frozen}, optim::SGDOptions(0.1));
  loss_of(trained + frozen).backward();
  opt.step();
  CHECK(frozen.to_vector<double>() == kStart);
  CHECK(trained.to_vector<double>() != kStart);
  // A non-leaf still cannot be optimized.
  CHECK_THROWS_AS(optim::SGD({param() * 2.0}, 0.1), kiln::ValueError);
}

TEST_CASE("optim: RMSprop trajectories", "[optim]") {
  SECTION("plain") {
    Tensor p = param();
    optim::RMSprop opt({p}, optim::RMSpropOptions(0.01));
    check_trajectory(opt, p, ref_rmsprop(0.99, 1e-8, 0, 0, false));
  }
  SECTION("centered, momentum, weight decay") {
    Tensor p = param();
    optim::RMSprop opt(
        {p},
        optim::RMSpropOptions(0.01).alpha(0.9).centered(true).momentum(0.5).weight_decay(0.05));
    check_trajectory(opt, p, ref_rmsprop(0.9, 1e-8, 0.05, 0.5, true));
  }
}

TEST_CASE("optim: schedules change the learning rate without recompiling", "[optim]") {
  SECTION("StepLR with SGD momentum") {
    Tensor p = param();
    optim::SGD opt({p}, optim::SGDOptions(0.1).momentum(0.5));
    optim::StepLR sched(opt, 3, 0.5);
    int64_t compiled = 0;
    check_trajectory(opt, p, ref_sgd(0.5, 0, 0, false), [&](int t) {
      sched.step();
      CHECK(opt.lr() == Approx(0.1 * std::pow(0.5, t / 3)));
      if (t == 3) compiled = kiln::stats().programs_compiled;
      if (t == 20) CHECK(kiln::stats().programs_compiled == compiled);
    });
  }
  SECTION("CosineAnnealingLR with Adam") {
    Tensor p = param();
    optim::Adam opt({p}, optim::AdamOptions(0.2));
    optim::CosineAnnealingLR sched(opt, 10, 0.01);
    int64_t compiled = 0;
    check_trajectory(opt, p, ref_adam(0.9, 0.999, 1e-8, 0, false), [&](int t) {
      sched.step();
      CHECK(opt.lr() ==
            Approx(0.01 + (0.2 - 0.01) * (1 + std::cos(std::numbers::pi * t / 10)) / 2));
      if (t == 2) compiled = kiln::stats().programs_compiled;
      if (t == 20) CHECK(kiln::stats().programs_compiled == compiled);
    });
  }
}

TEST_CASE("optim: zero_grad and one program per step", "[optim]") {
  Tensor p = param();
  optim::Adam opt({p}, optim::AdamOptions(0.1));
  loss_of(p).backward();
  REQUIRE(p.grad().defined());
  opt.zero_grad(false);
  CHECK(p.grad().to_vector<double>() == std::vector<double>{0, 0});
  opt.zero_grad();
  CHECK_FALSE(p.grad().defined());
  opt.step();  // no gradient: the parameter stays
  CHECK(p.to_vector<double>() == kStart);
  for (int t = 0; t < 3; ++t) {
    loss_of(p).backward();
    opt.step();
    opt.zero_grad();
  }
  kiln::reset_stats();
  loss_of(p).backward();
  opt.step();  // forward, backward and update: one program, already compiled
  CHECK(kiln::stats().programs_compiled == 0);
  CHECK(kiln::stats().program_cache_hits == 1);
  CHECK(p.grad().defined());  // realized with the step, still there until zero_grad
}

TEST_CASE("optim: an MLP learns a synthetic 2-D classification", "[optim]") {
  // Two interleaved spirals' worth of difficulty is not needed: points inside vs outside a
  // circle of radius 1 (not linearly separable).
  const int n = 256;
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-1.6f, 1.6f);
  std::vector<float> xs;
  std::vector<int64_t> ys;
  for (int i = 0; i < n; ++i) {
    float a = u(gen), b = u(gen);
    xs.insert(xs.end(), {a, b});
    ys.push_back(a * a + b * b < 1.0f ? 1 : 0);
  }
  Tensor x = kiln::from_vector(xs, {n, 2});
  Tensor y = kiln::from_vector(ys, {n, 1});
  kiln::manual_seed(3);
  Tensor w1 = (kiln::randn({2, 32}) * 0.7).detach().requires_grad_();
  Tensor b1 = kiln::zeros({32}).requires_grad_();
  Tensor w2 = (kiln::randn({32, 2}) * 0.2).detach().requires_grad_();
  Tensor b2 = kiln::zeros({2}).requires_grad_();
  optim::Adam opt({w1, b1, w2, b2}, optim::AdamOptions(0.03));
  auto logits = [&] { return kiln::matmul(kiln::relu(kiln::matmul(x, w1) + b1), w2) + b2; };
  double first_loss = 0;
  for (int step = 0; step < 300; ++step) {
    Tensor loss = -logits().log_softmax(1).gather(1, y).mean();
    loss.backward();
    opt.step();
    opt.zero_grad();
    if (step == 0) first_loss = loss.item<double>();
  }
  Tensor pred = logits().argmax(1);
  double accuracy = (pred == y.squeeze(1)).to(kiln::kFloat32).mean().item<double>();
  INFO("first loss " << first_loss << ", accuracy " << accuracy);
  CHECK(accuracy > 0.95);
}
