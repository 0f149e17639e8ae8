#include "kiln/frontend/optim/adam.h"

#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln::optim {

AdamBase::AdamBase(std::vector<Tensor> params, double lr, std::tuple<double, double> betas,
                   double eps, double weight_decay, bool amsgrad, bool decoupled)
    : Optimizer(std::move(params), lr),
      beta1_(std::get<0>(betas)),
      beta2_(std::get<1>(betas)),
      eps_(eps),
      weight_decay_(weight_decay),
      amsgrad_(amsgrad),
      decoupled_(decoupled) {
  if (beta1_ < 0 || beta1_ >= 1 || beta2_ < 0 || beta2_ >= 1) {
    throw ValueError("[Adam] invalid beta parameters: (" + std::to_string(beta1_) + ", " +
                     std::to_string(beta2_) + ")");
  }
  state_.resize(parameters().size());
}

std::vector<Tensor> AdamBase::update(size_t i, const Tensor& grad) {
  Tensor p = parameters()[i];
  State& s = state_[i];
  if (!s.exp_avg.defined()) {
    s.exp_avg = zeros_like(p);
    s.exp_avg_sq = zeros_like(p);
    s.step = zeros({}, TensorOptions(kFloat64).device(p.device()));
    if (amsgrad_) s.max_exp_avg_sq = zeros_like(p);
  }
  Tensor g = grad;
  if (weight_decay_ != 0) {
    if (decoupled_) {
      p.mul_(1.0 - lr_tensor(p.device()) * weight_decay_);
    } else {
      g = g + p * weight_decay_;
    }
  }
  // The step count lives on the device and advances in the update's own program, so a replayed
  // step (kiln::compile) computes its bias corrections from the count it finds there.
  s.step.add_(1.0);
  s.exp_avg.add_((g - s.exp_avg) * (1.0 - beta1_));
  s.exp_avg_sq.mul_(beta2_).add_(g * g * (1.0 - beta2_));
  Tensor bias_correction1 = 1.0 - pow(beta1_, s.step);
  Tensor bias_correction2_sqrt = sqrt(1.0 - pow(beta2_, s.step));
  Tensor step_size = lr_tensor(p.device()) / bias_correction1;
  Tensor second = s.exp_avg_sq;
  if (amsgrad_) second = s.max_exp_avg_sq.copy_(maximum(s.max_exp_avg_sq, s.exp_avg_sq));
  Tensor denom = sqrt(second) / bias_correction2_sqrt + eps_;
  p.sub_(s.exp_avg / denom * step_size);
  if (amsgrad_) return {s.exp_avg, s.exp_avg_sq, s.max_exp_avg_sq, s.step};
  return {s.exp_avg, s.exp_avg_sq, s.step};
}

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : AdamBase(std::move(params), options.lr(), options.betas(), options.eps(),
               options.weight_decay(), options.amsgrad(), false),
      options_(options) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamBase(std::move(params), options.lr(), options.betas(), options.eps(),
               options.weight_decay(), options.amsgrad(), true),
      options_(options) {}

}  // namespace kiln::optim
