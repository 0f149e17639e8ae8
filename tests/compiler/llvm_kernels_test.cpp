// The LLVM backend on whole kernels: casts between all dtypes (f16/bf16 memory), reductions with
// accumulators, parallel outer loops over the thread pool, Philox bit-exactness, the optimized
// IR being vectorized, and the JIT's reuse of loaded kernels.
#if KILN_WITH_LLVM

#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/llvm_test_util.h"
#include "kiln/runtime/philox.h"
#include "kiln/runtime/thread_pool.h"

using namespace kiln;
using namespace kiln::test;
using kir::LoopKind;
using kir::ReduceOp;

namespace {
constexpr DType kAll[] = {DType::Bool,    DType::UInt8,    DType::Int32,   DType::Int64,
                          DType::Float16, DType::BFloat16, DType::Float32, DType::Float64};

/// Row reductions: for r in rows (loop kind `outer`): acc = init; for c: acc op= in[r, c];
/// out[r] = acc.
kir::Kernel row_reduce(const std::string& name, ReduceOp op, DType t, int64_t rows, int64_t cols,
                       LoopKind outer) {
  kir::Expr r = kir::var(0, rows), c = kir::var(1, cols);
  double init = op == ReduceOp::Sum    ? 0.0
                : op == ReduceOp::Prod ? 1.0
                : op == ReduceOp::Max  ? -INFINITY
                                       : INFINITY;
  kir::Kernel k;
  k.name = name;
  k.params = {param(t, rows * cols, false), param(t, rows, true)};
  k.body = kir::loop(
      0, rows, outer,
      {kir::accumulator(0, t, kir::float_imm(init, t)),
       kir::loop(
           1, cols, LoopKind::Vectorizable,
           {kir::accumulate(0, op, kir::load(0, t, kir::add(kir::mul(r, kir::int_imm(cols)), c)))}),
       kir::store(1, r, kir::acc_ref(0, t))});
  return k;
}

/// The interpreter's random_value, rounded to the dtype as a Random node's output is.
double philox_ref(uint64_t seed, uint64_t offset, int64_t dist, DType t, uint64_t index) {
  auto w = runtime::philox_words(seed, offset, index);
  double v = 0;
  if (dist == 0) {
    int m = t == DType::Float16 ? 11 : t == DType::BFloat16 ? 8 : t == DType::Float32 ? 24 : 53;
    double scale = std::ldexp(1.0, m);
    v = std::floor(runtime::philox_uniform(w[0], w[1]) * scale) / scale;
  } else {
    double u1 = 1.0 - runtime::philox_uniform(w[0], w[1]);
    double u2 = runtime::philox_uniform(w[2], w[3]);
    v = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  return round_to_dtype(v, t);
}
}  // namespace

TEST_CASE("llvm: casts between every pair of dtypes follow round_to_dtype", "[llvm]") {
  std::vector<double> xs = {0,   1,       -1,   2.5,  -2.5,  3.75,   127,  200,
                            255, 256,     300,  -129, 65504, 70000,  1e10, -1e10,
                            0.1, 1.0 / 3, 1e-5, 1e-8, 33.3,  1025.7, -0.0};
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> d(-300, 300);
  while (xs.size() < 1100) xs.push_back(d(rng));
  for (DType from : kAll) {
    for (DType to : kAll) {
      Buf in(from, xs.size()), out(to, xs.size());
      for (size_t i = 0; i < xs.size(); ++i) in.set(i, round_to_dtype(xs[i], from));
      std::string name = std::string("t_cast_") + short_name(from) + "_" + short_name(to);
      run(map_kernel(name, from, to, xs.size(), [&](kir::Expr x) { return kir::cast(x, to); }),
          {&in, &out});
      for (size_t i = 0; i < xs.size(); ++i) {
        double x = in.get(i), want = round_to_dtype(x, to);
        if (is_floating(from) && !is_floating(to) && to != DType::Bool && std::fabs(x) > 9e18)
          continue;  // UB in C++
        INFO(name << "(" << x << ") = " << out.get(i) << ", want " << want);
        CHECK(out.get(i) == want);
      }
    }
  }
}

TEST_CASE("llvm: f16 and bf16 math widens to f32 and narrows with round-to-nearest-even",
          "[llvm]") {
  for (DType t : {DType::Float16, DType::BFloat16}) {
    const int64_t n = 2000;
    Buf in(t, n), out(t, n);
    for (int64_t i = 0; i < n; ++i) in.set(i, (i - 1000) * 0.0173);
    std::string name = std::string("t_half_exp_") + short_name(t);
    run(map_kernel(name, t, t, n,
                   [&](kir::Expr x) {
                     return kir::cast(kir::unary(ir::Op::Exp, kir::cast(x, DType::Float32)), t);
                   }),
        {&in, &out});
    for (int64_t i = 0; i < n; ++i) {
      double want = round_to_dtype(std::exp(in.get(i)), t);
      CHECK(near(out.get(i), want, t == DType::Float16 ? 1e-3 : 8e-3, 0));
    }
  }
}

TEST_CASE("llvm: reductions with accumulators (sum, prod, NaN-propagating max/min)", "[llvm]") {
  const int64_t rows = 37, cols = 1003;
  for (DType t : {DType::Float32, DType::Float64}) {
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min}) {
      for (LoopKind outer : {LoopKind::Serial, LoopKind::Parallel}) {
        std::string name = std::string("t_reduce_") + kir::reduce_name(op) + short_name(t) +
                           (outer == LoopKind::Parallel ? "_par" : "_ser");
        Buf in(t, rows * cols), out(t, rows);
        std::mt19937 rng(3);
        std::uniform_real_distribution<double> d(op == ReduceOp::Prod ? 0.999 : -1,
                                                 op == ReduceOp::Prod ? 1.001 : 1);
        for (int64_t i = 0; i < rows * cols; ++i) in.set(i, d(rng));
        in.set(5 * cols + 17, NAN);  // row 5 propagates NaN for every op
        run(row_reduce(name, op, t, rows, cols, outer), {&in, &out});
        for (int64_t r = 0; r < rows; ++r) {
          double want = op == ReduceOp::Sum    ? 0
                        : op == ReduceOp::Prod ? 1
                        : op == ReduceOp::Max  ? -INFINITY
                                               : INFINITY;
          for (int64_t c = 0; c < cols; ++c) {
            double x = in.get(r * cols + c);
            if (op == ReduceOp::Sum) want += x;
            if (op == ReduceOp::Prod) want *= x;
            if (op == ReduceOp::Max)
              want = std::isnan(x) || std::isnan(want) ? NAN : std::max(want, x);
            if (op == ReduceOp::Min)
              want = std::isnan(x) || std::isnan(want) ? NAN : std::min(want, x);
          }
          INFO(name << " row " << r);
          CHECK(near(out.get(r), want, t == DType::Float32 ? 1e-5 : 1e-13,
                     t == DType::Float32 ? 1e-5 : 1e-13));
        }
      }
    }
  }
}

