#include "kiln/compiler/check_indices.h"

#include <algorithm>
#include <string>

#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {

/// The position in `loads` of the Load that `n` reads through views and casts, or -1.
int64_t load_position(const Node* n, const std::vector<const Node*>& loads) {
  while (n->op() != Op::Load && (is_movement(n->op()) || n->op() == Op::Cast))
    n = n->input(0).get();
  auto at = std::find(loads.begin(), loads.end(), n);
  return n->op() == Op::Load && at != loads.end() ? at - loads.begin() : -1;
}

/// An Eq of a class iota (ir::class_iota) with class indices read from a Load.
bool class_check(const Node* n, const std::vector<const Node*>& loads, IndexCheck* c) {
  if (n->op() != Op::Eq) return false;
  for (size_t k = 0; k < 2; ++k) {
    const Node* iota = n->input(k).get();
    while (is_movement(iota->op())) iota = iota->input(0).get();
    if (iota->op() != Op::Iota || iota->attrs().ints.size() != 3) continue;
    int64_t input = load_position(n->input(1 - k).get(), loads);
    if (input < 0) return false;
    const std::vector<int64_t>& a = iota->attrs().ints;
    bool nll = a[1] == static_cast<int64_t>(ClassCheck::NllLoss);
    c->input = static_cast<size_t>(input);
    c->axis = a[0];
    c->size = iota->shape()[static_cast<size_t>(a[0])];
    c->op = nll ? "nll_loss" : "one_hot";
    c->classes = true;
    c->has_ignore = nll;
    c->ignore = a[2];
    return true;
  }
  return false;
}

}  // namespace

std::vector<IndexCheck> index_checks(const std::vector<const Node*>& order,
                                     const std::vector<const Node*>& loads) {
  std::vector<IndexCheck> out;
  for (const Node* n : order) {
    if (IndexCheck c; class_check(n, loads, &c)) {
      out.push_back(c);
      continue;
    }
    if (n->op() != Op::Gather && n->op() != Op::Scatter) continue;
    int64_t input = load_position(n->input(1).get(), loads);
    if (input < 0) continue;
    IndexCheck c;
    c.input = static_cast<size_t>(input);
    c.axis = n->attrs().ints[0];
    c.size = n->input(0)->shape()[static_cast<size_t>(c.axis)];
    c.least = n->op() == Op::Gather ? gather_min_index(*n) : -c.size;
    c.op = n->op() == Op::Gather ? gather_check_name(*n) : "scatter";
    out.push_back(c);
  }
  return out;
}

void run_index_checks(const std::vector<IndexCheck>& checks,
                      const std::vector<runtime::BufferPtr>& inputs) {
  for (const IndexCheck& c : checks) {
    runtime::BufferPtr held = inputs.at(c.input);
    if (!held) continue;
    if (!held->device().is_cpu()) held = runtime::copy_to(*held, Device(DeviceType::CPU));
    const runtime::Buffer& buf = *held;
    for (int64_t i = 0; i < buf.numel(); ++i) {
      int64_t j = buf.get_int(i);
      if (c.has_ignore && j == c.ignore) continue;
      if (c.classes && (j < 0 || j >= c.size)) {
        // PyTorch: "Target 10 is out of bounds." (nll_loss), "Class values must be smaller than
        // num_classes." / "... must be non-negative." (one_hot)
        throw IndexError(std::string("[") + c.op + "] " + (c.has_ignore ? "target " : "class ") +
                         std::to_string(j) + " is out of bounds for " + std::to_string(c.size) +
                         " classes" +
                         (c.has_ignore ? " (ignore_index " + std::to_string(c.ignore) + ")" : ""));
      }
      if (j < c.least || j >= c.size) {
        throw IndexError(std::string("[") + c.op + "] index " + std::to_string(j) +
                         " is out of bounds for dimension " + std::to_string(c.axis) +
                         " with size " + std::to_string(c.size));
      }
    }
  }
}

}  // namespace kiln::ir
