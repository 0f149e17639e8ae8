// max_pool2d, avg_pool2d, adaptive_avg_pool2d: reductions over the windows of windows.h; max
// pooling's is ir::reduce_first, so its gradient goes to one element per window as PyTorch's.
// Non-overlapping windows (the common 2x2, stride 2 pooling) are a reshape [N, C, OH, KH, OW,
// KW] of the input's top-left corner reduced over KH and KW, with no window op at all.
#include <limits>
#include <string>
#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/runtime/error.h"
#include "nn/functional/layout.h"
#include "nn/functional/windows.h"

namespace kiln::nn::functional {

namespace {

enum class Pool { Max, Sum };

struct PoolShape {
  ExpandingArray<2> kernel, stride, padding, dilation;
  int64_t oh, ow;
};

PoolShape pool_shape(const char* op, const Tensor& x, ExpandingArray<2> kernel,
                     std::optional<ExpandingArray<2>> stride, ExpandingArray<2> padding,
                     ExpandingArray<2> dilation, bool ceil_mode) {
  ExpandingArray<2> st = stride.value_or(kernel);
  detail::check_at_least(op, "kernel_size", kernel, 1);
  detail::check_at_least(op, "stride", st, 1);
  detail::check_at_least(op, "dilation", dilation, 1);
  detail::check_at_least(op, "padding", padding, 0);
  if (2 * padding[0] > kernel[0] || 2 * padding[1] > kernel[1]) {
    throw Error(std::string("[") + op + "] pad should be at most half of effective kernel size, " +
                "but got pad=[" + std::to_string(padding[0]) + ", " + std::to_string(padding[1]) +
                "] and kernel_size=[" + std::to_string(kernel[0]) + ", " +
                std::to_string(kernel[1]) + "]");
  }
  int64_t oh =
      detail::window_count(op, x.size(2), kernel[0], st[0], padding[0], dilation[0], ceil_mode);
  int64_t ow =
      detail::window_count(op, x.size(3), kernel[1], st[1], padding[1], dilation[1], ceil_mode);
  return {kernel, st, padding, dilation, oh, ow};
}

/// v reduced over `axes` (dropped from the result): by sum, or by a max whose gradient goes
/// whole to the first maximum of each window, in the window's row-major order, as PyTorch's
/// max_pool2d routes it (amax would split it among ties).
Tensor reduce_over(const Tensor& v, const std::vector<int64_t>& axes, Pool pool) {
  if (pool == Pool::Sum) return v.sum(axes);
  std::vector<int64_t> kept = v.sizes();
  for (auto a = axes.rbegin(); a != axes.rend(); ++a) kept.erase(kept.begin() + *a);
  return Tensor::from_node(ir::reshape(ir::reduce_first(ir::Op::Max, v.node(), axes), kept));
}

/// The windows of x (`fill` outside it) reduced by max or sum: [N, C, OH, OW].
Tensor reduce_windows(const Tensor& x, const PoolShape& p, double fill, Pool pool) {
  // Non-overlapping windows inside x: a reshape of its top-left [OH * KH, OW * KW] corner.
  bool tiles = p.stride == p.kernel && p.dilation == ExpandingArray<2>(1) &&
               p.padding == ExpandingArray<2>(0) && p.oh * p.kernel[0] <= x.size(2) &&
               p.ow * p.kernel[1] <= x.size(3);
  if (tiles) {
    Tensor corner =
        Tensor::from_node(ir::slice(x.node(), {0, x.size(0), 1, 0, x.size(1), 1, 0,
                                               p.oh * p.kernel[0], 1, 0, p.ow * p.kernel[1], 1}));
    Tensor v =
        detail::reshaped(corner, {x.size(0), x.size(1), p.oh, p.kernel[0], p.ow, p.kernel[1]});
    return reduce_over(v, {3, 5}, pool);
  }
  Tensor w = detail::windows(x, p.kernel, p.stride, p.padding, p.dilation, p.oh, p.ow, fill);
  return reduce_over(w, {2, 3}, pool);
}

Tensor unbatch(const Tensor& y, bool batched) { return batched ? y : y.squeeze(0); }

}  // namespace

Tensor max_pool2d(const Tensor& input, ExpandingArray<2> kernel_size,
                  std::optional<ExpandingArray<2>> stride, ExpandingArray<2> padding,
                  ExpandingArray<2> dilation, bool ceil_mode) {
  bool batched = true;
  Tensor x = detail::as_batch("max_pool2d", input, batched);
  PoolShape p = pool_shape("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode);
  double lowest = x.is_floating_point() ? -std::numeric_limits<double>::infinity()
                                        : static_cast<double>(std::numeric_limits<int32_t>::min());
  return unbatch(reduce_windows(x, p, lowest, Pool::Max), batched);
}

Tensor avg_pool2d(const Tensor& input, ExpandingArray<2> kernel_size,
                  std::optional<ExpandingArray<2>> stride, ExpandingArray<2> padding,
                  bool ceil_mode, bool count_include_pad) {
  bool batched = true;
  Tensor x = detail::as_batch("avg_pool2d", input, batched);
  PoolShape p = pool_shape("avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode);
  Tensor sums = reduce_windows(x, p, 0.0, Pool::Sum);
  bool uniform = !ceil_mode && (count_include_pad || p.padding == ExpandingArray<2>(0));
  if (uniform) return unbatch(sums / static_cast<double>(p.kernel[0] * p.kernel[1]), batched);
  // The divisor of each window: its elements inside the input, plus the padding with
  // count_include_pad, but never what a ceil_mode window reaches past the padding.
  Tensor ones =
      kiln::ones({1, 1, x.size(2), x.size(3)}, TensorOptions(x.dtype()).device(x.device()));
  if (count_include_pad) {
    ones = pad(ones, {p.padding[1], p.padding[1], p.padding[0], p.padding[0]}, 1.0);
    p.padding = 0;
  }
  Tensor counts = reduce_windows(ones, p, 0.0, Pool::Sum);
  return unbatch(sums / counts, batched);
}

Tensor adaptive_avg_pool2d(const Tensor& input, ExpandingArray<2> output_size) {
  bool batched = true;
  Tensor x = detail::as_batch("adaptive_avg_pool2d", input, batched);
  detail::check_at_least("adaptive_avg_pool2d", "output_size", output_size, 1);
  int64_t h = x.size(2), w = x.size(3);
  if (h % output_size[0] == 0 && w % output_size[1] == 0) {
    ExpandingArray<2> k({h / output_size[0], w / output_size[1]});
    return avg_pool2d(input, k);
  }
  // Uneven windows: the mean along each dim is a matmul with an averaging matrix whose row i is
  // 1 / len over [floor(i * size / out), ceil((i + 1) * size / out)).
  auto averaging = [&](int64_t size, int64_t out) {
    std::vector<double> m(static_cast<size_t>(out * size), 0.0);
    for (int64_t i = 0; i < out; ++i) {
      int64_t start = i * size / out, end = ((i + 1) * size + out - 1) / out;
      for (int64_t j = start; j < end; ++j)
        m[static_cast<size_t>(i * size + j)] = 1.0 / static_cast<double>(end - start);
    }
    return from_vector(m, {out, size}, TensorOptions(x.dtype()).device(x.device()));
  };
  Tensor y = matmul(matmul(averaging(h, output_size[0]), x), averaging(w, output_size[1]).t());
  return unbatch(y, batched);
}

}  // namespace kiln::nn::functional
