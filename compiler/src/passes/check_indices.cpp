#include "kiln/compiler/check_indices.h"

#include <algorithm>
#include <map>
#include <string>

#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {

/// Where the values of index node `n` come from: the position in `loads` of the Load it reads,
/// with the elements it reads (`c.sizes`, `c.strides`, `c.offset` of an AsStrided view; empty
/// sizes: the whole buffer). False when it reads something else, or reads part of a buffer
/// through an op other than one AsStrided (a slice, a pad): such indices are not checked here,
/// since values outside the part read must not raise.
bool source_of(const Node* n, const std::vector<const Node*>& loads, IndexCheck* c) {
  // Ops that read every element of their input (possibly more than once).
  auto whole = [](Op op) {
    return op == Op::Reshape || op == Op::Permute || op == Op::Expand || op == Op::Flip ||
           op == Op::Cast;
  };
  while (whole(n->op())) n = n->input(0).get();
  c->sizes.clear();
  if (n->op() == Op::AsStrided) {
    const std::vector<int64_t>& a = n->attrs().ints;
    c->sizes = n->shape();
    c->strides.assign(a.begin(), a.end() - 1);
    c->offset = a.back();
    n = n->input(0).get();
  }
  auto at = std::find(loads.begin(), loads.end(), n);
  if (n->op() != Op::Load || at == loads.end()) return false;
  c->input = static_cast<size_t>(at - loads.begin());
  return true;
}

/// An Eq of a class iota (ir::class_iota) with class indices read from a Load.
bool class_check(const Node* n, const std::vector<const Node*>& loads, IndexCheck* c) {
  if (n->op() != Op::Eq) return false;
  for (size_t k = 0; k < 2; ++k) {
    const Node* iota = n->input(k).get();
    while (is_movement(iota->op())) iota = iota->input(0).get();
    if (iota->op() != Op::Iota || iota->attrs().ints.size() != 3) continue;
    if (!source_of(n->input(1 - k).get(), loads, c)) return false;
    const std::vector<int64_t>& a = iota->attrs().ints;
    bool nll = a[1] == static_cast<int64_t>(ClassCheck::NllLoss);
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

bool same(const IndexCheck& a, const IndexCheck& b) {
  return a.input == b.input && a.least == b.least && a.size == b.size && a.axis == b.axis &&
         std::string(a.op) == b.op && a.has_ignore == b.has_ignore && a.ignore == b.ignore &&
         a.sizes == b.sizes && a.strides == b.strides && a.offset == b.offset;
}

/// Calls fn(j) for each element `c` reads of `buf`.
template <typename Fn>
void for_each_read(const IndexCheck& c, const runtime::Buffer& buf, Fn fn) {
  if (c.sizes.empty()) {
    for (int64_t i = 0; i < buf.numel(); ++i) fn(buf.get_int(i));
    return;
  }
  if (numel_of(c.sizes) == 0) return;
  std::vector<int64_t> idx(c.sizes.size(), 0);
  for (;;) {
    int64_t off = c.offset;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * c.strides[d];
    fn(buf.get_int(off));
    size_t d = idx.size();
    while (d > 0 && ++idx[d - 1] == c.sizes[d - 1]) idx[--d] = 0;
    if (d == 0) return;
  }
}

void check_values(const IndexCheck& c, const runtime::Buffer& buf) {
  for_each_read(c, buf, [&](int64_t j) {
    if (c.has_ignore && j == c.ignore) return;
    if (c.classes && (j < 0 || j >= c.size)) {
      // PyTorch: "Target 10 is out of bounds." (nll_loss), "Class values must be smaller than
      // num_classes." / "... must be non-negative." (one_hot)
      throw IndexError(std::string("[") + c.op + "] " + (c.has_ignore ? "target " : "class ") +
                       std::to_string(j) + " is out of bounds for " + std::to_string(c.size) +
                       " classes" +
                       (c.has_ignore ? " (ignore_index " + std::to_string(c.ignore) + ")" : ""));
    }
    if (j < c.least || j >= c.size) throw index_out_of_bounds(c.op, j, c.axis, c.size);
  });
}

}  // namespace

std::vector<IndexCheck> index_checks(const std::vector<const Node*>& order,
                                     const std::vector<const Node*>& loads) {
  std::vector<IndexCheck> out;
  auto add = [&](const IndexCheck& c) {
    if (std::none_of(out.begin(), out.end(), [&](const IndexCheck& o) { return same(o, c); }))
      out.push_back(c);
  };
  for (const Node* n : order) {
    if (IndexCheck c; class_check(n, loads, &c)) {
      add(c);
      continue;
    }
    if (n->op() != Op::Gather && n->op() != Op::Scatter) continue;
    IndexCheck c;
    if (!source_of(n->input(1).get(), loads, &c)) continue;
    c.axis = n->attrs().ints[0];
    c.size = n->input(0)->shape()[static_cast<size_t>(c.axis)];
    c.least = least_index(*n);
    c.op = index_op_name(*n);
    add(c);
  }
  return out;
}

void run_index_checks(const std::vector<IndexCheck>& checks,
                      const std::vector<runtime::BufferPtr>& inputs) {
  std::map<size_t, runtime::BufferPtr> on_host;  // a GPU buffer is copied once
  for (const IndexCheck& c : checks) {
    runtime::BufferPtr held = inputs.at(c.input);
    if (!held) continue;
    if (!held->device().is_cpu()) {
      runtime::BufferPtr& h = on_host[c.input];
      if (!h) h = runtime::copy_to(*held, Device(DeviceType::CPU));
      held = h;
    }
    check_values(c, *held);
  }
}

}  // namespace kiln::ir
