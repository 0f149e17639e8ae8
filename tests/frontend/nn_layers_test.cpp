// nn layers and functional ops against values computed independently by plain loops in this
// file: conv2d (stride, padding, dilation, groups), max/avg/adaptive pooling (padding,
// ceil_mode), linear, layer_norm, batch_norm (batch statistics, running statistics with
// momentum 0.1 and unbiased variance, eval mode), dropout in train and eval mode, embedding,
// flatten, and the default initialisations' ranges.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"

using kiln::Tensor;
namespace nn = kiln::nn;
namespace F = kiln::nn::functional;
using kiln::testing::uniform;

namespace {

using Vec = std::vector<double>;

struct Conv {
  int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups;
  int64_t oh() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t ow() const { return (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
};

/// Direct convolution by loops: out[n][o][i][j] = b[o] + sum over the group's channels.
Vec naive_conv(const Conv& p, const Vec& x, const Vec& wt, const Vec& b) {
  int64_t cg = p.c / p.groups, og = p.o / p.groups;
  Vec out(static_cast<size_t>(p.n * p.o * p.oh() * p.ow()));
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t o = 0; o < p.o; ++o)
      for (int64_t i = 0; i < p.oh(); ++i)
        for (int64_t j = 0; j < p.ow(); ++j) {
          double s = b.empty() ? 0.0 : b[o];
          int64_t g = o / og;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t a = 0; a < p.kh; ++a)
              for (int64_t e = 0; e < p.kw; ++e) {
                int64_t y = i * p.sh - p.ph + a * p.dh, z = j * p.sw - p.pw + e * p.dw;
                if (y < 0 || y >= p.h || z < 0 || z >= p.w) continue;
                int64_t c = g * cg + ci;
                s += x[((n * p.c + c) * p.h + y) * p.w + z] *
                     wt[((o * cg + ci) * p.kh + a) * p.kw + e];
              }
          out[((n * p.o + o) * p.oh() + i) * p.ow() + j] = s;
        }
  return out;
}

void check_close(const Vec& got, const Vec& want, double tol = 1e-4) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).margin(tol));
  }
}

Tensor f64(const Vec& v, const std::vector<int64_t>& shape) {
  return kiln::from_vector(v, shape, kiln::kFloat64);
}

/// Pooling by loops over [N*C, H, W] planes; windows clipped to the padded input; `avg` divides
/// by the window's size inside the padded input (count_include_pad) or inside the input.
Vec naive_pool(const Vec& x, int64_t planes, int64_t h, int64_t w, int64_t k, int64_t s, int64_t p,
               bool ceil_mode, bool avg, bool include_pad, int64_t& oh, int64_t& ow) {
  auto count = [&](int64_t size) {
    int64_t room = size + 2 * p - k;
    int64_t o = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
    if (ceil_mode && (o - 1) * s >= size + p) --o;
    return o;
  };
  oh = count(h);
  ow = count(w);
  Vec out;
  for (int64_t q = 0; q < planes; ++q)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        int64_t y0 = i * s - p, z0 = j * s - p;
        int64_t y1 = std::min(y0 + k, h + p), z1 = std::min(z0 + k, w + p);
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int64_t inside = 0;
        for (int64_t y = y0; y < y1; ++y)
          for (int64_t z = z0; z < z1; ++z) {
            if (y < 0 || y >= h || z < 0 || z >= w) continue;
            double v = x[(q * h + y) * w + z];
            best = std::max(best, v);
            sum += v;
            ++inside;
          }
        double divisor =
            include_pad ? static_cast<double>((y1 - y0) * (z1 - z0)) : static_cast<double>(inside);
        out.push_back(avg ? sum / divisor : best);
      }
  return out;
}

}  // namespace

