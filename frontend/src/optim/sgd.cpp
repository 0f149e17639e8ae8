#include "kiln/frontend/optim/sgd.h"

#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr()), options_(options) {
  if (options_.nesterov() && (options_.momentum() <= 0 || options_.dampening() != 0)) {
    throw ValueError("[SGD] Nesterov momentum requires a momentum and zero dampening");
  }
  momentum_buffer_.resize(parameters().size());
}

std::vector<Tensor> SGD::update(size_t i, const Tensor& grad) {
  Tensor p = parameters()[i];
  Tensor d = grad;
  if (options_.weight_decay() != 0) d = d + p * options_.weight_decay();
  std::vector<Tensor> state;
  if (options_.momentum() != 0) {
    Tensor& buf = momentum_buffer_[i];
    if (!buf.defined()) {
      buf = d.clone();
    } else {
      buf.mul_(options_.momentum()).add_(d, 1.0 - options_.dampening());
    }
    d = options_.nesterov() ? d + buf * options_.momentum() : buf;
    state.push_back(buf);
  }
  p.sub_(d * lr_tensor(p.device()));
  return state;
}

}  // namespace kiln::optim
