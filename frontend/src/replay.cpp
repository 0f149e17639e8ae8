// kiln::compile's replay: a traced call's program with, for each of its inputs, where the
// buffer comes from (an argument, a storage that outlives the call, or a fixed buffer), and for
// each output, the storage it updates. See kiln/frontend/compile.h for the rules.
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "autograd/leaves.h"
#include "donate.h"
#include "generator.h"
#include "kiln/compiler/debug.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/compile.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/stats.h"
#include "trace.h"

namespace kiln::detail {

namespace {

/// Where a program input's buffer comes from at a replay.
struct Source {
  enum class Kind { Arg, Storage, Buffer, Random } kind = Kind::Buffer;
  size_t arg = 0;  ///< Arg: the argument; Random: the run of random streams
  std::shared_ptr<Storage> storage;
  /// The buffer bound when traced; a storage's is not kept alive (its step may overwrite it in
  /// place, which needs the storage's load to be its only holder).
  runtime::BufferPtr buffer;
  std::weak_ptr<runtime::Buffer> traced;
  DType dtype = DType::Float32;
  int64_t numel = 0;
  Device device;
};

/// A result of the call: a view of a fresh storage per replay (an output only the function
/// returned), of an argument's storage, or a tensor kept as traced (state the step updates, or
/// anything the program does not write).
struct ResultSpec {
  enum class Kind { Fresh, Arg, Same } kind = Kind::Same;
  size_t index = 0;  ///< Fresh: output; Arg: argument
  Shape sizes, strides;
  int64_t offset = 0;
  Tensor same;
};

struct Recording {
  uint64_t hash = 0;
  std::shared_ptr<ir::Program> program;
  std::vector<Source> inputs;
  std::vector<ir::IndexCheck> index_checks;       ///< of `inputs` (check_indices.h)
  std::vector<std::shared_ptr<Storage>> outputs;  ///< null where fresh
  std::vector<bool> fresh;                        ///< per output: a new storage each replay
  std::vector<ResultSpec> results;
  /// Runs of random streams the call draws, in order (a replay reserves as many).
  struct RandomRun {
    Device device;
    uint64_t seed, count;
  };
  std::vector<RandomRun> random;
  bool replayable = false;
};

/// Small buffers a traced call made afresh are host values; two traces that read equal values
/// can be replayed with either.
constexpr int64_t kMaxComparedBytes = 4096;

bool same_contents(const runtime::BufferPtr& a, const runtime::BufferPtr& b) {
  if (!a || !b || a->dtype() != b->dtype() || a->numel() != b->numel() || !a->device().is_cpu() ||
      !b->device().is_cpu())
    return false;
  int64_t bytes = a->numel() * itemsize(a->dtype());
  return bytes <= kMaxComparedBytes && std::memcmp(a->data(), b->data(), bytes) == 0;
}

/// True when replaying `now` gives what tracing again would: the same program reading the
/// same arguments, storages and buffers as the previous trace of this signature.
bool stable(const Recording& prev, const Recording& now) {
  if (prev.hash != now.hash || !prev.program || !now.program ||
      prev.inputs.size() != now.inputs.size() || prev.random.size() != now.random.size())
    return false;
  for (size_t i = 0; i < now.random.size(); ++i) {
    const auto &a = prev.random[i], &b = now.random[i];
    if (a.device != b.device || a.seed != b.seed || a.count != b.count) return false;
  }
  for (size_t i = 0; i < now.inputs.size(); ++i) {
    const Source &a = prev.inputs[i], &b = now.inputs[i];
    if (a.kind != b.kind) return false;
    switch (b.kind) {
      case Source::Kind::Arg:
      case Source::Kind::Random:
        if (a.arg != b.arg) return false;
        break;
      case Source::Kind::Storage:
        if (a.storage != b.storage && !same_contents(a.traced.lock(), b.traced.lock()))
          return false;
        break;
      case Source::Kind::Buffer:
        if (a.buffer != b.buffer) return false;
        break;
    }
  }
  return true;
}

/// A call's signature: per argument its dtype, device, view and storage size, and which
/// earlier argument shares its storage; and the grad mode.
std::vector<int64_t> signature_of(const std::vector<Tensor>& args) {
  std::vector<int64_t> key{GradMode::is_enabled() ? 1 : 0, static_cast<int64_t>(args.size())};
  for (size_t i = 0; i < args.size(); ++i) {
    const TensorImpl& t = *args[i].impl();
    key.push_back(static_cast<int64_t>(args[i].dtype()));
    key.push_back(static_cast<int64_t>(args[i].device().type()) * 1024 + args[i].device().index());
    key.push_back(static_cast<int64_t>(t.sizes.size()));
    key.insert(key.end(), t.sizes.begin(), t.sizes.end());
    key.insert(key.end(), t.strides.begin(), t.strides.end());
    key.push_back(t.offset);
    key.push_back(t.storage->node->numel());
    key.push_back(t.requires_grad ? 1 : 0);
    int64_t shares = -1;
    for (size_t j = 0; j < i && shares < 0; ++j) {
      if (args[j].impl()->storage == t.storage) shares = static_cast<int64_t>(j);
    }
    key.push_back(shares);
  }
  return key;
}

Tensor view_of(std::shared_ptr<Storage> storage, const ResultSpec& r) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = r.sizes;
  impl->strides = r.strides;
  impl->offset = r.offset;
  return Tensor(std::move(impl));
}

/// A handle on a whole storage (to realize it).
Tensor whole(const std::shared_ptr<Storage>& storage) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = storage;
  impl->sizes = {storage->node->numel()};
  impl->strides = {1};
  return Tensor(std::move(impl));
}