TEST_CASE("nn: conv2d matches a direct convolution", "[nn]") {
  std::vector<Conv> cases = {
      {2, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1},  // plain 3x3
      {1, 2, 8, 7, 3, 3, 2, 2, 1, 1, 2, 1, 1, 1},  // stride, asymmetric padding
      {2, 4, 9, 9, 6, 3, 3, 1, 2, 2, 1, 2, 2, 2},  // dilation, groups
      {1, 3, 5, 5, 3, 1, 1, 1, 1, 0, 0, 1, 1, 3},  // 1x1 depthwise
  };
  for (const Conv& p : cases) {
    Vec x = uniform(static_cast<size_t>(p.n * p.c * p.h * p.w), 1);
    Vec wt = uniform(static_cast<size_t>(p.o * (p.c / p.groups) * p.kh * p.kw), 2);
    Vec b = uniform(static_cast<size_t>(p.o), 3);
    Tensor y = F::conv2d(f64(x, {p.n, p.c, p.h, p.w}), f64(wt, {p.o, p.c / p.groups, p.kh, p.kw}),
                         f64(b, {p.o}), {p.sh, p.sw}, {p.ph, p.pw}, {p.dh, p.dw}, p.groups);
    CHECK(y.sizes() == std::vector<int64_t>{p.n, p.o, p.oh(), p.ow()});
    check_close(y.to_vector<double>(), naive_conv(p, x, wt, b), 1e-9);
  }
  // Unbatched input, the module, and float32.
  nn::Conv2d conv(nn::Conv2dOptions(2, 3, 3).padding(1));
  Tensor x = kiln::randn({2, 5, 5});
  Tensor y = conv(x);
  CHECK(y.sizes() == std::vector<int64_t>{3, 5, 5});
  Conv p{1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  check_close(y.to_vector<double>(),
              naive_conv(p, x.to_vector<double>(), conv->weight.to_vector<double>(),
                         conv->bias.to_vector<double>()));
  CHECK_THROWS_WITH(F::conv2d(kiln::ones({1, 3, 5, 5}), kiln::ones({4, 2, 3, 3})),
                    Catch::StartsWith("[conv2d]") && Catch::Contains("[1, 3, 5, 5]"));
  CHECK_THROWS_WITH(F::conv2d(kiln::ones({1, 2, 2, 2}), kiln::ones({4, 2, 3, 3})),
                    Catch::StartsWith("[conv2d]") && Catch::Contains("kernel extent 3"));
}

TEST_CASE("nn: max and avg pooling match loops", "[nn]") {
  Vec x = uniform(2 * 3 * 7 * 8, 5);
  Tensor t = f64(x, {2, 3, 7, 8});
  struct Case {
    int64_t k, s, p;
    bool ceil;
  };
  for (Case c : {Case{2, 2, 0, false}, Case{3, 2, 1, false}, Case{3, 2, 1, true},
                 Case{2, 1, 0, false}, Case{3, 3, 0, true}}) {
    INFO("k " << c.k << " s " << c.s << " p " << c.p << " ceil " << c.ceil);
    int64_t oh = 0, ow = 0;
    Vec want = naive_pool(x, 6, 7, 8, c.k, c.s, c.p, c.ceil, false, false, oh, ow);
    Tensor got = F::max_pool2d(t, c.k, c.s, c.p, 1, c.ceil);
    CHECK(got.sizes() == std::vector<int64_t>{2, 3, oh, ow});
    check_close(got.to_vector<double>(), want, 1e-12);
    for (bool include : {true, false}) {
      want = naive_pool(x, 6, 7, 8, c.k, c.s, c.p, c.ceil, true, include, oh, ow);
      got = F::avg_pool2d(t, c.k, c.s, c.p, c.ceil, include);
      check_close(got.to_vector<double>(), want, 1e-12);
    }
  }
  // Dilated max pooling against the direct formula for one window.
  Tensor d = F::max_pool2d(t, 2, 1, 0, 2);
  CHECK(d.sizes() == std::vector<int64_t>{2, 3, 5, 6});
  double m = std::max({x[0], x[2], x[16], x[18]});
  CHECK(d.to_vector<double>()[0] == m);
  nn::MaxPool2d pool(2);
  CHECK(pool(t).sizes() == std::vector<int64_t>{2, 3, 3, 4});
  CHECK_THROWS_WITH(F::max_pool2d(t, 2, 2, 2),
                    Catch::StartsWith("[max_pool2d] pad should be at most half"));
}

TEST_CASE("nn: adaptive_avg_pool2d averages PyTorch's windows", "[nn]") {
  Vec x = uniform(1 * 2 * 5 * 7, 6);
  Tensor t = f64(x, {1, 2, 5, 7});
  for (auto [oh, ow] : {std::pair<int64_t, int64_t>{1, 1}, {3, 4}, {5, 7}, {2, 3}}) {
    Vec want;
    for (int64_t q = 0; q < 2; ++q)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          int64_t y0 = i * 5 / oh, y1 = ((i + 1) * 5 + oh - 1) / oh;
          int64_t z0 = j * 7 / ow, z1 = ((j + 1) * 7 + ow - 1) / ow;
          double s = 0;
          for (int64_t y = y0; y < y1; ++y)
            for (int64_t z = z0; z < z1; ++z) s += x[(q * 5 + y) * 7 + z];
          want.push_back(s / static_cast<double>((y1 - y0) * (z1 - z0)));
        }
    nn::AdaptiveAvgPool2d pool(nn::AdaptiveAvgPool2dOptions({oh, ow}));
    Tensor got = pool(t);
    CHECK(got.sizes() == std::vector<int64_t>{1, 2, oh, ow});
    check_close(got.to_vector<double>(), want, 1e-12);
  }
}

