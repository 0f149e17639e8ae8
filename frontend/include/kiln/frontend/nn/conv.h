// Conv2d, as in libtorch: weight [out, in / groups, kH, kW] and bias [out], both
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) at first (fan_in = in / groups * kH * kW).
#pragma once

#include <cstdint>
#include <ostream>

#include "kiln/frontend/nn/expanding_array.h"
#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  KILN_OPTION(Conv2dOptions, int64_t, in_channels, 0)
  KILN_OPTION(Conv2dOptions, int64_t, out_channels, 0)
  KILN_OPTION(Conv2dOptions, ExpandingArray<2>, kernel_size, 1)
  KILN_OPTION(Conv2dOptions, ExpandingArray<2>, stride, 1)
  KILN_OPTION(Conv2dOptions, ExpandingArray<2>, padding, 0)
  KILN_OPTION(Conv2dOptions, ExpandingArray<2>, dilation, 1)
  KILN_OPTION(Conv2dOptions, int64_t, groups, 1)
  KILN_OPTION(Conv2dOptions, bool, bias, true)
};

class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : Conv2dImpl(Conv2dOptions(in_channels, out_channels, kernel_size)) {}
  explicit Conv2dImpl(const Conv2dOptions& options);
  void reset_parameters();
  Tensor forward(const Tensor& x);
  /// As libtorch: Conv2d(1, 32, kernel_size=[3, 3], stride=[1, 1]), then the options that
  /// differ from their defaults.
  void pretty_print(std::ostream& stream) const override;

  Conv2dOptions options;
  Tensor weight, bias;
};
KILN_MODULE(Conv2d);

}  // namespace kiln::nn