/// Realizes the arguments and bound storages that hold pending work (an in-place write made
/// between calls), so that each holds a buffer.
void realize_pending(const std::vector<Tensor>& args, const Recording* rec) {
  std::vector<Tensor> pending;
  for (const Tensor& a : args) {
    check_defined("compile", a);
    if (a.impl()->storage->node->op() != ir::Op::Load) pending.push_back(a);
  }
  if (rec != nullptr) {
    for (const Source& s : rec->inputs) {
      if (s.kind == Source::Kind::Storage && s.storage->node->op() != ir::Op::Load)
        pending.push_back(whole(s.storage));
    }
  }
  if (!pending.empty()) eval(pending);
}

}  // namespace

struct ReplayCache::Impl {
  size_t capacity;
  std::mutex mu;  ///< the list (a recording is not changed once made)
  std::list<std::pair<std::vector<int64_t>, std::shared_ptr<Recording>>> lru;

  std::shared_ptr<Recording> find(const std::vector<int64_t>& key) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = lru.begin(); it != lru.end(); ++it) {
      if (it->first == key) {
        lru.splice(lru.begin(), lru, it);
        return it->second;
      }
    }
    return nullptr;
  }

  void put(std::vector<int64_t> key, std::shared_ptr<Recording> rec) {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = lru.begin(); it != lru.end(); ++it) {
      if (it->first == key) {
        lru.erase(it);
        break;
      }
    }
    lru.emplace_front(std::move(key), std::move(rec));
    while (lru.size() > capacity) lru.pop_back();
  }
};

ReplayCache::ReplayCache(size_t max_signatures) : impl_(std::make_unique<Impl>()) {
  if (max_signatures == 0) throw ValueError("[compile] max_signatures must be at least 1");
  impl_->capacity = max_signatures;
}
ReplayCache::~ReplayCache() = default;

size_t ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->lru.size();
}

