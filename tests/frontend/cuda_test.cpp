// GPU tests ([cuda]): every op compiled on the GPU against the reference interpreter, random
// graphs on the GPU, transfers, the RNG, the allocator and out-of-memory recovery. Without a GPU
// each case says so and passes (CI has none; tools/gpu-check runs them on a device machine).
#include <cmath>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/random_graph.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/runtime/cuda/allocator.h"

namespace {

using kiln::Tensor;

bool have_gpu() {
  if (kiln::cuda::is_available()) return true;
  WARN("no CUDA device on this machine: [cuda] test skipped");
  return false;
}

const kiln::Device kGpu(kiln::kCUDA, 0);

/// Tolerance of a dtype's results (relative, and absolute near zero).
double tolerance(kiln::DType t) {
  switch (t) {
    case kiln::kFloat64: return 1e-9;
    case kiln::kFloat32: return 2e-5;
    case kiln::kFloat16: return 2e-3;
    case kiln::kBFloat16: return 1.6e-2;
    default: return 0.0;
  }
}

/// `make` applied to CPU inputs (the interpreter's answer) and to the same inputs on the GPU.
void check_op(const std::string& name, const std::vector<Tensor>& cpu_inputs,
              const std::function<Tensor(const std::vector<Tensor>&)>& make,
              double tol_scale = 1.0) {
  CAPTURE(name);
  Tensor want_t = make(cpu_inputs);
  auto want = kiln::ir::interpret({want_t.node()})[0];
  std::vector<Tensor> gpu_inputs;
  for (const auto& t : cpu_inputs) gpu_inputs.push_back(t.to(kGpu));
  Tensor got_t = make(gpu_inputs);
  REQUIRE(got_t.device() == kGpu);
  REQUIRE(got_t.dtype() == want_t.dtype());
  auto got = got_t.contiguous().to_vector<double>();
  REQUIRE(static_cast<int64_t>(got.size()) == want->numel());
  double tol = tolerance(got_t.dtype()) * tol_scale;
  for (size_t i = 0; i < got.size(); ++i) {
    double w = want->get(static_cast<int64_t>(i));
    if (std::isnan(w) && std::isnan(got[i])) continue;
    CAPTURE(i, w, got[i]);
    REQUIRE(std::abs(got[i] - w) <= tol * (1.0 + std::abs(w)));
  }
}

using Op = std::function<Tensor(const std::vector<Tensor>&)>;

struct NamedOp {
  std::string name;
  Op op;
};

std::vector<NamedOp> unary_ops() {
  auto u = [](Tensor (*f)(const Tensor&)) {
    return [f](const std::vector<Tensor>& v) { return f(v[0]); };
  };
  return {
      {"neg", [](const std::vector<Tensor>& v) { return -v[0]; }},
      {"exp", u(kiln::exp)},
      {"log", [](const std::vector<Tensor>& v) { return kiln::log(kiln::abs(v[0]) + 0.1); }},
      {"log1p", [](const std::vector<Tensor>& v) { return kiln::log1p(kiln::abs(v[0])); }},
      {"expm1", u(kiln::expm1)},
      {"sqrt", [](const std::vector<Tensor>& v) { return kiln::sqrt(kiln::abs(v[0])); }},
      {"rsqrt", [](const std::vector<Tensor>& v) { return kiln::rsqrt(kiln::abs(v[0]) + 0.5); }},
      {"abs", u(kiln::abs)},
      {"sign", u(kiln::sign)},
      {"sin", u(kiln::sin)},
      {"cos", u(kiln::cos)},
      {"tanh", u(kiln::tanh)},
      {"sigmoid", u(kiln::sigmoid)},
      {"relu", u(kiln::relu)},
      {"gelu", [](const std::vector<Tensor>& v) { return kiln::gelu(v[0]); }},
      {"silu", u(kiln::silu)},
      {"softplus", [](const std::vector<Tensor>& v) { return kiln::softplus(v[0]); }},
      {"erf", u(kiln::erf)},
      {"floor", u(kiln::floor)},
      {"ceil", u(kiln::ceil)},
      {"round", u(kiln::round)},
      {"reciprocal", [](const std::vector<Tensor>& v) { return kiln::reciprocal(v[0] + 3.0); }},
      {"clamp", [](const std::vector<Tensor>& v) { return kiln::clamp(v[0], -0.5, 0.7); }},
      {"pow", [](const std::vector<Tensor>& v) { return kiln::pow(kiln::abs(v[0]) + 0.1, 1.7); }}};
}

std::vector<NamedOp> binary_ops() {
  return {{"add", [](const std::vector<Tensor>& v) { return v[0] + v[1]; }},
          {"sub", [](const std::vector<Tensor>& v) { return v[0] - v[1]; }},
          {"mul", [](const std::vector<Tensor>& v) { return v[0] * v[1]; }},
          {"div", [](const std::vector<Tensor>& v) { return v[0] / (v[1] + 3.0); }},
          {"minimum", [](const std::vector<Tensor>& v) { return kiln::minimum(v[0], v[1]); }},
          {"maximum", [](const std::vector<Tensor>& v) { return kiln::maximum(v[0], v[1]); }},
          {"where",
           [](const std::vector<Tensor>& v) { return kiln::where(v[0] < v[1], v[0], v[1] * 2); }},
          {"lt", [](const std::vector<Tensor>& v) { return v[0] < v[1]; }},
          {"ge", [](const std::vector<Tensor>& v) { return v[0] >= v[1]; }},
          {"eq", [](const std::vector<Tensor>& v) { return (v[0] > 0) == (v[1] > 0); }},
          {"logical_and",
           [](const std::vector<Tensor>& v) { return kiln::logical_and(v[0] > 0, v[1] > 0); }},
          {"pow(t,t)",
           [](const std::vector<Tensor>& v) { return kiln::pow(kiln::abs(v[0]) + 0.5, v[1]); }},
          {"broadcast row", [](const std::vector<Tensor>& v) { return v[0] * v[1].index({0}); }}};
}

std::vector<NamedOp> reduce_ops() {
  return {
      {"sum", [](const std::vector<Tensor>& v) { return v[0].sum(); }},
      {"sum(0)", [](const std::vector<Tensor>& v) { return v[0].sum(0); }},
      {"sum(1,keep)", [](const std::vector<Tensor>& v) { return v[0].sum(1, true); }},
      {"mean(1)", [](const std::vector<Tensor>& v) { return v[0].mean(1); }},
      {"max(1)", [](const std::vector<Tensor>& v) { return std::get<0>(v[0].max(1)); }},
      {"argmax(1)", [](const std::vector<Tensor>& v) { return v[0].argmax(1); }},
      {"min(0)", [](const std::vector<Tensor>& v) { return std::get<0>(v[0].min(0)); }},
      {"prod(1)", [](const std::vector<Tensor>& v) { return (v[0] * 0.1 + 1).prod(1); }},
      {"var(1)", [](const std::vector<Tensor>& v) { return v[0].var(1); }},
      {"norm", [](const std::vector<Tensor>& v) { return v[0].norm(); }},
      {"logsumexp(1)",
       [](const std::vector<Tensor>& v) { return kiln::logsumexp(v[0], std::vector<int64_t>{1}); }},
      {"softmax(1)", [](const std::vector<Tensor>& v) { return kiln::softmax(v[0], 1); }},
      {"softmax(0)", [](const std::vector<Tensor>& v) { return kiln::softmax(v[0], 0); }},
      {"log_softmax(1)", [](const std::vector<Tensor>& v) { return kiln::log_softmax(v[0], 1); }},
      {"layer_norm",
       [](const std::vector<Tensor>& v) {
         auto mu = v[0].mean(1, true);
         auto var = ((v[0] - mu) * (v[0] - mu)).mean(1, true);
         return (v[0] - mu) / kiln::sqrt(var + 1e-5) * v[1].index({0}) + 0.5;
       }},
      {"cumsum(1)", [](const std::vector<Tensor>& v) { return v[0].cumsum(1); }},
      {"sort(1)", [](const std::vector<Tensor>& v) { return std::get<0>(v[0].sort(1, false)); }},
      {"all/any", [](const std::vector<Tensor>& v) {
         return kiln::logical_and((v[0] > -3).all(1), (v[0] > 0.5).any(1));
       }}};
}

std::vector<NamedOp> movement_ops() {
  using namespace kiln::indexing;
  return {{"transpose", [](const std::vector<Tensor>& v) { return v[0].t() + 1; }},
          {"slice step", [](const std::vector<Tensor>& v) { return v[0].slice(1, 1, 40, 3) * 2; }},
          {"flip",
           [](const std::vector<Tensor>& v) {
             return v[0].flip({0, 1});
           }},
          {"pad",
           [](const std::vector<Tensor>& v) {
             return kiln::pad(v[0], {1, 2, 3, 0}, 0.25);
           }},
          {"cat",
           [](const std::vector<Tensor>& v) {
             return kiln::cat({v[0], v[1]}, 1);
           }},
          {"gather",
           [](const std::vector<Tensor>& v) {
             // The index from f32 math: from 16-bit math its truncation would depend on
             // whether |x| * 17 is rounded to 16 bits first (the interpreter) or not (a fused
             // kernel).
             auto x = kiln::abs(v[1].to(kiln::kFloat32)) * 17;
             auto idx = kiln::clamp(x, 0, v[0].size(1) - 1).to(kiln::kLong);
             return kiln::gather(v[0], 1, idx);
           }},
          {"index_select",
           [](const std::vector<Tensor>& v) {
             return v[0].index_select(
                 0, kiln::arange(0, v[0].size(0), 2, kiln::TensorOptions().device(v[0].device())));
           }},
          {"mask", [](const std::vector<Tensor>& v) { return v[0].index({v[0] > 0.3}); }},
          {"index_put_",
           [](const std::vector<Tensor>& v) {
             Tensor c = v[0].clone();
             c.index_put_({Slice(), 3}, 7.0);
             return c;
           }},
          {"write through view", [](const std::vector<Tensor>& v) {
             Tensor c = v[0].clone();
             c.select(0, 2).mul_(-4);
             return c;
           }}};
}

std::vector<Tensor> inputs(kiln::DType dt, int64_t rows, int64_t cols) {
  kiln::manual_seed(7);
  Tensor a = kiln::randn({rows, cols}, dt);
  Tensor b = kiln::randn({rows, cols}, dt);
  a.eval();
  b.eval();
  return {a, b};
}

}  // namespace

