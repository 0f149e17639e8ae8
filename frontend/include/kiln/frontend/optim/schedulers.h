// Learning-rate schedules, as PyTorch's: each step() advances the epoch and sets the
// optimizer's lr (a runtime scalar, so nothing recompiles).
//   StepLR: lr = base_lr * gamma^floor(epoch / step_size)
//   CosineAnnealingLR: lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / t_max)) / 2
#pragma once

#include <cstdint>

#include "kiln/frontend/optim/optimizer.h"

namespace kiln::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  /// Advances one epoch and sets the optimizer's learning rate for it.
  void step();
  double get_last_lr() const { return optimizer_.lr(); }
  int64_t last_epoch() const { return epoch_; }

 protected:
  /// The learning rate of `epoch` from the base learning rate.
  virtual double lr_at(int64_t epoch, double base_lr) const = 0;

 private:
  Optimizer& optimizer_;
  double base_lr_;
  int64_t epoch_ = 0;
};

class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);

 private:
  double lr_at(int64_t epoch, double base_lr) const override;
  int64_t step_size_;
  double gamma_;
};

class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0.0);

 private:
  double lr_at(int64_t epoch, double base_lr) const override;
  int64_t t_max_;
  double eta_min_;
};

}  // namespace kiln::optim
