// Horizontal and multi-output fusion: independent kernels of one program merge into one, an
// output that others read is recomputed by them, a reshaped product is written by its GEMM;
// each compared with the reference interpreter on the same graphs.
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/interpreter.h"

namespace {

using kiln::Tensor;

Tensor realized(Tensor t) {
  t.eval();
  return t;
}

/// The interpreter's values of `ts` (before they are realized), in order.
std::vector<std::vector<double>> expected(const std::vector<Tensor>& ts) {
  std::vector<std::vector<double>> out;
  for (const Tensor& t : ts) {
    auto b = kiln::ir::interpret({t.contiguous().node()})[0];
    std::vector<double> v(static_cast<size_t>(b->numel()));
    for (int64_t i = 0; i < b->numel(); ++i) v[static_cast<size_t>(i)] = b->get(i);
    out.push_back(std::move(v));
  }
  return out;
}

/// Realizes `ts` in one program; returns its kernel launches and checks every value.
int64_t check_eval(const std::vector<Tensor>& ts) {
  auto want = expected(ts);
  int64_t before = kiln::stats().kernel_launches;
  kiln::eval(ts);
  int64_t launches = kiln::stats().kernel_launches - before;
  for (size_t i = 0; i < ts.size(); ++i) {
    auto got = ts[i].to_vector<double>();
    REQUIRE(got.size() == want[i].size());
    for (size_t j = 0; j < got.size(); ++j)
      REQUIRE(got[j] == Approx(want[i][j]).epsilon(1e-4).margin(1e-4));  // f32 vs double
  }
  return launches;
}

}  // namespace

TEST_CASE("independent outputs of different shapes are one kernel", "[fusion][multi]") {
  kiln::manual_seed(2);
  Tensor a = realized(kiln::randn({64, 33}));
  Tensor b = realized(kiln::randn({7}));
  Tensor c = realized(kiln::randn({5, 40}));
  Tensor ya = kiln::tanh(a) * 2 + 1;
  Tensor yb = kiln::exp(b) - b;
  Tensor yc = c.sum(1);  // a row reduction beside the elementwise loops
  REQUIRE(check_eval({ya, yb, yc}) == 1);
}

TEST_CASE("an output read by another output is recomputed: one kernel, one loop",
          "[fusion][multi]") {
  // The shape of an Adam update: moments m, v and the parameter p that reads them.
  kiln::manual_seed(3);
  Tensor p = realized(kiln::randn({300, 17}));
  Tensor g = realized(kiln::randn({300, 17}));
  Tensor m = realized(kiln::randn({300, 17}));
  Tensor v = realized(kiln::rand({300, 17}));
  Tensor p2 = realized(kiln::randn({9}));
  Tensor g2 = realized(kiln::randn({9}));
  Tensor m_new = m + (g - m) * 0.1;
  Tensor v_new = v * 0.999 + g * g * 0.001;
  Tensor p_new = p - m_new / (kiln::sqrt(v_new) + 1e-8) * 0.01;
  Tensor p2_new = p2 - g2 * 0.5;
  REQUIRE(check_eval({m_new, v_new, p_new, p2_new}) == 1);
}

TEST_CASE("a kernel that reads another's result still runs after it", "[fusion][multi]") {
  kiln::manual_seed(4);
  Tensor x = realized(kiln::randn({32, 32}));
  Tensor s = kiln::exp(x).sum(1, true);  // a reduction: read from its buffer, not recomputed
  Tensor y = x / s;                      // reads s at other rows than its own
  Tensor z = kiln::exp(x).sum(0);        // independent of both
  Tensor w = y.t().sum(1) + z;           // depends on y and z
  REQUIRE(check_eval({s, y, z, w}) <= 3);
}

TEST_CASE("a weight's gradient is written by its GEMM, with no copy kernel", "[fusion][multi]") {
  Tensor w = realized(kiln::randn({16, 24})).requires_grad_();
  Tensor x = realized(kiln::randn({40, 24}));
  Tensor dy = realized(kiln::randn({40, 16}));
  // Linear: out = x w^T, so dw = (x^T dy)^T, which simplifies to dy^T x.
  Tensor dw = kiln::autograd::grad({kiln::nn::functional::linear(x, w)}, {w}, {dy})[0];
  REQUIRE(check_eval({dw}) == 1);
}

TEST_CASE("a training step of an MLP launches one kernel per matmul and a few more",
          "[fusion][multi]") {
  kiln::manual_seed(3);
  namespace nn = kiln::nn;
  nn::Sequential model(nn::Linear(20, 32), nn::ReLU(), nn::Linear(32, 32), nn::ReLU(),
                       nn::Linear(32, 4));
  kiln::optim::Adam opt(model->parameters(), kiln::optim::AdamOptions(1e-2));
  Tensor x = realized(kiln::randn({16, 20}));
  Tensor y = realized(kiln::randint(0, 4, {16}));
  auto step = [&] {
    Tensor loss = kiln::nn::functional::cross_entropy(model->forward(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  };
  step();  // the first step's state starts as zeros: another graph
  int64_t before = kiln::stats().kernel_launches;
  step();
  // 3 forward GEMMs and 5 backward ones (dW of 3 layers, dX of 2), the cross-entropy rows,
  // the bias gradients (column sums) and one kernel for all of Adam's updates.
  int64_t launches = kiln::stats().kernel_launches - before;
  CHECK(launches <= 14);
  INFO("kernels per step: " << launches);
}