TEST_CASE("cuda: elementwise ops equal the reference interpreter", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kFloat16, kiln::kBFloat16}) {
    CAPTURE(kiln::torch_name(dt));
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{37, 129}, {4, 1024}, {1, 7}}) {
      auto in = inputs(dt, rows, cols);
      for (const auto& op : unary_ops()) check_op(op.name, in, op.op);
      for (const auto& op : binary_ops()) check_op(op.name, in, op.op);
    }
  }
}

TEST_CASE("cuda: reductions and row kernels equal the reference interpreter", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kBFloat16}) {
    CAPTURE(kiln::torch_name(dt));
    for (auto [rows, cols] :
         {std::pair<int64_t, int64_t>{37, 129}, {3, 5000}, {300, 8}, {1, 70000}}) {
      CAPTURE(rows, cols);
      auto in = inputs(dt, rows, cols);
      for (const auto& op : reduce_ops()) {
        // A running sum over 70000 f32 elements drifts from the double reference by about
        // sqrt(n) roundings of the partial sums' size. A 16-bit product's factors (x * 0.1 + 1)
        // are rounded to 16 bits by the interpreter, one op at a time, but kept in f32 by the
        // fused kernel (on the CPU too): about sqrt(n) roundings apart as well.
        bool drifts = op.name == "cumsum(1)" || (op.name == "prod(1)" && dt == kiln::kBFloat16);
        check_op(op.name, in, op.op, drifts ? std::sqrt(double(cols)) : 1.0);
      }
    }
  }
}

