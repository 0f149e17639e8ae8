// Training-step workloads: one Adam step of an MLP 784-256-256-10 on a batch of 256 (f32,
// cross-entropy), through kiln::compile (mlp_step) and written out plainly (mlp_step_eager).
// A rep is one step; the reported kernels are launches per step, compile_ms is the first step.
#include <cmath>
#include <memory>
#include <stdexcept>

#include "workloads.h"

namespace kiln_bench {

namespace {

using kiln::Tensor;

struct MlpState {
  kiln::nn::Sequential model{nullptr};
  std::unique_ptr<kiln::optim::Adam> opt;
};

Tensor train_step(MlpState& s, const Tensor& x, const Tensor& y) {
  Tensor loss = kiln::nn::functional::cross_entropy(s.model->forward(x), y);
  s.opt->zero_grad();
  loss.backward();
  s.opt->step();
  return loss;
}

}  // namespace

Workload mlp_step_wl(const std::string& dev, bool compiled, uint64_t seed) {
  const int64_t batch = 256;
  Workload w;
  w.name = compiled ? "mlp_step" : "mlp_step_eager";
  w.shape = "784-256-256-10,b256";
  // Parameters, gradients and both Adam moments read and written once, plus the batch.
  const double params = 784.0 * 256 + 256 + 256.0 * 256 + 256 + 256.0 * 10 + 10;
  w.bytes = (params * 8.0 + batch * 785.0) * 4.0;
  w.flops = 3 * 2.0 * batch * (784.0 * 256 + 256.0 * 256 + 256.0 * 10);
  auto device = dev == "cuda" ? kiln::Device(kiln::kCUDA, 0) : kiln::Device(kiln::kCPU);
  auto state = std::make_shared<MlpState>();
  w.make_inputs = [=] {
    kiln::manual_seed(seed);
    namespace nn = kiln::nn;
    state->model = nn::Sequential(nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 256),
                                  nn::ReLU(), nn::Linear(256, 10));
    state->model->to(device);
    state->opt = std::make_unique<kiln::optim::Adam>(state->model->parameters(),
                                                     kiln::optim::AdamOptions(1e-3));
    auto on = kiln::TensorOptions().device(device);
    Tensor x = kiln::rand({batch, 784}, on);
    Tensor y = kiln::randint(0, 10, {batch}, kiln::TensorOptions(kiln::kLong).device(device));
    kiln::eval({x, y});
    return std::vector<Tensor>{x, y};
  };
  if (compiled) {
    auto step = std::make_shared<kiln::CompiledFunction<std::function<Tensor(Tensor, Tensor)>>>(
        [state](Tensor x, Tensor y) { return train_step(*state, x, y); });
    w.build = [step](const std::vector<Tensor>& in) { return (*step)(in[0], in[1]); };
  } else {
    w.build = [state](const std::vector<Tensor>& in) { return train_step(*state, in[0], in[1]); };
  }
  w.validate = [](const std::vector<Tensor>&, const Tensor& out) {
    double loss = out.item<double>();
    if (!std::isfinite(loss) || loss <= 0 || loss > 10) {
      throw std::runtime_error("validation failed: mlp_step loss " + std::to_string(loss));
    }
  };
  return w;
}

}  // namespace kiln_bench
