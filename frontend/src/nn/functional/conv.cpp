// linear and conv2d. conv2d is im2col + one matmul: the input's windows (an unfold, padding
// included) [N, C, KH, KW, OH, OW] are laid out as columns [G, C/G * KH*KW, N * OH*OW] and
// multiplied by the weight [G, O/G, C/G * KH*KW]; the product [G, O/G, N, OH*OW] is permuted back
// to [N, O, OH, OW]. The weight's gradient is one matmul with a long inner dim (no per-image
// partial products), and the input's is a fold (col2im) of the columns' gradient.
#include <string>

#include "kiln/compiler/shape.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/runtime/error.h"
#include "nn/functional/layout.h"
#include "nn/functional/windows.h"

namespace kiln::nn::functional {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (!weight.defined() || weight.dim() != 2) {
    throw ShapeError("[linear] expected a 2-D weight [out_features, in_features], got " +
                     (weight.defined() ? shape_str(weight.sizes()) : std::string("undefined")));
  }
  if (x.dim() == 0 || x.size(-1) != weight.size(1)) {
    throw ShapeError("[linear] input " + shape_str(x.sizes()) + " does not match weight " +
                     shape_str(weight.sizes()) + ": its last dim must be " +
                     std::to_string(weight.size(1)));
  }
  Tensor y = matmul(x, detail::permuted(weight, {1, 0}));
  return bias.defined() ? y + bias : y;
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
              ExpandingArray<2> stride, ExpandingArray<2> padding, ExpandingArray<2> dilation,
              int64_t groups) {
  bool batched = true;
  Tensor x = detail::as_batch("conv2d", input, batched);
  detail::check_at_least("conv2d", "stride", stride, 1);
  detail::check_at_least("conv2d", "padding", padding, 0);
  detail::check_at_least("conv2d", "dilation", dilation, 1);
  if (!weight.defined() || weight.dim() != 4) {
    throw ShapeError(
        "[conv2d] expected a 4-D weight [out_channels, in_channels / groups, kH, kW], "
        "got " +
        (weight.defined() ? shape_str(weight.sizes()) : std::string("undefined")));
  }
  int64_t n = x.size(0), c = x.size(1), o = weight.size(0);
  if (groups < 1 || c % groups != 0 || o % groups != 0 || weight.size(1) * groups != c) {
    throw ShapeError("[conv2d] input " + shape_str(input.sizes()) + " and weight " +
                     shape_str(weight.sizes()) + " with groups=" + std::to_string(groups) +
                     ": expected input to have " + std::to_string(weight.size(1) * groups) +
                     " channels, and channels divisible by groups");
  }
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != o)) {
    throw ShapeError("[conv2d] expected bias of shape [" + std::to_string(o) + "], got " +
                     shape_str(bias.sizes()));
  }
  ExpandingArray<2> kernel({weight.size(2), weight.size(3)});
  int64_t oh = detail::window_count("conv2d", x.size(2), kernel[0], stride[0], padding[0],
                                    dilation[0], false);
  int64_t ow = detail::window_count("conv2d", x.size(3), kernel[1], stride[1], padding[1],
                                    dilation[1], false);
  int64_t kk = kernel[0] * kernel[1], cg = c / groups;
  // [N, C, KH, KW, OH, OW] -> [C, KH, KW, N, OH, OW] -> [G, C/G * KK, N * OH * OW]
  Tensor windows = detail::windows(x, kernel, stride, padding, dilation, oh, ow, 0.0);
  Tensor cols = detail::reshaped(detail::permuted(windows, {1, 2, 3, 0, 4, 5}),
                                 {groups, cg * kk, n * oh * ow});
  Tensor w = detail::reshaped(weight, {groups, o / groups, cg * kk});
  // The bias is added before the layout changes back, so that its gradient sums contiguous
  // rows of the output gradient laid out as the weight gradient's matmul reads it.
  Tensor y = matmul(w, cols);
  if (bias.defined()) y = y + detail::reshaped(bias, {groups, o / groups, 1});
  // [G, O/G, N * OH * OW] -> [N, O, OH, OW]
  y = detail::permuted(detail::reshaped(y, {o, n, oh, ow}), {1, 0, 2, 3});
  return batched ? y : y.squeeze(0);
}

}  // namespace kiln::nn::functional
