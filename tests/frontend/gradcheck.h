// Finite-difference gradient checks in float64. gradcheck(f, inputs) compares autograd's
// gradient of sum(f(inputs) * w), for fixed random weights w, with central differences of the
// same scalar, element by element, and reports the worst mismatch through Catch.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace kiln::testing {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Uniform values in [lo, hi), float64, from a seeded generator.
inline std::vector<double> uniform(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

/// A float64 leaf that requires grad, with uniform values in [lo, hi).
inline Tensor leaf(const std::vector<int64_t>& shape, uint32_t seed, double lo = -1.0,
                   double hi = 1.0) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return from_vector(uniform(static_cast<size_t>(n), seed, lo, hi), shape, kFloat64)
      .requires_grad_();
}

/// Checks autograd's gradient of f against central differences (step eps) within
/// atol + rtol * |numeric| for every element of every input.
inline void gradcheck(const Fn& f, const std::vector<Tensor>& inputs, double eps = 1e-6,
                      double atol = 1e-6, double rtol = 1e-5) {
  Tensor out = f(inputs);
  REQUIRE(out.requires_grad());
  Tensor w =
      from_vector(uniform(static_cast<size_t>(out.numel()), 1234, 0.5, 1.5), out.sizes(), kFloat64);
  auto scalar = [&](const std::vector<Tensor>& xs) { return (f(xs).to(kFloat64) * w).sum(); };
  std::vector<Tensor> analytic = autograd::grad({scalar(inputs)}, inputs);
  REQUIRE(analytic.size() == inputs.size());
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::vector<double> a = analytic[k].to_vector<double>();
    std::vector<double> x = inputs[k].to_vector<double>();
    REQUIRE(a.size() == x.size());
    std::vector<Tensor> xs;
    for (const Tensor& in : inputs) xs.push_back(in.detach());
    for (size_t e = 0; e < x.size(); ++e) {
      auto at = [&](double delta) {
        std::vector<double> moved = x;
        moved[e] += delta;
        xs[k] = from_vector(moved, inputs[k].sizes(), kFloat64);
        return scalar(xs).item<double>();
      };
      double numeric = (at(eps) - at(-eps)) / (2 * eps);
      INFO("input " << k << " element " << e << ": autograd " << a[e] << ", finite difference "
                    << numeric);
      CHECK(std::abs(a[e] - numeric) <= atol + rtol * std::abs(numeric));
    }
  }
}

}  // namespace kiln::testing
