// Checks index tensors that are already realized before a compiled program reads them, so an
// out-of-range gather or scatter index is an IndexError at realization (as the reference
// interpreter and PyTorch report it) instead of a clamped read in a kernel. A kiln::compile
// replay binds new buffers to the same program: it keeps the checks (index_checks) and runs
// them on each replay's inputs (run_index_checks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/runtime/buffer.h"

namespace kiln::ir {

/// One index buffer to check: the elements of program input `input` that the graph reads (those
/// of the view sizes/strides/offset; all of them when `sizes` is empty) must lie in
/// [least, size) (or equal `ignore`, where `has_ignore`).
struct IndexCheck {
  size_t input = 0;
  Shape sizes, strides;
  int64_t offset = 0;
  int64_t least = 0, size = 0, axis = 0;
  const char* op = "";   ///< the name the error gives (gather, index_select, index, scatter, ...)
  bool classes = false;  ///< class indices (nll_loss, one_hot): PyTorch's wording
  bool has_ignore = false;
  int64_t ignore = 0;
};

/// The checks (without repeats) of the gathers and scatters in `order` whose index reaches a
/// Load through casts and views that read all of it or one strided view of it (other indices
/// go unchecked here; kernels clamp them), and of the class indices compared with an iota of
/// classes (ir::class_iota); `input` is that load's position in `loads` (a GraphSignature's).
/// Accepted: [-size, size) of the indexed dim, or [0, size) for a gather made by torch.gather or
/// index_select (ir::GatherCheck) and for class indices (plus nll_loss's ignore_index).
std::vector<IndexCheck> index_checks(const std::vector<const Node*>& order,
                                     const std::vector<const Node*>& loads);
/// Throws IndexError for the first check whose input holds a value outside its range. Index
/// buffers on a GPU are read through one host copy each (small: one index per element; it
/// waits for the device).
void run_index_checks(const std::vector<IndexCheck>& checks,
                      const std::vector<runtime::BufferPtr>& inputs);

}  // namespace kiln::ir