TEST_CASE("nn: linear, flatten, identity, embedding, activations", "[nn]") {
  nn::Linear lin(3, 2);
  Tensor x = kiln::randn({4, 3});
  Vec w = lin->weight.to_vector<double>(), b = lin->bias.to_vector<double>();
  Vec xv = x.to_vector<double>(), want;
  for (int i = 0; i < 4; ++i)
    for (int o = 0; o < 2; ++o) {
      double s = b[o];
      for (int k = 0; k < 3; ++k) s += xv[i * 3 + k] * w[o * 3 + k];
      want.push_back(s);
    }
  check_close(lin(x).to_vector<double>(), want);
  CHECK_THROWS_WITH(lin(kiln::ones({2, 4})), Catch::StartsWith("[linear]"));

  CHECK(nn::Flatten()(kiln::ones({2, 3, 4, 5})).sizes() == std::vector<int64_t>{2, 60});
  CHECK(nn::Identity()(x).to_vector<float>() == x.to_vector<float>());

  nn::Embedding emb(nn::EmbeddingOptions(5, 3).padding_idx(1));
  Tensor ids = kiln::tensor({{0L, 1L}, {4L, 0L}});
  Tensor e = emb(ids);
  CHECK(e.sizes() == std::vector<int64_t>{2, 2, 3});
  Vec table = emb->weight.to_vector<double>(), ev = e.to_vector<double>();
  for (int k = 0; k < 3; ++k) {
    CHECK(ev[k] == table[k]);
    CHECK(ev[3 + k] == 0.0);  // the padding row starts at zero
    CHECK(ev[6 + k] == table[12 + k]);
  }
  e.sum().backward();
  Vec g = emb->weight.grad().to_vector<double>();
  CHECK(g[0] == 2.0);
  CHECK(g[3] == 0.0);  // no gradient for the padding row
  CHECK(g[12] == 1.0);

  Tensor a = kiln::tensor({-1.0, 0.5, 2.0});
  CHECK(nn::ReLU()(a).to_vector<double>() == Vec{0.0, 0.5, 2.0});
  check_close(nn::Sigmoid()(a).to_vector<double>(),
              {1 / (1 + std::exp(1.0)), 1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-2.0))});
  check_close(nn::Tanh()(a).to_vector<double>(), {std::tanh(-1.0), std::tanh(0.5), std::tanh(2.0)});
  check_close(nn::GELU()(a).to_vector<double>(), {-0.5 * (1 + std::erf(-1 / std::sqrt(2.0))),
                                                  0.25 * (1 + std::erf(0.5 / std::sqrt(2.0))),
                                                  1.0 * (1 + std::erf(2 / std::sqrt(2.0)))});
  double z = std::exp(-1.0) + std::exp(0.5) + std::exp(2.0);
  check_close(nn::Softmax(0)(a).to_vector<double>(),
              {std::exp(-1.0) / z, std::exp(0.5) / z, std::exp(2.0) / z});
  check_close(nn::LogSoftmax(0)(a).to_vector<double>(),
              {-1.0 - std::log(z), 0.5 - std::log(z), 2.0 - std::log(z)});
}

