// Parameters and optimizer state updated in place: after its first step, an optimizer's step
// (uncompiled, or replayed by kiln::compile) writes every parameter and state tensor into the
// buffer it already holds, with the same numbers as an update into new buffers; anything that
// still reads an old value (a pending expression of a parameter) keeps that update out of place
// and sees the old value; views and detach() share the updated storage; a loss realized before
// the step no longer differentiates after it (PyTorch's "modified by an inplace operation").
#include <functional>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/frontend/optim.h>
#include <kiln/kiln.h>

namespace {

using kiln::Tensor;
namespace optim = kiln::optim;

struct Net {
  std::vector<Tensor> params;
  Tensor x, y;
};

Net make_net() {
  kiln::manual_seed(11);
  Net n;
  n.params = {(kiln::randn({5, 7}) * 0.4).detach().requires_grad_(),
              kiln::zeros({7}).requires_grad_(),
              (kiln::randn({7, 3}) * 0.4).detach().requires_grad_()};
  n.x = kiln::randn({9, 5});
  n.y = kiln::randint(0, 3, {9, 1});
  kiln::eval({n.x, n.y});
  return n;
}

Tensor loss_of(const Net& n) {
  Tensor h = kiln::relu(kiln::matmul(n.x, n.params[0]) + n.params[1]);
  return -kiln::gather(kiln::log_softmax(kiln::matmul(h, n.params[2]), 1), 1, n.y).mean();
}

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

std::vector<std::pair<const char*, MakeOpt>> optimizers() {
  return {
      {"SGD momentum",
       [](auto p) {
         return std::make_unique<optim::SGD>(p, optim::SGDOptions(0.1).momentum(0.9));
       }},
      {"Adam", [](auto p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions(0.05)); }},
      {"AdamW",
       [](auto p) {
         return std::make_unique<optim::AdamW>(p, optim::AdamWOptions(0.05).weight_decay(0.1));
       }},
      {"RMSprop centered momentum",
       [](auto p) {
         return std::make_unique<optim::RMSprop>(
             p, optim::RMSpropOptions(0.01).momentum(0.5).centered(true));
       }},
  };
}

/// The buffers of every parameter and state tensor of `opt`.
std::vector<const void*> addresses(const optim::Optimizer& opt) {
  std::vector<const void*> out;
  for (size_t i = 0; i < opt.parameters().size(); ++i) {
    out.push_back(kiln::storage_address(opt.parameters()[i]));
    for (const Tensor& s : opt.state_tensors(i)) out.push_back(kiln::storage_address(s));
  }
  return out;
}

std::vector<std::vector<double>> values(const std::vector<Tensor>& ts) {
  std::vector<std::vector<double>> out;
  for (const Tensor& t : ts) out.push_back(t.to_vector<double>());
  return out;
}

/// Runs `steps` uncompiled steps, reading each loss after its step; with `hold`, a pending
/// expression of every parameter's old value lives across each step (and is checked after it).
std::vector<double> train(Net& n, optim::Optimizer& opt, int steps, bool hold,
                          const std::function<void(int)>& after = {}) {
  std::vector<double> losses;
  for (int t = 0; t < steps; ++t) {
    opt.zero_grad();
    Tensor loss = loss_of(n);
    loss.backward();
    std::vector<Tensor> old;
    std::vector<std::vector<double>> old_values;
    if (hold) {
      old_values = values(n.params);
      for (const Tensor& p : n.params) old.push_back(p * 1.0);
    }
    opt.step();
    losses.push_back(loss.item<double>());
    if (hold) REQUIRE(values(old) == old_values);
    if (after) after(t);
  }
  return losses;
}

}  // namespace

TEST_CASE("in place: an optimizer step keeps the buffers of parameters and state", "[in_place]") {
  for (const auto& [name, make] : optimizers()) {
    INFO(name);
    Net a = make_net(), b = make_net();
    auto opt_a = make(a.params), opt_b = make(b.params);
    std::vector<const void*> first;
    int64_t per_step = 0;
    auto losses_a = train(a, *opt_a, 6, false, [&](int t) {
      // The first step makes the state; from the second on, nothing moves.
      if (t == 0) {
        first = addresses(*opt_a);
        kiln::reset_stats();
      } else {
        CHECK(addresses(*opt_a) == first);
        if (t == 1) per_step = kiln::stats().in_place_outputs;
      }
    });
    CHECK(per_step == static_cast<int64_t>(first.size()));
    // The same steps into new buffers (a pending read of each old value) give the same numbers.
    auto losses_b = train(b, *opt_b, 6, true);
    CHECK(losses_a == losses_b);
    CHECK(values(a.params) == values(b.params));
    for (size_t i = 0; i < a.params.size(); ++i)
      CHECK(values(opt_a->state_tensors(i)) == values(opt_b->state_tensors(i)));
  }
}

