// A direct evaluator of kernel IR on the host: slow and simple. It runs kernels where no JIT
// is built (KILN_WITH_LLVM=OFF) and lets tests check lowering independently of codegen.
#pragma once

#include <unordered_map>
#include <vector>

#include "kiln/compiler/kir/kir.h"

namespace kiln::kir {

/// Runs `k` with args[i] pointing at parameter i's data.
void evaluate(const Kernel& k, const std::vector<void*>& args);

/// The value of the Int64 index expression `e` (no loads, accumulators or random numbers) with
/// loop variable id -> value `vars`.
int64_t evaluate_index(const Expr& e, const std::unordered_map<int64_t, int64_t>& vars);

}  // namespace kiln::kir
