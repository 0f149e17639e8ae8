#include "kiln/frontend/optim/optimizer.h"

#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/runtime/error.h"

namespace kiln::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr)
    : params_(std::move(params)), lr_(lr), lr_tensor_(runtime_scalar(lr)) {
  if (lr < 0) throw ValueError("[optim] invalid learning rate: " + std::to_string(lr));
  for (const Tensor& p : params_) {
    if (!p.defined() || !p.requires_grad() || !p.is_leaf()) {
      throw ValueError("[optim] can't optimize a tensor that is not a leaf requiring grad");
    }
  }
}

Tensor Optimizer::runtime_scalar(double v) {
  return from_vector(std::vector<double>{v}, std::vector<int64_t>{}, kFloat64);  // a load
}

void Optimizer::set_lr(double lr) {
  lr_ = lr;
  lr_tensor_ = runtime_scalar(lr);
}

void Optimizer::zero_grad(bool set_to_none) {
  for (Tensor& p : params_) {
    Tensor& g = p.mutable_grad();
    if (!g.defined()) continue;
    if (set_to_none) {
      g = Tensor();
    } else {
      NoGradGuard no_grad;
      g.zero_();
    }
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  std::vector<Tensor> realize;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    for (Tensor& s : update(i, g)) realize.push_back(std::move(s));
    realize.push_back(params_[i]);
    realize.push_back(g);
  }
  eval(realize);
}

}  // namespace kiln::optim
