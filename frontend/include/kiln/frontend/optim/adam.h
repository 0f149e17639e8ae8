// Adam and AdamW with PyTorch's update rules (per parameter, t = its step count):
//   m = m + (1 - b1) (g - m),  v = b2 v + (1 - b2) g^2,
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
// Adam adds wd * p to g first; AdamW multiplies p by 1 - lr * wd first (decoupled decay).
// With amsgrad, the denominator uses the running maximum of v instead of v.
// Each parameter's step count t is a 0-d float64 tensor on its device, advanced by the update
// itself; the bias corrections are computed from it in the update's program, so no step
// recompiles and a replayed compiled step (kiln::compile) uses the right t.
#pragma once

#include <cstdint>
#include <tuple>

#include "kiln/frontend/optim/optimizer.h"

namespace kiln::optim {

struct AdamOptions {
  AdamOptions(double lr = 1e-3) : lr_(lr) {}  // implicit, as libtorch's: Adam(params, 1e-3)
  using Betas = std::tuple<double, double>;
  KILN_OPTION(AdamOptions, double, lr, 1e-3)
  KILN_OPTION(AdamOptions, Betas, betas, Betas(0.9, 0.999))
  KILN_OPTION(AdamOptions, double, eps, 1e-8)
  KILN_OPTION(AdamOptions, bool, amsgrad, false)
  KILN_OPTION(AdamOptions, double, weight_decay, 0.0)
};

struct AdamWOptions {
  AdamWOptions(double lr = 1e-3) : lr_(lr) {}  // implicit, as libtorch's: AdamW(params, 1e-3)
  using Betas = std::tuple<double, double>;
  KILN_OPTION(AdamWOptions, double, lr, 1e-3)
  KILN_OPTION(AdamWOptions, Betas, betas, Betas(0.9, 0.999))
  KILN_OPTION(AdamWOptions, double, eps, 1e-8)
  KILN_OPTION(AdamWOptions, bool, amsgrad, false)
  KILN_OPTION(AdamWOptions, double, weight_decay, 1e-2)
};

/// The update both share; `decoupled` selects AdamW's weight decay.
class AdamBase : public Optimizer {
 protected:
  AdamBase(std::vector<Tensor> params, double lr, std::tuple<double, double> betas, double eps,
           double weight_decay, bool amsgrad, bool decoupled);

 private:
  std::vector<Tensor> update(size_t i, const Tensor& grad) override;
  double beta1_, beta2_, eps_, weight_decay_;
  bool amsgrad_, decoupled_;
  struct State {
    Tensor step;  ///< 0-d float64: updates applied so far
    Tensor exp_avg, exp_avg_sq;
    Tensor max_exp_avg_sq;  ///< amsgrad only
  };
  std::vector<State> state_;
};

class Adam : public AdamBase {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = AdamOptions());
  const AdamOptions& options() const { return options_; }

 private:
  AdamOptions options_;
};

class AdamW : public AdamBase {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = AdamWOptions());
  const AdamWOptions& options() const { return options_; }

 private:
  AdamWOptions options_;
};

}  // namespace kiln::optim
