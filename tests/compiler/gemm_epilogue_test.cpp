// A GEMM's elementwise epilogue fused into the GEMM (codegen/llvm/gemm_epilogue.cpp): for
// products that hit full and edge register tiles, batches, the inner-dim split, the transposed
// narrow product and f64, tanh(x @ w + b) * sigmoid(b) computed by the compiled program
// equals the interpreter's, its kernel's LLVM IR calls the GEMM's epilogue variant (with no
// loop after the call) and codegen::bytes_moved drops the epilogue's pass over the product. A
// loop that is not elementwise over the product keeps two passes.
#include <cmath>
#include <string>

#include <catch2/catch.hpp>

#include "kiln/compiler/codegen/llvm_codegen.h"
#include "kiln/compiler/compile.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/program.h"

using namespace kiln;
using namespace kiln::ir;

#if KILN_WITH_LLVM
namespace {

NodeRef filled(const Shape& shape, DType t, int seed) {
  auto b = std::make_shared<runtime::Buffer>(t, numel_of(shape));
  for (int64_t i = 0; i < b->numel(); ++i)
    b->set(i, std::sin(0.71 * static_cast<double>(i) + seed) * 0.5);
  return load(b, shape);
}

/// What check_program saw of the kernels that call the GEMM.
struct GemmKernels {
  std::string ir;     // their LLVM IR
  int64_t saved = 0;  // the bytes codegen::bytes_moved says the fused epilogues save
};

/// Compiles and runs `out`, checks it against the interpreter.
GemmKernels check_program(const NodeRef& out, double tol) {
  auto p = plan_program({out});
  compile_program(*p);
  GraphSignature sig = signature({out});
  std::vector<runtime::BufferPtr> inputs;
  for (const Node* l : sig.loads) inputs.push_back(l->buffer());
  auto got = run_program(*p, inputs);
  auto want = interpret({out});
  REQUIRE(got[0]->numel() == want[0]->numel());
  for (int64_t i = 0; i < want[0]->numel(); ++i) {
    INFO("element " << i);
    REQUIRE(got[0]->get(i) == Approx(want[0]->get(i)).epsilon(tol).margin(tol));
  }
  GemmKernels g;
  for (const auto& k : p->kernels) {
    std::string text = codegen::llvm_ir(k, true);
    if (text.find("kiln_extern_gemm") == std::string::npos) continue;
    g.ir += text;
    g.saved += k.bytes_moved - codegen::bytes_moved(k);
  }
  return g;
}

}  // namespace

TEST_CASE("gemm epilogue: fused into the GEMM and equal to the interpreter", "[gemm_epilogue]") {
  struct Case {
    int64_t batch, m, n, k;
    DType dtype;
  };
  // Full 14x32 tiles and edges; batches; a long inner dim over a small product (split into
  // k slices, summed before the epilogue); a product narrower than a tile (computed
  // transposed); f64 (14x16 tiles).
  Case cases[] = {{1, 1, 1, 1, DType::Float32},    {1, 14, 32, 7, DType::Float32},
                  {1, 15, 33, 64, DType::Float32}, {1, 64, 256, 300, DType::Float32},
                  {3, 17, 40, 9, DType::Float32},  {1, 8, 8, 4096, DType::Float32},
                  {1, 200, 5, 30, DType::Float32}, {2, 29, 50, 20, DType::Float64}};
  for (const Case& c : cases) {
    INFO("batch " << c.batch << " m " << c.m << " n " << c.n << " k " << c.k << " "
                  << short_name(c.dtype));
    Shape xs = c.batch > 1 ? Shape{c.batch, c.m, c.k} : Shape{c.m, c.k};
    Shape ws = c.batch > 1 ? Shape{c.batch, c.k, c.n} : Shape{c.k, c.n};
    Shape ys = c.batch > 1 ? Shape{c.batch, c.m, c.n} : Shape{c.m, c.n};
    NodeRef x = filled(xs, c.dtype, 1), w = filled(ws, c.dtype, 2), b = filled({c.n}, c.dtype, 3);
    NodeRef y = matmul(x, w);
    Shape row = c.batch > 1 ? Shape{1, 1, c.n} : Shape{1, c.n};
    NodeRef bias = expand(reshape(b, row), ys);
    // The product read once (a second reader would materialize it: fusion rule 3).
    NodeRef out =
        binary(Op::Mul, unary(Op::Tanh, binary(Op::Add, y, bias)), unary(Op::Sigmoid, bias));
    GemmKernels g = check_program(out, c.dtype == DType::Float64 ? 1e-12 : 1e-5);
    CHECK(g.ir.find("_epilogue(ptr") != std::string::npos);
    CHECK(g.ir.find(".epilogue(") != std::string::npos);
    // The epilogue's pass over the product (read back, written again) is not made.
    CHECK(g.saved == 2 * c.batch * c.m * c.n * itemsize(c.dtype));
  }
  // A batched product with an epilogue that reads no per-column value is fused too (a GEMM
  // kernel's nest keeps one loop per inner dim: lower_kernel's elementwise_body).
  NodeRef x = filled({3, 8, 20}, DType::Float32, 4), w = filled({3, 20, 64}, DType::Float32, 5);
  GemmKernels g = check_program(unary(Op::Tanh, matmul(x, w)), 1e-5);
  CHECK(g.ir.find(".epilogue(") != std::string::npos);
  CHECK(g.saved == 2 * 3 * 8 * 64 * 4);
}

TEST_CASE("gemm epilogue: a product with no epilogue, or a loop of another shape, is a plain call",
          "[gemm_epilogue]") {
  NodeRef x = filled({20, 30}, DType::Float32, 1), w = filled({30, 40}, DType::Float32, 2);
  GemmKernels plain = check_program(matmul(x, w), 1e-5);
  CHECK(plain.ir.find("_epilogue") == std::string::npos);
  CHECK(plain.saved == 0);
  // Each output element reads the product at another element: not an epilogue of the GEMM.
  NodeRef y = matmul(x, w);
  NodeRef shifted = binary(Op::Add, y, flip(y, {1}));
  GemmKernels two_pass = check_program(shifted, 1e-5);
  CHECK(two_pass.ir.find("_epilogue") == std::string::npos);
  CHECK(two_pass.saved == 0);
}
#endif
