// KILN_DEBUG levels (API.md "Inspecting"), each adding to the one below: 1 compiled programs and
// cache hits (program cache and disk cache); 2 one line per kernel launch with time and GB/s;
// 3 fusion groups and the reason for every break; 4 generated source (LLVM IR, CUDA C++); 5 the
// IR after every pass. Output goes to stderr; examples/debug_test.cmake checks every level.
#pragma once

#include <string>

namespace kiln::ir {

/// The KILN_DEBUG level (0 when unset), read once.
int debug_level();
/// Writes one line to stderr with the "kiln: " prefix.
void debug_line(const std::string& text);

}  // namespace kiln::ir
