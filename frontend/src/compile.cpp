#include "kiln/frontend/compile.h"

#include <string>

#include "kiln/runtime/error.h"
#include "trace.h"

namespace kiln::detail {

namespace {
thread_local Trace* innermost = nullptr;
}  // namespace

Trace* current_trace() { return innermost; }
bool in_trace() { return innermost != nullptr; }

void refuse_read_in_trace(const char* what) {
  if (innermost == nullptr) return;
  throw ValueError(
      std::string("[compile] ") + what +
      " reads a tensor's value inside a kiln::compile'd function, which records one "
      "graph and runs it when the function returns; return the tensor instead and read "
      "it after the call");
}

void push_trace(Trace* trace) {
  trace->outer = innermost;
  innermost = trace;
}

void pop_trace(Trace* trace) {
  KILN_CHECK(innermost == trace, "pop_trace: traces end in the order they began");
  innermost = trace->outer;
}

std::vector<Tensor> trace_results(const Trace& trace, const std::vector<Tensor>& outputs) {
  std::vector<Tensor> all = outputs;
  all.insert(all.end(), trace.deferred.begin(), trace.deferred.end());
  all.insert(all.end(), trace.written.begin(), trace.written.end());
  std::vector<Tensor> defined;
  for (auto& t : all) {
    if (t.defined()) defined.push_back(std::move(t));
  }
  return defined;
}

struct TraceScope::State {
  Trace trace;
  bool active = true;
};

TraceScope::TraceScope() : state_(new State) { push_trace(&state_->trace); }

TraceScope::~TraceScope() {
  if (state_->active) pop_trace(&state_->trace);
  delete state_;
}

void TraceScope::finish(const std::vector<Tensor>& outputs) {
  pop_trace(&state_->trace);
  state_->active = false;
  // Inside an outer trace this defers again, to the outer function's program.
  eval(trace_results(state_->trace, outputs));
}

}  // namespace kiln::detail
