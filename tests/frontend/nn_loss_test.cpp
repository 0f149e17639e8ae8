// Loss functions against their definitions worked by plain loops: cross_entropy (class indices
// and probabilities, class weights, ignore_index, label smoothing, reductions), nll_loss over
// extra dims, mse_loss, binary_cross_entropy_with_logits (weight, pos_weight), and the errors.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using kiln::Tensor;
namespace F = kiln::nn::functional;

namespace {

const std::vector<std::vector<double>> kLogits = {
    {1.0, 2.0, 0.5}, {-1.0, 0.0, 3.0}, {0.2, 0.1, -0.3}, {2.0, -2.0, 1.0}};
const std::vector<int64_t> kTarget = {1, 2, 0, 1};

Tensor logits() {
  std::vector<double> flat;
  for (const auto& r : kLogits) flat.insert(flat.end(), r.begin(), r.end());
  return kiln::from_vector(flat, {4, 3}, kiln::kFloat64);
}

double log_softmax_at(size_t row, size_t c) {
  double z = 0;
  for (double v : kLogits[row]) z += std::exp(v);
  return kLogits[row][c] - std::log(z);
}

}  // namespace

TEST_CASE("nn loss: cross_entropy and nll_loss", "[nn]") {
  Tensor target = kiln::from_vector(kTarget, {4});
  double sum = 0;
  std::vector<double> each;
  for (size_t i = 0; i < 4; ++i) {
    each.push_back(-log_softmax_at(i, static_cast<size_t>(kTarget[i])));
    sum += each.back();
  }
  CHECK(F::cross_entropy(logits(), target).item<double>() == Approx(sum / 4));
  CHECK(F::cross_entropy(logits(), target, {}, -100, "sum").item<double>() == Approx(sum));
  auto none = F::cross_entropy(logits(), target, {}, -100, "none").to_vector<double>();
  for (size_t i = 0; i < 4; ++i) CHECK(none[i] == Approx(each[i]));

  // Class weights and ignore_index: mean over the kept targets' weights.
  std::vector<double> w = {0.5, 2.0, 1.0};
  Tensor weight = kiln::from_vector(w, {3}, kiln::kFloat64);
  double num = 0, den = 0;
  for (size_t i = 0; i < 4; ++i) {
    if (kTarget[i] == 2) continue;  // ignored
    num += w[kTarget[i]] * each[i];
    den += w[kTarget[i]];
  }
  CHECK(F::cross_entropy(logits(), target, weight, 2).item<double>() == Approx(num / den));

  // Label smoothing: (1 - e) nll + e / C * mean over rows of -sum_c log q_c.
  double smooth = 0;
  for (size_t i = 0; i < 4; ++i)
    for (size_t c = 0; c < 3; ++c) smooth -= log_softmax_at(i, c) / 4;
  CHECK(F::cross_entropy(logits(), target, {}, -100, "mean", 0.2).item<double>() ==
        Approx(0.8 * sum / 4 + 0.2 / 3 * smooth));

  // Probabilities as targets: one-hot probabilities give the index loss.
  Tensor probs = kiln::one_hot(target, 3).to(kiln::kFloat64);
  CHECK(F::cross_entropy(logits(), probs).item<double>() == Approx(sum / 4));

  // nll_loss over an extra dim: input [N, C, L], target [N, L].
  Tensor in3 = logits().log_softmax(1).view({2, 2, 3}).permute({0, 2, 1});  // [2, 3, 2]
  Tensor t3 = kiln::tensor({{1L, 2L}, {0L, 1L}});
  CHECK(F::nll_loss(in3, t3).item<double>() == Approx(sum / 4));

  CHECK_THROWS_AS(F::cross_entropy(logits(), target.to(kiln::kFloat32)), kiln::DTypeError);
  CHECK_THROWS_WITH(F::cross_entropy(logits(), kiln::tensor({1L, 2L})),
                    Catch::StartsWith("[nll_loss] input [4, 3] needs a target of shape [4]"));
  CHECK_THROWS_WITH(F::cross_entropy(logits(), target, {}, -100, "avg"),
                    Catch::StartsWith("[cross_entropy] reduction must be"));

  // PyTorch: "Target 3 is out of bounds." A class index outside [0, C) other than ignore_index
  // is an IndexError when the loss is computed (it gave a silently wrong loss).
  auto bad = [](std::vector<int64_t> t) { return kiln::from_vector(t, {4}); };
  CHECK_THROWS_WITH(F::cross_entropy(logits(), bad({1, 3, 0, 1})).item<double>(),
                    Catch::Contains("[nll_loss] target 3 is out of bounds for 3 classes"));
  CHECK_THROWS_AS(F::cross_entropy(logits(), bad({1, -1, 0, 1})).item<double>(), kiln::IndexError);
  CHECK_THROWS_AS(F::nll_loss(logits(), bad({1, 2, 0, 7})).item<double>(), kiln::IndexError);
  CHECK_THROWS_AS(
      F::cross_entropy(logits(), bad({1, 2, 0, 3}), {}, -100, "mean", 0.1).item<double>(),
      kiln::IndexError);
  // Only the targets read are checked: a slice of a tensor holding other values is fine.
  Tensor wide = kiln::from_vector(std::vector<int64_t>{1, 2, 0, 1, 99, -7}, {6});
  wide.eval();
  CHECK(F::cross_entropy(logits(), wide.slice(0, 0, 4)).item<double>() == Approx(sum / 4));
  CHECK_THROWS_AS(F::cross_entropy(logits(), wide.slice(0, 2, 6)).item<double>(), kiln::IndexError);
  // ignore_index itself is fine, out of range or not.
  CHECK(std::isfinite(F::cross_entropy(logits(), bad({1, -100, 0, 1})).item<double>()));
  CHECK(std::isfinite(
      F::cross_entropy(logits(), bad({1, 2, 0, -100}), {}, -100, "mean", 0.1).item<double>()));
  CHECK(std::isfinite(F::cross_entropy(logits(), bad({1, 5, 0, 1}), {}, 5).item<double>()));
}

