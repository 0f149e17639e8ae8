#include "kiln/frontend/optim/rmsprop.h"

#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"

namespace kiln::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : Optimizer(std::move(params), options.lr()), options_(options) {
  state_.resize(parameters().size());
}

std::vector<Tensor> RMSprop::update(size_t i, const Tensor& grad) {
  Tensor p = parameters()[i];
  State& s = state_[i];
  const RMSpropOptions& o = options_;
  if (!s.square_avg.defined()) {
    s.square_avg = zeros_like(p);
    if (o.centered()) s.grad_avg = zeros_like(p);
    if (o.momentum() > 0) s.momentum_buffer = zeros_like(p);
  }
  Tensor g = grad;
  if (o.weight_decay() != 0) g = g + p * o.weight_decay();
  std::vector<Tensor> state = {s.square_avg};
  s.square_avg.mul_(o.alpha()).add_(g * g * (1.0 - o.alpha()));
  Tensor avg;
  if (o.centered()) {
    s.grad_avg.add_((g - s.grad_avg) * (1.0 - o.alpha()));
    avg = sqrt(s.square_avg - s.grad_avg * s.grad_avg) + o.eps();
    state.push_back(s.grad_avg);
  } else {
    avg = sqrt(s.square_avg) + o.eps();
  }
  if (o.momentum() > 0) {
    s.momentum_buffer.mul_(o.momentum()).add_(g / avg);
    p.sub_(s.momentum_buffer * lr_tensor(p.device()));
    state.push_back(s.momentum_buffer);
  } else {
    p.sub_(g / avg * lr_tensor(p.device()));
  }
  return state;
}

}  // namespace kiln::optim
