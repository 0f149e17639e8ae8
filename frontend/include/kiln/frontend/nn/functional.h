// kiln::nn::functional (alias kiln::nn::F): the stateless layers and losses, with PyTorch's
// Python signatures and defaults, positionally. Each is composed from kiln's primitive ops, so
// autograd differentiates it and the compiler fuses it: conv2d is im2col (strided slices of the
// padded input) + one matmul, pooling reduces the same windows with max or mean.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kiln/frontend/nn/expanding_array.h"
#include "kiln/frontend/ops.h"
#include "kiln/frontend/tensor.h"

namespace kiln::nn::functional {

// ---- activations (the same functions as kiln::relu, ...) ----
using ::kiln::gelu;
using ::kiln::log_softmax;
using ::kiln::one_hot;
using ::kiln::relu;
using ::kiln::sigmoid;
using ::kiln::softmax;
using ::kiln::tanh;

// ---- linear and convolution ----
/// x @ weight^T + bias; weight is [out_features, in_features].
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});
/// 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W] or [C, H, W], weight
/// [O, C / groups, KH, KW], bias [O].
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {},
              ExpandingArray<2> stride = 1, ExpandingArray<2> padding = 0,
              ExpandingArray<2> dilation = 1, int64_t groups = 1);

// ---- pooling ----
/// Max over windows; stride defaults to kernel_size; padding counts as -inf.
Tensor max_pool2d(const Tensor& x, ExpandingArray<2> kernel_size,
                  std::optional<ExpandingArray<2>> stride = std::nullopt,
                  ExpandingArray<2> padding = 0, ExpandingArray<2> dilation = 1,
                  bool ceil_mode = false);
/// Mean over windows; stride defaults to kernel_size; with count_include_pad the zeros of the
/// padding count in the mean.
Tensor avg_pool2d(const Tensor& x, ExpandingArray<2> kernel_size,
                  std::optional<ExpandingArray<2>> stride = std::nullopt,
                  ExpandingArray<2> padding = 0, bool ceil_mode = false,
                  bool count_include_pad = true);
/// Mean over PyTorch's adaptive windows: output i covers [floor(i H / out), ceil((i+1) H / out)).
Tensor adaptive_avg_pool2d(const Tensor& x, ExpandingArray<2> output_size);

// ---- normalization and dropout ----
/// Zeroes each element with probability p and scales the rest by 1 / (1 - p) when training;
/// the identity otherwise.
Tensor dropout(const Tensor& x, double p = 0.5, bool training = true);
/// Normalizes over the last normalized_shape.size() dims (biased variance), then weight and bias.
Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                  const Tensor& weight = {}, const Tensor& bias = {}, double eps = 1e-5);
/// Normalizes each channel (dim 1) with batch statistics when training (updating the running
/// ones in place: momentum, unbiased variance) and with the running statistics otherwise.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);

// ---- losses: reduction is "mean", "sum" or "none" ----
/// log_softmax over dim 1, then nll_loss. target: int64 class indices ([N] or [N, d...]), or
/// class probabilities shaped like input.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                     int64_t ignore_index = -100, const std::string& reduction = "mean",
                     double label_smoothing = 0.0);
/// -input[n, target[n]] (times weight[target[n]]), averaged over the weights of the kept
/// targets for "mean"; targets equal to ignore_index count for nothing.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                int64_t ignore_index = -100, const std::string& reduction = "mean");
Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction = "mean");
/// max(x, 0) - x t + log(1 + exp(-|x|)), with pos_weight scaling the positive term.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight = {},
                                        const std::string& reduction = "mean",
                                        const Tensor& pos_weight = {});

}  // namespace kiln::nn::functional

namespace kiln::nn {
namespace F = functional;
}  // namespace kiln::nn
