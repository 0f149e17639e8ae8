// Graphs on a CUDA device lower differently from the CPU: 16-bit matmuls become GEMM Extern
// steps (cuBLASLt) whose fused epilogue reads the product back widened to f32, operands
// cuBLASLt cannot read in place are materialized first, and argsort runs as kernels (ranks for
// short rows, a bitonic network for long ones) where the CPU calls its row sort. Planned and
// NVRTC-compiled without a GPU (constant and iota inputs need no device memory).
#include <catch2/catch.hpp>

#include "host_program.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/program.h"
#include "kiln/runtime/buffer.h"
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

namespace {

/// [rows, cols] pseudo-random values in 23 levels (many ties), NaN where (i * cols + j) % 41 == 5
/// (floating dtypes), computed on the device.
NodeRef tied_values(int64_t rows, int64_t cols, DType dt) {
  Shape s{rows, cols};
  auto c = [&](double v) { return constant(v, DType::Float32, s, kGpu); };
  NodeRef flat = binary(Op::Add, binary(Op::Mul, iota(0, DType::Float32, s, kGpu), c(double(cols))),
                        iota(1, DType::Float32, s, kGpu));
  NodeRef noise = binary(Op::Mul, unary(Op::Sin, binary(Op::Mul, flat, c(12.9898))), c(43758.5453));
  NodeRef level =
      unary(Op::Floor, binary(Op::Mul, binary(Op::Sub, noise, unary(Op::Floor, noise)), c(23.0)));
  NodeRef v = binary(Op::Sub, level, c(11.0));
  if (is_floating(dt)) {
    NodeRef k = binary(Op::Sub, flat,
                       binary(Op::Mul, unary(Op::Floor, binary(Op::Div, flat, c(41.0))), c(41.0)));
    NodeRef nan = binary(Op::Div, c(0.0), c(0.0));
    v = where(binary(Op::Eq, k, c(5.0)), nan, v);
  }
  return cast(v, dt);
}

}  // namespace

TEST_CASE("cuda lowering: a long row sorts by a bitonic network equal to the interpreter",
          "[nvrtc]") {
  // Evaluated on the host from the kernels the GPU would run (the renderer's NVRTC compile is
  // checked for one of them: a 3000-long row has 78 stages).
  struct Case {
    int64_t rows, cols, axis;
    DType dt;
    bool descending;
  };
  for (Case c : {Case{3, 300, 1, DType::Float32, false}, Case{2, 1000, 1, DType::Float32, true},
                 Case{700, 2, 0, DType::Float16, false}, Case{1, 3000, 1, DType::Int64, true},
                 Case{1, 2049, 1, DType::Float64, false}, Case{1, 512, 1, DType::BFloat16, true}}) {
    CAPTURE(c.rows, c.cols, c.axis, torch_name(c.dt), c.descending);
    NodeRef sorted = argsort(tied_values(c.rows, c.cols, c.dt), c.axis, c.descending);
    auto program = plan_program({sorted});
    REQUIRE(program->kernels.size() == 1);
    auto ck = codegen::cuda::render(program->kernels[0]);
    int64_t len = c.axis == 1 ? c.cols : c.rows, levels = 0;
    while ((int64_t{1} << levels) < len) ++levels;
    CHECK(ck.steps.size() == static_cast<size_t>(1 + levels * (levels + 1) / 2));
    if (c.cols == 3000 && runtime::nvrtc::available())
      REQUIRE(!codegen::cuda::compile_cubin(ck, program->kernels[0].name, 90).empty());
    auto got = kiln_test::run_on_host(*program, {}).at(0);
    auto want = interpret({sorted})[0];
    REQUIRE(static_cast<int64_t>(got.size()) == want->numel());
    for (size_t i = 0; i < got.size(); ++i) {
      CAPTURE(i);
      REQUIRE(got[i] == want->get(static_cast<int64_t>(i)));
    }
  }
}
