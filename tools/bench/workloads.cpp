// The kiln-bench workloads (definitions in workloads.h; keep peer_torch.py in step).
#include "workloads.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace kiln_bench {
namespace {

using kiln::Tensor;

int64_t scaled(int64_t n, double scale) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::llround(static_cast<double>(n) * scale)));
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);
  }
  return out + "]";
}

double elem_bytes(kiln::DType t) { return t == kiln::kBFloat16 || t == kiln::kFloat16 ? 2.0 : 4.0; }

struct Tol {
  double atol, rtol;
};
Tol tol_for(kiln::DType t) {
  // f32: kiln's exp/erf/tanh are vectorized polynomial approximations, not libm.
  if (t == kiln::kFloat32) return {1e-4, 1e-3};
  return {3e-2, 3e-2};  // bf16 / f16: the output itself is rounded to 8 (or 11) bits
}

void check_close(const std::string& what, int64_t index, double got, double want, Tol tol) {
  if (!(std::abs(got - want) <= tol.atol + tol.rtol * std::abs(want))) {
    throw std::runtime_error(fmt::format("validation failed: {} element {}: got {}, expected {}",
                                         what, index, got, want));
  }
}

void check_shape(const std::string& what, const Tensor& out, const std::vector<int64_t>& shape) {
  if (out.sizes() != shape) {
    throw std::runtime_error(fmt::format("validation failed: {} has shape {}, expected {}", what,
                                         shape_str(out.sizes()), shape_str(shape)));
  }
}

/// About `count` indices spread over [0, n), always including the first and last.
std::vector<int64_t> sample(int64_t n, int64_t count) {
  std::vector<int64_t> idx;
  int64_t step = std::max<int64_t>(1, n / count);
  for (int64_t i = 0; i < n; i += step) idx.push_back(i);
  if (idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

kiln::TensorOptions opts(const std::string& device, kiln::DType dtype) {
  return kiln::TensorOptions().dtype(dtype).device(device == "cuda" ? kiln::Device(kiln::kCUDA, 0)
                                                                    : kiln::Device(kiln::kCPU));
}

double gelu_ref(double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); }
double sigmoid_ref(double v) { return 1.0 / (1.0 + std::exp(-v)); }

Workload copy_wl(const std::string& dev, int64_t n, uint64_t seed) {
  Workload w;
  w.name = "copy";
  w.shape = shape_str({n});
  w.bytes = 2.0 * static_cast<double>(n) * 4.0;
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({n}, opts(dev, kiln::kFloat32));
    x.eval();
    return std::vector<Tensor>{x};
  };
  w.build = [](const std::vector<Tensor>& in) { return in[0].clone(); };
  w.validate = [n](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("copy", out, {n});
    if (out.is_same_storage(in[0])) {
      throw std::runtime_error("validation failed: copy's result shares the input's storage");
    }
    auto x = in[0].to_vector<float>();
    auto y = out.to_vector<float>();
    for (int64_t i = 0; i < n; ++i) check_close("copy", i, y[i], x[i], {0, 0});
  };
  return w;
}

Workload elementwise_wl(const std::string& dev, int64_t n, uint64_t seed) {
  Workload w;
  w.name = "elementwise_chain";
  w.shape = shape_str({n});
  w.bytes = 2.0 * static_cast<double>(n) * 4.0;
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({n}, opts(dev, kiln::kFloat32));
    x.eval();
    return std::vector<Tensor>{x};
  };
  w.build = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    return kiln::gelu(x * 1.5 + 0.5) * kiln::sigmoid(x);
  };
  w.validate = [n](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("elementwise_chain", out, {n});
    auto x = in[0].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t i : sample(n, 4096)) {
      double v = x[i];
      check_close("elementwise_chain", i, y[i], gelu_ref(v * 1.5 + 0.5) * sigmoid_ref(v),
                  tol_for(kiln::kFloat32));
    }
  };
  return w;
}

Workload softmax_wl(const std::string& dev, int64_t rows, int64_t cols, kiln::DType dt,
                    uint64_t seed) {
  Workload w;
  w.name = "softmax";
  w.shape = shape_str({rows, cols});
  w.dtype = dt;
  w.bytes = 2.0 * static_cast<double>(rows * cols) * elem_bytes(dt);
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({rows, cols}, opts(dev, dt));
    x.eval();
    return std::vector<Tensor>{x};
  };
  w.build = [](const std::vector<Tensor>& in) { return kiln::softmax(in[0], 1); };
  w.validate = [=](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("softmax", out, {rows, cols});
    auto x = in[0].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t r : sample(rows, 16)) {
      const double* xr = x.data() + r * cols;
      double mx = *std::max_element(xr, xr + cols), s = 0;
      for (int64_t c = 0; c < cols; ++c) s += std::exp(xr[c] - mx);
      Tol tol = tol_for(dt);
      tol.atol = dt == kiln::kFloat32 ? 1e-6 : tol.atol / 100;  // values are about 1/cols
      for (int64_t c = 0; c < cols; ++c) {
        check_close("softmax", r * cols + c, y[r * cols + c], std::exp(xr[c] - mx) / s, tol);
      }
    }
  };
  return w;
}

