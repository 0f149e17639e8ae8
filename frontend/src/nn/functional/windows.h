// Sliding windows over the last two dims of an [N, C, H, W] tensor, shared by conv2d (im2col)
// and pooling: one unfold node (compiler/node.h), which fuses into its consumer as index math
// with one load per element; its gradient is a fold (col2im), a gather loop per input element.
#pragma once

#include <cstdint>

#include "kiln/frontend/nn/expanding_array.h"
#include "kiln/frontend/tensor.h"

namespace kiln::nn::functional::detail {

/// The output length of a window sweep along one dim (PyTorch's pooling_output_shape): the
/// windows start at multiples of stride in the input padded by `padding` on both sides; with
/// ceil_mode a last partial window counts if it starts inside the input or the left padding.
int64_t window_count(const char* op, int64_t size, int64_t kernel, int64_t stride, int64_t padding,
                     int64_t dilation, bool ceil_mode);

/// The windows of x [N, C, H, W]: a tensor [N, C, KH, KW, OH, OW] whose [n, c, kh, kw, i, j] is
/// x[n, c, i*sh + kh*dh - ph, j*sw + kw*dw - pw], or `fill` where that lies outside x.
Tensor windows(const Tensor& x, ExpandingArray<2> kernel, ExpandingArray<2> stride,
               ExpandingArray<2> padding, ExpandingArray<2> dilation, int64_t oh, int64_t ow,
               double fill);

/// Throws Error naming op unless every value is at least `min`.
void check_at_least(const char* op, const char* what, ExpandingArray<2> values, int64_t min);

/// x as a batch: [C, H, W] becomes [1, C, H, W] (batched is set); [N, C, H, W] is kept; other
/// ranks throw ShapeError naming op.
Tensor as_batch(const char* op, const Tensor& x, bool& batched);

}  // namespace kiln::nn::functional::detail
