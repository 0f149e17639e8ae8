// dropout, layer_norm and batch_norm, composed from reductions and elementwise ops (the
// compiler turns each normalization into row kernels). batch_norm in training updates the
// running statistics in place, without grad, as PyTorch does: momentum-weighted, with the
// unbiased batch variance.
#include <numeric>
#include <string>
#include <vector>

#include "deferred.h"
#include "kiln/compiler/shape.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/runtime/error.h"

namespace kiln::nn::functional {

Tensor dropout(const Tensor& x, double p, bool training) {
  if (p < 0.0 || p > 1.0) {
    throw ValueError("[dropout] dropout probability has to be between 0 and 1, but got " +
                     std::to_string(p));
  }
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  Tensor keep = rand_like(x) >= p;
  return where(keep, x * (1.0 / (1.0 - p)), 0.0);
}

Tensor layer_norm(const Tensor& x, const std::vector<int64_t>& normalized_shape,
                  const Tensor& weight, const Tensor& bias, double eps) {
  auto k = static_cast<int64_t>(normalized_shape.size());
  bool ok = k >= 1 && x.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = x.size(x.dim() - k + i) == normalized_shape[i];
  if (!ok) {
    throw ShapeError("[layer_norm] Given normalized_shape=" + shape_str(normalized_shape) +
                     ", expected input with shape [*, " + shape_str(normalized_shape).substr(1) +
                     ", but got input of size" + shape_str(x.sizes()));
  }
  std::vector<int64_t> dims(static_cast<size_t>(k));
  std::iota(dims.begin(), dims.end(), x.dim() - k);
  Tensor centered = x - x.mean(dims, true);
  Tensor var = (centered * centered).mean(dims, true);
  Tensor y = centered * rsqrt(var + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  if (x.dim() < 2) {
    throw ShapeError("[batch_norm] expected an input with at least 2 dims [N, C, ...], got " +
                     shape_str(x.sizes()));
  }
  int64_t c = x.size(1);
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias}) {
    if (t->defined() && (t->dim() != 1 || t->size(0) != c)) {
      throw ShapeError("[batch_norm] input " + shape_str(x.sizes()) + " has " + std::to_string(c) +
                       " channels but a statistic or affine parameter has " + "shape " +
                       shape_str(t->sizes()));
    }
  }
  Shape channel(static_cast<size_t>(x.dim()), 1);
  channel[1] = c;
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  bool batch_stats = training || !running_mean.defined() || !running_var.defined();
  Tensor y;
  if (batch_stats) {
    int64_t count = x.numel() / c;
    if (training && count <= 1) {
      throw ValueError(
          "[batch_norm] Expected more than 1 value per channel when training, got "
          "input size " +
          shape_str(x.sizes()));
    }
    Tensor mean = x.mean(dims, true);
    Tensor centered = x - mean;
    Tensor var = (centered * centered).mean(dims, true);
    y = centered * rsqrt(var + eps);
    if (training && running_mean.defined() && running_var.defined()) {
      NoGradGuard no_grad;
      double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      Tensor rm = running_mean, rv = running_var;
      rm.copy_(rm * (1.0 - momentum) + mean.detach().reshape({c}) * momentum);
      rv.copy_(rv * (1.0 - momentum) + var.detach().reshape({c}) * (momentum * unbias));
      kiln::detail::defer_realize(rm);
      kiln::detail::defer_realize(rv);
    }
  } else {
    y = (x - running_mean.view(channel)) * rsqrt(running_var.view(channel) + eps);
  }
  if (weight.defined()) y = y * weight.view(channel);
  if (bias.defined()) y = y + bias.view(channel);
  return y;
}

}  // namespace kiln::nn::functional
