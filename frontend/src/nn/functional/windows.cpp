// Sliding windows as strided slices of the input (see windows.h).
#include "nn/functional/windows.h"

#include <string>
#include <vector>

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
               ExpandingArray<2> dilation, int64_t oh, int64_t ow) {
  const Shape& s = x.sizes();
  ir::NodeRef node = x.node();
  std::vector<Tensor> parts;
  for (int64_t kh = 0; kh < kernel[0]; ++kh) {
    for (int64_t kw = 0; kw < kernel[1]; ++kw) {
      int64_t h0 = kh * dilation[0], w0 = kw * dilation[1];
      std::vector<int64_t> sss{0,
                               s[0],
                               1,
                               0,
                               s[1],
                               1,
                               h0,
                               h0 + stride[0] * (oh - 1) + 1,
                               stride[0],
                               w0,
                               w0 + stride[1] * (ow - 1) + 1,
                               stride[1]};
      parts.push_back(Tensor::from_node(ir::slice(node, sss)));
    }
  }
  if (parts.size() == 1) return parts[0].unsqueeze(2);
  return stack(parts, 2);
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