TEST_CASE("llvm: a parallel loop gives identical results with 1 thread and with the default",
          "[llvm]") {
  const int64_t rows = 64, cols = 4096;
  kir::Kernel k =
      row_reduce("t_threads_sum", ReduceOp::Sum, DType::Float32, rows, cols, LoopKind::Parallel);
  Buf in(DType::Float32, rows * cols), out1(DType::Float32, rows), outn(DType::Float32, rows);
  for (int64_t i = 0; i < rows * cols; ++i) in.set(i, std::sin(0.001 * i));
  auto& pool = runtime::ThreadPool::instance();
  pool.set_num_threads(1);
  run(k, {&in, &out1});
  pool.set_num_threads(runtime::ThreadPool::threads_from_env());
  run(k, {&in, &outn});
  CHECK(out1.bytes == outn.bytes);
}

TEST_CASE("llvm: philox uniform and normal are bit-exact with the interpreter's formula",
          "[llvm]") {
  const int64_t n = 4099;
  const uint64_t seed = 0x0123456789ABCDEFull, offset = (uint64_t{7} << 32) | 3;
  const int64_t base = (int64_t{1} << 32) - 100;  // crosses into the counter's high word
  for (int64_t dist : {0, 1}) {
    for (DType t : {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64}) {
      kir::Expr i = kir::var(0, n);
      kir::Kernel k;
      k.name = std::string("t_philox_") + std::to_string(dist) + short_name(t);
      k.params = {param(t, n, true)};
      k.body = kir::loop(
          0, n, LoopKind::Vectorizable,
          {kir::store(0, i, kir::philox(seed, offset, dist, t, kir::add(i, kir::int_imm(base))))});
      Buf out(t, n);
      run(k, {&out});
      int mismatches = 0;
      for (int64_t j = 0; j < n; ++j)
        mismatches += out.get(j) != philox_ref(seed, offset, dist, t, base + j);
      INFO(k.name);
      CHECK(mismatches == 0);
    }
  }
}

TEST_CASE("llvm: an exp kernel's optimized IR is AVX vector code without libm calls", "[llvm]") {
  kir::Kernel k = map_kernel("t_ir_exp", DType::Float32, DType::Float32, 1 << 16,
                             [](kir::Expr x) { return kir::unary(ir::Op::Exp, x); });
  std::string ir = codegen::llvm_ir(k, true);
  CHECK((ir.find("<16 x float>") != std::string::npos ||
         ir.find("<8 x float>") != std::string::npos));
  CHECK(ir.find("@expf") == std::string::npos);
  CHECK(ir.find("@exp(") == std::string::npos);
  CHECK(ir.find("@llvm.exp.") == std::string::npos);
  std::string raw = codegen::llvm_ir(k, false);
  CHECK(raw.find("define void @t_ir_exp(ptr") != std::string::npos);
  CHECK(codegen::host_target_id().find("llvm-19") != std::string::npos);
}

TEST_CASE("llvm: the JIT returns the loaded address for a repeated kernel name", "[llvm]") {
  kir::Kernel k = map_kernel("t_jit_repeat", DType::Float32, DType::Float32, 10,
                             [](kir::Expr x) { return kir::unary(ir::Op::Neg, x); });
  auto obj = codegen::compile_object(k);
  auto& jit = runtime::CpuJit::instance();
  void* a = jit.load(obj, k.name);
  int64_t loaded = jit.objects_loaded();
  CHECK(jit.load(obj, k.name) == a);
  CHECK(jit.objects_loaded() == loaded);
  CHECK(jit.find(k.name) == a);
  CHECK_THROWS_AS(jit.load(std::vector<char>{'x', 'y'}, "t_jit_garbage"), CompileError);
}

#endif  // KILN_WITH_LLVM
