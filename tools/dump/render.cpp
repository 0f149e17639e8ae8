#include "render.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/compiler/compile.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/program.h"
#include "kiln/compiler/schedule.h"
#include "kiln/compiler/simplify.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/nvrtc.h"

namespace kiln::dump {

namespace {

std::string node_label(const ir::Node* n) {
  return fmt::format("{} {}{}", ir::op_name(n->op()), short_name(n->dtype()),
                     shape_str(n->shape()));
}

ir::Schedule schedule_of(const std::vector<ir::NodeRef>& outputs) {
  return ir::schedule(ir::program_outputs(outputs));
}

/// Kernels and their source are not graphs: Dot is refused, not printed as text.
void require_text_or_json(Format format, const char* stage) {
  if (format == Format::Dot) {
    throw Error(
        fmt::format("[kiln-dump] --format dot draws a graph (--stage graph, simplified or "
                    "fused); --stage {} prints text or json",
                    stage));
  }
}

}  // namespace

std::string render_graph(const std::vector<ir::NodeRef>& outputs, Format format) {
  if (format == Format::Text) return ir::print_graph(outputs);
  std::vector<const ir::Node*> order = ir::topo_order(outputs);
  std::unordered_map<const ir::Node*, size_t> id;
  for (size_t i = 0; i < order.size(); ++i) id[order[i]] = i;
  if (format == Format::Json) {
    nlohmann::json nodes = nlohmann::json::array();
    for (const ir::Node* n : order) {
      nlohmann::json inputs = nlohmann::json::array();
      for (const auto& in : n->inputs()) inputs.push_back(id.at(in.get()));
      nodes.push_back({{"id", id.at(n)},
                       {"op", ir::op_name(n->op())},
                       {"dtype", short_name(n->dtype())},
                       {"shape", n->shape()},
                       {"inputs", inputs}});
    }
    nlohmann::json outs = nlohmann::json::array();
    for (const auto& o : outputs) outs.push_back(id.at(o.get()));
    return nlohmann::json{{"nodes", nodes}, {"outputs", outs}}.dump(2) + "\n";
  }
  std::string dot = "digraph kiln {\n  node [shape=box, fontname=monospace];\n";
  for (const ir::Node* n : order) {
    dot += fmt::format("  n{} [label=\"%{}: {}\"];\n", id.at(n), id.at(n), node_label(n));
    for (const auto& in : n->inputs())
      dot += fmt::format("  n{} -> n{};\n", id.at(in.get()), id.at(n));
  }
  return dot + "}\n";
}

std::string render_fused(const std::vector<ir::NodeRef>& outputs, Format format) {
  ir::Schedule s = schedule_of(outputs);
  std::unordered_map<const ir::Node*, std::string> reason;
  for (const auto& b : s.breaks) reason[b.node] = b.reason;
  nlohmann::json kernels = nlohmann::json::array();
  std::string text, dot = "digraph kiln_fused {\n  node [shape=box, fontname=monospace];\n";
  std::unordered_map<const ir::Node*, size_t> kernel_of;
  for (size_t k = 0; k < s.kernels.size(); ++k) {
    for (const ir::Node* root : s.kernels[k].outputs) kernel_of[root] = k;
  }
  for (size_t k = 0; k < s.kernels.size(); ++k) {
    const kir::Kernel& kern = s.kernels[k].kernel;
    // A kernel merged from independent ones (horizontal fusion) writes several roots.
    std::string root_label, why;
    std::vector<std::string> ops;
    for (const ir::Node* root : s.kernels[k].outputs) {
      root_label += (root_label.empty() ? "" : " + ") + node_label(root);
      why += (why.empty() ? "" : "; ") + reason[root];
    }
    for (const ir::Node* m : ir::kernel_members(s.kernels[k])) ops.push_back(node_label(m));
    std::vector<std::string> inputs;
    for (const ir::Node* in : s.kernels[k].inputs) {
      inputs.push_back(in->op() == ir::Op::Load ? "input " + node_label(in)
                                                : fmt::format("kernel {}", kernel_of.at(in)));
    }
    int64_t cpu_bytes = codegen::bytes_moved(kern);
    double ratio = kern.bytes_minimum > 0 ? static_cast<double>(kern.bytes_moved) /
                                                static_cast<double>(kern.bytes_minimum)
                                          : 1.0;
    kernels.push_back({{"kernel", k},
                       {"name", kern.name},
                       {"root", root_label},
                       {"why", why},
                       {"ops", ops},
                       {"inputs", inputs},
                       {"bytes_moved", kern.bytes_moved},
                       {"bytes_moved_cpu", cpu_bytes},
                       {"bytes_minimum", kern.bytes_minimum}});
    text += fmt::format("kernel {} {} — {} ({})\n", k, kern.name, root_label, why);
    text += fmt::format("  bytes moved {} / minimum {} ({:.2f}x)\n", kern.bytes_moved,
                        kern.bytes_minimum, ratio);
    if (cpu_bytes != kern.bytes_moved) {
      text += fmt::format("  on the CPU, epilogue inside the GEMM: {} ({:.2f}x)\n", cpu_bytes,
                          static_cast<double>(cpu_bytes) /
                              static_cast<double>(std::max<int64_t>(1, kern.bytes_minimum)));
    }
    text += "  inputs: ";
    for (size_t i = 0; i < inputs.size(); ++i) text += (i ? ", " : "") + inputs[i];
    text += "\n  fused ops (" + std::to_string(ops.size()) + "):\n";
    for (const auto& op : ops) text += "    " + op + "\n";
    dot +=
        fmt::format("  k{} [label=\"kernel {}\\n{}\\n{} ops\"];\n", k, k, root_label, ops.size());
    for (const ir::Node* in : s.kernels[k].inputs) {
      if (kernel_of.count(in)) dot += fmt::format("  k{} -> k{};\n", kernel_of.at(in), k);
    }
  }
  if (format == Format::Json) return nlohmann::json{{"kernels", kernels}}.dump(2) + "\n";
  if (format == Format::Dot) return dot + "}\n";
  return fmt::format("{} kernels\n", s.kernels.size()) + text;
}

std::string render_kernels(const std::vector<ir::NodeRef>& outputs, Format format) {
  require_text_or_json(format, "kernels");
  ir::Schedule s = schedule_of(outputs);
  if (format == Format::Json) {
    nlohmann::json ks = nlohmann::json::array();
    for (const auto& k : s.kernels)
      ks.push_back({{"name", k.kernel.name}, {"ir", kir::print(k.kernel)}});
    return nlohmann::json{{"kernels", ks}}.dump(2) + "\n";
  }
  std::string out;
  for (const auto& k : s.kernels) out += kir::print(k.kernel) + "\n";
  return out;
}

std::string render_source(const std::vector<ir::NodeRef>& outputs, Format format) {
  require_text_or_json(format, "source");
  if (!ir::can_compile_cpu()) {
    const char* why = "this build has no LLVM backend (KILN_WITH_LLVM=OFF)";
    if (format == Format::Json) return nlohmann::json{{"error", why}}.dump(2) + "\n";
    return std::string("kiln-dump: ") + why + "\n";
  }
  ir::Schedule s = schedule_of(outputs);
  nlohmann::json ks = nlohmann::json::array();
  std::string out;
  for (const auto& k : s.kernels) {
    std::string ir_text = codegen::llvm_ir(k.kernel, true);
    ks.push_back({{"name", k.kernel.name}, {"llvm_ir", ir_text}});
    out += "; ---- " + k.kernel.name + "\n" + ir_text + "\n";
  }
  if (format == Format::Json) return nlohmann::json{{"kernels", ks}}.dump(2) + "\n";
  return out;
}

std::string render_cuda_source(const std::vector<ir::NodeRef>& outputs, Format format, int arch) {
  require_text_or_json(format, "source");
  namespace cuda = codegen::cuda;
  ir::Schedule s = schedule_of(outputs);
  nlohmann::json ks = nlohmann::json::array();
  std::string out;
  if (!runtime::nvrtc::available())
    out += "// NVRTC not found: resource usage unavailable (install the CUDA toolkit)\n";
  for (const auto& lk : s.kernels) {
    const kir::Kernel& k = lk.kernel;
    cuda::CudaKernel ck = cuda::render(k);
    std::vector<cuda::Resources> res;
    if (runtime::nvrtc::available())
      res = cuda::resource_usage(runtime::nvrtc::compile(ck.source, k.name, arch).log);
    nlohmann::json steps = nlohmann::json::array();
    out += "// ---- " + k.name + " (sm_" + std::to_string(arch) + ")\n";
    for (const auto& st : ck.steps) {
      if (st.kind == cuda::Step::Kind::Extern) {
        steps.push_back({{"extern", st.symbol}});
        out += "// step: extern " + st.symbol + "\n";
        continue;
      }
      nlohmann::json j = {{"entry", st.entry}, {"grid", st.grid}, {"block", st.block}};
      std::string line = fmt::format("// step: {} grid {} block {}", st.entry, st.grid, st.block);
      for (const auto& r : res) {
        if (r.entry != st.entry) continue;
        j["registers"] = r.registers;
        j["shared_bytes"] = r.shared_bytes;
        j["spill_store_bytes"] = r.spill_store_bytes;
        j["spill_load_bytes"] = r.spill_load_bytes;
        line += fmt::format(
            ": {} registers, {} bytes smem, {} bytes spill stores, {} bytes spill loads",
            r.registers, r.shared_bytes, r.spill_store_bytes, r.spill_load_bytes);
      }
      steps.push_back(j);
      out += line + "\n";
    }
    std::string src = cuda::source_without_prelude(ck);
    ks.push_back({{"name", k.name}, {"arch", arch}, {"steps", steps}, {"cuda", src}});
    out += src;
  }
  if (format == Format::Json) return nlohmann::json{{"kernels", ks}}.dump(2) + "\n";
  return out;
}

}  // namespace kiln::dump
