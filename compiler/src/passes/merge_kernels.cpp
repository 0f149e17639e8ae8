// Horizontal fusion. Each kernel gets the latest level at which it can run (the last level
// when no kernel reads its results, else one before its earliest reader), so that every kernel
// whose results only the program's outputs need (an optimizer's updates of each parameter)
// shares the last level. The kernels of one level read nothing the others write, so
// they become one kernel: their parameters are concatenated (inputs shared), their loop
// variables and accumulators renumbered, and their loop nests placed one after the other.
// Elementwise loops with the same extent are then fused into one loop, so that an update that
// writes several buffers of one shape (a parameter and its moments) is one pass.
// On CUDA each top-level loop of a kernel still renders as its own launch (codegen/cuda).
// An output written in place over a load (passes/in_place.h) must be written after every read
// of that load: within a level, the kernels that read it are ordered first, and the writer's
// loop nest joins no nest that runs before one of theirs.
#include "passes/merge_kernels.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {

using lower::LoweredKernel;

/// Param, loop-variable and accumulator renumbering of one kernel's body.
struct Renumber {
  std::vector<int64_t> params;  ///< old param -> new param (empty: unchanged)
  int64_t var_offset = 0, acc_offset = 0;
  std::unordered_map<int64_t, int64_t> vars;  ///< renames applied after the offset
  std::unordered_map<const kir::ExprNode*, kir::Expr> memo;

  int64_t var(int64_t id) const {
    int64_t v = id + var_offset;
    auto it = vars.find(v);
    return it == vars.end() ? v : it->second;
  }
  int64_t param(int64_t p) const { return params.empty() ? p : params.at(static_cast<size_t>(p)); }

  kir::Expr expr(const kir::Expr& e) {
    if (auto it = memo.find(e.get()); it != memo.end()) return it->second;
    auto copy = std::make_shared<kir::ExprNode>(*e);
    for (auto& o : copy->operands) o = expr(o);
    switch (e->kind) {
      case kir::ExprKind::Var: copy->int_value = var(e->int_value); break;
      case kir::ExprKind::Load: copy->int_value = param(e->int_value); break;
      case kir::ExprKind::AccRef: copy->int_value = e->int_value + acc_offset; break;
      case kir::ExprKind::IntImm:
      case kir::ExprKind::FloatImm:
      case kir::ExprKind::Unary:
      case kir::ExprKind::Binary:
      case kir::ExprKind::Select:
      case kir::ExprKind::Cast:
      case kir::ExprKind::Philox: break;
    }
    kir::Expr r = copy;
    memo.emplace(e.get(), r);
    return r;
  }

  kir::Stmt stmt(const kir::Stmt& s) {
    auto copy = std::make_shared<kir::StmtNode>(*s);
    switch (s->kind) {
      case kir::StmtKind::For: copy->id = var(s->id); break;
      case kir::StmtKind::Store: copy->id = param(s->id); break;
      case kir::StmtKind::Accumulator:
      case kir::StmtKind::Accumulate: copy->id = s->id + acc_offset; break;
      case kir::StmtKind::Extern:
        for (auto& p : copy->params) p = param(p);
        break;
      case kir::StmtKind::Block: break;
    }
    for (auto& e : copy->exprs) e = expr(e);
    for (auto& c : copy->body) c = stmt(c);
    return copy;
  }
};

/// The largest loop-variable and accumulator ids a statement uses (-1 when none).
void max_ids(const kir::Stmt& s, int64_t& var, int64_t& acc) {
  if (s->kind == kir::StmtKind::For) var = std::max(var, s->id);
  if (s->kind == kir::StmtKind::Accumulator || s->kind == kir::StmtKind::Accumulate)
    acc = std::max(acc, s->id);
  std::function<void(const kir::Expr&)> e = [&](const kir::Expr& x) {
    if (x->kind == kir::ExprKind::AccRef) acc = std::max(acc, x->int_value);
    for (const auto& o : x->operands) e(o);
  };
  for (const auto& x : s->exprs) e(x);
  for (const auto& c : s->body) max_ids(c, var, acc);
}

bool calls_extern(const kir::Stmt& s) {
  if (s->kind == kir::StmtKind::Extern) return true;
  return std::any_of(s->body.begin(), s->body.end(), calls_extern);
}

/// An elementwise loop nest: loops whose bodies hold stores and loops only (no accumulators).
bool elementwise_nest(const kir::Stmt& s) {
  if (s->kind == kir::StmtKind::Store) return true;
  if (s->kind != kir::StmtKind::For) return false;
  return std::all_of(s->body.begin(), s->body.end(), elementwise_nest);
}