bool ReplayCache::replay(const std::vector<Tensor>& args, std::vector<Tensor>& results) {
  for (const Tensor& a : args) check_defined("compile", a);
  std::shared_ptr<Recording> rec = impl_->find(signature_of(args));
  if (!rec || !rec->replayable) return false;
  realize_pending(args, rec.get());
  const ir::Program& program = *rec->program;
  // An output written in place overwrites its storage's buffer, unless something else may
  // still read that (a realized result's autograd graph, a pending expression): then the
  // program reads and writes a copy instead.
  std::vector<const Storage*> written;
  std::vector<size_t> copied;
  for (size_t i = 0; i < program.in_place.size(); ++i) {
    if (program.in_place[i] >= 0) written.push_back(rec->outputs[i].get());
  }
  std::vector<bool> safe = written.empty() ? std::vector<bool>{} : may_overwrite(written);
  for (size_t i = 0, w = 0; i < program.in_place.size(); ++i) {
    if (program.in_place[i] >= 0 && !safe[w++])
      copied.push_back(static_cast<size_t>(program.in_place[i]));
  }
  std::vector<runtime::BufferPtr> inputs;
  inputs.reserve(rec->inputs.size());
  for (const Source& s : rec->inputs) {
    switch (s.kind) {
      case Source::Kind::Arg: inputs.push_back(args[s.arg].impl()->storage->node->buffer()); break;
      case Source::Kind::Storage: inputs.push_back(s.storage->node->buffer()); break;
      case Source::Kind::Buffer: inputs.push_back(s.buffer); break;
      case Source::Kind::Random: inputs.push_back(s.buffer); continue;  // bound below
    }
    const runtime::BufferPtr& b = inputs.back();
    // A storage given another size or dtype since the trace (load_state_dict of another
    // shape): trace again.
    if (!b || b->numel() != s.numel || b->dtype() != s.dtype || b->device() != s.device)
      return false;
  }
  // The random streams this call draws: the next ones of the generator, as a trace would take.
  for (const auto& run : rec->random) {
    if (run.seed != current_seed()) return false;  // reseeded: trace again
  }
  std::vector<runtime::BufferPtr> streams;
  for (const auto& run : rec->random) {
    Tensor t = stream_tensor(reserve_streams(run.count).second, run.device);
    streams.push_back(t.impl()->storage->node->buffer());
  }
  for (size_t i = 0; i < rec->inputs.size(); ++i) {
    if (rec->inputs[i].kind == Source::Kind::Random) inputs[i] = streams[rec->inputs[i].arg];
  }
  ir::run_index_checks(rec->index_checks, inputs);
  for (size_t j : copied) inputs[j] = runtime::copy_to(*inputs[j], inputs[j]->device());
  if (ir::debug_level() >= 1) ir::debug_line("kiln::compile replay");
  std::vector<runtime::BufferPtr> outputs = run_counted(program, inputs);
  ++runtime::counters().compiled_replays;
  note_in_place(program, copied.size());
  std::unordered_set<const runtime::Buffer*> overwritten;
  for (size_t i = 0; i < program.in_place.size(); ++i) {
    if (program.in_place[i] >= 0 && outputs[i] == rec->outputs[i]->node->buffer())
      overwritten.insert(outputs[i].get());
  }
  forget_graphs_reading(overwritten);
  std::vector<std::shared_ptr<Storage>> fresh(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    ir::NodeRef node = ir::load(outputs[i], {outputs[i]->numel()});
    if (rec->fresh[i]) {
      fresh[i] = std::make_shared<Storage>();
      fresh[i]->node = std::move(node);
    } else {
      rec->outputs[i]->node = std::move(node);
      rec->outputs[i]->home.reset();
      ++rec->outputs[i]->version;
    }
  }
  results.clear();
  for (const ResultSpec& r : rec->results) {
    switch (r.kind) {
      case ResultSpec::Kind::Fresh: results.push_back(view_of(fresh[r.index], r)); break;
      case ResultSpec::Kind::Arg:
        results.push_back(view_of(args[r.index].impl()->storage, r));
        break;
      case ResultSpec::Kind::Same: results.push_back(r.same); break;
    }
  }
  return true;
}

struct ReplayCache::Call::State {
  ReplayCache* cache = nullptr;
  std::vector<Tensor> args;
  /// Each argument's buffer when the trace began (not owned, nor its load: they may be gone).
  std::vector<const runtime::Buffer*> arg_buffers;
  Trace trace;
  bool active = false;
};

ReplayCache::Call::Call(ReplayCache& cache, const std::vector<Tensor>& args)
    : state_(std::make_unique<State>()) {
  state_->cache = &cache;
  state_->args = args;
  realize_pending(args, nullptr);  // so that each argument is a buffer the program reads
  for (const Tensor& a : args)
    state_->arg_buffers.push_back(a.impl()->storage->node->buffer().get());
  push_trace(&state_->trace);
  state_->active = true;
}

ReplayCache::Call::~Call() {
  if (state_->active) pop_trace(&state_->trace);
}

