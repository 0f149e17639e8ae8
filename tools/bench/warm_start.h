// The warm_start workload: how long a fresh process takes to realize a program of about ten
// kernels whose objects are already in the disk cache (the "after a process restart"
// target). Each measurement is a new process: kiln-bench runs itself with --warm-start-child.
#pragma once

#include <string>

#include "measure.h"

namespace kiln_bench {

/// The child's side: realizes the program in this (fresh) process, with the disk cache that
/// KILN_CACHE_DIR names, and writes "<realize_ms> <kernels compiled> <objects loaded from disk>"
/// to `out_path`. Returns the process exit code.
int warm_start_child(const std::string& out_path);

/// The parent's side: one cold child (an empty cache directory: everything compiles), then
/// `samples` warm children on the same directory. median_ms / min_ms are the warm children's
/// realize times, compile_ms the cold child's, kernels the program's kernel count. Throws
/// std::runtime_error when a child fails or a warm child compiles anything.
Result measure_warm_start(int samples);

}  // namespace kiln_bench