TEST_CASE("cuda: long full reductions (split into row blocks) equal the interpreter", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kBFloat16}) {
    CAPTURE(kiln::torch_name(dt));
    auto in = inputs(dt, 1024, 4096);
    auto reduce = [](Tensor (*f)(const Tensor&)) {
      return [f](const std::vector<Tensor>& v) { return f(v[0] * v[1]); };
    };
    // 2^22 products: the sum's rounding grows like sqrt(n) partial sums.
    check_op("sum", in, reduce(kiln::sum), 64.0);
    check_op("amax", in, [](const std::vector<Tensor>& v) {
      return kiln::amax(v[0] * v[1], {0, 1});
    });
    check_op(
        "mean", in, [](const std::vector<Tensor>& v) { return kiln::mean(v[0]); }, 64.0);
  }
}

TEST_CASE("cuda: views, indexing and in-place writes equal the reference interpreter", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat16}) {
    auto in = inputs(dt, 33, 65);
    for (const auto& op : movement_ops()) check_op(op.name, in, op.op);
  }
}

TEST_CASE("cuda: matmul f32, f64, f16 and bf16 with epilogues and views", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kFloat16, kiln::kBFloat16}) {
    CAPTURE(kiln::torch_name(dt));
    kiln::manual_seed(3);
    Tensor a = kiln::randn({2, 65, 96}, dt), b = kiln::randn({96, 33}, dt),
           bias = kiln::randn({33}, dt);
    std::vector<Tensor> in = {a, b, bias};
    for (auto& t : in) t.eval();
    check_op("matmul + bias + relu", in, [](const std::vector<Tensor>& v) {
      return kiln::relu(kiln::matmul(v[0], v[1]) + v[2]);
    });
    check_op("transposed operands", in, [](const std::vector<Tensor>& v) {
      return kiln::matmul(v[1].t(), v[0].index({0}).t());
    });
    check_op("bmm", in,
             [](const std::vector<Tensor>& v) { return kiln::bmm(v[0], v[0].transpose(1, 2)); });
    check_op("strided operand", in, [](const std::vector<Tensor>& v) {
      return kiln::matmul(v[0].index({0}).slice(1, 0, 96, 2), v[1].slice(0, 0, 96, 2));
    });
  }
}

