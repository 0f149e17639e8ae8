// Autograd, as in libtorch: grad mode (NoGradGuard), autograd::grad and autograd::backward.
// Gradients are computed by a graph transform (kiln/compiler/autograd.h): they are ordinary
// lazy tensors, fused and compiled with the rest of the step, and differentiable again when
// asked for with create_graph.
#pragma once

#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

/// Whether ops record gradients on this thread (true unless a NoGradGuard is alive).
class GradMode {
 public:
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

/// Sets grad mode for its lifetime, then restores the previous mode.
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled) : prev_(GradMode::is_enabled()) {
    GradMode::set_enabled(enabled);
  }
  ~AutoGradMode() { GradMode::set_enabled(prev_); }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool prev_;
};

/// Results of ops made while it lives do not require grad (thread-local, as in libtorch).
class NoGradGuard : public AutoGradMode {
 public:
  NoGradGuard() : AutoGradMode(false) {}
};

namespace autograd {

/// The gradients of sum_i <grad_outputs[i], outputs[i]> with respect to each of `inputs` (new
/// lazy tensors; zeros for an input the outputs do not depend on). grad_outputs may be empty
/// for outputs with one element. With create_graph the results can be differentiated again.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool create_graph = false);

/// Accumulates the gradients of the outputs into .grad() of every leaf that requires grad (and
/// of every tensor that called retain_grad()). Graphs are kept: calling it again accumulates
/// again.
void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors = {},
              bool create_graph = false);

}  // namespace autograd

}  // namespace kiln
