// kiln-dump: inspect a graph at each stage of the pipeline (graph, simplified, fused groups,
// kernel IR, generated source). Reads a graph file (kiln::save_graph or KILN_DUMP_DIR) or a
// built-in example.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "examples.h"
#include "kiln/compiler/simplify.h"
#include "kiln/compiler/text.h"
#include "kiln/runtime/error.h"
#include "render.h"

int main(int argc, char** argv) {
  using namespace kiln;
  CLI::App app{"kiln-dump: inspect a kiln graph and the kernels it fuses into"};
  std::string file, example, stage = "fused", format = "text", backend = "cpu", arch = "sm_90";
  app.add_option("file", file, "a graph file written by kiln::save_graph or KILN_DUMP_DIR");
  app.add_option("--example", example,
                 "a built-in graph: elementwise, softmax, layernorm, mlp, sum");
  app.add_option("--stage", stage, "graph | simplified | fused | kernels | source")
      ->check(CLI::IsMember({"graph", "simplified", "fused", "kernels", "source"}));
  app.add_option("--format", format, "text | json | dot (dot: graph, simplified and fused only)")
      ->check(CLI::IsMember({"text", "json", "dot"}));
  app.add_option("--backend", backend, "cpu (LLVM IR) | cuda (CUDA C++ and ptxas resource usage)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--arch", arch, "the CUDA target of --backend cuda, e.g. sm_90");
  CLI11_PARSE(app, argc, argv);
  try {
    if (file.empty() == example.empty())
      throw Error("[kiln-dump] give either a graph file or --example NAME");
    int sm = 0;
    if (arch.rfind("sm_", 0) == 0) sm = std::atoi(arch.c_str() + 3);
    if (sm <= 0) throw Error("[kiln-dump] --arch '" + arch + "' is not of the form sm_90");
    std::vector<ir::NodeRef> graph;
    if (!example.empty()) {
      graph = dump::example_graph(example);
    } else {
      std::ifstream in(file);
      if (!in) throw Error("[kiln-dump] cannot read '" + file + "'");
      std::stringstream text;
      text << in.rdbuf();
      graph = ir::parse_graph(text.str());
    }
    dump::Format f = format == "json"  ? dump::Format::Json
                     : format == "dot" ? dump::Format::Dot
                                       : dump::Format::Text;
    if (stage == "graph") std::cout << dump::render_graph(graph, f);
    if (stage == "simplified") std::cout << dump::render_graph(ir::simplify(graph), f);
    if (stage == "fused") std::cout << dump::render_fused(graph, f);
    if (stage == "kernels") std::cout << dump::render_kernels(graph, f);
    if (stage == "source") {
      std::cout << (backend == "cuda" ? dump::render_cuda_source(graph, f, sm)
                                      : dump::render_source(graph, f));
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