TEST_CASE("cuda: random graphs equal the reference interpreter", "[cuda][property]") {
  if (!have_gpu()) return;
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    CAPTURE(seed);
    kiln::manual_seed(seed);
    kiln_test::Gen cpu(seed, kiln::Device(kiln::kCPU));
    auto [want_out, want_other] = kiln_test::random_graph(cpu);
    auto expected = kiln::ir::interpret({want_out.node(), want_other.node()});
    kiln::manual_seed(seed);
    kiln_test::Gen gpu(seed, kGpu);
    auto [out, other] = kiln_test::random_graph(gpu);
    CAPTURE(gpu.log);
    REQUIRE(gpu.log == cpu.log);
    kiln::eval({out, other});
    kiln_test::require_close(out, *expected[0]);
    kiln_test::require_close(other, *expected[1]);
  }
}

TEST_CASE("cuda: the same seed gives the same random numbers as the CPU", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kBFloat16}) {
    kiln::manual_seed(42);
    auto cpu_u = kiln::rand({1000}, dt).to_vector<double>();
    auto cpu_n = kiln::randn({1000}, dt).to_vector<double>();
    kiln::manual_seed(42);
    auto opts = kiln::TensorOptions().dtype(dt).device(kGpu);
    auto gpu_u = kiln::rand({1000}, opts).to_vector<double>();
    auto gpu_n = kiln::randn({1000}, opts).to_vector<double>();
    REQUIRE(gpu_u == cpu_u);
    for (size_t i = 0; i < cpu_n.size(); ++i)
      REQUIRE(gpu_n[i] == Approx(cpu_n[i]).epsilon(1e-6).margin(1e-6));
  }
}

TEST_CASE("cuda: transfers round-trip every dtype and keep views", "[cuda]") {
  if (!have_gpu()) return;
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kFloat16, kiln::kBFloat16,
                         kiln::kInt32, kiln::kInt64, kiln::kUInt8, kiln::kBool}) {
    Tensor x = kiln::arange(24, dt).reshape({4, 6});
    Tensor g = x.cuda();
    REQUIRE(g.device() == kGpu);
    REQUIRE(g.dtype() == dt);
    REQUIRE(g.cpu().to_vector<double>() == x.to_vector<double>());
    REQUIRE(g.t().to_vector<double>() == x.t().to_vector<double>());
  }
  Tensor v =
      kiln::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}, kiln::TensorOptions().device(kGpu));
  REQUIRE(v.device() == kGpu);
  REQUIRE((v * 2).sum().item<float>() == 20.0f);
  std::string text = fmt::format("{}", v);
  REQUIRE(text.find("device='cuda:0'") != std::string::npos);
  REQUIRE_THROWS_AS(v + kiln::ones({2, 2}), kiln::DeviceError);
  // copy_ crosses devices (and dtypes), into a view too.
  Tensor host = kiln::zeros({2, 2}, kiln::kFloat64);
  host.copy_(v);
  REQUIRE(host.to_vector<double>() == std::vector<double>{1, 2, 3, 4});
  Tensor dev = kiln::zeros({2, 2}, kiln::TensorOptions().device(kGpu));
  dev[1].copy_(kiln::tensor({7.0, 8.0}));
  REQUIRE(dev.cpu().to_vector<float>() == std::vector<float>{0, 0, 7, 8});
  // Gradients do not cross devices: copying a tensor that requires grad says so.
  Tensor w = kiln::ones({2, 2}, kiln::TensorOptions().device(kGpu)).requires_grad_();
  REQUIRE_THROWS_WITH(host.copy_(w), Catch::Contains("gradients do not flow between devices"));
  {
    kiln::NoGradGuard guard;
    host.copy_(w);
  }
  REQUIRE(host.to_vector<double>() == std::vector<double>{1, 1, 1, 1});
}

