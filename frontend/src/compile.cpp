#include "kiln/frontend/compile.h"

#include <string>

#include "kiln/runtime/error.h"
#include "trace.h"

namespace kiln::detail {

namespace {
thread_local Trace* innermost = nullptr;
}  // namespace

Trace* current_trace() { return innermost; }

void refuse_read_in_trace(const char* what) {
  if (innermost == nullptr) return;
  throw Error(std::string("[compile] ") + what +
              " reads a tensor's value inside a kiln::compile'd function, which records one "
              "graph and runs it when the function returns; return the tensor instead and read "
              "it after the call");
}

struct TraceScope::State {
  Trace trace;
  bool active = true;
};

TraceScope::TraceScope() : state_(new State) {
  state_->trace.outer = innermost;
  innermost = &state_->trace;
}

TraceScope::~TraceScope() {
  if (state_->active) innermost = state_->trace.outer;
  delete state_;
}

void TraceScope::finish(const std::vector<Tensor>& outputs) {
  innermost = state_->trace.outer;
  state_->active = false;
  std::vector<Tensor> all = outputs;
  all.insert(all.end(), state_->trace.deferred.begin(), state_->trace.deferred.end());
  all.insert(all.end(), state_->trace.written.begin(), state_->trace.written.end());
  std::vector<Tensor> defined;
  for (auto& t : all) {
    if (t.defined()) defined.push_back(std::move(t));
  }
  // Inside an outer trace this defers again, to the outer function's program.
  eval(defined);
}

}  // namespace kiln::detail
