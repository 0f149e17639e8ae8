// The CUDA renderer and NVRTC, compile-only (no GPU needed): representative kernels render to
// the expected shape (vectorized accesses, block reductions) and compile for sm_80 and sm_90.
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"

#include <catch2/catch.hpp>

#include "kiln/compiler/schedule.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/nvrtc.h"

using namespace kiln;
using namespace kiln::ir;
namespace cuda = kiln::codegen::cuda;

namespace {

NodeRef leaf(Shape s, DType t = DType::Float32) {
  return load(std::make_shared<runtime::Buffer>(t, numel_of(s)), s);
}

/// The rendered kernels of a graph, each compiled for sm_80 and sm_90 when NVRTC is here.
std::vector<cuda::CudaKernel> render_and_compile(const std::vector<NodeRef>& outputs) {
  Schedule s = schedule(outputs);
  std::vector<cuda::CudaKernel> out;
  for (const auto& k : s.kernels) {
    out.push_back(cuda::render(k.kernel));
    if (!runtime::nvrtc::available()) continue;
    for (int arch : {80, 90}) {
      INFO(out.back().source);
      std::string cubin = runtime::nvrtc::compile(out.back().source, k.kernel.name, arch).cubin;
      REQUIRE(cubin.size() > 0);
    }
  }
  if (!runtime::nvrtc::available()) WARN("NVRTC not found: CUDA sources rendered, not compiled");
  return out;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cuda: a contiguous elementwise kernel uses 128-bit loads and stores", "[nvrtc]") {
  auto x = leaf({1024, 256});
  auto y = binary(Op::Mul, unary(Op::Erf, x), unary(Op::Sigmoid, x));
  auto ks = render_and_compile({y});
  REQUIRE(ks.size() == 1);
  REQUIRE(ks[0].steps.size() == 1);
  const cuda::Step& st = ks[0].steps[0];
  CHECK(st.kind == cuda::Step::Kind::Kernel);
  CHECK(st.block == 256);
  CHECK(st.grid == 1024 * 256 / 4 / 256);
  std::string src = cuda::source_without_prelude(ks[0]);
  CHECK(has(src, "reinterpret_cast<const kiln_vec<float, 4>*>(p0"));
  CHECK(has(src, "reinterpret_cast<kiln_vec<float, 4>*>(p1"));
  CHECK(has(src, "erff("));
}

namespace {
NodeRef softmax(NodeRef x) {
  Shape s = x->shape();
  auto m = reduce(Op::Max, x, {1});
  auto e = unary(Op::Exp, binary(Op::Sub, x, expand(m, s)));
  return binary(Op::Div, e, expand(reduce(Op::Sum, e, {1}), s));
}
}  // namespace

TEST_CASE("cuda: softmax is one block per row with shuffles and the row in registers", "[nvrtc]") {
  auto ks = render_and_compile({softmax(leaf({64, 1024}))});
  REQUIRE(ks.size() == 1);
  REQUIRE(ks[0].steps.size() == 1);
  CHECK(ks[0].steps[0].grid == 64);
  CHECK(ks[0].steps[0].block == 128);
  std::string src = cuda::source_without_prelude(ks[0]);
  CHECK(has(src, "kiln_shfl_xor("));
  CHECK(has(src, "__syncthreads()"));
  CHECK(has(src, "float c0[8];"));  // the row's elements, loaded once, reused by 3 loops
  CHECK(has(src, "reinterpret_cast<const kiln_vec<float, 4>*>(p0"));
}

TEST_CASE("cuda: a bf16 softmax reads 8 elements per 128-bit load", "[nvrtc]") {
  auto x = cast(leaf({32, 4096}, DType::BFloat16), DType::Float32);
  auto ks = render_and_compile({cast(softmax(x), DType::BFloat16)});
  REQUIRE(ks.size() == 1);
  std::string src = cuda::source_without_prelude(ks[0]);
  CHECK(has(src, "reinterpret_cast<const kiln_vec<kiln_bf16, 8>*>(p0"));
  CHECK(has(src, "reinterpret_cast<kiln_vec<kiln_bf16, 8>*>(p1"));
  CHECK(ks[0].steps[0].block == 256);
}

TEST_CASE("cuda: layer norm and a full reduction are row kernels", "[nvrtc]") {
  auto x = leaf({64, 1024});
  auto mean =
      binary(Op::Div, reduce(Op::Sum, x, {1}), constant(1024, DType::Float32, {64, 1}, Device()));
  auto c = binary(Op::Sub, x, expand(mean, {64, 1024}));
  auto var = reduce(Op::Sum, binary(Op::Mul, c, c), {1});
  auto y = binary(Op::Div, c, expand(unary(Op::Sqrt, var), {64, 1024}));
  auto ks = render_and_compile({y, reduce(Op::Sum, leaf({1 << 16}), {0})});
  // Independent, so one kernel (horizontal fusion) whose two loop nests are two launches.
  REQUIRE(ks.size() == 1);
  REQUIRE(ks[0].steps.size() == 2);
  CHECK(has(cuda::source_without_prelude(ks[0]), "kiln_shfl_xor("));
  CHECK(ks[0].steps.back().grid == 1);
  CHECK(ks[0].steps.back().block == 1024);
}

TEST_CASE("cuda: short rows, strided rows and scans run one thread per row", "[nvrtc]") {
  auto short_rows = reduce(Op::Sum, leaf({512, 33}), {1});
  auto columns = reduce(Op::Sum, leaf({256, 300}), {0});
  auto scan = cumsum(leaf({16, 100}), 1);
  for (const auto& k : render_and_compile({short_rows, columns, scan})) {
    CHECK_FALSE(has(cuda::source_without_prelude(k), "kiln_shfl_xor("));
    CHECK(k.steps[0].block == 256);
  }
}

TEST_CASE("cuda: a matmul is an Extern step and its epilogue a Kernel step after it", "[nvrtc]") {
  auto x = leaf({64, 784}), w = leaf({784, 256}), b = leaf({1, 256});
  auto y = unary(Op::Tanh, binary(Op::Add, matmul(x, w), expand(b, {64, 256})));
  auto ks = render_and_compile({y});
  REQUIRE(ks.size() == 1);
  REQUIRE(ks[0].steps.size() == 2);
  CHECK(ks[0].steps[0].kind == cuda::Step::Kind::Extern);
  CHECK(ks[0].steps[0].symbol == "kiln_extern_gemm_f32");
  CHECK(ks[0].steps[0].params.size() == 3);
  CHECK_FALSE(ks[0].steps[0].int_args.empty());
  CHECK(ks[0].steps[1].kind == cuda::Step::Kind::Kernel);
  CHECK(has(ks[0].source, ks[0].steps[1].entry + "("));
}

TEST_CASE("cuda: every dtype, cast, integer op and the random ops compile", "[nvrtc]") {
  std::vector<NodeRef> outs;
  for (DType t : {DType::Int32, DType::Int64, DType::UInt8}) {
    for (Op op : {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Maximum, Op::Minimum, Op::Pow})
      outs.push_back(binary(op, leaf({300, 40}, t), leaf({300, 40}, t)));
    outs.push_back(unary(Op::Abs, unary(Op::Neg, leaf({1000}, t))));
    outs.push_back(cast(leaf({64}, t), DType::Float16));
  }
  auto f = leaf({4096});
  for (Op op : {Op::Exp, Op::Log, Op::Log1p, Op::Expm1, Op::Rsqrt, Op::Sin, Op::Sign, Op::Round,
                Op::Erf, Op::Sigmoid, Op::Reciprocal})
    outs.push_back(unary(op, f));
  outs.push_back(cast(f, DType::Int32));
  outs.push_back(cast(f, DType::Bool));
  outs.push_back(
      binary(Op::And, leaf({100}, DType::Bool), unary(Op::Not, leaf({100}, DType::Bool))));
  outs.push_back(
      unary(Op::Tanh, binary(Op::Pow, leaf({256}, DType::Float64), leaf({256}, DType::Float64))));
  outs.push_back(
      cast(unary(Op::Exp, cast(leaf({256}, DType::BFloat16), DType::Float32)), DType::BFloat16));
  outs.push_back(random(RandomDist::Uniform, 1, 2, DType::Float16, {512}, Device()));
  outs.push_back(random(RandomDist::Normal, 1, 2, DType::Float32, {512}, Device()));
  outs.push_back(flip(pad(leaf({30, 30}), {1, 2, 3, 4}, 0.5), {0}));
  for (const auto& out : outs) render_and_compile({out});
}

TEST_CASE("cuda: rendering is deterministic", "[nvrtc]") {
  Schedule s = schedule({softmax(leaf({8, 256}))});
  CHECK(cuda::render(s.kernels[0].kernel).source == cuda::render(s.kernels[0].kernel).source);
}

TEST_CASE("cuda: ptxas resource usage is read from the NVRTC log", "[nvrtc]") {
  if (!runtime::nvrtc::available()) {
    WARN("NVRTC not found: skipped");
    return;
  }
  Schedule s = schedule({softmax(leaf({8, 256}))});
  cuda::CudaKernel k = cuda::render(s.kernels[0].kernel);
  auto res = cuda::resource_usage(runtime::nvrtc::compile(k.source, "softmax", 90).log);
  REQUIRE(res.size() == 1);
  CHECK(res[0].entry == k.steps[0].entry);
  CHECK(res[0].registers > 0);
  CHECK(res[0].shared_bytes > 0);  // the block reduction's partials
  CHECK(res[0].spill_store_bytes == 0);
}

TEST_CASE("cuda: an NVRTC compile error carries the log and the saved source", "[nvrtc]") {
  if (!runtime::nvrtc::available()) {
    WARN("NVRTC not found: skipped");
    return;
  }
  try {
    runtime::nvrtc::compile("extern \"C\" __global__ void f() { undeclared_thing(); }", "bad", 90);
    FAIL("no CompileError");
  } catch (const CompileError& e) {
    std::string what = e.what();
    CHECK(has(what, "[nvrtc] bad failed to compile for sm_90"));
    CHECK(has(what, "undeclared_thing"));
    CHECK(has(what, "source saved to /"));
  }
}

TEST_CASE("cuda: print sources (debug)", "[.cuda-print]") {
  auto x = leaf({64, 1024});
  auto m = reduce(Op::Max, x, {1});
  auto e = unary(Op::Exp, binary(Op::Sub, x, expand(m, {64, 1024})));
  auto sm = binary(Op::Div, e, expand(reduce(Op::Sum, e, {1}), {64, 1024}));
  auto y = unary(Op::Erf, leaf({1024, 256}));
  for (auto out : {y, sm}) {
    for (const auto& k : render_and_compile({out})) {
      std::printf("%s\n", cuda::source_without_prelude(k).c_str());
      for (const auto& s : k.steps)
        std::printf("// grid %lld block %d\n", (long long)s.grid, s.block);
    }
  }
}
