// The GPU lowering, checked for values without a GPU: random graphs (random_graph.h) built on
// the CPU are moved to a CUDA device node by node (their buffers become inputs), planned as a
// GPU program (row kernels, GEMM steps with their materialized operands, 16-bit products read
// back widened, the GPU's rules for what to fuse), and every kernel run on the host by the
// kernel-IR evaluator (cuBLASLt's 16-bit GEMM steps by a host stand-in), the inputs bound to
// the CPU buffers. The results must equal the reference interpreter's on the
// CPU graph. What this cannot check is the CUDA rendering's values: under $KILN_NVRTC_CHECK
// (ctest's nvrtc entries) NVRTC compiles these kernels, and [cuda] tests run kernels on a GPU.
// KILN_TEST_SEED=<seed> (KILN_TEST_LARGE_SEED for the larger family) replays one graph.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/large_random_graph.h"
#include "host_program.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/marks.h"
#include "kiln/compiler/program.h"

namespace {

using kiln::ir::Node;
using kiln::ir::NodeRef;
using kiln::ir::Program;

const kiln::Device kGpu(kiln::kCUDA, 0);

/// `outputs` rebuilt on the GPU device: the same ops, loads without data (the graph text's
/// kind), each mapped to the CPU buffer it stood for.
struct GpuGraph {
  std::vector<NodeRef> outputs;
  std::unordered_map<const Node*, kiln::runtime::BufferPtr> buffers;
};

GpuGraph to_gpu(const std::vector<NodeRef>& outputs) {
  GpuGraph g;
  std::unordered_map<const Node*, NodeRef> moved;
  for (const Node* n : kiln::ir::topo_order(outputs)) {
    std::vector<NodeRef> inputs;
    for (const auto& in : n->inputs()) inputs.push_back(moved.at(in.get()));
    NodeRef m = kiln::ir::make(n->op(), std::move(inputs), n->dtype(), n->shape(), n->attrs(), kGpu,
                               nullptr);
    if (n->op() == kiln::ir::Op::Load) g.buffers[m.get()] = n->buffer();
    moved[n] = m;
  }
  for (const auto& o : outputs) g.outputs.push_back(moved.at(o.get()));
  return g;
}

enum class Outcome { Checked, NothingToRun };

/// Plans `graph` (a CPU graph, marks stripped) for the GPU, runs it on the host and compares
/// with the interpreter; floats within max(`float_tol`, their dtype's tolerance). Outputs that
/// are already buffers are left out.
Outcome check(const std::vector<NodeRef>& graph, double float_tol) {
  std::vector<NodeRef> outputs;
  for (const auto& n : graph) {
    if (n->op() != kiln::ir::Op::Load) outputs.push_back(n);
  }
  if (outputs.empty()) return Outcome::NothingToRun;
  auto want = kiln::ir::interpret(outputs);
  GpuGraph g = to_gpu(outputs);
  auto program = kiln::ir::plan_program(g.outputs);
  // Under $KILN_NVRTC_CHECK (the nvrtc ctest entry) the GPU kernels also compile with NVRTC.
  kiln::codegen::cuda::nvrtc_check(program->kernels);
  kiln::ir::GraphSignature sig = kiln::ir::signature(g.outputs);
  std::vector<void*> inputs;
  for (const Node* load : sig.loads) inputs.push_back(g.buffers.at(load)->data());
  auto got = kiln_test::run_on_host(*program, inputs);
  REQUIRE(got.size() == want.size());
  for (size_t o = 0; o < got.size(); ++o) {
    CAPTURE(o);
    const kiln::runtime::Buffer& w = *want[o];
    REQUIRE(static_cast<int64_t>(got[o].size()) == w.numel());
    double tol = kiln_test::tolerance(w.dtype());
    if (tol > 0) tol = std::max(tol, float_tol);
    for (size_t i = 0; i < got[o].size(); ++i) {
      double x = got[o][i], y = w.get(static_cast<int64_t>(i));
      if (x == y || (std::isnan(x) && std::isnan(y))) continue;
      CAPTURE(i, x, y, tol);
      REQUIRE(std::abs(x - y) <= tol * (1.0 + std::abs(y)));
    }
  }
  return Outcome::Checked;
}

Outcome compare(uint64_t seed) {
  INFO("seed " << seed);
  kiln_test::Gen gen(seed, kiln::Device(kiln::kCPU));
  auto [out, other] = kiln_test::random_graph(gen);
  CAPTURE(seed, gen.log);
  return check(kiln::ir::strip_marks({out.node(), other.node()}), 0.0);
}

Outcome compare_large(uint64_t seed) {
  INFO("large seed " << seed);
  kiln_test::SeededLargeGraph graph = kiln_test::seeded_large_graph(seed);
  CAPTURE(seed, graph.gen.log);
  return check(kiln::ir::strip_marks(graph.nodes), graph.gen.float_tolerance());
}

/// The seed named by environment variable `replay` when it is set (it must be checked), else
/// seeds 1..count, at least `min_checked` of them checked.
void run_seeds(const char* replay, uint64_t count, int min_checked, Outcome (*run)(uint64_t)) {
  if (const char* s = std::getenv(replay)) {
    CHECK(run(std::strtoull(s, nullptr, 10)) == Outcome::Checked);
    return;
  }
  std::map<Outcome, int> outcomes;
  for (uint64_t seed = 1; seed <= count; ++seed) ++outcomes[run(seed)];
  CHECK(outcomes[Outcome::Checked] >= min_checked);
}

}  // namespace

TEST_CASE("GPU programs evaluated on the host equal the reference interpreter on random graphs",
          "[property][gpu_lowering]") {
  run_seeds("KILN_TEST_SEED", 300, 290, compare);  // all 300 checked at present
}

TEST_CASE("GPU programs evaluated on the host equal the interpreter on larger random graphs",
          "[property][gpu_lowering]") {
  // Rows longer than a vector, GEMM-sized matmuls over views, every dtype.
  run_seeds("KILN_TEST_LARGE_SEED", 60, 55, compare_large);  // 60 at present
}