TEST_CASE("in place: a pending read of the old value keeps the update out of place", "[in_place]") {
  Net n = make_net();
  optim::Adam opt(n.params, optim::AdamOptions(0.05));
  train(n, opt, 2, false);
  Tensor& w = n.params[0];
  const void* before = kiln::storage_address(w);
  std::vector<double> old = w.to_vector<double>();
  SECTION("an expression of the parameter") {
    Tensor twice = w * 2.0;
    train(n, opt, 1, false);
    CHECK(kiln::storage_address(w) != before);
    std::vector<double> got = twice.to_vector<double>();
    for (size_t i = 0; i < old.size(); ++i) CHECK(got[i] == 2.0 * old[i]);
  }
  SECTION("an expression of a view of the parameter") {
    Tensor row = w.narrow(0, 1, 1).flatten() + 0.0;
    train(n, opt, 1, false);
    CHECK(kiln::storage_address(w) != before);
    std::vector<double> got = row.to_vector<double>();
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == old[7 + i]);
  }
  SECTION("a realized clone (which shares the buffer until one of them is written)") {
    Tensor copy = w.clone();
    copy.eval();
    train(n, opt, 1, false);
    CHECK(kiln::storage_address(w) != before);
    CHECK(copy.to_vector<double>() == old);
  }
  SECTION("views and detach() share the storage, and see the update in place") {
    Tensor view = w.view({-1});
    Tensor detached = w.detach();
    train(n, opt, 1, false);
    CHECK(kiln::storage_address(w) == before);
    std::vector<double> now = w.to_vector<double>();
    CHECK(now != old);
    CHECK(view.to_vector<double>() == now);
    CHECK(detached.to_vector<double>() == now);
  }
  // Once nothing reads the old value, the next step is in place again.
  const void* now = kiln::storage_address(w);
  train(n, opt, 1, false);
  CHECK(kiln::storage_address(w) == now);
}

TEST_CASE("in place: a loss realized before the step no longer differentiates after it",
          "[in_place]") {
  Net n = make_net();
  optim::SGD opt(n.params, optim::SGDOptions(0.1));
  train(n, opt, 1, false);
  const void* before = kiln::storage_address(n.params[0]);
  opt.zero_grad();
  Tensor loss = loss_of(n);
  loss.backward();
  double value = loss.item<double>();  // realized: its graph is remembered for autograd
  opt.step();
  CHECK(kiln::storage_address(n.params[0]) == before);
  CHECK(loss.item<double>() == value);
  CHECK(loss.requires_grad());
  CHECK_THROWS_WITH(loss.backward(), Catch::Contains("modified by an inplace operation"));
}

TEST_CASE("in place: compiled steps replay into the same buffers, as uncompiled steps do",
          "[in_place][compile]") {
  Net a = make_net(), b = make_net();
  optim::Adam opt_a(a.params, optim::AdamOptions(0.05)), opt_b(b.params, optim::AdamOptions(0.05));
  auto step = kiln::compile([&](Tensor x, Tensor y) {
    opt_b.zero_grad();
    Net view{b.params, x, y};
    Tensor loss = loss_of(view);
    loss.backward();
    opt_b.step();
    return loss;
  });
  std::vector<Tensor> losses;  // kept: their realized graphs must not stop the replays
  std::vector<const void*> first;
  for (int t = 0; t < 8; ++t) {
    double want = train(a, opt_a, 1, false)[0];
    kiln::reset_stats();
    losses.push_back(step(b.x, b.y));
    REQUIRE(losses.back().item<double>() == want);
    if (t >= 3) {
      CHECK(kiln::stats().compiled_replays == 1);
      CHECK(kiln::stats().in_place_outputs == static_cast<int64_t>(first.size()));
      CHECK(addresses(opt_b) == first);
    }
    if (t == 2) first = addresses(opt_b);
  }
  CHECK(values(a.params) == values(b.params));
  // A pending read of a parameter's old value between calls: that replay writes a copy.
  Tensor old = b.params[2] * 1.0;
  std::vector<double> old_values = b.params[2].to_vector<double>();
  kiln::reset_stats();
  step(b.x, b.y);
  CHECK(kiln::stats().compiled_replays == 1);
  CHECK(kiln::storage_address(b.params[2]) != first[6]);
  CHECK(old.to_vector<double>() == old_values);
  train(a, opt_a, 1, false);
  CHECK(values(a.params) == values(b.params));
}

TEST_CASE("in place: on the GPU, steps keep their buffers and replay as a CUDA graph", "[cuda]") {
  if (!kiln::cuda::is_available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  Net n = make_net();
  for (Tensor& p : n.params) p = p.to(kiln::kCUDA).detach().requires_grad_();
  n.x = n.x.to(kiln::kCUDA);
  n.y = n.y.to(kiln::kCUDA);
  optim::Adam opt(n.params, optim::AdamOptions(0.05));
  std::vector<const void*> first;
  train(n, opt, 6, false, [&](int t) {
    if (t == 1) {
      first = addresses(opt);
      kiln::reset_stats();
    }
    if (t > 1) CHECK(addresses(opt) == first);
  });
  // The same addresses each step: a later step replays its captured graph.
  CHECK(kiln::stats().cuda_graph_replays >= 1);
}
