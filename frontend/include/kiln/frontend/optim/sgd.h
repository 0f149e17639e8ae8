// Stochastic gradient descent with PyTorch's update rule: weight decay adds wd * p to the
// gradient; the momentum buffer starts as the first gradient, then buf = m * buf + (1 -
// dampening) * g; Nesterov steps along g + m * buf; p -= lr * step.
#pragma once

#include "kiln/frontend/optim/optimizer.h"

namespace kiln::optim {

struct SGDOptions {
  SGDOptions(double lr) : lr_(lr) {}  // implicit, as libtorch's: SGD(params, 0.01)
  KILN_OPTION(SGDOptions, double, lr, 0.0)
  KILN_OPTION(SGDOptions, double, momentum, 0.0)
  KILN_OPTION(SGDOptions, double, dampening, 0.0)
  KILN_OPTION(SGDOptions, double, weight_decay, 0.0)
  KILN_OPTION(SGDOptions, bool, nesterov, false)
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  const SGDOptions& options() const { return options_; }

 private:
  std::vector<Tensor> update(size_t i, const Tensor& grad) override;
  SGDOptions options_;
  std::vector<Tensor> momentum_buffer_;
};

}  // namespace kiln::optim
