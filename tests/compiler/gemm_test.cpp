// The packed GEMM (kernels/cpu/gemm.h) against a naive triple loop in double, over odd,
// tall, skinny, empty, transposed, negatively strided, batched and broadcast shapes, the
// inner-dim split of weight-gradient shapes and the dot-product path (gemm_dot.h); and the
// kernel IR's Extern statement that calls it (printer, verifier, evaluator, LLVM JIT).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

// kiln_kernels is an internal library (its headers are not installed), linked by the compiler.
#include "../../kernels/cpu/externs.h"
#include "../../kernels/cpu/gemm.h"
#include "kiln/compiler/kir/eval.h"
#include "kiln/compiler/kir/kir.h"
#include "kiln/runtime/cpu_jit.h"
#if KILN_WITH_LLVM
#include "kiln/compiler/codegen/llvm_codegen.h"
#endif

namespace {

/// One GEMM problem: operand views described by offsets and strides into flat storage.
struct Case {
  int64_t batch, m, n, k;
  bool a_trans = false, b_trans = false;  // column-major operands (stride 1 down the rows)
  bool a_bcast = false, b_bcast = false;  // batch stride 0 (one matrix for every batch)
  bool a_flip = false;                    // A's rows read in reverse (negative row stride)
};

template <typename T>
void check_case(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  int64_t a_mats = c.a_bcast ? 1 : c.batch, b_mats = c.b_bcast ? 1 : c.batch;
  std::vector<T> a(static_cast<size_t>(std::max<int64_t>(1, a_mats * c.m * c.k)));
  std::vector<T> b(static_cast<size_t>(std::max<int64_t>(1, b_mats * c.k * c.n)));
  for (auto& v : a) v = static_cast<T>(dist(rng));
  for (auto& v : b) v = static_cast<T>(dist(rng));
  int64_t a_bs = c.a_bcast ? 0 : c.m * c.k, b_bs = c.b_bcast ? 0 : c.k * c.n;
  int64_t a_rs = c.a_trans ? 1 : c.k, a_cs = c.a_trans ? c.m : 1;
  int64_t b_rs = c.b_trans ? 1 : c.n, b_cs = c.b_trans ? c.k : 1;
  const T* a0 = a.data();
  if (c.a_flip && c.m > 0) {  // row i of the view is stored row m-1-i
    a0 += (c.m - 1) * a_rs;
    a_rs = -a_rs;
  }
  std::vector<T> out(static_cast<size_t>(std::max<int64_t>(1, c.batch * c.m * c.n)),
                     static_cast<T>(12345));
  if constexpr (sizeof(T) == 4) {
    kiln_gemm_f32(c.batch, c.m, c.n, c.k, a0, a_bs, a_rs, a_cs, b.data(), b_bs, b_rs, b_cs,
                  out.data());
  } else {
    kiln_gemm_f64(c.batch, c.m, c.n, c.k, a0, a_bs, a_rs, a_cs, b.data(), b_bs, b_rs, b_cs,
                  out.data());
  }
  double tol = sizeof(T) == 4 ? 1e-5 : 1e-13;
  for (int64_t bi = 0; bi < c.batch; ++bi) {
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        double want = 0, mag = 0;
        for (int64_t p = 0; p < c.k; ++p) {
          double x = a0[bi * a_bs + i * a_rs + p * a_cs],
                 y = b[static_cast<size_t>(bi * b_bs + p * b_rs + j * b_cs)];
          want += x * y;
          mag += std::abs(x * y);
        }
        double got = out[static_cast<size_t>(bi * c.m * c.n + i * c.n + j)];
        if (std::abs(got - want) > tol * (mag + 1.0)) {
          FAIL("batch " << c.batch << " m " << c.m << " n " << c.n << " k " << c.k << " at [" << bi
                        << ", " << i << ", " << j << "]: got " << got << ", want " << want);
        }
      }
    }
  }
}

std::vector<Case> cases() {
  std::vector<Case> cs = {
      {1, 1, 1, 1},     {1, 17, 33, 65}, {1, 33, 17, 65},    {1, 14, 32, 256},  {1, 15, 33, 257},
      {1, 28, 64, 512}, {1, 1000, 3, 5}, {1, 3, 1000, 7},    {1, 1, 1, 1000},   {1, 1000, 1, 9},
      {1, 1, 700, 300}, {1, 5, 7, 0},    {2, 3, 4, 0},       {1, 0, 5, 3},      {1, 4, 0, 3},
      {0, 4, 4, 4},     {3, 29, 31, 37}, {1, 300, 260, 400}, {2, 200, 170, 90}, {1, 520, 530, 270},
  };
  Case t{1, 45, 70, 33};
  t.a_trans = true;
  cs.push_back(t);
  t.a_trans = false;
  t.b_trans = true;
  cs.push_back(t);
  t.a_trans = true;
  cs.push_back(t);
  Case big_t{1, 260, 300, 290};
  big_t.a_trans = big_t.b_trans = true;
  cs.push_back(big_t);
  Case flip{2, 23, 40, 19};
  flip.a_flip = true;
  cs.push_back(flip);
  Case bc{4, 20, 35, 18};
  bc.b_bcast = true;  // x[b] @ W: one weight for every batch entry
  cs.push_back(bc);
  bc.b_bcast = false;
  bc.a_bcast = true;
  bc.b_trans = true;
  cs.push_back(bc);
  Case many{6, 64, 64, 64};
  many.a_bcast = true;
  cs.push_back(many);
  // Convolution weight gradients: a long inner dim cut into slices, and a product narrower
  // than a micro-tile computed transposed; both with a column-major B (cols^T).
  Case grad{1, 20, 45, 4100};
  grad.b_trans = true;
  cs.push_back(grad);
  Case narrow{1, 32, 9, 2300};
  narrow.b_trans = true;
  cs.push_back(narrow);
  narrow.a_trans = true;
  narrow.batch = 2;
  cs.push_back(narrow);
  // Both operands contiguous along a long inner dim and one side of C small (kernels/cpu/
  // gemm_dot.h): 4 x 4 blocks at the edges, a last chunk and vector of the inner dim cut short,
  // one to eight slices.
  for (Case d : {Case{1, 5, 7, 1500}, Case{1, 16, 100, 5003}, Case{1, 3, 2, 40000},
                 Case{1, 100, 12, 1100}, Case{1, 13, 13, 1024}, Case{1, 6, 3, 17 * 512}}) {
    d.b_trans = true;
    cs.push_back(d);
  }
  return cs;
}

}  // namespace

