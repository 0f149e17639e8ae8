// The activation modules: ReLU, GELU, Sigmoid, Tanh, Softmax(dim), LogSoftmax(dim).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/ops.h"

namespace kiln::nn {

class ReLUImpl : public Module {
 public:
  ReLUImpl() : Module("ReLU") {}
  Tensor forward(const Tensor& x) { return relu(x); }
  void pretty_print(std::ostream& stream) const override { stream << "ReLU()"; }
};
KILN_MODULE(ReLU);

class GELUImpl : public Module {
 public:
  /// approximate: "none" (erf) or "tanh".
  explicit GELUImpl(std::string approximate = "none")
      : Module("GELU"), approximate(std::move(approximate)) {}
  Tensor forward(const Tensor& x) { return gelu(x, approximate); }
  void pretty_print(std::ostream& stream) const override {
    stream << "GELU(";
    if (approximate != "none") stream << "approximate=" << approximate;
    stream << ")";
  }
  std::string approximate;
};
KILN_MODULE(GELU);

class SigmoidImpl : public Module {
 public:
  SigmoidImpl() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) { return sigmoid(x); }
  void pretty_print(std::ostream& stream) const override { stream << "Sigmoid()"; }
};
KILN_MODULE(Sigmoid);

class TanhImpl : public Module {
 public:
  TanhImpl() : Module("Tanh") {}
  Tensor forward(const Tensor& x) { return tanh(x); }
  void pretty_print(std::ostream& stream) const override { stream << "Tanh()"; }
};
KILN_MODULE(Tanh);

class SoftmaxImpl : public Module {
 public:
  explicit SoftmaxImpl(int64_t dim) : Module("Softmax"), dim(dim) {}
  Tensor forward(const Tensor& x) { return softmax(x, dim); }
  void pretty_print(std::ostream& stream) const override { stream << "Softmax(dim=" << dim << ")"; }
  int64_t dim;
};
KILN_MODULE(Softmax);

class LogSoftmaxImpl : public Module {
 public:
  explicit LogSoftmaxImpl(int64_t dim) : Module("LogSoftmax"), dim(dim) {}
  Tensor forward(const Tensor& x) { return log_softmax(x, dim); }
  void pretty_print(std::ostream& stream) const override {
    stream << "LogSoftmax(dim=" << dim << ")";
  }
  int64_t dim;
};
KILN_MODULE(LogSoftmax);

}  // namespace kiln::nn
