// Matmul through the packed GEMM (a kernel-IR Extern call) with its elementwise epilogue fused:
// values of mm / bmm / matmul over transposed, sliced, flipped and broadcast operands against
// products computed here, and kernel counts (relu(x @ W + b) is ONE kernel launch).
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

kiln::Tensor realized(kiln::Tensor t) {
  t.eval();
  return t;
}

/// Realizes `t` and returns the number of kernels that took.
int64_t kernels_for(const kiln::Tensor& t) {
  int64_t before = kiln::stats().kernel_launches;
  t.eval();
  return kiln::stats().kernel_launches - before;
}

/// Values of `t` in row-major order of its shape, as doubles.
std::vector<double> values(const kiln::Tensor& t) {
  if (t.dtype() == kiln::kFloat64) return t.to_vector<double>();
  auto f = t.to(kiln::kFloat32).to_vector<float>();
  return {f.begin(), f.end()};
}

/// The product of a [..., m, k] and b [..., k, n] with equal batch dims, in double.
std::vector<double> product(const kiln::Tensor& a, const kiln::Tensor& b) {
  auto av = values(a), bv = values(b);
  auto as = a.sizes(), bs = b.sizes();
  size_t r = as.size();
  int64_t m = as[r - 2], k = as[r - 1], n = bs[r - 1], batch = 1;
  for (size_t d = 0; d + 2 < r; ++d) batch *= as[d];
  std::vector<double> out(static_cast<size_t>(batch * m * n), 0.0);
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += av[bi * m * k + i * k + p] * bv[bi * k * n + p * n + j];
        out[bi * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

void require_close(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::abs(got[i] - want[i]) > tol * (1.0 + std::abs(want[i]))) {
      FAIL("element " << i << ": got " << got[i] << ", want " << want[i]);
    }
  }
}

}  // namespace

TEST_CASE("mm of odd sizes is one kernel and matches", "[matmul]") {
  auto a = realized(kiln::randn({37, 53}));
  auto b = realized(kiln::randn({53, 29}));
  auto c = a.mm(b);
  REQUIRE(kernels_for(c) == 1);
  require_close(values(c), product(a, b), 1e-4);
}

TEST_CASE("mm large enough for the threaded GEMM", "[matmul]") {
  auto a = realized(kiln::randn({200, 300}));
  auto b = realized(kiln::randn({300, 150}));
  auto c = kiln::matmul(a, b);
  REQUIRE(kernels_for(c) == 1);
  require_close(values(c), product(a, b), 1e-4);
}

TEST_CASE("mm of f64", "[matmul]") {
  auto a = realized(kiln::randn({33, 41}, kiln::kFloat64));
  auto b = realized(kiln::randn({41, 19}, kiln::kFloat64));
  auto c = a.mm(b);
  REQUIRE(kernels_for(c) == 1);
  require_close(values(c), product(a, b), 1e-12);
}

TEST_CASE("matmul reads transposed operands in place", "[matmul]") {
  auto at = realized(kiln::randn({45, 31}));
  auto bt = realized(kiln::randn({27, 45}));
  auto a = at.t(), b = bt.t();  // [31, 45] and [45, 27], both column-major views
  auto c = a.matmul(b);
  REQUIRE(kernels_for(c) == 1);
  require_close(values(c), product(a, b), 1e-4);
}

TEST_CASE("matmul reads sliced and flipped operands in place", "[matmul]") {
  auto x = realized(kiln::randn({20, 60}));
  auto w = realized(kiln::randn({30, 12}));
  auto a = x.slice(1, 1, 61, 2);  // [20, 30], column stride 2, offset 1
  auto b = w.flip({0});           // [30, 12], negative row stride
  auto c = a.matmul(b);
  REQUIRE(kernels_for(c) == 1);
  require_close(values(c), product(a, b), 1e-4);
}

TEST_CASE("bmm and matmul with broadcast batches", "[matmul]") {
  SECTION("bmm") {
    auto a = realized(kiln::randn({3, 17, 19}));
    auto b = realized(kiln::randn({3, 19, 23}));
    auto c = a.bmm(b);
    REQUIRE(kernels_for(c) == 1);
    require_close(values(c), product(a, b), 1e-4);
  }
  SECTION("a batch of inputs times one weight") {
    auto x = realized(kiln::randn({4, 5, 6, 7}));
    auto w = realized(kiln::randn({7, 3}));
    auto c = x.matmul(w);
    REQUIRE(c.sizes() == std::vector<int64_t>{4, 5, 6, 3});
    REQUIRE(kernels_for(c) == 1);
    require_close(values(c), product(x, w.expand({4, 5, 7, 3})), 1e-4);
  }
  SECTION("both operands broadcast over different batch dims") {
    auto a = realized(kiln::randn({2, 1, 5, 6}));
    auto b = realized(kiln::randn({3, 6, 4}));
    auto c = kiln::matmul(a, b);
    REQUIRE(c.sizes() == std::vector<int64_t>{2, 3, 5, 4});
    require_close(values(c), product(a.expand({2, 3, 5, 6}), b.expand({2, 3, 6, 4})), 1e-4);
  }
  SECTION("permuted batch dims and transposed matrices") {
    auto a = realized(kiln::randn({9, 4, 11})).permute({1, 0, 2});  // [4, 9, 11], batch stride 11
    auto b = realized(kiln::randn({4, 13, 11})).transpose(1, 2);    // [4, 11, 13], column-major
    auto c = a.bmm(b);
    REQUIRE(kernels_for(c) == 1);
    require_close(values(c), product(a, b), 1e-4);
  }
}

