#include "kiln/compiler/check_indices.h"

#include <algorithm>
#include <string>

#include "kiln/runtime/error.h"

namespace kiln::ir {

std::vector<IndexCheck> index_checks(const std::vector<const Node*>& order,
                                     const std::vector<const Node*>& loads) {
  std::vector<IndexCheck> out;
  for (const Node* n : order) {
    if (n->op() != Op::Gather && n->op() != Op::Scatter) continue;
    const Node* idx = n->input(1).get();
    while (idx->op() != Op::Load && (is_movement(idx->op()) || idx->op() == Op::Cast))
      idx = idx->input(0).get();
    if (idx->op() != Op::Load) continue;
    auto at = std::find(loads.begin(), loads.end(), idx);
    if (at == loads.end()) continue;
    IndexCheck c;
    c.input = static_cast<size_t>(at - loads.begin());
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
      if (j < c.least || j >= c.size) {
        throw IndexError(std::string("[") + c.op + "] index " + std::to_string(j) +
                         " is out of bounds for dimension " + std::to_string(c.axis) +
                         " with size " + std::to_string(c.size));
      }
    }
  }
}

}  // namespace kiln::ir
