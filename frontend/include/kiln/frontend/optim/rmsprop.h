// RMSprop with PyTorch's update rule: g += wd * p; v = alpha v + (1 - alpha) g^2; centered
// subtracts the square of the running mean of g; d = sqrt(v) + eps; with momentum
// buf = m buf + g / d and p -= lr buf, else p -= lr g / d.
#pragma once

#include "kiln/frontend/optim/optimizer.h"

namespace kiln::optim {

struct RMSpropOptions {
  RMSpropOptions(double lr = 1e-2) : lr_(lr) {}  // implicit, as libtorch's
  KILN_OPTION(RMSpropOptions, double, lr, 1e-2)
  KILN_OPTION(RMSpropOptions, double, alpha, 0.99)
  KILN_OPTION(RMSpropOptions, double, eps, 1e-8)
  KILN_OPTION(RMSpropOptions, double, weight_decay, 0.0)
  KILN_OPTION(RMSpropOptions, double, momentum, 0.0)
  KILN_OPTION(RMSpropOptions, bool, centered, false)
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = RMSpropOptions());
  const RMSpropOptions& options() const { return options_; }

 private:
  std::vector<Tensor> update(size_t i, const Tensor& grad) override;
  RMSpropOptions options_;
  struct State {
    Tensor square_avg, grad_avg, momentum_buffer;
  };
  std::vector<State> state_;
};

}  // namespace kiln::optim
