// Realization: the point where pending graphs run. Every distinct storage among the tensors
// is computed in one pass and its node replaced by a load of the resulting buffer.
#include <unordered_set>

#include "kiln/compiler/interpreter.h"
#include "kiln/runtime/error.h"
#include "tensor_impl.h"

namespace kiln::detail {

void realize(const std::vector<Tensor>& tensors) {
  std::vector<Storage*> pending;
  std::vector<ir::NodeRef> nodes;
  std::unordered_set<Storage*> seen;
  for (const auto& t : tensors) {
    check_defined("eval", t);
    Storage* st = t.impl()->storage.get();
    if (st->node->op() == ir::Op::Load || !seen.insert(st).second) continue;
    pending.push_back(st);
    nodes.push_back(st->node);
  }
  if (nodes.empty()) return;
  std::vector<runtime::BufferPtr> buffers = ir::interpret(nodes);
  for (size_t i = 0; i < pending.size(); ++i) {
    pending[i]->node = ir::load(buffers[i], {buffers[i]->numel()});
  }
}

}  // namespace kiln::detail
