// nn::init: every initialisation is a copy_ of a random or constant tensor of the target's
// shape, dtype and device, under NoGradGuard (so parameters that require grad can be set).
#include "kiln/frontend/nn/init.h"

#include <cmath>
#include <string>

#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln::nn::init {

namespace {

TensorOptions like(const Tensor& t) { return TensorOptions(t.dtype()).device(t.device()); }

Tensor assign(Tensor tensor, const Tensor& value) {
  NoGradGuard no_grad;
  tensor.copy_(value);
  return tensor;
}

int64_t fan(const char* op, const Tensor& tensor, FanMode mode) {
  if (tensor.dim() < 2) {
    throw ValueError(std::string("[") + op +
                     "] Fan in and fan out can not be computed for tensor with fewer than 2 "
                     "dimensions");
  }
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv2d:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  if (tensor.dim() < 2) {
    throw ValueError(
        "[calculate_fan_in_and_fan_out] Fan in and fan out can not be computed for tensor with "
        "fewer than 2 dimensions");
  }
  int64_t receptive = 1;
  for (int64_t d = 2; d < tensor.dim(); ++d) receptive *= tensor.size(d);
  return {tensor.size(1) * receptive, tensor.size(0) * receptive};
}

Tensor uniform_(Tensor tensor, double a, double b) {
  return assign(tensor, rand(tensor.sizes(), like(tensor)) * (b - a) + a);
}

Tensor normal_(Tensor tensor, double mean, double std) {
  return assign(tensor, randn(tensor.sizes(), like(tensor)) * std + mean);
}

Tensor constant_(Tensor tensor, double value) {
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}

Tensor zeros_(Tensor tensor) { return constant_(std::move(tensor), 0.0); }
Tensor ones_(Tensor tensor) { return constant_(std::move(tensor), 1.0); }

Tensor xavier_uniform_(Tensor tensor, double gain) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor xavier_normal_(Tensor tensor, double gain) {
  auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return normal_(std::move(tensor), 0.0,
                 gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  double f = static_cast<double>(fan("kaiming_uniform_", tensor, mode));
  double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / f);
  return uniform_(std::move(tensor), -bound, bound);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity) {
  double f = static_cast<double>(fan("kaiming_normal_", tensor, mode));
  return normal_(std::move(tensor), 0.0, calculate_gain(nonlinearity, a) / std::sqrt(f));
}

}  // namespace kiln::nn::init