TEST_CASE("nn: layer_norm normalizes the trailing dims", "[nn]") {
  Vec x = uniform(2 * 3 * 4, 7, -2, 2);
  Vec w = uniform(12, 8), b = uniform(12, 9);
  Tensor y = F::layer_norm(f64(x, {2, 3, 4}), {3, 4}, f64(w, {3, 4}), f64(b, {3, 4}));
  Vec want;
  for (int r = 0; r < 2; ++r) {
    double mean = 0, var = 0;
    for (int i = 0; i < 12; ++i) mean += x[r * 12 + i] / 12;
    for (int i = 0; i < 12; ++i) var += (x[r * 12 + i] - mean) * (x[r * 12 + i] - mean) / 12;
    for (int i = 0; i < 12; ++i)
      want.push_back((x[r * 12 + i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i]);
  }
  check_close(y.to_vector<double>(), want, 1e-10);
  nn::LayerNorm ln(nn::LayerNormOptions({4}));
  CHECK(ln(kiln::randn({3, 4})).sizes() == std::vector<int64_t>{3, 4});
  CHECK_THROWS_WITH(F::layer_norm(kiln::ones({2, 5}), {10}),
                    Catch::StartsWith("[layer_norm] Given normalized_shape=[10], expected input "
                                      "with shape [*, 10], but got input of size[2, 5]"));
}

TEST_CASE("nn: BatchNorm running statistics and train/eval as in PyTorch", "[nn]") {
  nn::BatchNorm2d bn(3);
  CHECK(bn->running_mean.to_vector<double>() == Vec{0, 0, 0});
  CHECK(bn->running_var.to_vector<double>() == Vec{1, 1, 1});
  const int64_t n = 4, hw = 5;
  Vec rm(3, 0.0), rv(3, 1.0);
  for (int step = 0; step < 2; ++step) {
    Vec x = uniform(static_cast<size_t>(n * 3 * hw), 10 + step, -1, 3);
    Tensor y = bn(f64(x, {n, 3, 1, hw}).to(kiln::kFloat32));
    Vec yv = y.to_vector<double>();
    for (int64_t c = 0; c < 3; ++c) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < hw; ++j) mean += x[(i * 3 + c) * hw + j] / (n * hw);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < hw; ++j)
          var += std::pow(x[(i * 3 + c) * hw + j] - mean, 2) / (n * hw);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < hw; ++j) {
          size_t at = static_cast<size_t>((i * 3 + c) * hw + j);
          CHECK(yv[at] == Approx((x[at] - mean) / std::sqrt(var + 1e-5)).margin(1e-4));
        }
      rm[c] = 0.9 * rm[c] + 0.1 * mean;
      rv[c] = 0.9 * rv[c] + 0.1 * var * (n * hw) / (n * hw - 1);  // unbiased
    }
  }
  check_close(bn->running_mean.to_vector<double>(), rm, 1e-5);
  check_close(bn->running_var.to_vector<double>(), rv, 1e-5);
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);

  bn->eval();
  Tensor x = kiln::randn({2, 3, 2, 2});
  Vec xv = x.to_vector<double>(), yv = bn(x).to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) {
    size_t c = (i / 4) % 3;
    CHECK(yv[i] == Approx((xv[i] - rm[c]) / std::sqrt(rv[c] + 1e-5)).margin(1e-4));
  }
  CHECK(bn->num_batches_tracked.item<int64_t>() == 2);  // eval leaves the statistics alone
  check_close(bn->running_mean.to_vector<double>(), rm, 1e-5);

  nn::BatchNorm1d bn1(4);
  CHECK(bn1(kiln::randn({8, 4})).sizes() == std::vector<int64_t>{8, 4});
  CHECK_THROWS_WITH(bn1(kiln::randn({1, 4})),
                    Catch::Contains("Expected more than 1 value per channel when training"));
  CHECK_THROWS_WITH(bn(kiln::randn({3, 2})), Catch::StartsWith("[BatchNorm2d] expected 4D input"));
}

