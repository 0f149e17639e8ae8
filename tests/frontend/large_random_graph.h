// The second family of random graphs for property tests (LargeGen): larger shapes, long
// reductions, GEMM-sized matmuls over views, every dtype. See random_graph.h for the first.
#pragma once

#include "frontend/random_graph.h"

namespace kiln_test {

// The graphs of random_graph.h stay under 216 elements of f32 / f64. These reach what those never
// do: rows longer than a vector (main body and remainder), a reduced axis of 40000+ elements (the
// LLVM backend splits such a reduction over the thread pool), GEMMs with m, n, k over 1..70 and
// beyond (full 14 x 32 register tiles and edge tiles, KC blocks, split inner dims, threads)
// whose operands are transposed, sliced or broadcast views, and int32 / int64 / uint8 / bool /
// f16 / bf16 values. Each graph is of one family:
//   Float: f32 and f64 values;
//   Int:   int32, int64, uint8 and bool values (wrapping), and f32 halves of small integers,
//          which only move, add small integers and sum on;
//   Half:  f16 and bf16 values (computed in f32 inside a kernel, so only the values the
//          interpreter rounds at every node differ, within the dtype's tolerance).
// Float and half graphs branch (where, comparisons) only on leaves: a comparison of computed
// values may flip on a rounding difference that is no bug. Integer graphs branch on anything.

enum class Family { Float, Int, Half };

inline const char* family_name(Family f) {
  return f == Family::Float ? "float" : f == Family::Int ? "int" : "half";
}

struct LargeGen {
  std::mt19937_64 rng;
  std::vector<Tensor> pool;
  std::string log;
  kiln::TensorOptions on;
  Family family;
  std::vector<int64_t> base;               ///< the graph's main shape; leaves broadcast to it
  kiln::DType narrowest = kiln::kFloat64;  ///< the narrowest float dtype of a leaf made
  std::vector<Tensor> watch;               ///< results compared whether or not read later
  static constexpr int64_t kMaxNumel = 80000;

  LargeGen(uint64_t seed, kiln::Device device)
      : rng(seed), on(kiln::TensorOptions().device(device)) {
    family = static_cast<Family>(pick(0, 2));
    log = std::string(family_name(family)) + " ";
    if (pick(0, 5) == 0) {
      // A long axis: its reductions are split over the thread pool.
      int64_t n = pick(40000, 70000);
      switch (pick(0, 2)) {
        case 0: base = {n}; break;
        case 1: base = {1, n}; break;
        default: base = {n, 1}; break;
      }
    } else {
      base.resize(static_cast<size_t>(pick(1, 3)));
      for (auto& d : base) d = dim();
      while (kiln::numel_of(base) > 30000) {
        auto& d = base[static_cast<size_t>(pick(0, static_cast<int64_t>(base.size()) - 1))];
        d = std::max<int64_t>(1, d / 2);
      }
    }
    log += "base" + kiln::shape_str(base) + " ";
  }

