// MaxPool2d, AvgPool2d and AdaptiveAvgPool2d, as in libtorch (stride defaults to kernel_size).
#pragma once

#include <optional>
#include <ostream>

#include "kiln/frontend/nn/expanding_array.h"
#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct MaxPool2dOptions {
  MaxPool2dOptions(ExpandingArray<2> kernel_size)  // NOLINT: implicit like libtorch
      : kernel_size_(kernel_size), stride_(kernel_size) {}
  KILN_OPTION(MaxPool2dOptions, ExpandingArray<2>, kernel_size, 1)
  KILN_OPTION(MaxPool2dOptions, ExpandingArray<2>, stride, 1)
  KILN_OPTION(MaxPool2dOptions, ExpandingArray<2>, padding, 0)
  KILN_OPTION(MaxPool2dOptions, ExpandingArray<2>, dilation, 1)
  KILN_OPTION(MaxPool2dOptions, bool, ceil_mode, false)
};

class MaxPool2dImpl : public Module {
 public:
  explicit MaxPool2dImpl(ExpandingArray<2> kernel_size)
      : MaxPool2dImpl(MaxPool2dOptions(kernel_size)) {}
  explicit MaxPool2dImpl(const MaxPool2dOptions& options) : Module("MaxPool2d"), options(options) {}
  Tensor forward(const Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  MaxPool2dOptions options;
};
KILN_MODULE(MaxPool2d);

struct AvgPool2dOptions {
  AvgPool2dOptions(ExpandingArray<2> kernel_size)  // NOLINT: implicit like libtorch
      : kernel_size_(kernel_size), stride_(kernel_size) {}
  KILN_OPTION(AvgPool2dOptions, ExpandingArray<2>, kernel_size, 1)
  KILN_OPTION(AvgPool2dOptions, ExpandingArray<2>, stride, 1)
  KILN_OPTION(AvgPool2dOptions, ExpandingArray<2>, padding, 0)
  KILN_OPTION(AvgPool2dOptions, bool, ceil_mode, false)
  KILN_OPTION(AvgPool2dOptions, bool, count_include_pad, true)
};

class AvgPool2dImpl : public Module {
 public:
  explicit AvgPool2dImpl(ExpandingArray<2> kernel_size)
      : AvgPool2dImpl(AvgPool2dOptions(kernel_size)) {}
  explicit AvgPool2dImpl(const AvgPool2dOptions& options) : Module("AvgPool2d"), options(options) {}
  Tensor forward(const Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  AvgPool2dOptions options;
};
KILN_MODULE(AvgPool2d);

struct AdaptiveAvgPool2dOptions {
  AdaptiveAvgPool2dOptions(ExpandingArray<2> output_size)  // NOLINT: implicit like libtorch
      : output_size_(output_size) {}
  KILN_OPTION(AdaptiveAvgPool2dOptions, ExpandingArray<2>, output_size, 1)
};

class AdaptiveAvgPool2dImpl : public Module {
 public:
  explicit AdaptiveAvgPool2dImpl(ExpandingArray<2> output_size)
      : AdaptiveAvgPool2dImpl(AdaptiveAvgPool2dOptions(output_size)) {}
  explicit AdaptiveAvgPool2dImpl(const AdaptiveAvgPool2dOptions& options)
      : Module("AdaptiveAvgPool2d"), options(options) {}
  Tensor forward(const Tensor& x);
  void pretty_print(std::ostream& stream) const override;
  AdaptiveAvgPool2dOptions options;
};
KILN_MODULE(AdaptiveAvgPool2d);

}  // namespace kiln::nn