TEST_CASE("cuda: softmax of a realized tensor is one kernel launch", "[cuda]") {
  if (!have_gpu()) return;
  Tensor x = kiln::randn({64, 1000}, kiln::TensorOptions().device(kGpu));
  x.eval();
  kiln::softmax(x, 1).eval();  // compile once
  kiln::reset_stats();
  Tensor y = kiln::softmax(x, 1);
  y.eval();
  REQUIRE(kiln::stats().kernel_launches == 1);
  REQUIRE(kiln::stats().programs_compiled == 0);
  REQUIRE(y.sum(1).cpu().to_vector<float>()[0] == Approx(1.0f).epsilon(1e-5));
}

TEST_CASE("cuda: the allocator reuses blocks and recovers from out of memory", "[cuda]") {
  if (!have_gpu()) return;
  auto& alloc = kiln::runtime::cuda::DeviceAllocator::instance(0);
  {
    Tensor a = kiln::ones({1 << 20}, kiln::TensorOptions().device(kGpu));
    a.eval();
  }
  auto before = alloc.stats();
  {
    Tensor a = kiln::ones({1 << 20}, kiln::TensorOptions().device(kGpu));
    a.eval();
  }
  auto after = alloc.stats();
  REQUIRE(after.cache_hits > before.cache_hits);
  REQUIRE(after.device_allocations == before.device_allocations);
  // Far more than any GPU has: fails cleanly, and the device stays usable.
  REQUIRE_THROWS_AS(kiln::zeros({int64_t{1} << 42}, kiln::TensorOptions().device(kGpu)).eval(),
                    kiln::OutOfMemoryError);
  REQUIRE(kiln::ones({8}, kiln::TensorOptions().device(kGpu)).sum().item<float>() == 8.0f);
  kiln::cuda::empty_cache();
  REQUIRE(alloc.stats().bytes_cached == 0);
}

namespace {

/// Three Adam steps of a small MLP classifier (cross-entropy through log_softmax and gather) on
/// `device`, from the same initial values wherever it runs; returns the final parameters.
std::vector<std::vector<double>> train_mlp(kiln::Device device) {
  kiln::manual_seed(11);
  std::vector<Tensor> params = {kiln::randn({8, 16}) * 0.3, kiln::zeros({16}),
                                kiln::randn({16, 4}) * 0.3, kiln::zeros({4})};
  Tensor x = kiln::randn({32, 8});
  Tensor y = kiln::randint(0, 4, {32, 1});
  for (auto& p : params) p = p.to(device).detach().requires_grad_();
  x = x.to(device);
  y = y.to(device);
  kiln::optim::Adam opt(params, kiln::optim::AdamOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor h = kiln::relu(kiln::matmul(x, params[0]) + params[1]);
    Tensor logits = kiln::matmul(h, params[2]) + params[3];
    Tensor loss = -kiln::gather(kiln::log_softmax(logits, 1), 1, y).mean();
    loss.backward();
    opt.step();
  }
  std::vector<std::vector<double>> out;
  for (const auto& p : params) out.push_back(p.to_vector<double>());
  return out;
}

}  // namespace

TEST_CASE("cuda: a training step gives the same parameters on the CPU and the GPU", "[cuda]") {
  if (!have_gpu()) return;
  auto cpu = train_mlp(kiln::Device(kiln::kCPU));
  auto gpu = train_mlp(kGpu);
  REQUIRE(cpu.size() == gpu.size());
  for (size_t p = 0; p < cpu.size(); ++p) {
    REQUIRE(cpu[p].size() == gpu[p].size());
    for (size_t i = 0; i < cpu[p].size(); ++i) {
      CAPTURE(p, i);
      REQUIRE(gpu[p][i] == Approx(cpu[p][i]).epsilon(1e-4).margin(1e-5));
    }
  }
}

TEST_CASE("cuda: a step realized again replays as one CUDA graph with the right values", "[cuda]") {
  if (!have_gpu()) return;
  auto on = kiln::TensorOptions().device(kGpu);
  Tensor w = kiln::ones({256, 256}, on) * 0.01;
  Tensor x = kiln::ones({64, 256}, on);
  w.eval();
  x.eval();
  kiln::reset_stats();
  for (int step = 0; step < 12; ++step) {
    // Each step's output replaces its input: buffers alternate between two address sets. Rows
    // stay constant, so the softmax term is 1 everywhere and x grows by one a step.
    x = x + kiln::softmax(kiln::matmul(x, w), 1) * 256.0;
    x.eval();
    REQUIRE(x.index({3, 7}).item<float>() == Approx(step + 2.0).epsilon(1e-5));
  }
  REQUIRE(kiln::stats().cuda_graph_replays >= 2);
}
