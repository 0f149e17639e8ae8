// Sliding windows as one unfold node (see windows.h).
#include "nn/functional/windows.h"

#include <string>

#include "kiln/compiler/node.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln::nn::functional::detail {

int64_t window_count(const char* op, int64_t size, int64_t kernel, int64_t stride, int64_t padding,
                     int64_t dilation, bool ceil_mode) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t room = size + 2 * padding - span;
  if (room < 0) {
    throw ShapeError(std::string("[") + op + "] input size " + std::to_string(size) +
                     " (padded to " + std::to_string(size + 2 * padding) +
                     ") is smaller than the kernel extent " + std::to_string(span));
  }
  int64_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= size + padding) --out;
  return out;
}

Tensor windows(const Tensor& x, ExpandingArray<2> kernel, ExpandingArray<2> stride,
               ExpandingArray<2> padding, ExpandingArray<2> dilation, int64_t oh, int64_t ow,
               double fill) {
  ir::Window w{kernel[0],  kernel[1],  stride[0],   stride[1],
               padding[0], padding[1], dilation[0], dilation[1]};
  return Tensor::from_node(ir::unfold(x.node(), w, oh, ow, fill));
}

void check_at_least(const char* op, const char* what, ExpandingArray<2> values, int64_t min) {
  if (values[0] < min || values[1] < min) {
    throw Error(std::string("[") + op + "] " + what + " must be at least " + std::to_string(min) +
                ", got [" + std::to_string(values[0]) + ", " + std::to_string(values[1]) + "]");
  }
}

Tensor as_batch(const char* op, const Tensor& x, bool& batched) {
  if (x.dim() == 4) {
    batched = true;
    return x;
  }
  if (x.dim() == 3) {
    batched = false;
    return x.unsqueeze(0);
  }
  throw ShapeError(std::string("[") + op +
                   "] expected a 3-D (unbatched) or 4-D (batched) input, got " +
                   std::to_string(x.dim()) + "-D input of size " + shape_str(x.sizes()));
}

}  // namespace kiln::nn::functional::detail
