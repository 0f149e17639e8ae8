// Conv2d.
#include "kiln/frontend/nn/conv.h"

#include <cmath>
#include <ostream>

#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/frontend/nn/init.h"
#include "kiln/runtime/error.h"

namespace kiln::nn {

Conv2dImpl::Conv2dImpl(const Conv2dOptions& options_) : Module("Conv2d"), options(options_) {
  int64_t groups = options.groups();
  if (groups < 1 || options.in_channels() % groups != 0 || options.out_channels() % groups != 0) {
    throw ValueError("[Conv2d] in_channels (" + std::to_string(options.in_channels()) +
                     ") and out_channels (" + std::to_string(options.out_channels()) +
                     ") must be divisible by groups (" + std::to_string(groups) + ")");
  }
  const auto& k = options.kernel_size();
  weight = register_parameter(
      "weight", empty({options.out_channels(), options.in_channels() / groups, k[0], k[1]}));
  if (options.bias()) bias = register_parameter("bias", empty({options.out_channels()}));
  reset_parameters();
}

void Conv2dImpl::reset_parameters() {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    auto fan_in = init::calculate_fan_in_and_fan_out(weight).first;
    double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Conv2dImpl::forward(const Tensor& x) {
  return functional::conv2d(x, weight, bias, options.stride(), options.padding(),
                            options.dilation(), options.groups());
}

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  stream << "Conv2d(" << options.in_channels() << ", " << options.out_channels()
         << ", kernel_size=" << options.kernel_size() << ", stride=" << options.stride();
  if (options.padding() != ExpandingArray<2>(0)) stream << ", padding=" << options.padding();
  if (options.dilation() != ExpandingArray<2>(1)) stream << ", dilation=" << options.dilation();
  if (options.groups() != 1) stream << ", groups=" << options.groups();
  if (!options.bias()) stream << ", bias=false";
  stream << ")";
}

}  // namespace kiln::nn
