// Graphs on a CUDA device lower differently from the CPU: 16-bit matmuls become GEMM Extern
// steps (cuBLASLt) whose fused epilogue reads the product back widened to f32, operands
// cuBLASLt cannot read in place are materialized first, and argsort ranks elements in a kernel
// where the CPU calls its row sort. Planned and NVRTC-compiled without a GPU
// (constant and iota inputs need no device memory).
#include <catch2/catch.hpp>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/program.h"
#include "kiln/runtime/nvrtc.h"

namespace {

using namespace kiln;
using namespace kiln::ir;

const Device kGpu(DeviceType::CUDA, 0);

/// A [rows, cols] operand with distinct values, computed on the device (no buffer).
NodeRef operand(int64_t rows, int64_t cols, DType dt) {
  NodeRef i = iota(1, DType::Float32, {rows, cols}, kGpu);
  NodeRef j = iota(0, DType::Float32, {rows, cols}, kGpu);
  return cast(
      binary(Op::Mul, binary(Op::Add, i, j), constant(0.01, DType::Float32, {rows, cols}, kGpu)),
      dt);
}

/// Plans `out`, renders every kernel and compiles it for sm_90; returns the GEMM steps' symbols.
std::vector<std::string> plan_and_compile(const NodeRef& out) {
  auto program = plan_program({out});
  std::vector<std::string> symbols;
  for (const auto& k : program->kernels) {
    auto ck = codegen::cuda::render(k);
    for (const auto& s : ck.steps) {
      if (s.kind == codegen::cuda::Step::Kind::Extern) symbols.push_back(s.symbol);
    }
    if (runtime::nvrtc::available()) REQUIRE(!codegen::cuda::compile_cubin(ck, k.name, 90).empty());
  }
  return symbols;
}

}  // namespace

TEST_CASE("cuda lowering: f16 and bf16 matmuls are GEMM steps with an f32 epilogue", "[nvrtc]") {
  for (DType dt : {DType::Float16, DType::BFloat16}) {
    NodeRef a = operand(65, 96, dt), b = operand(96, 33, dt), bias = operand(1, 33, dt);
    NodeRef y = binary(Op::Maximum, binary(Op::Add, matmul(a, b), expand(bias, {65, 33})),
                       constant(0.0, dt, {65, 33}, kGpu));
    auto symbols = plan_and_compile(y);
    REQUIRE(symbols.size() == 1);
    REQUIRE(symbols[0] ==
            (dt == DType::Float16 ? "kiln_extern_gemm_f16" : "kiln_extern_gemm_bf16"));
  }
}

TEST_CASE("cuda lowering: a matmul operand without a unit stride is materialized first",
          "[nvrtc]") {
  NodeRef a = operand(16, 64, DType::Float32);
  NodeRef b = operand(64, 8, DType::Float32);
  NodeRef a_strided = slice(a, {0, 16, 1, 0, 64, 2});  // columns with stride 2
  NodeRef b_strided = slice(b, {0, 64, 2, 0, 8, 1});   // rows with stride 2
  auto symbols = plan_and_compile(matmul(a_strided, b_strided));
  REQUIRE(symbols == std::vector<std::string>{"kiln_extern_gemm_f32"});
}

TEST_CASE("cuda lowering: a long full sum runs as 4096 row blocks and one final row", "[nvrtc]") {
  NodeRef x = operand(4096, 1024, DType::Float32);
  NodeRef total = reduce(Op::Sum, binary(Op::Mul, x, x), {0, 1});
  auto program = plan_program({total});
  REQUIRE(program->kernels.size() == 2);
  std::vector<int64_t> grids;
  for (const auto& k : program->kernels) {
    auto ck = codegen::cuda::render(k);
    REQUIRE(ck.steps.size() == 1);
    grids.push_back(ck.steps[0].grid);
    if (runtime::nvrtc::available()) REQUIRE(!codegen::cuda::compile_cubin(ck, k.name, 90).empty());
  }
  CHECK(grids == std::vector<int64_t>{4096, 1});
}

TEST_CASE("cuda lowering: argsort is a kernel that ranks each element, not a library call",
          "[nvrtc]") {
  for (DType dt : {DType::Float32, DType::Float16, DType::Int64}) {
    auto symbols = plan_and_compile(argsort(operand(8, 50, dt), 1, dt == DType::Float16));
    CHECK(symbols.empty());
  }
}
