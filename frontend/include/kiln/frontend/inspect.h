// Inspecting what kiln compiles: saving a pending graph for kiln-dump, and where a tensor's
// values live.
#pragma once

#include <string>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

/// Writes the graph that realizing `tensors` would run, in the text form kiln-dump reads.
/// The file is written to a temporary name and renamed, so it is never half-written.
void save_graph(const std::vector<Tensor>& tensors, const std::string& path);

/// The address of the buffer that holds t's storage (its base, whatever t's view), realizing it
/// first; on a GPU, a device address. For checks that an update happened in place (an
/// optimizer's step keeps each parameter's and state tensor's buffer): never write through it.
const void* storage_address(const Tensor& t);

}  // namespace kiln