void ReplayCache::Call::finish(const std::vector<Tensor>& results) {
  State& st = *state_;
  pop_trace(&st.trace);
  st.active = false;
  std::vector<Tensor> all = trace_results(st.trace, results);
  RealizeRecord record;
  realize_recorded(all, &record);

  auto rec = std::make_shared<Recording>();
  rec->hash = record.hash;
  rec->program = record.program;
  bool usable = record.program != nullptr && !record.aliased;
  // Random runs must follow each other, so that reserving their counts in order at a replay
  // draws the streams the trace drew.
  for (size_t i = 0; i < st.trace.random.size(); ++i) {
    const Trace::RandomRun& r = st.trace.random[i];
    rec->random.push_back({r.device, r.seed, r.count});
    if (i > 0) {
      const Trace::RandomRun& p = st.trace.random[i - 1];
      usable = usable && p.first + p.count == r.first;
    }
  }
  // (The latest read of an address wins: an earlier buffer there has died since.)
  std::unordered_map<const runtime::Buffer*, std::shared_ptr<Storage>> storage_of;
  for (auto it = st.trace.reads.rbegin(); it != st.trace.reads.rend(); ++it)
    storage_of.emplace(it->second, it->first);
  for (const runtime::BufferPtr& b : record.inputs) {
    Source s;
    s.buffer = b;
    s.traced = b;
    s.dtype = b->dtype();
    s.numel = b->numel();
    s.device = b->device();
    for (size_t a = 0; a < st.args.size(); ++a) {
      if (st.arg_buffers[a] == b.get()) {
        s.kind = Source::Kind::Arg;
        s.arg = a;
        break;
      }
    }
    for (size_t r = 0; r < st.trace.random.size() && s.kind == Source::Kind::Buffer; ++r) {
      if (st.trace.random[r].stream.impl()->storage->node->buffer() == b) {
        s.kind = Source::Kind::Random;
        s.arg = r;
      }
    }
    if (s.kind == Source::Kind::Buffer) {
      auto it = storage_of.find(b.get());
      if (it != storage_of.end()) {
        s.kind = Source::Kind::Storage;
        s.storage = it->second;
        s.buffer = nullptr;
      }
    }
    rec->inputs.push_back(std::move(s));
  }
  // A fixed buffer's indices were checked by the run just made and cannot change: a replay
  // checks only those of arguments and storages.
  for (const ir::IndexCheck& c : record.index_checks) {
    if (rec->inputs[c.input].kind != Source::Kind::Buffer) rec->index_checks.push_back(c);
  }
  // Outputs: state the step updates keeps its storage; a storage only the function returned
  // is new each replay, so that earlier results keep their values.
  std::unordered_set<const Storage*> state;
  for (const auto* list : {&st.trace.deferred, &st.trace.written}) {
    for (const Tensor& t : *list) {
      if (t.defined()) state.insert(t.impl()->storage.get());
    }
  }
  rec->outputs = record.outputs;
  std::unordered_map<const Storage*, size_t> output_of;
  for (size_t i = 0; i < rec->outputs.size(); ++i) {
    output_of[rec->outputs[i].get()] = i;
    rec->fresh.push_back(!state.count(rec->outputs[i].get()));
    // A write into an argument would have to land in the next call's argument: traced.
    for (const Tensor& a : st.args) usable = usable && a.impl()->storage != rec->outputs[i];
    // An output written in place must be state whose own buffer is the input it overwrites.
    if (int64_t j = record.program ? record.program->in_place[i] : -1; j >= 0) {
      const Source& s = rec->inputs[static_cast<size_t>(j)];
      usable = usable && !rec->fresh[i] && s.kind == Source::Kind::Storage &&
               s.storage == rec->outputs[i];
    }
  }
  for (const Tensor& t : results) {
    ResultSpec r;
    if (!t.defined()) {
      usable = false;
      rec->results.push_back(r);
      continue;
    }
    const TensorImpl& impl = *t.impl();
    r.sizes = impl.sizes;
    r.strides = impl.strides;
    r.offset = impl.offset;
    auto out = output_of.find(impl.storage.get());
    if (out != output_of.end() && rec->fresh[out->second]) {
      r.kind = ResultSpec::Kind::Fresh;
      r.index = out->second;
    }
    for (size_t a = 0; a < st.args.size() && r.kind == ResultSpec::Kind::Same; ++a) {
      if (st.args[a].impl()->storage == impl.storage) {
        r.kind = ResultSpec::Kind::Arg;
        r.index = a;
      }
    }
    if (r.kind == ResultSpec::Kind::Same) r.same = t;
    rec->results.push_back(std::move(r));
  }
  // A replay makes new storages for these: the traced ones (and what they keep alive, such as
  // a realized loss's autograd graph over the parameters' buffers) are the caller's.
  for (size_t i = 0; i < rec->outputs.size(); ++i) {
    if (rec->fresh[i]) rec->outputs[i] = nullptr;
  }
  std::vector<int64_t> key = signature_of(st.args);
  std::shared_ptr<Recording> prev = st.cache->impl_->find(key);
  rec->replayable = usable && prev && stable(*prev, *rec);
  if (ir::debug_level() >= 1) {
    ir::debug_line(std::string("kiln::compile traced") +
                   (rec->replayable ? "; later calls replay" : ""));
  }
  st.cache->impl_->put(std::move(key), std::move(rec));
}

}  // namespace kiln::detail
