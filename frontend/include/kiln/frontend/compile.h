// kiln::compile: a training step (forward, backward, optimizer update) as ONE compiled program,
// traced once per input signature and then replayed.
//
//   auto step = kiln::compile([&](kiln::Tensor x, kiln::Tensor y) {
//     auto loss = kiln::nn::functional::cross_entropy(model->forward(x), y);
//     opt.zero_grad(); loss.backward(); opt.step();
//     return loss;                              // a Tensor, or std::vector<Tensor>
//   });
//   kiln::Tensor loss = step(images, labels);
//
// Tracing. A call runs `fn` in trace mode: every realization it asks for (an optimizer's
// step(), eval()) is deferred, and reading a value (item, to_vector, printing, a boolean mask)
// throws an Error. When `fn` returns, its results, everything it asked to realize and every
// tensor it wrote in place are realized together in one program, so the whole step is one
// graph, fused and compiled once (the program cache keeps it). The trace also notes which
// storage each buffer the graph reads came from: an argument, or a tensor that outlives the
// call (a parameter, an optimizer's moments, step counts and learning rate, a captured tensor).
//
// Replay. When `fn` takes only Tensors, calls are keyed by their signature (shapes, strides,
// dtypes, devices, which arguments share storage, grad mode). Once two successive traces of
// one signature give the same graph reading the same storages (the first optimizer step differs
// from the rest: its state starts as zeros), later calls with that signature do not run `fn`:
// they bind the new arguments and the current buffers of the noted storages to the recorded
// program and run it (on CUDA, as a CUDA graph when its buffers repeat), with no tracing or
// hashing. The parameters and optimizer state the step updates are written in place, into the
// buffers they hold (the same addresses every call; kiln::stats().in_place_outputs counts
// them); where something else still reads an old value (an expression of a parameter made
// between calls and not yet realized), that call writes a copy instead. Other storages the
// step updates (gradients) take new buffers; nothing else is copied. A result that only `fn`
// returned is a new tensor each call (it does not require grad); a result that is also updated
// state shares that state's storage.
//
// What a replay reads is tensors: it does not run `fn`, so host values `fn` reads (C++ numbers
// it captures) are those of the trace. Values that change between calls must reach `fn` as
// tensors (arguments, or tensors written in place), as the optimizers' step counts and learning
// rate do: they are 0-d device tensors (set_lr and the schedulers give the same tensor a new
// buffer), so changing the learning rate recompiles nothing and replays use it. Replays begin
// only once two traces agree, so a host value that changes on every call (a graph constant, or
// a new small tensor made from it, whose contents the two traces are compared on) keeps the
// function traced. Random ops (dropout) read their stream offset at run time: a replay
// reserves the generator's next streams exactly as a trace would and binds the first, so it
// draws new numbers, the same ones an uncompiled call would, and nothing recompiles; a replay
// after manual_seed traces again. A replay sees the tensors `fn` traced with: code outside `fn`
// that writes a tensor in place (load_state_dict, set_lr, zero_grad(false)) is seen, but code
// that replaces a tensor by another (zero_grad() setting gradients to none, assigning a new
// parameter) is not, and the replay keeps updating the tensors of the trace (zero gradients
// inside `fn`, as above). The cache keeps `max_signatures` signatures, least recently used out.
// Functions taking other argument types are traced on every call (each call still finds its
// program in the program cache). Arguments still pending are realized before the call.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
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

/// The recorded programs of one compiled function, by call signature (LRU).
class ReplayCache {
 public:
  explicit ReplayCache(size_t max_signatures);
  ~ReplayCache();
  ReplayCache(const ReplayCache&) = delete;
  ReplayCache& operator=(const ReplayCache&) = delete;

  /// Replays the call when its signature has a replayable recording: fills `results` and
  /// returns true. Returns false when the call must be traced.
  bool replay(const std::vector<Tensor>& args, std::vector<Tensor>& results);
  /// Signatures recorded now (at most max_signatures).
  size_t size() const;

  /// One traced call: realizes the arguments, enters trace mode, and on finish realizes the
  /// step and records it for `args`' signature.
  class Call {
   public:
    Call(ReplayCache& cache, const std::vector<Tensor>& args);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;
    void finish(const std::vector<Tensor>& results);

   private:
    struct State;
    std::unique_ptr<State> state_;
  };

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

inline void collect(std::vector<Tensor>& out, const Tensor& t) { out.push_back(t); }
inline void collect(std::vector<Tensor>& out, const std::vector<Tensor>& ts) {
  out.insert(out.end(), ts.begin(), ts.end());
}

template <typename R>
R rebuild(std::vector<Tensor> results) {
  if constexpr (std::is_same_v<R, Tensor>) {
    return results.at(0);
  } else {
    static_assert(std::is_same_v<R, std::vector<Tensor>>,
                  "a compiled function returns a Tensor or a std::vector<Tensor>");
    return results;
  }
}

/// True while a compiled function is being traced on this thread.
bool in_trace();

}  // namespace detail

/// A function whose every call runs as one compiled program (see the header comment).
template <typename F>
class CompiledFunction {
 public:
  explicit CompiledFunction(F fn, size_t max_signatures = 8)
      : fn_(std::move(fn)), cache_(std::make_shared<detail::ReplayCache>(max_signatures)) {}

  /// Call signatures with a recorded program now (bounded by max_signatures).
  size_t cached_signatures() const { return cache_->size(); }

  template <typename... Args>
  auto operator()(Args&&... args) {
    using R = std::decay_t<decltype(fn_(std::forward<Args>(args)...))>;
    if constexpr ((std::is_same_v<std::decay_t<Args>, Tensor> && ...)) {
      if (!detail::in_trace()) {
        std::vector<Tensor> targs{Tensor(args)...};
        std::vector<Tensor> results;
        if (cache_->replay(targs, results)) return detail::rebuild<R>(std::move(results));
        detail::ReplayCache::Call call(*cache_, targs);
        return traced<R>(call, std::forward<Args>(args)...);
      }
    }
    // Inside another compiled function (its trace takes this call's work) or with arguments
    // other than tensors: traced every call.
    detail::TraceScope trace;
    return traced<R>(trace, std::forward<Args>(args)...);
  }

 private:
  /// Runs fn_ under `trace` (a TraceScope or a ReplayCache::Call) and finishes it.
  template <typename R, typename Trace, typename... Args>
  R traced(Trace& trace, Args&&... args) {
    R result = fn_(std::forward<Args>(args)...);
    std::vector<Tensor> outputs;
    detail::collect(outputs, result);
    trace.finish(outputs);
    return result;
  }

  F fn_;
  std::shared_ptr<detail::ReplayCache> cache_;
};

/// Compiles `fn` (see the header comment); at most `max_signatures` call signatures are kept.
template <typename F>
CompiledFunction<F> compile(F fn, size_t max_signatures = 8) {
  return CompiledFunction<F>(std::move(fn), max_signatures);
}

}  // namespace kiln
