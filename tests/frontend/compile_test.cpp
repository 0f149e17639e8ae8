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
  // (A pending argument is realized on its own before a compiled call.)
  kiln::eval({p.x, p.y});
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
    // (the first step's optimizer state starts as zeros) nothing compiles, and once two
    // traces agree, calls replay without tracing.
    auto st = kiln::stats();
    CHECK(st.program_cache_hits + st.programs_compiled + st.compiled_replays == 1);
    if (i >= 2) CHECK(st.programs_compiled == 0);
    if (i >= 3) CHECK(st.compiled_replays == 1);
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
  // runtime/error.h documents ValueError for a value read where none may be.
  CHECK_THROWS_AS(f(kiln::ones({1})), kiln::ValueError);
  auto g = kiln::compile([](Tensor x) {
    (void)x.to_vector<float>();
    return x;
  });
  CHECK_THROWS_AS(g(kiln::ones({2})), kiln::ValueError);
  // Outside, reading works again.
  REQUIRE((kiln::ones({1}) * 2).item<float>() == 2.0f);
}

TEST_CASE("compile: a replay checks its index arguments as a first run does", "[compile]") {
  // The program is traced once; later calls bind new index buffers to it, and an index out of
  // range must still be an IndexError (PyTorch: "index 3 is out of bounds ..."), not a clamped
  // read in the kernel.
  auto f = kiln::compile([](Tensor x, Tensor idx) { return x.index_select(1, idx) * 2; });
  auto ids = [](std::vector<int64_t> v) {
    Tensor t = kiln::from_vector(v, {static_cast<int64_t>(v.size())});
    t.eval();
    return t;
  };
  Tensor x = kiln::arange(6, kiln::kFloat32).view({2, 3});
  x.eval();
  CHECK(f(x, ids({2, 0})).to_vector<float>() == std::vector<float>{4, 0, 10, 6});
  CHECK(f(x, ids({1, 1})).to_vector<float>() == std::vector<float>{2, 2, 8, 8});
  kiln::reset_stats();  // two traces agreed: from here on, calls replay
  CHECK(f(x, ids({0, 1})).to_vector<float>() == std::vector<float>{0, 2, 6, 8});
  REQUIRE(kiln::stats().compiled_replays == 1);
  CHECK_THROWS_WITH(f(x, ids({0, 3})),
                    Catch::Contains("[index_select] index 3 is out of bounds for dimension 1"));
  CHECK_THROWS_AS(f(x, ids({-1, 0})), kiln::IndexError);
  CHECK(f(x, ids({0, 2})).to_vector<float>() == std::vector<float>{0, 4, 6, 10});
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

namespace {

/// One training step of `w` on (x, y) with `opt`, as user code writes it.
Tensor train_step(const std::vector<Tensor>& w, kiln::optim::Optimizer& opt, const Tensor& x,
                  const Tensor& y) {
  Tensor loss = loss_of(w, x, y);
  opt.zero_grad();
  loss.backward();
  opt.step();
  return loss;
}

void require_same(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  for (size_t p = 0; p < a.size(); ++p) {
    auto va = a[p].to_vector<double>(), vb = b[p].to_vector<double>();
    REQUIRE(va.size() == vb.size());
    for (size_t i = 0; i < va.size(); ++i) REQUIRE(vb[i] == Approx(va[i]).epsilon(1e-6));
  }
}

}  // namespace

TEST_CASE("compile: replays follow StepLR and set_lr without recompiling", "[compile]") {
  Problem a = make_problem(), b = make_problem();
  kiln::optim::Adam opt_a(a.params, kiln::optim::AdamOptions(1e-2));
  kiln::optim::Adam opt_b(b.params, kiln::optim::AdamOptions(1e-2));
  kiln::optim::StepLR sched_a(opt_a, 2, 0.5), sched_b(opt_b, 2, 0.5);
  auto step = kiln::compile([&](Tensor x, Tensor y) { return train_step(b.params, opt_b, x, y); });
  std::vector<Tensor> losses;
  std::vector<double> want;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) {
      opt_a.set_lr(0.03);
      opt_b.set_lr(0.03);
    }
    Tensor loss_a = train_step(a.params, opt_a, a.x, a.y);
    sched_a.step();
    kiln::reset_stats();
    Tensor loss_b = step(b.x, b.y);
    sched_b.step();
    auto st = kiln::stats();
    if (i >= 3) {
      CHECK(st.compiled_replays == 1);
      CHECK(st.programs_compiled == 0);
      CHECK(st.program_cache_hits == 0);  // no trace, no hash
    }
    want.push_back(loss_a.item<double>());
    losses.push_back(loss_b);
  }
  // Each call's loss is its own tensor: later replays do not overwrite earlier results.
  for (size_t i = 0; i < losses.size(); ++i)
    REQUIRE(losses[i].item<double>() == Approx(want[i]).epsilon(1e-6));
  require_same(a.params, b.params);
  // The gradients the last replay computed are the parameters' .grad().
  for (size_t p = 0; p < a.params.size(); ++p)
    require_same({a.params[p].grad()}, {b.params[p].grad()});
}

