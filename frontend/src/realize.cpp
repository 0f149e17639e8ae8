// Realization: the point where pending graphs run. The distinct storages among the tensors
// are computed by one program, found in the program cache by the graph's signature or planned
// and compiled once; each storage's node then becomes a load of its new buffer.
// KILN_BACKEND=interpreter runs the reference interpreter instead for CPU graphs (debugging).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "autograd/leaves.h"
#include "deferred.h"
#include "donate.h"
#include "kiln/compiler/check_indices.h"
#include "kiln/compiler/compile.h"
#include "kiln/compiler/cuda_program.h"
#include "kiln/compiler/debug.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/marks.h"
#include "kiln/compiler/program.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/stats.h"
#include "tensor_impl.h"
#include "trace.h"

namespace kiln::detail {

namespace {

/// KILN_BACKEND: "interpreter" (the reference interpreter), "evaluate" (planned kernels run by
/// the kernel-IR evaluator), or unset (compiled kernels; evaluated when built without LLVM).
const char* backend() {
  static const char* b = std::getenv("KILN_BACKEND");
  return b != nullptr ? b : "";
}
bool use_interpreter() { return std::strcmp(backend(), "interpreter") == 0; }
bool use_evaluator() { return std::strcmp(backend(), "evaluate") == 0; }

void debug_program(const char* what, uint64_t key, const ir::Program& p, double ms) {
  char line[160];
  std::snprintf(line, sizeof line, "%s %016llx: %zu kernels, %lld bytes peak", what,
                static_cast<unsigned long long>(key), p.kernels.size(),
                static_cast<long long>(p.peak_bytes));
  std::string text = line;
  if (ms > 0) text += " (" + std::to_string(ms) + " ms to plan and compile)";
  ir::debug_line(text);
}

/// KILN_DUMP_DIR: every graph compiled is written there as a file kiln-dump reads.
void dump_graph(const std::vector<ir::NodeRef>& outputs, uint64_t key) {
  static const char* dir = std::getenv("KILN_DUMP_DIR");
  if (dir == nullptr || *dir == '\0') return;
  char name[40];
  std::snprintf(name, sizeof name, "/graph-%016llx.txt", static_cast<unsigned long long>(key));
  try {
    write_text_file(std::string(dir) + name, ir::print_graph(outputs));
  } catch (const Error& e) {
    static bool warned = false;
    if (!warned) std::fprintf(stderr, "kiln: KILN_DUMP_DIR: %s\n", e.what());
    warned = true;
  }
}

/// Compiled programs by graph signature, least recently used first out.
class ProgramCache {
 public:
  std::shared_ptr<ir::Program> get(const std::vector<ir::NodeRef>& outputs, uint64_t key,
                                   const std::vector<int64_t>& in_place) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      ++runtime::counters().program_cache_hits;
      if (ir::debug_level() >= 1) debug_program("program cache hit", key, *it->second->second, 0.0);
      return it->second->second;
    }
    dump_graph(outputs, key);
    auto start = std::chrono::steady_clock::now();
    auto program = ir::plan_program(outputs, in_place);
    if (program->device.is_cuda()) {
      ir::compile_program_cuda(*program);
    } else if (!use_evaluator()) {
      ir::compile_program(*program);
    }
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (ir::debug_level() >= 1) debug_program("compiled program", key, *program, ms);
    ++runtime::counters().programs_compiled;
    runtime::counters().kernels_compiled += static_cast<int64_t>(program->kernels.size());
    lru_.emplace_front(key, program);
    index_[key] = lru_.begin();
    if (lru_.size() > kCapacity) {
      index_.erase(lru_.back().first);
      lru_.pop_back();
    }
    return program;
  }

 private:
  static constexpr size_t kCapacity = 512;
  std::mutex mu_;
  std::list<std::pair<uint64_t, std::shared_ptr<ir::Program>>> lru_;
  std::unordered_map<uint64_t, decltype(lru_)::iterator> index_;
};

ProgramCache& program_cache() {
  static ProgramCache cache;
  return cache;
}

/// The buffers of `sig`'s loads, in order.
std::vector<runtime::BufferPtr> load_buffers(const ir::GraphSignature& sig) {
  std::vector<runtime::BufferPtr> inputs;
  for (const ir::Node* load : sig.loads) {
    if (!load->buffer())
      throw Error("[eval] graph reads buffer " + std::to_string(load->attrs().buffer_id) +
                  " which has no data");
    inputs.push_back(load->buffer());
  }
  return inputs;
}