bool same_loop(const kir::Stmt& a, const kir::Stmt& b) {
  return a->kind == kir::StmtKind::For && b->kind == kir::StmtKind::For && a->extent == b->extent &&
         a->loop == b->loop;
}

/// Loop nest `b` fused into `a` (same_loop): b's variable becomes a's, and b's statements
/// follow a's, a loop of them joining a's last statement when that is a loop of its shape (the
/// rows of a [256, 256] update and of its moments: one inner loop, not one each).
kir::Stmt fuse_loops(const kir::Stmt& a, const kir::Stmt& b) {
  Renumber rename;
  rename.vars[b->id] = a->id;
  std::vector<kir::Stmt> body = a->body;
  for (const auto& s : b->body) {
    kir::Stmt renamed = rename.stmt(s);
    if (!body.empty() && same_loop(body.back(), renamed)) {
      body.back() = fuse_loops(body.back(), renamed);
    } else {
      body.push_back(std::move(renamed));
    }
  }
  return kir::loop(a->id, a->extent, a->loop, std::move(body));
}

/// Kernels over this many params are not merged further (CUDA's parameter space is 4 KiB).
constexpr size_t kMaxParams = 96;

/// The loads kernel `k`'s outputs overwrite (in_place).
std::vector<const Node*> overwritten(const LoweredKernel& k, const InPlaceRequests& in_place) {
  std::vector<const Node*> loads;
  for (const Node* o : k.outputs) {
    auto it = in_place.find(o);
    if (it != in_place.end()) loads.push_back(it->second);
  }
  return loads;
}

/// `level` (kernel indices in launch order) reordered so that a kernel that reads a load comes
/// before the kernel that overwrites it, where that leaves no cycle; otherwise in order.
void readers_first(std::vector<size_t>& level, const std::vector<LoweredKernel>& ks,
                   const InPlaceRequests& in_place) {
  const size_t n = level.size();
  std::unordered_map<const Node*, std::vector<size_t>> readers;  // of the overwritten loads
  for (size_t w = 0; w < n; ++w) {
    for (const Node* load : overwritten(ks[level[w]], in_place))
      readers.emplace(load, std::vector<size_t>{});
  }
  if (readers.empty()) return;
  for (size_t r = 0; r < n; ++r) {
    for (const Node* in : ks[level[r]].inputs) {
      auto it = readers.find(in);
      if (it != readers.end()) it->second.push_back(r);
    }
  }
  std::vector<std::vector<size_t>> after(n);  // position -> positions that must follow it
  std::vector<size_t> waits(n, 0);
  for (size_t w = 0; w < n; ++w) {
    for (const Node* load : overwritten(ks[level[w]], in_place)) {
      for (size_t r : readers.at(load)) {
        if (r == w) continue;
        after[r].push_back(w);
        ++waits[w];
      }
    }
  }
  std::vector<size_t> out;
  std::vector<bool> placed(n, false);
  while (out.size() < n) {
    size_t next = n;
    for (size_t t = 0; t < n && next == n; ++t) {
      if (!placed[t] && waits[t] == 0) next = t;
    }
    if (next == n)  // a cycle: the first left
      next = static_cast<size_t>(std::find(placed.begin(), placed.end(), false) - placed.begin());
    placed[next] = true;
    out.push_back(level[next]);
    for (size_t t : after[next]) waits[t] -= waits[t] > 0;
  }
  level = std::move(out);
}

