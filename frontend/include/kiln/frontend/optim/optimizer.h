// The optimizer base class, as in libtorch: parameters, zero_grad(), step(), lr()/set_lr().
// The learning rate is a runtime scalar: a realized 0-d tensor read by the update graph as a
// load, so changing it (set_lr, a scheduler) never recompiles. step() records every
// parameter's update in place (functionalized writes of the leaves) and realizes parameters,
// optimizer state and gradients in one program together with the pending forward and
// backward (and the loss backward() was called on); that program writes the parameters and
// state into the buffers they hold whenever nothing else still reads their old values.
#pragma once

#include <cstddef>
#include <vector>

#include "kiln/frontend/tensor.h"

/// Declares a chainable option as libtorch's TORCH_ARG does: `o.name(v)` sets, `o.name()` reads.
#define KILN_OPTION(Self, T, name, init)    \
 public:                                    \
  Self& name(T value) {                     \
    name##_ = std::move(value);             \
    return *this;                           \
  }                                         \
  const T& name() const { return name##_; } \
                                            \
 private:                                   \
  T name##_ = init;

namespace kiln::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// Clears every parameter's gradient: undefined with set_to_none (PyTorch's default), zeros
  /// otherwise.
  void zero_grad(bool set_to_none = true);
  /// Updates every parameter that has a gradient, then realizes parameters, state and
  /// gradients in one program.
  void step();
  double lr() const { return lr_; }
  /// A new learning rate; compiled steps are reused (it is read at run time: the learning-rate
  /// tensors keep their identity and take a new buffer).
  void set_lr(double lr);
  const std::vector<Tensor>& parameters() const { return params_; }
  /// The state tensors parameter i's last update wrote (Adam: exp_avg, exp_avg_sq, then
  /// max_exp_avg_sq with amsgrad, then step; SGD:
  /// the momentum buffer; RMSprop: square_avg, then grad_avg and the momentum buffer when
  /// used); empty before its first step. Steps update them in place: they keep their identity,
  /// and their buffers whenever nothing else reads the old values (see kiln::storage_address).
  const std::vector<Tensor>& state_tensors(size_t i) const;

 protected:
  /// Writes parameter i's update in place (grad mode is off); returns the state tensors it
  /// updated, which step() realizes.
  virtual std::vector<Tensor> update(size_t i, const Tensor& grad) = 0;
  /// The learning rate as a realized 0-d float64 tensor on `device` (made once per device and
  /// learning rate).
  const Tensor& lr_tensor(Device device);
  /// A realized 0-d float64 tensor of v on `device` (a runtime scalar: equal graphs for any v).
  static Tensor runtime_scalar(double v, Device device);

 private:
  std::vector<Tensor> params_;
  double lr_;
  std::vector<Tensor> lr_tensors_;          ///< one per device in use
  std::vector<std::vector<Tensor>> state_;  ///< per parameter: what update() returned last
};

}  // namespace kiln::optim
