// The GPU mappings of one top-level statement of a kernel, each printing one __global__
// function and returning its launch Step (see cuda_codegen.h for the rules).
#pragma once

#include <optional>
#include <string>

#include "codegen/cuda/printer.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"

namespace kiln::codegen::cuda {

/// Threads per block of flat (elementwise and fallback) launches.
constexpr int kFlatBlock = 256;

/// A Parallel loop as a flat index space: its iterations (times those of a sole inner
/// Vectorizable loop) spread over threads, 128-bit accesses where the layout allows. With
/// `flatten` false, one thread runs each Parallel iteration's body sequentially (the fallback).
Step render_flat(const kir::Kernel& k, const kir::Stmt& loop, bool flatten,
                 const std::string& entry, std::string& source);
/// A row-reducing Parallel loop as one thread block per iteration; nullopt when the loop is
/// not of that form.
std::optional<Step> render_rows(const kir::Kernel& k, const kir::Stmt& loop,
                                const std::string& entry, std::string& source);
/// Statements run by a single thread (top-level statements outside any Parallel loop).
Step render_single(const kir::Kernel& k, const std::vector<kir::Stmt>& stmts,
                   const std::string& entry, std::string& source);

/// `extern "C" __global__ void __launch_bounds__(block) entry(params...) {` with the
/// accumulator declarations of `body`, then `code` and the closing brace.
std::string global_function(const kir::Kernel& k, const std::string& entry, int block,
                            const std::vector<kir::Stmt>& body, const std::string& code);

}  // namespace kiln::codegen::cuda