/// Runs the program for `nodes` (signature `sig`) after its index checks `checks`, writing its
/// outputs in place as `in_place` asks where the plan allows; the inputs at `copied` are bound
/// as copies (their buffers may not be overwritten).
std::vector<runtime::BufferPtr> run_compiled(const std::vector<ir::NodeRef>& nodes,
                                             const ir::GraphSignature& sig,
                                             std::vector<ir::IndexCheck> checks,
                                             const std::vector<int64_t>& in_place,
                                             const std::vector<size_t>& copied,
                                             RealizeRecord* record) {
  std::vector<runtime::BufferPtr> inputs = load_buffers(sig);
  ir::run_index_checks(checks, inputs);
  uint64_t key = ir::program_key(sig.hash, in_place);
  auto program = program_cache().get(nodes, key, in_place);
  if (record != nullptr) {
    record->program = program;
    record->hash = key;
    record->inputs = inputs;
    record->index_checks = std::move(checks);
  }
  for (size_t j : copied) inputs[j] = runtime::copy_to(*inputs[j], inputs[j]->device());
  note_in_place(*program, copied.size());
  return run_counted(*program, inputs);
}

}  // namespace

void note_in_place(const ir::Program& program, size_t copied) {
  auto granted = std::count_if(program.in_place.begin(), program.in_place.end(),
                               [](int64_t in) { return in >= 0; });
  if (granted == 0) return;
  runtime::counters().in_place_outputs += granted - static_cast<int64_t>(copied);
  if (ir::debug_level() >= 1) {
    ir::debug_line(
        fmt::format("{} outputs written in place ({} of them into a copy)", granted, copied));
  }
}

std::vector<runtime::BufferPtr> run_counted(const ir::Program& program,
                                            const std::vector<runtime::BufferPtr>& inputs) {
  runtime::counters().kernel_launches += static_cast<int64_t>(program.launches.size());
  runtime::note_bytes_in_use(program.peak_bytes);
  return ir::run_program(program, inputs);
}

void realize(const std::vector<Tensor>& tensors) { realize_recorded(tensors, nullptr); }

void realize_recorded(const std::vector<Tensor>& tensors, RealizeRecord* record) {
  if (Trace* trace = current_trace()) {
    // Inside kiln::compile: everything runs as one program when the function returns.
    for (const auto& t : tensors) {
      check_defined("eval", t);
      trace->deferred.push_back(t);
    }
    return;
  }
  std::vector<std::shared_ptr<Storage>> pending;
  std::vector<ir::NodeRef> nodes;
  std::unordered_set<Storage*> seen;
  auto add = [&](const Tensor& t) {
    const std::shared_ptr<Storage>& st = t.impl()->storage;
    if (st->node->op() == ir::Op::Load || !seen.insert(st.get()).second) return;
    pending.push_back(st);
    nodes.push_back(st->node);
  };
  for (const auto& t : tensors) {
    check_defined("eval", t);
    add(t);
  }
  if (nodes.empty()) return;
  // Deferred writes (deferred.h) on this device run with this program.
  for (const Tensor& t : take_deferred(nodes[0]->device())) add(t);
  // Autograd marks are identities; stripped, unique leaf ids never reach the signature.
  std::vector<ir::NodeRef> marked = nodes;
  nodes = ir::strip_marks(nodes);
  size_t kept = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i]->op() == ir::Op::Load) {
      pending[i]->node = nodes[i];  // only marks around a buffer: nothing to run
      pending[i]->home.reset();
      if (record != nullptr) record->aliased = true;
    } else {
      pending[kept] = pending[i];
      marked[kept] = marked[i];
      nodes[kept++] = nodes[i];
    }
  }
  pending.resize(kept);
  nodes.resize(kept);
  marked.resize(kept);
  if (nodes.empty()) return;
  // Index values are checked before either backend runs (check_indices.h). The buffers are
  // held only from there on: an extra holder would keep the compiled path from donating them.
  ir::GraphSignature sig = ir::signature(nodes);
  std::vector<ir::IndexCheck> checks = ir::index_checks(sig.order, sig.loads);
  std::vector<runtime::BufferPtr> buffers;
  if (use_interpreter() && nodes[0]->device().is_cpu()) {
    ir::run_index_checks(checks, load_buffers(sig));
    buffers = ir::interpret(nodes);
  } else {
    // An in-place write needs its old value read by nothing else; a traced step (kiln::compile,
    // record) asks for it regardless and writes into a copy where that fails, so that its
    // program stays the same from one call to the next.
    Donation d = donated_inputs(pending, marked, nodes, sig.loads);
    std::vector<size_t> copied;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (d.request[i] < 0 || d.safe[i]) continue;
      if (record != nullptr) {
        copied.push_back(static_cast<size_t>(d.request[i]));
      } else {
        d.request[i] = -1;
      }
    }
    buffers = run_compiled(nodes, sig, std::move(checks), d.request, copied, record);
  }
  if (record != nullptr) record->outputs = pending;
  std::unordered_set<const runtime::Buffer*> overwritten;  // written in place
  for (size_t i = 0; i < pending.size(); ++i) {
    ir::NodeRef home = pending[i]->home.lock();
    if (home && home->buffer() == buffers[i]) overwritten.insert(buffers[i].get());
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    pending[i]->home.reset();
    pending[i]->node = ir::load(buffers[i], {buffers[i]->numel()});
    // What depends on a leaf stays differentiable after it is realized.
    if (marked[i] != nodes[i]) remember_graph(pending[i]->node, marked[i]);
  }
  forget_graphs_reading(overwritten);
}

}  // namespace kiln::detail