LoweredKernel merge_group(std::vector<LoweredKernel>& ks, const std::vector<size_t>& group,
                          const InPlaceRequests& in_place) {
  LoweredKernel out;
  std::unordered_map<const Node*, int64_t> input_of;
  for (size_t k : group) {
    for (const Node* in : ks[k].inputs) {
      if (input_of.emplace(in, static_cast<int64_t>(out.inputs.size())).second)
        out.inputs.push_back(in);
    }
  }
  auto num_in = static_cast<int64_t>(out.inputs.size());
  std::vector<kir::Stmt> nests;
  std::vector<std::unordered_set<const Node*>> nest_reads;  // loads read in each nest
  int64_t var_base = 0, acc_base = 0;
  for (size_t k : group) {
    LoweredKernel& lk = ks[k];
    Renumber r;
    for (const Node* in : lk.inputs) r.params.push_back(input_of.at(in));
    for (const Node* o : lk.outputs) {
      r.params.push_back(num_in + static_cast<int64_t>(out.outputs.size()));
      out.outputs.push_back(o);
    }
    r.var_offset = var_base;
    r.acc_offset = acc_base;
    int64_t max_var = -1, max_acc = -1;
    max_ids(lk.kernel.body, max_var, max_acc);
    var_base += max_var + 1;
    acc_base += max_acc + 1;
    kir::Stmt body = r.stmt(lk.kernel.body);
    // Independent elementwise nests of the same shape become one nest; one that overwrites a
    // load joins no nest before the last one that reads it.
    size_t first = 0;
    for (const Node* load : overwritten(lk, in_place)) {
      for (size_t t = 0; t < nests.size(); ++t) {
        if (nest_reads[t].count(load)) first = std::max(first, t);
      }
    }
    size_t nest = first;
    while (nest < nests.size() && !(elementwise_nest(nests[nest]) && elementwise_nest(body) &&
                                    same_loop(nests[nest], body)))
      ++nest;
    if (nest < nests.size()) {
      nests[nest] = fuse_loops(nests[nest], body);
    } else {
      nests.push_back(body);
      nest_reads.emplace_back();
    }
    nest_reads[nest].insert(lk.inputs.begin(), lk.inputs.end());
    out.kernel.bytes_moved += lk.kernel.bytes_moved;
    out.fused_reduces.insert(out.fused_reduces.end(), lk.fused_reduces.begin(),
                             lk.fused_reduces.end());
  }
  for (const Node* in : out.inputs) {
    out.kernel.params.push_back({in->dtype(), in->numel(), false});
    out.kernel.bytes_minimum += in->numel() * itemsize(in->dtype());
  }
  for (const Node* o : out.outputs) {
    out.kernel.params.push_back({o->dtype(), o->numel(), true});
    out.kernel.bytes_minimum += o->numel() * itemsize(o->dtype());
  }
  out.kernel.body = nests.size() == 1 ? nests[0] : kir::block(std::move(nests));
  out.kernel.name = lower::kernel_name(out.kernel);
  kir::verify(out.kernel);
  return out;
}

}  // namespace

std::vector<LoweredKernel> merge_kernels(std::vector<LoweredKernel> ks,
                                         const InPlaceRequests& in_place) {
  const size_t n = ks.size();
  std::unordered_map<const Node*, size_t> producer;
  for (size_t k = 0; k < n; ++k) {
    for (const Node* o : ks[k].outputs) producer[o] = k;
  }
  std::vector<std::vector<size_t>> consumers(n);
  for (size_t k = 0; k < n; ++k) {
    for (const Node* in : ks[k].inputs) {
      auto it = producer.find(in);
      if (it != producer.end()) {
        KILN_CHECK(it->second < k, "merge_kernels: a kernel reads a later kernel's output");
        consumers[it->second].push_back(k);
      }
    }
  }
  // Latest levels: sinks at the last level, every other kernel one before its first consumer.
  std::vector<int64_t> depth(n, 0);  // longest chain of consumers below
  int64_t last = 0;
  for (size_t k = n; k-- > 0;) {
    for (size_t c : consumers[k]) depth[k] = std::max(depth[k], depth[c] + 1);
  }
  for (size_t k = 0; k < n; ++k) last = std::max(last, depth[k]);
  std::vector<int64_t> level(n, 0);
  for (size_t k = n; k-- > 0;) {
    level[k] = last;
    for (size_t c : consumers[k]) level[k] = std::min(level[k], level[c] - 1);
  }
  std::vector<size_t> order(n);
  for (size_t k = 0; k < n; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return level[a] < level[b]; });
  std::vector<LoweredKernel> out;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && level[order[j]] == level[order[i]]) ++j;
    if (!in_place.empty()) {
      std::vector<size_t> same_level(order.begin() + static_cast<std::ptrdiff_t>(i),
                                     order.begin() + static_cast<std::ptrdiff_t>(j));
      readers_first(same_level, ks, in_place);
      std::copy(same_level.begin(), same_level.end(),
                order.begin() + static_cast<std::ptrdiff_t>(i));
    }
    std::vector<size_t> group;
    size_t params = 0;
    auto flush = [&] {
      if (group.size() == 1) out.push_back(std::move(ks[group[0]]));
      if (group.size() > 1) out.push_back(merge_group(ks, group, in_place));
      group.clear();
      params = 0;
    };
    for (size_t t = i; t < j; ++t) {
      size_t k = order[t];
      if (calls_extern(ks[k].kernel.body)) {
        out.push_back(std::move(ks[k]));
        continue;
      }
      if (params + ks[k].kernel.params.size() > kMaxParams) flush();
      group.push_back(k);
      params += ks[k].kernel.params.size();
    }
    flush();
    i = j;
  }
  return out;
}

}  // namespace kiln::ir
