// Kernel counts of fused programs (DESIGN.md fusion rules): each realization below is one
// program; kiln::stats().kernel_launches says how many kernels it ran.
#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

/// Realizes `t` and returns the number of kernels that took.
int64_t kernels_for(const kiln::Tensor& t) {
  int64_t before = kiln::stats().kernel_launches;
  t.eval();
  return kiln::stats().kernel_launches - before;
}

kiln::Tensor realized(kiln::Tensor t) {
  t.eval();
  return t;
}

kiln::Tensor layer_norm(const kiln::Tensor& x, const kiln::Tensor& w, const kiln::Tensor& b,
                        double eps) {
  auto mean = x.mean(-1, true);
  auto centered = x - mean;
  auto var = (centered * centered).mean(-1, true);
  return centered / kiln::sqrt(var + eps) * w + b;
}

}  // namespace

TEST_CASE("an elementwise chain is one kernel", "[fusion]") {
  auto x = realized(kiln::randn({64, 33}));
  auto a = realized(kiln::randn({33}));
  auto b = realized(kiln::randn({64, 1}));
  auto y = kiln::gelu(x * a + b) * kiln::sigmoid(x);
  REQUIRE(kernels_for(y) == 1);
}

TEST_CASE("softmax over rows is one kernel", "[fusion]") {
  auto x = realized(kiln::randn({32, 100}));
  auto y = kiln::softmax(x, 1);
  REQUIRE(kernels_for(y) == 1);
  auto rows = y.sum(1).to_vector<float>();
  for (float r : rows) REQUIRE(r == Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("log_softmax over rows is one kernel", "[fusion]") {
  auto x = realized(kiln::randn({8, 50}));
  REQUIRE(kernels_for(kiln::log_softmax(x, 1)) == 1);
}

TEST_CASE("layer_norm with weight and bias is one kernel", "[fusion]") {
  auto x = realized(kiln::randn({16, 64}));
  auto w = realized(kiln::rand({64}));
  auto b = realized(kiln::rand({64}));
  auto y = layer_norm(x, w, b, 1e-5);
  REQUIRE(kernels_for(y) == 1);
  // Each normalized row (before weight and bias) has mean 0 and variance 1.
  auto z = layer_norm(x, kiln::ones({64}), kiln::zeros({64}), 1e-5);
  for (float m : z.mean(1).to_vector<float>()) REQUIRE(std::abs(m) < 1e-5);
}

TEST_CASE("a reduction of a product is one kernel", "[fusion]") {
  auto x = realized(kiln::randn({1000}));
  auto y = realized(kiln::randn({1000}));
  REQUIRE(kernels_for((x * y).sum()) == 1);
  REQUIRE(kernels_for((x * y).sum(0, true) / 3.0) == 1);
}

TEST_CASE("cross-entropy-style rows fuse into one kernel per row block", "[fusion]") {
  auto logits = realized(kiln::randn({16, 10}));
  auto target = realized(kiln::randint(0, 10, {16}));
  auto picked = logits.gather(1, target.unsqueeze(1)).squeeze(1);
  auto per_row = kiln::logsumexp(logits, {1}) - picked;
  REQUIRE(kernels_for(per_row) == 1);
}

TEST_CASE("an MLP forward is one kernel per matmul", "[fusion]") {
  auto x = realized(kiln::randn({8, 20}));
  auto w1 = realized(kiln::randn({20, 30}));
  auto b1 = realized(kiln::randn({30}));
  auto w2 = realized(kiln::randn({30, 5}));
  auto b2 = realized(kiln::randn({5}));
  auto h = kiln::relu(x.matmul(w1) + b1);
  auto y = h.matmul(w2) + b2;
  REQUIRE(kernels_for(y) == 2);
}

TEST_CASE("realizing the same shape of graph again compiles nothing", "[fusion]") {
  auto x = realized(kiln::randn({10, 10}));
  auto x2 = realized(kiln::randn({10, 10}));
  kiln::softmax(x * 2, 1).eval();
  auto before = kiln::stats();
  kiln::softmax(x2 * 2, 1).eval();
  auto after = kiln::stats();
  REQUIRE(after.programs_compiled == before.programs_compiled);
  REQUIRE(after.program_cache_hits == before.program_cache_hits + 1);
}

TEST_CASE("a sum of 600 tensors splits into kernels of at most 256 inputs (rule 6)", "[fusion]") {
  std::vector<kiln::Tensor> xs;
  for (int i = 0; i < 600; ++i) xs.push_back(realized(kiln::full({5}, 0.25 * (i % 7) - 0.5)));
  kiln::Tensor total = xs[0];
  for (size_t i = 1; i < xs.size(); ++i) total = total + xs[i];
  int64_t kernels = kernels_for(total);
  CHECK(kernels >= 3);
  CHECK(kernels <= 4);
  double want = 0;
  for (int i = 0; i < 600; ++i) want += 0.25 * (i % 7) - 0.5;
  for (int64_t j = 0; j < 5; ++j) REQUIRE(total[j].item<float>() == Approx(want));
}
