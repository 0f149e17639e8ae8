#include "kiln/compiler/check_indices.h"

#include "kiln/runtime/error.h"

namespace kiln::ir {

void check_indices(const std::vector<const Node*>& order) {
  for (const Node* n : order) {
    if (n->op() != Op::Gather && n->op() != Op::Scatter) continue;
    const Node* idx = n->input(1).get();
    while (idx->op() != Op::Load && (is_movement(idx->op()) || idx->op() == Op::Cast))
      idx = idx->input(0).get();
    if (idx->op() != Op::Load || !idx->buffer()) continue;
    int64_t axis = n->attrs().ints[0];
    int64_t size = n->input(0)->shape()[axis];
    // Index buffers on a GPU are read through a host copy (small: one index per element).
    runtime::BufferPtr held = idx->buffer();
    if (!held->device().is_cpu()) held = runtime::copy_to(*held, Device(DeviceType::CPU));
    const runtime::Buffer& buf = *held;
    for (int64_t i = 0; i < buf.numel(); ++i) {
      int64_t j = buf.get_int(i);
      if (j < -size || j >= size) {
        throw IndexError(std::string("[") + op_name(n->op()) + "] index " + std::to_string(j) +
                         " is out of bounds for dimension " + std::to_string(axis) + " with size " +
                         std::to_string(size));
      }
    }
  }
}

}  // namespace kiln::ir