  int64_t pick(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  bool coin(int64_t one_in) { return pick(1, one_in) == 1; }
  /// A tensor of the pool, the latest ones more often (so that chains grow long).
  const Tensor& any() {
    auto n = static_cast<int64_t>(pool.size());
    return pool[static_cast<size_t>(coin(2) ? pick(std::max<int64_t>(0, n - 3), n - 1)
                                            : pick(0, n - 1))];
  }

  /// A dim size: small ones, the sizes around vector widths and register tiles, up to 100.
  int64_t dim() {
    static constexpr int64_t edges[] = {1,  2,  3,  7,  8,  9,  13, 14, 15, 16, 17,
                                        31, 32, 33, 47, 63, 64, 65, 70, 97, 100};
    switch (pick(0, 2)) {
      case 0: return edges[pick(0, std::size(edges) - 1)];
      case 1: return pick(1, 16);
      default: return pick(1, 100);
    }
  }

  /// The dtypes fresh leaves of this family have.
  kiln::DType leaf_dtype() {
    switch (family) {
      case Family::Float: return coin(3) ? kiln::kFloat64 : kiln::kFloat32;
      case Family::Int: {
        int64_t p = pick(0, 6);
        return p == 0 ? kiln::kBool : p == 1 ? kiln::kUInt8 : p <= 3 ? kiln::kInt32 : kiln::kInt64;
      }
      default: return coin(2) ? kiln::kBFloat16 : kiln::kFloat16;
    }
  }

  /// The tolerance of a float result: that of the narrowest float dtype in the graph (16-bit
  /// intermediates computed in f32 inside a kernel differ from the interpreter's rounded ones).
  double float_tolerance() const { return tolerance(narrowest); }

  /// A fresh leaf of shape `s`, made on the host (no kernel to compile): floats in [-2, 2)
  /// times `scale`, integers in [-20, 20) (uint8: [0, 40)), bools.
  Tensor leaf(const std::vector<int64_t>& s, kiln::DType dt, double scale = 1.0) {
    auto n = static_cast<size_t>(kiln::numel_of(s));
    kiln::TensorOptions o = kiln::TensorOptions(on).dtype(dt);
    Tensor t;
    if (kiln::is_floating(dt)) {
      std::uniform_real_distribution<double> u(-2.0, 2.0);
      std::vector<double> v(n);
      for (auto& x : v) x = u(rng) * scale;
      t = kiln::from_vector(v, s, o);
    } else {
      int64_t lo = dt == kiln::kInt32 || dt == kiln::kInt64 ? -20 : 0;
      int64_t hi = dt == kiln::kBool ? 1 : lo + 39;
      std::vector<int64_t> v(n);
      for (auto& x : v) x = pick(lo, hi);
      t = kiln::from_vector(v, s, o);
    }
    if (kiln::is_floating(dt) && tolerance(dt) > tolerance(narrowest)) narrowest = dt;
    log += std::string("leaf:") + kiln::short_name(dt) + kiln::shape_str(s) + " ";
    return t;
  }
  Tensor leaf(const std::vector<int64_t>& s) { return leaf(s, leaf_dtype()); }

  /// `s` with some dims set to 1 and some leading dims dropped: broadcasts to `s`.
  std::vector<int64_t> broadcastable(std::vector<int64_t> s) {
    for (auto& d : s) {
      if (coin(4)) d = 1;
    }
    while (!s.empty() && coin(5)) s.erase(s.begin());
    return s;
  }

  /// A tensor that broadcasts to `s`: one of the pool (no float in an integer graph), or a
  /// fresh leaf.
  Tensor like(const std::vector<int64_t>& s) {
    for (int tries = 0; tries < 6; ++tries) {
      const Tensor& t = any();
      if (family == Family::Int && kiln::is_floating(t.dtype())) continue;
      try {
        if (kiln::broadcast_shapes("gen", t.sizes(), s) == s) return t;
      } catch (const kiln::Error&) {
      }
    }
    return leaf(broadcastable(s));
  }

  /// A bool condition that broadcasts to x's shape; from leaves alone in float and half graphs.
  Tensor condition(const Tensor& x) {
    if (family == Family::Int && x.dtype() != kiln::kBool && coin(2)) {
      const Tensor& y = like(x.sizes());
      if (y.dtype() != kiln::kBool) return x > y;
    }
    std::vector<int64_t> s = broadcastable(x.sizes());
    if (family == Family::Int) return leaf(s) != 0;
    return leaf(s) > leaf(broadcastable(s));
  }

  /// An integer value that stays exact in f32 and never wraps when widened.
  Tensor bounded(const Tensor& x) { return kiln::clamp(x.to(kiln::kInt64), -1000, 1000); }

  Tensor step();
  Tensor float_step(const Tensor& x);
  Tensor int_step(const Tensor& x);
  Tensor shared_step(const Tensor& x);
  Tensor matmul();
  Tensor operand(int64_t batch, int64_t rows, int64_t cols, kiln::DType dt, double scale);
  /// A sum over `dims` of x; a mean in half graphs (see `half_sized`).
  Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keep);
  /// Half graphs keep their values within a few units: a 16-bit value the interpreter rounds
  /// at a node (and a kernel does not) is off by up to half a unit in the last place of its
  /// own size, so a large intermediate that a later step cancels (x - mean(x) of values near
  /// 20) leaves an error no tolerance of the result bounds. So there, sums are means, sums of
  /// two tensors are averaged, products are by a tanh, and matmul operands are scaled by
  /// 1 / sqrt(k).
  bool half_sized() const { return family == Family::Half; }
};

/// A [batch?, rows, cols] matmul operand of dtype dt read through a view: contiguous,
/// transposed, strided (every other column), narrowed, or broadcast along a dim or the batch.
inline Tensor LargeGen::operand(int64_t batch, int64_t rows, int64_t cols, kiln::DType dt,
                                double scale) {
  bool batched = batch > 0;
  int64_t b = batched ? batch : 1;
  Tensor t;
  switch (pick(0, 5)) {
    case 0:
      log += "contig ";
      t = leaf({b, rows, cols}, dt, scale);
      break;
    case 1:
      log += "transposed ";
      t = leaf({b, cols, rows}, dt, scale).transpose(1, 2);
      break;
    case 2:
      log += "strided ";
      t = leaf({b, rows, 2 * cols + 1}, dt, scale).slice(2, 1, 2 * cols + 1, 2);
      break;
    case 3:
      log += "narrowed ";
      t = leaf({b, rows + 3, cols}, dt, scale).narrow(1, 2, rows);
      break;
    case 4:
      log += "broadcast-row ";
      t = leaf({b, 1, cols}, dt, scale).expand({b, rows, cols});
      break;
    default:
      if (batched) {
        log += "broadcast-batch ";
        t = leaf({1, rows, cols}, dt, scale).expand({b, rows, cols});
      } else {
        log += "permuted ";
        t = leaf({rows, b, cols}, dt, scale).permute({1, 0, 2});
      }
      break;
  }
  return batched ? t : t.select(0, 0);
}

/// A matmul of fresh operands (sizes around the GEMM's tiles), sometimes with a bias and relu
/// (the GEMM's epilogue) or one operand from the pool.
inline Tensor LargeGen::matmul() {
  static constexpr int64_t sizes[] = {1,  2,  5,  13, 14, 15, 16, 17, 27, 28, 29,
                                      31, 32, 33, 42, 47, 48, 63, 64, 65, 70};
  auto size = [&] { return coin(2) ? sizes[pick(0, std::size(sizes) - 1)] : pick(1, 70); };
  int64_t m = size(), n = size(), k = size();
  switch (pick(0, 11)) {
    case 0: k = pick(257, 600); break;                                          // several KC blocks
    case 1: m = pick(1, 12), n = pick(1, 12), k = pick(2048, 2400); break;      // split inner dim
    case 2: m = pick(120, 140), n = pick(120, 140), k = pick(150, 200); break;  // threaded
    default: break;
  }
  int64_t batch = coin(3) ? pick(1, 4) : 0;
  kiln::DType dt = leaf_dtype();
  if (dt == kiln::kBool) dt = kiln::kInt32;
  log += "matmul(" + std::to_string(batch) + "," + std::to_string(m) + "," + std::to_string(n) +
         "," + std::to_string(k) + ") ";
  double scale = half_sized() ? 1.0 / std::sqrt(static_cast<double>(k)) : 1.0;
  Tensor a = operand(batch, m, k, dt, scale);
  Tensor b = operand(coin(4) ? 0 : batch, k, n, dt, scale);
  // One operand computed in this graph, when the pool has one that fits.
  if (coin(4)) {
    for (int tries = 0; tries < 4; ++tries) {
      const Tensor& x = any();
      // One or two dims: broadcast against any batch of b.
      if (x.dim() <= 2 && x.dim() >= 1 && x.size(-1) == k && x.numel() <= 20000 &&
          x.dtype() == dt) {
        log += "pool-operand ";
        a = half_sized() ? x * scale : x;
        break;
      }
    }
  }
  Tensor out = a.matmul(b);
  if (coin(2)) {
    log += "bias+relu ";
    out = kiln::relu(out + leaf({out.size(-1)}, dt));
  }
  return out;
}

inline Tensor LargeGen::sum(const Tensor& x, const std::vector<int64_t>& dims, bool keep) {
  return half_sized() ? x.mean(dims, keep) : x.sum(dims, keep);
}

/// Views and reductions any family has.
inline Tensor LargeGen::shared_step(const Tensor& x) {
  int64_t r = x.dim();
  auto d = [&] { return pick(0, r - 1); };
  switch (pick(0, 12)) {
    case 0: {
      std::vector<int64_t> perm(static_cast<size_t>(r));
      for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
      std::shuffle(perm.begin(), perm.end(), rng);
      log += "permute ";
      return x.permute(perm);
    }
    case 1: {
      int64_t a = d(), n = x.size(a);
      int64_t start = pick(0, n - 1), step = pick(1, 3);
      log += "slice ";
      return x.slice(a, start, n, step);
    }
    case 2: log += "flip "; return x.flip({d()});
    case 3: log += "pad "; return kiln::pad(x, {pick(0, 3), pick(0, 3)}, 3);
    case 4: {
      int64_t a = d();
      bool keep = coin(2);
      int which = static_cast<int>(pick(0, 2));
      log += "reduce" + std::to_string(which) + "(" + std::to_string(a) + ") ";
      if (which == 0) return sum(x, {a}, keep);
      if (which == 1) return std::get<0>(x.max(a, keep));
      return x.amin({a}, keep);
    }
    case 5: {
      int which = static_cast<int>(pick(0, 2));
      log += "full-reduce" + std::to_string(which) + " ";
      if (which == 0) return sum(x, {}, false);
      if (which == 1) return x.max();
      return x.min();
    }
    case 6: {
      if (r < 2) return sum(x, {0}, true);
      int64_t a = pick(0, r - 2);
      log += "reduce2(" + std::to_string(a) + ") ";
      return sum(x, {a, a + 1}, coin(2));
    }
    case 7: {
      int64_t a = d();
      log += "cumsum ";
      return half_sized() ? x.cumsum(a) / static_cast<double>(x.size(a)) : x.cumsum(a);
    }
    case 8: {
      log += "write-through-view ";
      Tensor base_ = (x.dtype() == kiln::kBool ? x.to(kiln::kInt32) : x).clone();
      Tensor v = base_.select(d(), 0);
      v.mul_(-3);
      return base_;
    }
    case 9: {
      // A broadcast copy along a new leading dim, summed back over it.
      int64_t c = std::clamp<int64_t>(kMaxNumel / std::max<int64_t>(1, x.numel()), 1, 4);
      std::vector<int64_t> s = x.sizes();
      s.insert(s.begin(), c);
      log += "expand-sum ";
      return sum(x.unsqueeze(0).expand(s) * like(s), {0}, false);
    }
    case 10: log += "reshape "; return x.reshape({-1});
    case 11: {
      log += "index_select ";
      std::vector<int64_t> at(static_cast<size_t>(pick(1, 40)));
      for (auto& i : at) i = pick(0, x.size(0) - 1);
      Tensor idx = kiln::from_vector(at, {static_cast<int64_t>(at.size())}, on);
      return x.index_select(0, idx);
    }
    default:
      log += "transpose-contiguous ";
      return r >= 2 ? x.transpose(0, r - 1).contiguous() : x.contiguous();
  }
}

/// Float and half steps: smooth functions, arithmetic, rows, branches on leaves. Half graphs
/// average where float graphs add and squash where they multiply (see `half_sized`).
inline Tensor LargeGen::float_step(const Tensor& x) {
  int64_t r = x.dim();
  auto d = [&] { return pick(0, r - 1); };
  bool half = half_sized();
  switch (pick(0, 15)) {
    case 0: log += "tanh "; return kiln::tanh(x);
    case 1: log += "exp(tanh) "; return kiln::exp(kiln::tanh(x));
    case 2: log += "sigmoid*erf "; return kiln::sigmoid(x) * kiln::erf(x);
    case 3: log += "log1p(abs) "; return kiln::log1p(kiln::abs(x));
    case 4: log += "add "; return half ? (x + like(x.sizes())) * 0.5 : x + like(x.sizes());
    case 5: {
      log += "mul ";
      const Tensor& y = like(x.sizes());
      return half ? x * kiln::tanh(y) - 0.5 : x * y - 0.5;
    }
    case 6: log += "div "; return x / (kiln::abs(like(x.sizes())) + (half ? 1.0 : 0.5));
    case 7: log += "maximum "; return kiln::maximum(x, like(x.sizes()));
    case 8: {
      log += "where ";
      Tensor c = condition(x);
      return kiln::where(c, x, like(x.sizes()) * (half ? 0.5 : 2.0));
    }
    case 9: {
      int64_t a = d();
      bool soft = half || coin(2);  // log_softmax reaches -log(n) - 4: too large for half
      log += soft ? "softmax " : "log_softmax ";
      return soft ? kiln::softmax(x, a) : kiln::log_softmax(x, a);
    }
    case 10: {
      int64_t a = d();
      log += "layer_norm ";
      Tensor mu = x.mean({a}, true);
      Tensor var = x.var({a}, false, true);
      // A nearly constant row divides its rounding error by sqrt(var + eps): a 16-bit one only
      // by 2.
      return (x - mu) * kiln::rsqrt(var + (half ? 0.25 : 1e-3));
    }
    case 11: log += "mean "; return x.mean(d(), coin(2));
    case 12: log += "relu*clamp "; return kiln::relu(x) * kiln::clamp(x, -1.5, 1.0);
    case 13: {
      int64_t a = d();
      if (x.size(a) > 16) return kiln::tanh(x);
      // Of factors in (-1, 1): a product of larger ones would magnify a factor's rounding.
      log += "prod(tanh) ";
      return kiln::tanh(x).prod(a, coin(2));
    }
    case 14: {
      log += "sqrt(abs)-x ";
      Tensor root = kiln::sqrt(kiln::abs(x));
      return root - x.to(root.dtype());  // a bool x as numbers (PyTorch has no bool `-`)
    }
    default:
      // NaN where a leaf is below 0 (a leaf: the same elements in both), carried on by max,
      // softmax, sums.
      log += "sqrt(leaf) ";
      return x + kiln::sqrt(leaf(broadcastable(x.sizes())));
  }
}

/// Integer and bool steps: wrapping arithmetic, comparisons, branches, exact sums.
inline Tensor LargeGen::int_step(const Tensor& x) {
  int64_t r = x.dim();
  auto d = [&] { return pick(0, r - 1); };
  bool is_bool = x.dtype() == kiln::kBool;
  switch (pick(0, 12)) {
    case 0: log += "add "; return x + like(x.sizes());
    case 1: {
      log += "sub ";  // bools as numbers: PyTorch has no bool `-`
      Tensor y = like(x.sizes());
      return (is_bool ? x.to(kiln::kInt32) : x) -
             (y.dtype() == kiln::kBool ? y.to(kiln::kInt32) : y);
    }
    case 2: log += "mul "; return x * like(x.sizes());
    case 3: log += "maximum "; return kiln::maximum(x, like(x.sizes()));
    case 4: log += "minimum "; return kiln::minimum(x, like(x.sizes()));
    case 5: {
      log += "compare ";
      const Tensor& y = like(x.sizes());
      switch (pick(0, 3)) {
        case 0: return x < y;
        case 1: return x >= y;
        case 2: return x == y;
        default: return x != 3;
      }
    }
    case 6: {
      log += "where ";
      Tensor c = condition(x);
      return kiln::where(c, x, like(x.sizes()));
    }
    case 7: {
      log += "logical ";
      Tensor c = condition(x);
      return coin(2) ? kiln::logical_and(x != 0, c) : kiln::logical_or(kiln::logical_not(c), x > 0);
    }
    case 8: {
      log += "cast ";
      switch (pick(0, 3)) {
        case 0: return x.to(x.dtype() == kiln::kInt32 ? kiln::kInt64 : kiln::kInt32);
        case 1: return x.to(kiln::kUInt8);                   // wraps
        case 2: return bounded(x).to(kiln::kFloat32) * 0.5;  // exact
        default: return kiln::abs(bounded(x)).to(kiln::kInt32) - 7;
      }
    }
    case 9: {
      int64_t a = d();
      log += "any/all/argmax ";
      switch (pick(0, 2)) {
        case 0: return x.any(a, coin(2));
        case 1: return x.all(a, coin(2));
        default: return x.argmax(a, coin(2));
      }
    }
    case 10: {
      // The CPU sort ranks every pair of a row: long rows would take seconds.
      int64_t a = d();
      if (x.size(a) > 4096) return x.flip({a});
      auto [values, indices] = x.sort(a, coin(2));
      bool idx = coin(2);  // the indices of a stable sort: ties in index order
      log += idx ? "sort-indices " : "sort ";
      return idx ? indices : values;
    }
    case 11: {
      int64_t a = d();
      log += "prod ";
      return x.prod(a, coin(2));
    }
    default: log += "neg-abs "; return is_bool ? x.logical_not() : -kiln::abs(x) + 5;
  }
}

inline Tensor LargeGen::step() {
  const Tensor& x = any();
  if (x.dim() == 0) {
    log += "scalar ";
    if (half_sized()) return (x + like(base)) * 0.5;
    return x * like(base) + (family == Family::Int ? 1 : 0);
  }
  // A float value in an integer graph (exact halves of small integers) only moves, adds small
  // integers or sums on.
  bool floaty = kiln::is_floating(x.dtype());
  Tensor y;
  if (coin(6)) {
    y = matmul();
    watch.push_back(y);
  } else if (coin(2)) {
    y = shared_step(x);
  } else if (family == Family::Int) {
    y = floaty ? x + bounded(like(x.sizes())) : int_step(x);
  } else {
    y = float_step(x);
  }
  return y;
}

/// Builds a larger random graph: returns its unrealized results to compare: its last tensor, one
/// other, every matmul product (a later step may not read it) and, when the graph has a long
/// axis, a reduction of all of a tensor (a reduction that is split over the thread pool).
inline std::vector<Tensor> large_random_graph(LargeGen& g) {
  g.pool.push_back(g.leaf(g.base));
  g.pool.push_back(g.leaf(g.broadcastable(g.base)));
  int steps = static_cast<int>(g.pick(4, 10));
  for (int i = 0; i < steps; ++i) {
    Tensor t = g.step();
    if (t.numel() > LargeGen::kMaxNumel) {
      g.log += "(too large, summed) ";
      t = t.sum(0);
    }
    g.pool.push_back(t);
  }
  std::vector<Tensor> out = {
      g.pool.back(),
      g.pool[static_cast<size_t>(g.pick(2, static_cast<int64_t>(g.pool.size()) - 1))]};
  out.insert(out.end(), g.watch.begin(), g.watch.end());
  if (kiln::numel_of(g.base) >= 40000) {
    // The latest tensor with the long axis, reduced whole.
    for (auto it = g.pool.rbegin(); it != g.pool.rend(); ++it) {
      if (it->numel() < 40000) continue;
      int which = static_cast<int>(g.pick(0, 2));
      g.log += "long-reduce" + std::to_string(which) + " ";
      out.push_back(which == 0 ? g.sum(*it, {}, false) : which == 1 ? it->max() : it->min());
      break;
    }
  }
  return out;
}

/// The larger graph of `seed` on the CPU (kiln::manual_seed(seed) first, so its random leaves
/// are the seed's), its generator (log, tolerance) and the nodes of its results.
struct SeededLargeGraph {
  LargeGen gen;
  std::vector<Tensor> outputs;
  std::vector<kiln::ir::NodeRef> nodes;
};

inline SeededLargeGraph seeded_large_graph(uint64_t seed) {
  kiln::manual_seed(seed);
  SeededLargeGraph r{LargeGen(seed, kiln::Device(kiln::kCPU)), {}, {}};
  r.outputs = large_random_graph(r.gen);
  for (const auto& t : r.outputs) r.nodes.push_back(t.node());
  return r;
}

}  // namespace kiln_test
