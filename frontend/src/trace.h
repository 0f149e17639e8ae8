// Trace mode (kiln::compile): realizations are deferred and value reads refused while a
// compiled function runs; see kiln/frontend/compile.h.
#pragma once

#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln::detail {

struct Trace {
  std::vector<Tensor> deferred;  ///< tensors realize() was asked for
  std::vector<Tensor> written;   ///< tensors written in place
  Trace* outer = nullptr;
};

/// The calling thread's innermost trace, or nullptr outside kiln::compile.
Trace* current_trace();
/// Throws the error for reading a value inside a compiled function (`what`: the read).
void refuse_read_in_trace(const char* what);

}  // namespace kiln::detail