TEST_CASE("nn: Dropout zeroes and rescales in training only", "[nn]") {
  kiln::manual_seed(3);
  nn::Dropout drop(0.25);
  Tensor x = kiln::ones({4000});
  Vec y = drop(x).to_vector<double>();
  int zeros = 0;
  for (double v : y) {
    if (v == 0.0) {
      ++zeros;
    } else {
      CHECK(v == Approx(1 / 0.75));
    }
  }
  CHECK(zeros > 900);
  CHECK(zeros < 1100);
  drop->eval();
  CHECK(drop(x).to_vector<double>() == x.to_vector<double>());
  CHECK(F::dropout(x, 0.5, false).to_vector<double>() == x.to_vector<double>());
  CHECK(F::dropout(x, 1.0, true).sum().item<double>() == 0.0);
  CHECK_THROWS_WITH(nn::Dropout(1.5), Catch::StartsWith("[dropout] dropout probability"));
}

TEST_CASE("nn: default initialisations follow PyTorch's ranges", "[nn]") {
  kiln::manual_seed(0);
  nn::Linear lin(100, 50);
  double bound = 1 / std::sqrt(100.0);
  Vec w = lin->weight.to_vector<double>();
  CHECK(*std::max_element(w.begin(), w.end()) <= bound);
  CHECK(*std::min_element(w.begin(), w.end()) >= -bound);
  CHECK(*std::max_element(w.begin(), w.end()) > 0.9 * bound);
  nn::Conv2d conv(8, 4, 3);
  double cb = 1 / std::sqrt(8.0 * 9);
  Vec cw = conv->weight.to_vector<double>();
  CHECK(*std::max_element(cw.begin(), cw.end()) <= cb);
  CHECK(*std::max_element(cw.begin(), cw.end()) > 0.9 * cb);

  Tensor t = kiln::empty({200, 300});
  nn::init::xavier_uniform_(t);
  double xb = std::sqrt(6.0 / 500);
  CHECK(t.abs().max().item<double>() <= xb);
  nn::init::kaiming_normal_(t, 0, nn::init::kFanIn, nn::init::kReLU);
  CHECK(t.std().item<double>() == Approx(std::sqrt(2.0 / 300)).epsilon(0.02));
  nn::init::normal_(t, 1.0, 0.5);
  CHECK(t.mean().item<double>() == Approx(1.0).margin(0.01));
  nn::init::kaiming_uniform_(t);
  CHECK(t.abs().max().item<double>() <= std::sqrt(6.0 / 300));
  nn::init::ones_(t);
  CHECK(t.sum().item<double>() == 60000.0);
  nn::init::zeros_(t);
  CHECK(t.abs().sum().item<double>() == 0.0);
  CHECK_THROWS_WITH(nn::init::kaiming_uniform_(kiln::empty({3})),
                    Catch::Contains("fewer than 2 dimensions"));
}
