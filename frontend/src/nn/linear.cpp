// Linear, Identity and Flatten.
#include "kiln/frontend/nn/linear.h"

#include <cmath>
#include <ostream>

#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/frontend/nn/init.h"

namespace kiln::nn {

LinearImpl::LinearImpl(const LinearOptions& options_) : Module("Linear"), options(options_) {
  weight = register_parameter("weight", empty({options.out_features(), options.in_features()}));
  if (options.bias()) bias = register_parameter("bias", empty({options.out_features()}));
  reset_parameters();
}

void LinearImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    double bound = options.in_features() > 0 ? 1.0 / std::sqrt(options.in_features()) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor LinearImpl::forward(const Tensor& x) { return functional::linear(x, weight, bias); }

void LinearImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "Linear(in_features=" << options.in_features()
         << ", out_features=" << options.out_features() << ", bias=" << options.bias() << ")";
}

void FlattenImpl::pretty_print(std::ostream& stream) const {
  stream << "Flatten(start_dim=" << options.start_dim() << ", end_dim=" << options.end_dim() << ")";
}

}  // namespace kiln::nn
