// Dropout: zeroes elements with probability p (scaling the rest by 1 / (1 - p)) in training
// mode only.
#pragma once

#include <ostream>

#include "kiln/frontend/nn/functional.h"
#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT: implicit like libtorch
  KILN_OPTION(DropoutOptions, double, p, 0.5)
  KILN_OPTION(DropoutOptions, bool, inplace, false)
};

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {}) : Module("Dropout"), options(options) {
    functional::dropout(Tensor(), options.p(), false);  // checks p
  }
  Tensor forward(const Tensor& x) { return functional::dropout(x, options.p(), is_training()); }
  void pretty_print(std::ostream& stream) const override {
    stream << std::boolalpha << "Dropout(p=" << options.p() << ", inplace=" << options.inplace()
           << ")";
  }
  DropoutOptions options;
};
KILN_MODULE(Dropout);

}  // namespace kiln::nn
