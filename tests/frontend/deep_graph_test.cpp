// Deep graphs: past kMaxPendingDepth a graph is realized as soon as a tensor reads it, so that
// memory and compile time stay bounded. backward() of a deep network must then realize its
// parameters' gradients together, in one program, not one program per parameter over the shared
// part of the gradient graph (which made a 256-layer MLP's backward take 38 s).
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

TEST_CASE("deep graphs: backward realizes all the gradients in one program", "[autograd]") {
  // 2500 layers h = h * w_i: the gradient graph is far past the pending-depth limit. Every
  // w_i is 1, so each gradient is sum(x).
  const int layers = 2500;
  std::vector<kiln::Tensor> ws;
  for (int i = 0; i < layers; ++i) ws.push_back(kiln::ones({1}).requires_grad_());
  auto x = kiln::arange(6.0).reshape({2, 3});
  auto h = x;
  for (const auto& w : ws) h = h * w;
  auto loss = h.sum();
  loss.eval();
  const kiln::Stats before = kiln::stats();
  loss.backward();
  const kiln::Stats after = kiln::stats();
  int64_t programs = (after.programs_compiled - before.programs_compiled) +
                     (after.program_cache_hits - before.program_cache_hits);
  CHECK(programs <= 1);
  for (int i : {0, 1, layers / 2, layers - 1}) {
    INFO("layer " << i);
    CHECK(ws[static_cast<size_t>(i)].grad().item<double>() == 15.0);
  }
}
