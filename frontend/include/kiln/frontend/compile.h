// kiln::compile: a training step (forward, backward, optimizer update) as ONE compiled program.
//
//   auto step = kiln::compile([&](kiln::Tensor x, kiln::Tensor y) {
//     auto loss = kiln::nn::functional::cross_entropy(model->forward(x), y);
//     opt.zero_grad(); loss.backward(); opt.step();
//     return loss;                              // a Tensor, or std::vector<Tensor>
//   });
//   kiln::Tensor loss = step(images, labels);
//
// A call runs `fn` in trace mode: every realization it asks for (an optimizer's step(), eval())
// is deferred, and reading a value (item, to_vector, printing, a boolean mask) throws an Error.
// When `fn` returns, its results, everything it asked to realize and every tensor it wrote in
// place are realized together in one program, so the whole step is one graph, fused and
// compiled once: later calls with the same shapes, dtypes and devices find that program in the
// program cache (nothing is compiled again), and on CUDA its launches replay as a CUDA graph.
// Unlike torch.compile, each call still records its graph and hashes it (microseconds per op,
// measured by kiln-bench's mlp_step); binding new inputs to a recorded program without
// re-tracing is not done yet.
#pragma once

#include <utility>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

namespace detail {

/// Trace mode on the calling thread for its lifetime (scopes nest).
class TraceScope {
 public:
  TraceScope();
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;
  /// Leaves trace mode and realizes `outputs`, every deferred realization and every tensor
  /// written in place during the trace, in one program.
  void finish(const std::vector<Tensor>& outputs);

 private:
  struct State;
  State* state_;
};

inline void collect(std::vector<Tensor>& out, const Tensor& t) { out.push_back(t); }
inline void collect(std::vector<Tensor>& out, const std::vector<Tensor>& ts) {
  out.insert(out.end(), ts.begin(), ts.end());
}

}  // namespace detail

/// A function whose every call runs as one compiled program (see the header comment).
template <typename F>
class CompiledFunction {
 public:
  explicit CompiledFunction(F fn) : fn_(std::move(fn)) {}

  template <typename... Args>
  auto operator()(Args&&... args) {
    detail::TraceScope trace;
    auto result = fn_(std::forward<Args>(args)...);
    std::vector<Tensor> outputs;
    detail::collect(outputs, result);
    trace.finish(outputs);
    return result;
  }

 private:
  F fn_;
};

template <typename F>
CompiledFunction<F> compile(F fn) {
  return CompiledFunction<F>(std::move(fn));
}

}  // namespace kiln
