// A generator of random graphs for property tests: random ops (elementwise, broadcasting,
// reductions, views, in-place writes, casts, matmul, cumsum) over random leaves, on one device.
// Two generators with the same seed, each after kiln::manual_seed(seed), build the same graph
// with the same values on any devices (kiln's RNG is counter-based). LargeGen
// (large_random_graph.h) makes a second family: larger shapes, long reductions, GEMM-sized
// matmuls, every dtype.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace kiln_test {

using kiln::Tensor;

struct Gen {
  std::mt19937_64 rng;
  std::vector<Tensor> pool;
  std::string log;

  kiln::TensorOptions on;  ///< the device every fresh tensor is made on

  Gen(uint64_t seed, kiln::Device device) : rng(seed), on(kiln::TensorOptions().device(device)) {}

  int64_t pick(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  const Tensor& any() {
    return pool[static_cast<size_t>(pick(0, static_cast<int64_t>(pool.size()) - 1))];
  }

  std::vector<int64_t> shape() {
    std::vector<int64_t> s(static_cast<size_t>(pick(1, 3)));
    for (auto& d : s) d = pick(1, 6);
    return s;
  }

  Tensor leaf() {
    auto s = shape();
    kiln::DType dt = pick(0, 3) == 0 ? kiln::kFloat64 : kiln::kFloat32;
    Tensor t = kiln::rand(s, kiln::TensorOptions(on).dtype(dt)) * 4 - 2;
    t.eval();
    log += "leaf" + kiln::shape_str(s) + " ";
    return t;
  }

  /// A tensor with `s`'s shape derived from t by broadcasting or a fresh leaf.
  Tensor like(const std::vector<int64_t>& s) {
    for (int tries = 0; tries < 4; ++tries) {
      const Tensor& t = any();
      try {
        if (kiln::broadcast_shapes("gen", t.sizes(), s) == s) return t;
      } catch (const kiln::Error&) {
      }
    }
    Tensor t = kiln::rand(s, on) * 2 - 1;
    t.eval();
    return t;
  }

  Tensor step() {
    const Tensor& x = any();
    if (x.dim() == 0) {
      log += "scalar+1 ";
      return x + 1;
    }
    switch (pick(0, 15)) {
      case 0: log += "tanh "; return kiln::tanh(x);
      case 1: log += "exp(tanh) "; return kiln::exp(kiln::tanh(x));
      case 2: log += "log1p(abs) "; return kiln::log1p(kiln::abs(x));
      case 3: log += "sigmoid*erf "; return kiln::sigmoid(x) * kiln::erf(x);
      case 4: log += "add "; return x + like(x.sizes());
      case 5: log += "mul "; return x * like(x.sizes()) - 0.5;
      case 6:
        log += "where ";
        {
          auto y = like(x.sizes());
          return kiln::where(x > y, x, y * 2);
        }
      case 7: {
        int64_t d = pick(0, x.dim() - 1);
        bool keep = pick(0, 1) == 1;
        int which = static_cast<int>(pick(0, 2));
        log += "reduce" + std::to_string(which) + "(" + std::to_string(d) + ") ";
        if (which == 0) return x.sum(d, keep);
        if (which == 1) return std::get<0>(x.max(d, keep));
        return x.mean(d, keep);
      }
      case 8: log += "softmax "; return kiln::softmax(x, pick(0, x.dim() - 1));
      case 9: {
        std::vector<int64_t> perm(static_cast<size_t>(x.dim()));
        for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
        std::shuffle(perm.begin(), perm.end(), rng);
        log += "permute ";
        return x.permute(perm);
      }
      case 10: {
        int64_t d = pick(0, x.dim() - 1);
        int64_t n = x.size(d);
        int64_t start = pick(0, n - 1);
        log += "slice ";
        return x.slice(d, start, n, pick(1, 2));
      }
      case 11: log += "flip "; return x.flip({pick(0, x.dim() - 1)});
      case 12: log += "pad "; return kiln::pad(x, {pick(0, 2), pick(0, 2)}, 0.5);
      case 13: {
        log += "matmul ";
        auto w =
            kiln::rand({x.size(-1), pick(1, 5)}, kiln::TensorOptions(on).dtype(x.dtype())) - 0.5;
        w.eval();
        return x.matmul(w);
      }
      case 14: log += "cumsum "; return x.cumsum(pick(0, x.dim() - 1));
      default: {
        // An in-place write through a view of a fresh copy.
        Tensor base = x.clone();
        Tensor v = base.select(pick(0, base.dim() - 1), 0);
        v.mul_(-3);
        log += "write-through-view ";
        return base;
      }
    }
  }
};

/// Builds a random graph: returns its last tensor and one other, unrealized.
inline std::pair<Tensor, Tensor> random_graph(Gen& g) {
  g.pool.push_back(g.leaf());
  g.pool.push_back(g.leaf());
  int steps = static_cast<int>(g.pick(3, 9));
  for (int i = 0; i < steps; ++i) g.pool.push_back(g.step());
  Tensor out = g.pool.back();
  Tensor other = g.pool[static_cast<size_t>(g.pick(2, static_cast<int64_t>(g.pool.size()) - 1))];
  return {out, other};
}

/// The tolerance, relative and as much absolute, of a realized value of dtype `t` (0: exact).
/// f64 results may mix in f32 intermediates, whose rounding differs by evaluation order; the
/// 16-bit floats are computed in f32 inside a kernel but rounded at every node by the
/// interpreter, so a chain of them differs by a few units in the last place.
inline double tolerance(kiln::DType t) {
  switch (t) {
    case kiln::kFloat64: return 1e-6;
    case kiln::kFloat32: return 2e-4;
    case kiln::kFloat16: return 1e-2;
    case kiln::kBFloat16: return 5e-2;
    default: return 0;  // integers and bools are exact
  }
}

/// Compares realized values with the reference interpreter's buffer: integers and bools
/// exactly, floats within `tol` (relative, and as much absolute).
inline void require_close(const Tensor& t, const kiln::runtime::Buffer& want, double tol) {
  REQUIRE(t.numel() == want.numel());
  REQUIRE(t.dtype() == want.dtype());
  if (!kiln::is_floating(t.dtype())) {
    auto got = t.contiguous().to_vector<int64_t>();
    for (size_t i = 0; i < got.size(); ++i) {
      int64_t w = want.get_int(static_cast<int64_t>(i));
      if (got[i] == w) continue;
      CAPTURE(i, w, got[i]);
      REQUIRE(got[i] == w);
    }
    return;
  }
  auto got = t.contiguous().to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i) {
    double w = want.get(static_cast<int64_t>(i));
    if (got[i] == w || (std::isnan(w) && std::isnan(got[i]))) continue;  // infinities too
    if (std::abs(got[i] - w) <= tol * (1.0 + std::abs(w))) continue;
    CAPTURE(i, w, got[i], tol);
    REQUIRE(std::abs(got[i] - w) <= tol * (1.0 + std::abs(w)));
  }
}

/// require_close with the tolerance of t's dtype.
inline void require_close(const Tensor& t, const kiln::runtime::Buffer& want) {
  require_close(t, want, tolerance(t.dtype()));
}

}  // namespace kiln_test
