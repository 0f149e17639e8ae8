// Buffer donation: a storage that is realized after an in-place write (an optimizer's parameter
// and state) may have the program write its new value into the buffer it held (its home), when
// nothing reads that buffer's old contents once the program has run. That holds when no tensor,
// pending graph or compiled replay other than the storages being realized refers to the buffer
// or to a node computed from it: references are counted, so a user's `w_old = w * 1` not yet
// realized keeps the update out of place (a new buffer, as without donation). The autograd
// graphs remembered for realized tensors (a loss read before the step) do not count: the ones
// that read an overwritten buffer are dropped after the run (leaves.h). The compiler then
// decides whether its launch order allows the write (compiler/src/passes/in_place.h).
#pragma once

#include <memory>
#include <vector>

#include "kiln/compiler/node.h"
#include "tensor_impl.h"

namespace kiln::detail {

/// What realizing `pending` may write in place (storages, each realized as the stripped root
/// `nodes[i]` of its node `marked[i]`; these two vectors and the storages being the only
/// references the caller holds), per storage: the index in `loads` (the program's inputs in
/// signature order) of the load of its home buffer, or -1 (`request`); and whether nothing
/// else reads that buffer, so that it may be overwritten (`safe`).
struct Donation {
  std::vector<int64_t> request;
  std::vector<bool> safe;
};
Donation donated_inputs(const std::vector<std::shared_ptr<Storage>>& pending,
                        const std::vector<ir::NodeRef>& marked,
                        const std::vector<ir::NodeRef>& nodes,
                        const std::vector<const ir::Node*>& loads);

/// Per storage (realized: its node a load), whether a compiled replay may overwrite its buffer:
/// nothing but the storage and remembered autograd graphs refers to the load or its buffer.
std::vector<bool> may_overwrite(const std::vector<const Storage*>& storages);

}  // namespace kiln::detail
