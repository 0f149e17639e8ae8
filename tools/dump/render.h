// kiln-dump's views of a graph at each pipeline stage, as text, JSON or Graphviz dot.
#pragma once

#include <string>
#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::dump {

enum class Format { Text, Json, Dot };

/// The graph itself (stage "graph" or, after simplify, "simplified").
std::string render_graph(const std::vector<ir::NodeRef>& outputs, Format format);
/// Fusion groups: each kernel's root, the ops fused into it, its inputs, bytes moved against
/// the minimum, and every materialized node with the reason.
std::string render_fused(const std::vector<ir::NodeRef>& outputs, Format format);
/// The kernel IR of every kernel (Text or Json: kernels are not graphs; Dot is an Error).
std::string render_kernels(const std::vector<ir::NodeRef>& outputs, Format format);
/// The generated source (LLVM IR, optimized) of every kernel (Text or Json).
std::string render_source(const std::vector<ir::NodeRef>& outputs, Format format);
/// The generated CUDA source of every kernel with its launches and, when NVRTC is present, the
/// registers, shared memory and spills ptxas reports for sm_<arch> (no GPU needed; Text or Json).
std::string render_cuda_source(const std::vector<ir::NodeRef>& outputs, Format format, int arch);

}  // namespace kiln::dump
