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
