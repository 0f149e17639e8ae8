// Finite-difference gradient checks (float64) of the composite nn ops through kiln's autograd:
// conv2d (stride, padding, dilation, groups), max/avg/adaptive pooling, batch_norm and
// layer_norm, and the losses.
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"

using kiln::Tensor;
namespace F = kiln::nn::functional;
using kiln::testing::gradcheck;
using kiln::testing::leaf;

TEST_CASE("nn grad: conv2d", "[nn][grad]") {
  gradcheck([](const std::vector<Tensor>& v) { return F::conv2d(v[0], v[1], v[2], 1, 1); },
            {leaf({2, 2, 5, 4}, 1), leaf({3, 2, 3, 3}, 2), leaf({3}, 3)});
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return F::conv2d(v[0], v[1], {}, {2, 1}, {0, 1}, {1, 2}, 2);
      },
      {leaf({1, 4, 6, 6}, 4), leaf({4, 2, 2, 2}, 5)});
}

TEST_CASE("nn grad: pooling", "[nn][grad]") {
  // Distinct values keep max's choice away from ties, where its derivative jumps.
  gradcheck([](const std::vector<Tensor>& v) { return F::max_pool2d(v[0], 2); },
            {leaf({1, 2, 4, 6}, 6)});
  gradcheck([](const std::vector<Tensor>& v) { return F::max_pool2d(v[0], 3, 2, 1, 1, true); },
            {leaf({2, 1, 6, 5}, 7)});
  gradcheck([](const std::vector<Tensor>& v) { return F::avg_pool2d(v[0], 3, 2, 1, true, false); },
            {leaf({1, 2, 6, 5}, 8)});
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return F::adaptive_avg_pool2d(v[0], {2, 3});
      },
      {leaf({1, 2, 5, 7}, 9)});
}

TEST_CASE("nn grad: batch_norm and layer_norm", "[nn][grad]") {
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return F::batch_norm(v[0], {}, {}, v[1], v[2], /*training=*/true);
      },
      {leaf({4, 3, 2, 2}, 10), leaf({3}, 11), leaf({3}, 12)});
  Tensor rm = kiln::zeros({3}, kiln::kFloat64), rv = kiln::ones({3}, kiln::kFloat64);
  gradcheck([&](const std::vector<Tensor>& v) { return F::batch_norm(v[0], rm, rv, v[1], v[2]); },
            {leaf({4, 3}, 13), leaf({3}, 14), leaf({3}, 15)});
  gradcheck([](const std::vector<Tensor>& v) { return F::layer_norm(v[0], {4}, v[1], v[2]); },
            {leaf({3, 4}, 16), leaf({4}, 17), leaf({4}, 18)});
}

TEST_CASE("nn grad: losses", "[nn][grad]") {
  Tensor target = kiln::tensor({2L, 0L, 1L, 2L});
  gradcheck([&](const std::vector<Tensor>& v) { return F::cross_entropy(v[0], target); },
            {leaf({4, 3}, 19)});
  Tensor weight = kiln::tensor({0.5, 2.0, 1.0}, kiln::kFloat64);
  gradcheck(
      [&](const std::vector<Tensor>& v) {
        return F::cross_entropy(v[0], target, weight, /*ignore_index=*/0, "mean", 0.1);
      },
      {leaf({4, 3}, 20)});
  gradcheck([](const std::vector<Tensor>& v) { return F::mse_loss(v[0], v[1]); },
            {leaf({3, 2}, 21), leaf({3, 2}, 22)});
  Tensor t = kiln::tensor({{1.0, 0.0}, {0.0, 1.0}}, kiln::kFloat64);
  gradcheck(
      [&](const std::vector<Tensor>& v) {
        return F::binary_cross_entropy_with_logits(v[0], t, {}, "mean", v[1]);
      },
      {leaf({2, 2}, 23, -3, 3), leaf({2}, 24, 0.5, 2)});
}
