// Gradient checks over random shapes: for each seed (printed, so a failure replays), random
// ranks and sizes, operands broadcast along random dims, reductions over random dims with and
// without keepdim, random views (permute, slice with step, expand) feeding random ops.
#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"

using kiln::Tensor;
using kiln::testing::gradcheck;
using kiln::testing::leaf;
using Xs = std::vector<Tensor>;
using Shape = std::vector<int64_t>;

namespace {
Shape random_shape(std::mt19937& gen, int rank) {
  std::uniform_int_distribution<int64_t> size(1, 4);
  Shape s;
  for (int d = 0; d < rank; ++d) s.push_back(size(gen));
  return s;
}

/// `s` with some dims set to 1 and some leading dims dropped: broadcasts against s.
Shape broadcastable(std::mt19937& gen, Shape s) {
  std::bernoulli_distribution coin(0.4);
  for (auto& d : s) {
    if (coin(gen)) d = 1;
  }
  while (!s.empty() && coin(gen)) s.erase(s.begin());
  return s;
}

std::vector<int64_t> random_dims(std::mt19937& gen, int rank) {
  std::vector<int64_t> dims;
  std::bernoulli_distribution coin(0.5);
  for (int d = 0; d < rank; ++d) {
    if (coin(gen)) dims.push_back(d);
  }
  if (dims.empty()) dims.push_back(std::uniform_int_distribution<int>(0, rank - 1)(gen));
  return dims;
}
}  // namespace

TEST_CASE("gradcheck: random shapes", "[autograd]") {
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    std::mt19937 gen(seed);
    int rank = std::uniform_int_distribution<int>(1, 3)(gen);
    Shape s = random_shape(gen, rank);
    Shape t = broadcastable(gen, s);
    Tensor a = leaf(s, seed * 10 + 1);
    Tensor b = leaf(t, seed * 10 + 2, 0.5, 1.5);
    std::vector<int64_t> dims = random_dims(gen, rank);
    bool keepdim = std::bernoulli_distribution(0.5)(gen);
    // Broadcasting binary ops into a reduction.
    gradcheck([&](const Xs& v) { return (v[0] * v[1] + v[0] / v[1]).sum(dims, keepdim); }, {a, b});
    gradcheck([&](const Xs& v) { return kiln::maximum(v[0], v[1] - 1.0).amax(dims, keepdim); },
              {a, b});
    gradcheck([&](const Xs& v) { return v[0].exp().mean(dims, keepdim) * v[1].sum(); }, {a, b});
    // Biased: defined for size-1 dims too.
    gradcheck([&](const Xs& v) { return v[0].var(dims, false, keepdim); }, {a});
    gradcheck([&](const Xs& v) { return v[0].logsumexp(dims, keepdim); }, {a});
    int64_t d = dims[0];
    gradcheck([&](const Xs& v) { return v[0].softmax(d) * v[1]; }, {a, b});
    // A random view feeding an op: permute, a stepped slice, an expand.
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), gen);
    gradcheck(
        [&](const Xs& v) {
          Tensor p = v[0].permute(perm);
          Tensor sl = p.slice(0, 0, p.size(0), 2);
          Shape big = sl.sizes();
          big.insert(big.begin(), 2);
          return sl.unsqueeze(0).expand(big).sin() * 2.0;
        },
        {a});
  }
}