Workload layernorm_wl(const std::string& dev, int64_t rows, int64_t cols, kiln::DType dt,
                      uint64_t seed) {
  Workload w;
  w.name = "layernorm";
  w.shape = shape_str({rows, cols});
  w.dtype = dt;
  w.bytes =
      (2.0 * static_cast<double>(rows * cols) + 2.0 * static_cast<double>(cols)) * elem_bytes(dt);
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({rows, cols}, opts(dev, dt));
    Tensor weight = kiln::rand({cols}, opts(dev, dt));
    Tensor bias = kiln::rand({cols}, opts(dev, dt));
    kiln::eval({x, weight, bias});
    return std::vector<Tensor>{x, weight, bias};
  };
  // kiln has no layer_norm yet: the formula as written out, var biased, mean/var over dim 1.
  w.build = [](const std::vector<Tensor>& in) {
    const Tensor& x = in[0];
    Tensor mean = x.mean(std::vector<int64_t>{1}, /*keepdim=*/true);
    Tensor var = x.var(std::vector<int64_t>{1}, /*unbiased=*/false, /*keepdim=*/true);
    return (x - mean) / kiln::sqrt(var + 1e-5) * in[1] + in[2];
  };
  w.validate = [=](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("layernorm", out, {rows, cols});
    auto x = in[0].to_vector<double>();
    auto g = in[1].to_vector<double>();
    auto b = in[2].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t r : sample(rows, 16)) {
      const double* xr = x.data() + r * cols;
      double mean = 0, var = 0;
      for (int64_t c = 0; c < cols; ++c) mean += xr[c];
      mean /= static_cast<double>(cols);
      for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
      var /= static_cast<double>(cols);
      for (int64_t c = 0; c < cols; ++c) {
        double want = (xr[c] - mean) / std::sqrt(var + 1e-5) * g[c] + b[c];
        check_close("layernorm", r * cols + c, y[r * cols + c], want, tol_for(dt));
      }
    }
  };
  return w;
}

Workload sum_wl(const std::string& dev, int64_t n, uint64_t seed) {
  Workload w;
  w.name = "sum";
  w.shape = shape_str({n});
  w.bytes = (static_cast<double>(n) + 1.0) * 4.0;
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({n}, opts(dev, kiln::kFloat32));
    x.eval();
    return std::vector<Tensor>{x};
  };
  w.build = [](const std::vector<Tensor>& in) { return in[0].sum(); };
  w.validate = [](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("sum", out, {});
    double want = 0;
    for (double v : in[0].to_vector<double>()) want += v;
    check_close("sum", 0, out.item<double>(), want, {1e-3, 2e-4});
  };
  return w;
}

/// Sorting rows, the values (argsort and a gather): a library call on the CPU.
Workload sort_wl(const std::string& dev, int64_t rows, int64_t cols, uint64_t seed) {
  Workload w;
  w.name = "sort";
  w.shape = shape_str({rows, cols});
  w.bytes = 2.0 * static_cast<double>(rows * cols) * 4.0;
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({rows, cols}, opts(dev, kiln::kFloat32));
    x.eval();
    return std::vector<Tensor>{x};
  };
  w.build = [](const std::vector<Tensor>& in) { return std::get<0>(in[0].sort(1)); };
  w.validate = [=](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("sort", out, {rows, cols});
    auto x = in[0].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t r : sample(rows, 16)) {
      std::vector<double> want(x.begin() + r * cols, x.begin() + (r + 1) * cols);
      std::sort(want.begin(), want.end());
      for (int64_t c = 0; c < cols; ++c)
        check_close("sort", r * cols + c, y[r * cols + c], want[c], {0, 0});
    }
  };
  return w;
}

Workload matmul_wl(const std::string& dev, int64_t m, int64_t k, int64_t n, kiln::DType dt,
                   uint64_t seed) {
  Workload w;
  w.name = "matmul";
  w.shape = shape_str({m, k}) + "@" + shape_str({k, n});
  w.dtype = dt;
  w.bytes = static_cast<double>(m * k + k * n + m * n) * elem_bytes(dt);
  w.flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor a = kiln::rand({m, k}, opts(dev, dt));
    Tensor b = kiln::rand({k, n}, opts(dev, dt));
    kiln::eval({a, b});
    return std::vector<Tensor>{a, b};
  };
  w.build = [](const std::vector<Tensor>& in) { return kiln::matmul(in[0], in[1]); };
  w.validate = [=](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("matmul", out, {m, n});
    auto a = in[0].to_vector<double>();
    auto b = in[1].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t i : sample(m, 8)) {
      for (int64_t j : sample(n, 8)) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p) want += a[i * k + p] * b[p * n + j];
        check_close("matmul", i * n + j, y[i * n + j], want, tol_for(dt));
      }
    }
  };
  return w;
}

