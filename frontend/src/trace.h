// Trace mode (kiln::compile): realizations are deferred and value reads refused while a
// compiled function runs, and the storages it reads are noted so that its program can be
// replayed on their current buffers; see kiln/frontend/compile.h.
#pragma once

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "kiln/compiler/check_indices.h"
#include "kiln/compiler/program.h"
#include "kiln/frontend/tensor.h"
#include "tensor_impl.h"

namespace kiln::detail {

struct Trace {
  std::vector<Tensor> deferred;  ///< tensors realize() was asked for
  std::vector<Tensor> written;   ///< tensors written in place
  /// Storages read while they held a buffer (a load), with that buffer: where each input of the
  /// traced program comes from, so that a replay binds the storage's buffer of the day. (Not
  /// owned: a buffer the step writes in place must have no other holder; and the load may be
  /// gone when the trace ends.)
  std::vector<std::pair<std::shared_ptr<Storage>, const runtime::Buffer*>> reads;
  std::set<std::pair<const Storage*, const runtime::Buffer*>> read_set;
  /// Streams of the random generator drawn while tracing: consecutive ones on one device share
  /// one run-time stream input, which each random op adds its position in the run to.
  struct RandomRun {
    Device device;
    uint64_t seed, first, count;
    Tensor stream;
  };
  std::vector<RandomRun> random;
  Trace* outer = nullptr;

  void note_read(const std::shared_ptr<Storage>& st) {
    const ir::Node* n = st->node.get();
    if (n->op() != ir::Op::Load) return;
    if (read_set.emplace(st.get(), n->buffer().get()).second)
      reads.emplace_back(st, n->buffer().get());
  }
};

/// The calling thread's innermost trace, or nullptr outside kiln::compile.
Trace* current_trace();
/// Enters `trace` on the calling thread (its outer is the trace active now) / leaves it.
void push_trace(Trace* trace);
void pop_trace(Trace* trace);
/// What a finished trace realizes: the function's results, what it asked to realize and what
/// it wrote in place (undefined tensors left out).
std::vector<Tensor> trace_results(const Trace& trace, const std::vector<Tensor>& outputs);
/// Throws the error for reading a value inside a compiled function (`what`: the read).
void refuse_read_in_trace(const char* what);

/// What one realization ran: its program, the buffers bound to the program's inputs (in its
/// signature's order), and the storages its outputs became (in output order).
struct RealizeRecord {
  std::shared_ptr<ir::Program> program;  ///< null when no program ran
  uint64_t hash = 0;                     ///< the graph's signature
  std::vector<runtime::BufferPtr> inputs;
  std::vector<ir::IndexCheck> index_checks;  ///< of `inputs`, run again at each replay
  std::vector<std::shared_ptr<Storage>> outputs;
  bool aliased = false;  ///< a storage became an existing buffer without running anything
};
/// realize(), filling `record` (when not null) with what ran.
void realize_recorded(const std::vector<Tensor>& tensors, RealizeRecord* record);
/// Counts a run's in-place outputs (kiln::stats; KILN_DEBUG=1 prints them), `copied` of which
/// were written into a copy of their input instead.
void note_in_place(const ir::Program& program, size_t copied);
/// Runs a compiled program, counting its launches (kiln::stats).
std::vector<runtime::BufferPtr> run_counted(const ir::Program& program,
                                            const std::vector<runtime::BufferPtr>& inputs);

}  // namespace kiln::detail