TEST_CASE("compile: SGD with momentum replays the same trajectory", "[compile]") {
  Problem a = make_problem(), b = make_problem();
  kiln::optim::SGD opt_a(a.params, kiln::optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
  kiln::optim::SGD opt_b(b.params, kiln::optim::SGDOptions(0.05).momentum(0.9).nesterov(true));
  auto step = kiln::compile([&](Tensor x, Tensor y) { return train_step(b.params, opt_b, x, y); });
  for (int i = 0; i < 6; ++i) {
    double la = train_step(a.params, opt_a, a.x, a.y).item<double>();
    REQUIRE(step(b.x, b.y).item<double>() == Approx(la).epsilon(1e-6));
  }
  require_same(a.params, b.params);
}

TEST_CASE("compile: new inputs of the same signature replay; another signature traces again",
          "[compile]") {
  int traced = 0;
  auto f = kiln::compile(
      [&](Tensor x) {
        ++traced;
        return x * 2 + 1;
      },
      2);
  auto input = [](int64_t n, double start) {
    Tensor t = kiln::arange(start, start + static_cast<double>(n), 1.0);
    t.eval();
    return t;
  };
  Tensor r1 = f(input(3, 0));
  Tensor r2 = f(input(3, 10));
  Tensor r3 = f(input(3, 20));  // two traces agreed: replayed
  CHECK(traced == 2);
  REQUIRE(r1.to_vector<double>() == std::vector<double>{1, 3, 5});
  REQUIRE(r2.to_vector<double>() == std::vector<double>{21, 23, 25});
  REQUIRE(r3.to_vector<double>() == std::vector<double>{41, 43, 45});
  REQUIRE(f(input(4, 0)).to_vector<double>() == std::vector<double>{1, 3, 5, 7});
  CHECK(traced == 3);
  REQUIRE(f.cached_signatures() == 2);
  f(input(5, 0));  // a third signature: the least recently used ([3]) goes
  REQUIRE(f.cached_signatures() == 2);
  CHECK(traced == 4);
  REQUIRE(f(input(3, 1)).to_vector<double>() == std::vector<double>{3, 5, 7});
  CHECK(traced == 5);  // [3] was evicted: traced again
  // A non-contiguous argument of the same shape is another signature.
  Tensor m = kiln::arange(0.0, 6.0, 1.0).reshape({3, 2});
  m.eval();
  REQUIRE(f(m.t().select(0, 1)).to_vector<double>() == std::vector<double>{3, 7, 11});
  CHECK(traced == 6);
}

TEST_CASE("compile: a host value read through a new tensor each call is never replayed stale",
          "[compile]") {
  double scale = 1;
  auto f = kiln::compile([&](Tensor x) { return x * kiln::tensor({scale}); });
  Tensor x = kiln::ones({2});
  x.eval();
  for (int i = 0; i < 5; ++i) {
    scale = 1 + i;
    REQUIRE(f(x).to_vector<double>() == std::vector<double>{scale, scale});
  }
}

TEST_CASE("compile: dropout replays with new masks, the same numbers as uncompiled", "[compile]") {
  auto run = [](bool compiled, std::vector<int64_t>* compiles) {
    kiln::manual_seed(11);
    namespace nn = kiln::nn;
    nn::Sequential model(nn::Linear(6, 16), nn::ReLU(), nn::Dropout(0.3), nn::Linear(16, 3));
    kiln::optim::SGD opt(model->parameters(), kiln::optim::SGDOptions(0.1));
    Tensor x = kiln::randn({8, 6});
    Tensor y = kiln::randint(0, 3, {8});
    kiln::eval({x, y});
    auto body = [&](Tensor xb, Tensor yb) {
      Tensor loss = kiln::nn::functional::cross_entropy(model->forward(xb), yb);
      opt.zero_grad();
      loss.backward();
      opt.step();
      return loss;
    };
    auto step = kiln::compile(body);
    std::vector<double> losses;
    for (int i = 0; i < 6; ++i) {
      kiln::reset_stats();
      losses.push_back((compiled ? step(x, y) : body(x, y)).item<double>());
      compiles->push_back(kiln::stats().programs_compiled);
      if (compiled && i >= 3) CHECK(kiln::stats().compiled_replays == 1);
    }
    // The parameters end where they do uncompiled, and the generator moved as far: the next
    // random numbers are the same.
    losses.push_back(kiln::rand({1}).item<double>());
    return losses;
  };
  std::vector<int64_t> eager_compiles, compiled_compiles;
  auto eager = run(false, &eager_compiles);
  auto compiled = run(true, &compiled_compiles);
  for (size_t i = 0; i < eager.size(); ++i) REQUIRE(compiled[i] == Approx(eager[i]).epsilon(1e-6));
  // A new dropout mask each step is a new stream, read at run time: nothing recompiles.
  for (size_t i = 2; i < eager_compiles.size(); ++i) {
    CHECK(eager_compiles[i] == 0);
    CHECK(compiled_compiles[i] == 0);
  }
}

TEST_CASE("compile: moving a tensor to another device inside a compiled function throws",
          "[compile]") {
  // The copy between devices is eager: refused at the call inside a trace (before asking for
  // the device, so the message is the same with or without a GPU).
  auto f = kiln::compile([](Tensor x) { return (x * 2).to(kiln::Device(kiln::kCUDA)); });
  REQUIRE_THROWS_WITH(f(kiln::ones({3})),
                      Catch::Contains("to(device)") && Catch::Contains("inside a kiln::compile"));
  REQUIRE((kiln::ones({1}) * 2).item<float>() == 2.0f);
}