/// Per-step overhead: a small program (matmul, softmax epilogue, residual) whose time is launch
/// latency and host work (realization, program lookup, allocation), not bandwidth.
Workload small_step_wl(const std::string& dev, uint64_t seed) {
  const int64_t m = 64, k = 256;
  Workload w;
  w.name = "small_step";
  w.shape = shape_str({m, k}) + "@" + shape_str({k, k});
  w.bytes = static_cast<double>(2 * m * k + k * k) * 4.0;
  w.flops = 2.0 * static_cast<double>(m * k * k);
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    Tensor x = kiln::rand({m, k}, opts(dev, kiln::kFloat32));
    Tensor wt = kiln::rand({k, k}, opts(dev, kiln::kFloat32));
    kiln::eval({x, wt});
    return std::vector<Tensor>{x, wt};
  };
  w.build = [](const std::vector<Tensor>& in) {
    return in[0] + kiln::softmax(kiln::matmul(in[0], in[1]), 1) * 256.0;
  };
  w.validate = [=](const std::vector<Tensor>& in, const Tensor& out) {
    check_shape("small_step", out, {m, k});
    auto x = in[0].to_vector<double>();
    auto wt = in[1].to_vector<double>();
    auto y = out.to_vector<double>();
    for (int64_t i : sample(m, 4)) {
      std::vector<double> row(static_cast<size_t>(k));
      double mx = -1e300, total = 0;
      for (int64_t j = 0; j < k; ++j) {
        double v = 0;
        for (int64_t p = 0; p < k; ++p) v += x[i * k + p] * wt[p * k + j];
        row[static_cast<size_t>(j)] = v;
        mx = std::max(mx, v);
      }
      for (double& v : row) total += (v = std::exp(v - mx));
      for (int64_t j : sample(k, 8)) {
        double want = x[i * k + j] + row[static_cast<size_t>(j)] / total * 256.0;
        check_close("small_step", i * k + j, y[i * k + j], want, tol_for(kiln::kFloat32));
      }
    }
  };
  return w;
}

}  // namespace

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names = {
      "copy",   "elementwise_chain", "softmax",  "layernorm",      "sum",       "sort",
      "matmul", "small_step",        "mlp_step", "mlp_step_eager", "mlp_train", "cnn_train",
      "loader", "warm_start"};
  return names;
}

std::vector<Workload> make_workloads(const std::string& device, double scale, uint64_t seed,
                                     const std::vector<std::string>& only) {
  auto wanted = [&](const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  const bool cuda = device == "cuda";
  const int64_t n = scaled(cuda ? (int64_t{1} << 26) : (int64_t{1} << 24), scale);
  const int64_t rows = scaled(cuda ? 8192 : 4096, scale);
  const int64_t cols = cuda ? 4096 : 1024;
  const int64_t mm = scaled(cuda ? 4096 : 1024, std::cbrt(scale));
  std::vector<kiln::DType> dtypes = {kiln::kFloat32};
  if (cuda) dtypes.push_back(kiln::kBFloat16);

  std::vector<Workload> out;
  if (wanted("copy")) out.push_back(copy_wl(device, n, seed));
  if (wanted("elementwise_chain")) out.push_back(elementwise_wl(device, n, seed));
  for (auto dt : dtypes) {
    if (wanted("softmax")) out.push_back(softmax_wl(device, rows, cols, dt, seed));
  }
  for (auto dt : dtypes) {
    if (wanted("layernorm")) out.push_back(layernorm_wl(device, rows, cols, dt, seed));
  }
  if (wanted("sum")) out.push_back(sum_wl(device, n, seed));
  // On a GPU argsort ranks each element (O(n^2) per row): no workload there yet.
  if (wanted("sort") && !cuda) out.push_back(sort_wl(device, rows, cols, seed));
  for (auto dt : dtypes) {
    if (wanted("matmul")) out.push_back(matmul_wl(device, mm, mm, mm, dt, seed));
  }
  if (wanted("small_step")) out.push_back(small_step_wl(device, seed));
  if (wanted("mlp_step")) out.push_back(mlp_step_wl(device, true, seed));
  if (wanted("mlp_step_eager")) out.push_back(mlp_step_wl(device, false, seed));
  if (wanted("mlp_train")) out.push_back(data_train_wl(device, false, scale, seed));
  if (wanted("cnn_train")) out.push_back(data_train_wl(device, true, scale, seed));
  if (wanted("loader")) out.push_back(data_loader_wl(device, scale, seed));
  return out;
}

void use_mul_one_copy(Workload& w) {
  w.build = [](const std::vector<Tensor>& in) { return in[0] * 1; };
}

}  // namespace kiln_bench
