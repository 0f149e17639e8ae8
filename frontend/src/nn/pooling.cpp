// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d.
#include "kiln/frontend/nn/pooling.h"

#include <ostream>

#include "kiln/frontend/nn/functional.h"

namespace kiln::nn {

Tensor MaxPool2dImpl::forward(const Tensor& x) {
  return functional::max_pool2d(x, options.kernel_size(), options.stride(), options.padding(),
                                options.dilation(), options.ceil_mode());
}

void MaxPool2dImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "MaxPool2d(kernel_size=" << options.kernel_size()
         << ", stride=" << options.stride() << ", padding=" << options.padding()
         << ", dilation=" << options.dilation() << ", ceil_mode=" << options.ceil_mode() << ")";
}

Tensor AvgPool2dImpl::forward(const Tensor& x) {
  return functional::avg_pool2d(x, options.kernel_size(), options.stride(), options.padding(),
                                options.ceil_mode(), options.count_include_pad());
}

void AvgPool2dImpl::pretty_print(std::ostream& stream) const {
  stream << "AvgPool2d(kernel_size=" << options.kernel_size() << ", stride=" << options.stride()
         << ", padding=" << options.padding() << ")";
}

Tensor AdaptiveAvgPool2dImpl::forward(const Tensor& x) {
  return functional::adaptive_avg_pool2d(x, options.output_size());
}

void AdaptiveAvgPool2dImpl::pretty_print(std::ostream& stream) const {
  stream << "AdaptiveAvgPool2d(output_size=" << options.output_size() << ")";
}

}  // namespace kiln::nn
