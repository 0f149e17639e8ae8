#include "kiln/frontend/optim/optimizer.h"

#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/runtime/error.h"
#include "tensor_impl.h"

namespace kiln::optim {

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
  if (lr < 0) throw ValueError("[optim] invalid learning rate: " + std::to_string(lr));
  // As in PyTorch, a parameter that does not require grad (a frozen layer) is accepted: it never
  // gets a gradient, and step() skips it.
  for (const Tensor& p : params_) {
    if (!p.defined()) throw ValueError("[optim] can't optimize an undefined tensor");
    if (!p.is_leaf()) throw ValueError("[optim] can't optimize a non-leaf tensor");
  }
}

Tensor Optimizer::runtime_scalar(double v, Device device) {
  return from_vector(std::vector<double>{v}, std::vector<int64_t>{},  // a load
                     TensorOptions(kFloat64).device(device));
}

const Tensor& Optimizer::lr_tensor(Device device) {
  for (const Tensor& t : lr_tensors_) {
    if (t.device() == device) return t;
  }
  lr_tensors_.push_back(runtime_scalar(lr_, device));
  return lr_tensors_.back();
}

void Optimizer::set_lr(double lr) {
  lr_ = lr;
  // The same tensors take a new buffer holding the value, so that a compiled step, which
  // binds the buffers these tensors hold when it runs, reads the new rate without recompiling.
  for (Tensor& t : lr_tensors_) {
    Tensor fresh = runtime_scalar(lr, t.device());
    detail::Storage& st = *t.impl()->storage;
    st.node = fresh.impl()->storage->node;
    ++st.version;
  }
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

const std::vector<Tensor>& Optimizer::state_tensors(size_t i) const {
  static const std::vector<Tensor> none;
  if (i >= params_.size()) {
    throw IndexError("[optim] state_tensors: parameter " + std::to_string(i) + " of " +
                     std::to_string(params_.size()));
  }
  return i < state_.size() ? state_[i] : none;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  std::vector<Tensor> realize;
  state_.resize(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    state_[i] = update(i, g);
    realize.insert(realize.end(), state_[i].begin(), state_[i].end());
    realize.push_back(params_[i]);
    realize.push_back(g);
  }
  eval(realize);
}

}  // namespace kiln::optim
