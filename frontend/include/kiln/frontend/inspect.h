// Inspecting what kiln compiles: saving a pending graph for kiln-dump.
#pragma once

#include <string>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

/// Writes the graph that realizing `tensors` would run, in the text form kiln-dump reads.
/// The file is written to a temporary name and renamed, so it is never half-written.
void save_graph(const std::vector<Tensor>& tensors, const std::string& path);

}  // namespace kiln