TEST_CASE("nn loss: a compiled step checks each call's class targets", "[nn][compile]") {
  auto step = kiln::compile([](Tensor x, Tensor y) { return F::cross_entropy(x, y); });
  auto targets = [](std::vector<int64_t> t) {
    Tensor y = kiln::from_vector(t, {4});
    y.eval();
    return y;
  };
  Tensor x = logits();
  x.eval();
  for (int call = 0; call < 3; ++call)
    CHECK(std::isfinite(step(x, targets(kTarget)).item<double>()));
  CHECK(kiln::stats().compiled_replays >= 1);
  CHECK_THROWS_WITH(step(x, targets({1, 2, 3, 0})),
                    Catch::Contains("[nll_loss] target 3 is out of bounds"));
  CHECK(std::isfinite(step(x, targets({0, 0, 0, 0})).item<double>()));
}

TEST_CASE("nn loss: mse_loss and binary_cross_entropy_with_logits", "[nn]") {
  Tensor a = kiln::tensor({1.0, 2.0, -1.0}, kiln::kFloat64);
  Tensor b = kiln::tensor({0.5, 2.0, 1.0}, kiln::kFloat64);
  CHECK(F::mse_loss(a, b).item<double>() == Approx((0.25 + 0 + 4) / 3));
  CHECK(F::mse_loss(a, b, "sum").item<double>() == Approx(4.25));

  std::vector<double> x = {-3.0, 0.5, 20.0, -40.0}, t = {0.0, 1.0, 1.0, 0.3};
  std::vector<double> pw = {2.0, 0.5, 1.0, 3.0};
  Tensor xt = kiln::from_vector(x, {4}, kiln::kFloat64);
  Tensor tt = kiln::from_vector(t, {4}, kiln::kFloat64);
  double plain = 0, weighted = 0;
  for (size_t i = 0; i < 4; ++i) {
    double lp = std::log1p(std::exp(-std::abs(x[i]))) + std::max(-x[i], 0.0);  // -log s
    double ln = lp + x[i];                                                     // -log(1 - s)
    plain += t[i] * lp + (1 - t[i]) * ln;
    weighted += pw[i] * t[i] * lp + (1 - t[i]) * ln;
  }
  CHECK(F::binary_cross_entropy_with_logits(xt, tt).item<double>() == Approx(plain / 4));
  Tensor pwt = kiln::from_vector(pw, {4}, kiln::kFloat64);
  CHECK(F::binary_cross_entropy_with_logits(xt, tt, {}, "sum", pwt).item<double>() ==
        Approx(weighted));
  CHECK_THROWS_WITH(F::binary_cross_entropy_with_logits(xt, kiln::ones({3})),
                    Catch::StartsWith("[binary_cross_entropy_with_logits] Target size ([3])"));
  CHECK(F::one_hot(kiln::tensor({0L, 2L}), 3).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 0, 0, 0, 0, 1});
}
