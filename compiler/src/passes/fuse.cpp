// The fusion pass: starts from "everything fused" and materializes nodes by rule, lowering
// each kernel to find the breaks that only lowering can see (a reduction read at another row).
#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "kiln/compiler/debug.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/schedule.h"
#include "kiln/runtime/error.h"
#include "lower/builder.h"
#include "passes/merge_kernels.h"

namespace kiln::ir {

namespace {

/// Recomputing a node with several consumers is cheap when its fused subgraph is small.
constexpr int kMaxRecomputeNodes = 24;

/// Rule 6: the most buffers one kernel reads (CUDA passes every data pointer in the kernel's
/// 4 KiB parameter space; 256 leaves half of it to merged kernels' other arguments).
constexpr size_t kMaxKernelInputs = 256;

/// Where to cut a kernel that reads too many buffers: the fused node whose own inputs are
/// closest to half of the kernel's (so that a long chain of adds splits in halves, not one
/// input at a time); null when no node below the outputs reads two or more.
const Node* split_point(const lower::LoweredKernel& k) {
  std::unordered_set<const Node*> inputs(k.inputs.begin(), k.inputs.end());
  std::unordered_map<const Node*, std::unordered_set<const Node*>> reads;
  std::vector<const Node*> members = kernel_members(k);
  std::unordered_set<const Node*> fused(members.begin(), members.end());
  // The buffers each member reads through fused nodes, inputs before their readers.
  std::function<const std::unordered_set<const Node*>&(const Node*)> read_by =
      [&](const Node* n) -> const std::unordered_set<const Node*>& {
    if (auto f = reads.find(n); f != reads.end()) return f->second;
    std::unordered_set<const Node*> r;
    for (const auto& in : n->inputs()) {
      if (inputs.count(in.get())) {
        r.insert(in.get());
      } else if (fused.count(in.get())) {
        const auto& below = read_by(in.get());
        r.insert(below.begin(), below.end());
      }
    }
    return reads[n] = std::move(r);
  };
  const Node* best = nullptr;
  size_t half = k.inputs.size() / 2, best_gap = 0;
  for (const Node* m : members) {
    bool output = std::find(k.outputs.begin(), k.outputs.end(), m) != k.outputs.end();
    size_t n = read_by(m).size();
    if (output || n < 2) continue;
    size_t gap = n > half ? n - half : half - n;
    if (!best || gap < best_gap) best = m, best_gap = gap;
  }
  return best;
}

int fused_size(const Node* n, const std::unordered_set<const Node*>& materialized, int limit) {
  std::vector<const Node*> stack{n};
  std::unordered_set<const Node*> seen{n};
  int count = 0;
  while (!stack.empty() && count <= limit) {
    const Node* x = stack.back();
    stack.pop_back();
    ++count;
    for (const auto& in : x->inputs()) {
      const Node* i = in.get();
      if (i->op() != Op::Load && !materialized.count(i) && seen.insert(i).second)
        stack.push_back(i);
    }
  }
  return count;
}

/// An output its readers may compute again instead of reading (multi-output fusion): made of
/// elementwise and movement ops over buffers, and small. Its own kernel still writes it.
bool recomputable_output(const Node* out, const std::unordered_set<const Node*>& materialized) {
  std::vector<const Node*> stack{out};
  std::unordered_set<const Node*> seen{out};
  while (!stack.empty()) {
    const Node* x = stack.back();
    stack.pop_back();
    if (!is_elementwise(x->op()) && !is_movement(x->op()) && x->op() != Op::Const) return false;
    if (seen.size() > static_cast<size_t>(kMaxRecomputeNodes)) return false;
    for (const auto& in : x->inputs()) {
      const Node* i = in.get();
      if (i->op() != Op::Load && !materialized.count(i) && seen.insert(i).second)
        stack.push_back(i);
    }
  }
  return true;
}

}  // namespace

Schedule schedule(const std::vector<NodeRef>& outputs, const InPlaceRequests& in_place) {
  Schedule s;
  s.outputs = outputs;
  std::vector<const Node*> order = topo_order(outputs);
  std::unordered_map<const Node*, int> consumers;
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) ++consumers[in.get()];
  }
  std::unordered_set<const Node*> materialized;
  auto materialize = [&](const Node* n, std::string reason) {
    if (n->op() != Op::Load && materialized.insert(n).second)
      s.breaks.push_back({n, std::move(reason)});
  };
  for (const auto& out : outputs) materialize(out.get(), "output");
  for (const Node* n : order) {
    if (runs_own_kernel(n->op()))
      materialize(n, std::string(op_name(n->op())) + " runs as its own kernel");
  }
  for (const Node* n : order) {
    if (consumers[n] > 1 && (n->op() == Op::MatMul || n->op() == Op::Fold))
      materialize(n, std::string(op_name(n->op())) + " with several consumers");
    if (consumers[n] > 1 && !is_reduce(n->op()) && n->op() != Op::Load && !materialized.count(n) &&
        fused_size(n, materialized, kMaxRecomputeNodes) > kMaxRecomputeNodes) {
      materialize(n, "several consumers and too costly to recompute");
    }
  }
  // Outputs that readers recompute, so that, for example, a parameter's update and the
  // moments it reads are independent kernels, which merge into one loop (merge_kernels).
  std::unordered_set<const Node*> recompute;
  for (const auto& out : outputs) {
    if (!runs_own_kernel(out->op()) && out->op() != Op::MatMul &&
        recomputable_output(out.get(), materialized))
      recompute.insert(out.get());
  }
  // Lower every kernel; a break found while lowering materializes that node (or stops
  // recomputing it) and walks again. Each round changes one node, so this ends.
  //
  // A kernel's lowering depends only on which of the nodes it fuses are read as buffers, and
  // that set only grows. So after a break only the kernels that fused the broken node are
  // lowered again, and the walk resumes at the first kernel that changed (or the broken node's
  // own, new one): the kernels before it and the checks they passed stay as they were.
  // Starting every round from scratch made scheduling quadratic in the graph's depth (2.2 s for
  // a 128-layer residual MLP's forward and backward, 0.08 s so).
  struct Lowered {
    lower::LoweredKernel kernel;
    std::unordered_set<const Node*> members;  // kernel_members: the nodes it fuses
  };
  std::unordered_map<const Node*, Lowered> lowered;
  std::unordered_map<const Node*, size_t> position;
  for (size_t i = 0; i < order.size(); ++i) position.emplace(order[i], i);
  std::unordered_set<const Node*> read = materialized;
  for (const Node* n : recompute) read.erase(n);
  std::vector<const Node*> roots;  // the kernels so far, in order
  std::unordered_map<const Node*, int> reduce_users;
  size_t start = 0;
  for (;;) {
    const Node* broken = nullptr;
    std::string reason;
    size_t at = order.size();
    for (size_t i = start; i < order.size() && !broken; ++i) {
      const Node* n = order[i];
      if (!materialized.count(n)) continue;
      at = i;
      auto it = lowered.find(n);
      if (it == lowered.end()) {
        try {
          lower::LoweredKernel k = lower::lower_kernel(n, read);
          std::vector<const Node*> members = kernel_members(k);
          it = lowered
                   .emplace(n, Lowered{std::move(k), std::unordered_set<const Node*>(
                                                         members.begin(), members.end())})
                   .first;
        } catch (const lower::FusionBreak& b) {
          broken = b.node;
          reason = b.reason;
          break;
        }
      }
      roots.push_back(n);
      const lower::LoweredKernel& k = it->second.kernel;
      for (const Node* r : k.fused_reduces) {
        if (r != n && ++reduce_users[r] > 1) {
          broken = r;
          reason = "reduction used by several kernels";
        }
      }
      if (!broken && k.inputs.size() > kMaxKernelInputs) {
        broken = split_point(k);
        reason = "kernel would read " + std::to_string(k.inputs.size()) + " buffers (at most " +
                 std::to_string(kMaxKernelInputs) + ")";
      }
    }
    if (!broken) break;
    // The kernels that fused the broken node lower differently now that it is read as a buffer.
    size_t resume = std::min(at, position.at(broken));
    std::vector<const Node*> stale;
    for (const auto& [root, l] : lowered) {
      if (!l.members.count(broken)) continue;
      resume = std::min(resume, position.at(root));
      stale.push_back(root);
    }
    // The walk resumes there: the kernels from there on (a suffix, in order) no longer count.
    while (!roots.empty() && position.at(roots.back()) >= resume) {
      for (const Node* r : lowered.at(roots.back()).kernel.fused_reduces) {
        if (r != roots.back()) --reduce_users[r];
      }
      roots.pop_back();
    }
    for (const Node* root : stale) lowered.erase(root);
    start = resume;
    read.insert(broken);
    if (recompute.erase(broken)) continue;
    KILN_CHECK(!materialized.count(broken),
               std::string("fusion break on a node already materialized: ") +
                   op_name(broken->op()) + shape_str(broken->shape()) + ": " + reason);
    materialize(broken, reason);
  }
  s.kernels.clear();
  for (const Node* n : roots) s.kernels.push_back(std::move(lowered.at(n).kernel));
  size_t before = s.kernels.size();
  s.kernels = merge_kernels(std::move(s.kernels), in_place);
  if (debug_level() >= 5) {
    debug_line("merge_kernels: " + std::to_string(before) + " kernels -> " +
               std::to_string(s.kernels.size()));
  }
  return s;
}

std::vector<const Node*> kernel_members(const lower::LoweredKernel& k) {
  std::unordered_set<const Node*> seen(k.inputs.begin(), k.inputs.end());
  std::vector<const Node*> out, stack;
  for (const Node* root : k.outputs) {
    if (seen.insert(root).second) stack.push_back(root);
  }
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    out.push_back(n);
    for (const auto& in : n->inputs()) {
      if (in->op() != Op::Load && seen.insert(in.get()).second) stack.push_back(in.get());
    }
  }
  return out;
}

std::string describe_group(const lower::LoweredKernel& k) {
  std::vector<const Node*> members = kernel_members(k);
  std::string text = "kernel " + k.kernel.name + ": " + std::to_string(members.size()) +
                     " ops, reads " + std::to_string(k.inputs.size()) + " buffers, writes " +
                     std::to_string(k.outputs.size());
  for (const Node* n : members) {
    text += "\n  " + std::string(op_name(n->op())) + " " + short_name(n->dtype()) +
            shape_str(n->shape());
  }
  return text;
}

}  // namespace kiln::ir