TEST_CASE("kiln_gemm_f32 matches a naive triple loop", "[gemm]") {
  uint32_t seed = 1;
  for (const Case& c : cases()) check_case<float>(c, seed++);
}

TEST_CASE("kiln_gemm_f64 matches a naive triple loop", "[gemm]") {
  uint32_t seed = 100;
  for (const Case& c : cases()) check_case<double>(c, seed++);
}

TEST_CASE("the extern registry names both GEMMs", "[gemm]") {
  REQUIRE(kiln::kernels::find_extern("kiln_extern_gemm_f32") == &kiln_extern_gemm_f32);
  REQUIRE(kiln::kernels::find_extern("kiln_extern_gemm_f64") == &kiln_extern_gemm_f64);
  REQUIRE(kiln::kernels::find_extern("no_such_kernel") == nullptr);
}

namespace {

/// out = relu(A @ B) + 1 with A [2, 3] (stored transposed, at offset 1) and B [3, 2]: an
/// Extern GEMM call into the output, then an in-place epilogue loop reading it back.
kiln::kir::Kernel extern_kernel() {
  using namespace kiln::kir;
  Kernel k;
  k.name = "gemm_extern_test";
  k.params = {{kiln::DType::Float32, 7, false},
              {kiln::DType::Float32, 6, false},
              {kiln::DType::Float32, 4, true}};
  int64_t id = 0;
  Expr i = var(id, 4);
  Expr v = load(2, kiln::DType::Float32, i);
  Expr e = binary(BinOp::Add, binary(BinOp::Max, v, float_imm(0, kiln::DType::Float32)),
                  float_imm(1, kiln::DType::Float32));
  // A[i, p] = a[1 + i + 2 p] (column-major view), B[p, j] = b[2 p + j].
  k.body =
      block({extern_call("kiln_extern_gemm_f32", {0, 1, 2}, {1, 2, 2, 3, 1, 0, 1, 2, 0, 0, 2, 1}),
             loop(id, 4, LoopKind::Parallel, {store(2, i, e)})});
  return k;
}

std::vector<float> extern_expected(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> want(4);
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      double s = 0;
      for (int p = 0; p < 3; ++p) s += a[1 + i + 2 * p] * b[2 * p + j];
      want[i * 2 + j] = static_cast<float>(std::max(s, 0.0) + 1.0);
    }
  }
  return want;
}

}  // namespace

TEST_CASE("kir Extern: print, verify and evaluate", "[gemm]") {
  kiln::kir::Kernel k = extern_kernel();
  kiln::kir::verify(k);
  std::string text = kiln::kir::print(k);
  REQUIRE(
      text.find("extern kiln_extern_gemm_f32(p0, p1, p2; 1, 2, 2, 3, 1, 0, 1, 2, 0, 0, 2, 1)") !=
      std::string::npos);
  std::vector<float> a = {9, 1, -2, 3, 4, -5, 6}, b = {1, 2, 3, -4, 5, 6}, out(4, -7);
  kiln::kir::evaluate(k, {a.data(), b.data(), out.data()});
  auto want = extern_expected(a, b);
  for (int i = 0; i < 4; ++i) REQUIRE(out[i] == Approx(want[i]));

  kiln::kir::Kernel bad = k;
  bad.body = kiln::kir::extern_call("kiln_extern_gemm_f32", {0, 1, 3}, {});
  REQUIRE_THROWS(kiln::kir::verify(bad));
}

#if KILN_WITH_LLVM
TEST_CASE("kir Extern: the LLVM backend calls the GEMM through the JIT", "[gemm]") {
  auto& jit = kiln::runtime::CpuJit::instance();
  for (const auto& s : kiln::kernels::extern_symbols())
    jit.define_symbol(s.name, reinterpret_cast<void*>(s.fn));
  // Defining the same name again with the same address is allowed.
  jit.define_symbol("kiln_extern_gemm_f32", reinterpret_cast<void*>(&kiln_extern_gemm_f32));
  kiln::kir::Kernel k = extern_kernel();
  void* fn = jit.load(kiln::codegen::compile_object(k), k.name);
  std::vector<float> a = {9, 1, -2, 3, 4, -5, 6}, b = {1, 2, 3, -4, 5, 6}, out(4, -7);
  std::vector<void*> args = {a.data(), b.data(), out.data()};
  reinterpret_cast<void (*)(void**)>(fn)(args.data());
  auto want = extern_expected(a, b);
  for (int i = 0; i < 4; ++i) REQUIRE(out[i] == Approx(want[i]));
}
#endif