TEST_CASE("relu(x @ W + b) is ONE kernel launch", "[matmul]") {
  auto x = realized(kiln::randn({64, 48}));
  auto w = realized(kiln::randn({48, 40}));
  auto b = realized(kiln::randn({40}));
  auto y = kiln::relu(x.matmul(w) + b);
  kiln::reset_stats();
  y.eval();
  REQUIRE(kiln::stats().kernel_launches == 1);
  auto xw = product(x, w);
  auto bv = values(b);
  for (size_t i = 0; i < xw.size(); ++i) xw[i] = std::max(0.0, xw[i] + bv[i % 40]);
  require_close(values(y), xw, 1e-4);
}

TEST_CASE("an MLP forward with fused epilogues matches", "[matmul]") {
  auto x = realized(kiln::randn({16, 20}));
  auto w1 = realized(kiln::randn({20, 30}));
  auto b1 = realized(kiln::randn({30}));
  auto w2 = realized(kiln::randn({30, 5}));
  auto b2 = realized(kiln::randn({5}));
  auto h = kiln::relu(x.matmul(w1) + b1);
  auto y = kiln::sigmoid(h.matmul(w2) + b2) * 2.0;
  REQUIRE(kernels_for(y) == 2);
  auto hv = product(x, w1);
  auto b1v = values(b1), b2v = values(b2);
  for (size_t i = 0; i < hv.size(); ++i) hv[i] = std::max(0.0, hv[i] + b1v[i % 30]);
  auto w2v = values(w2);
  std::vector<double> want(16 * 5);
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 5; ++j) {
      double s = b2v[j];
      for (int p = 0; p < 30; ++p) s += hv[i * 30 + p] * w2v[p * 5 + j];
      want[i * 5 + j] = 2.0 / (1.0 + std::exp(-s));
    }
  }
  require_close(values(y), want, 1e-4);
}

TEST_CASE("matmul operands that are not views are computed first", "[matmul]") {
  auto x = realized(kiln::randn({12, 10}));
  auto w = realized(kiln::randn({10, 7}));
  auto y = (x * 2.0 + 1.0).matmul(kiln::exp(w));
  auto want = product(realized(x * 2.0 + 1.0), realized(kiln::exp(w)));
  require_close(values(y), want, 1e-4);
}

TEST_CASE("matmul epilogues that change dtype or reduce still match", "[matmul]") {
  auto x = realized(kiln::randn({8, 12}));
  auto w = realized(kiln::randn({12, 6}));
  auto xw = product(x, w);
  SECTION("cast to f16") {
    auto y = x.matmul(w).to(kiln::kFloat16);
    require_close(values(y), xw, 2e-3);
  }
  SECTION("row sums") {
    auto y = x.matmul(w).sum(1);
    std::vector<double> want(8, 0.0);
    for (int i = 0; i < 8; ++i) {
      for (int j = 0; j < 6; ++j) want[i] += xw[i * 6 + j];
    }
    require_close(values(y), want, 1e-4);
  }
  SECTION("the product read twice") {
    auto p = x.matmul(w);
    auto y = p * p + p;
    std::vector<double> want(xw);
    for (auto& v : want) v = v * v + v;
    require_close(values(y), want, 1e-4);
  }
}

TEST_CASE("two matmuls in one epilogue: one runs as its own kernel", "[matmul]") {
  auto x = realized(kiln::randn({9, 14}));
  auto w1 = realized(kiln::randn({14, 11}));
  auto y = realized(kiln::randn({9, 6}));
  auto w2 = realized(kiln::randn({6, 11}));
  auto z = kiln::tanh(x.matmul(w1) + y.matmul(w2));
  REQUIRE(kernels_for(z) == 2);
  auto a = product(x, w1), b = product(y, w2);
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::tanh(a[i] + b[i]);
  require_close(values(z), a, 1e-4);
}

TEST_CASE("matmul with an empty inner dim gives zeros", "[matmul]") {
  auto a = kiln::zeros({3, 0});
  auto b = kiln::zeros({0, 4});
  auto c = a.matmul(b) + 1.0;
  require_close(values(c), std::vector<double>(12, 1.0), 0);
}
