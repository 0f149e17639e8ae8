// KILN_DEBUG levels (API.md "Inspecting"): 1 compiled programs and cache hits; 2 one line per
// kernel launch with time and GB/s; 3 fusion groups and the reason for every break; 4 generated
// source; 5 the IR after every pass. Output goes to stderr.
#pragma once

#include <string>

namespace kiln::ir {

/// The KILN_DEBUG level (0 when unset), read once.
int debug_level();
/// Writes one line to stderr with the "kiln: " prefix.
void debug_line(const std::string& text);

}  // namespace kiln::ir
