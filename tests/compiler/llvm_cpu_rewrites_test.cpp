// The LLVM backend's CPU-only work splitting and rewrites: a long top-level reduction split
// into chunks on the thread pool (every combiner and dtype, NaN, several accumulators, a loop
// reading an earlier reduction, the same bits for any thread count), and the kernel IR rewrites
// (a loop-invariant divisor's reciprocal hoisted, a row's transcendental computed once, a
// contiguous 2-d elementwise nest made one flat loop), and the software prefetches of row
// kernels and of a long elementwise stream; strided pairs in a masked row (LLVM options).
#if KILN_WITH_LLVM

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/llvm_test_util.h"
#include "kiln/compiler/autograd.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/schedule.h"
#include "kiln/runtime/thread_pool.h"

using namespace kiln;
using namespace kiln::test;
using kir::LoopKind;
using kir::ReduceOp;

namespace {

/// out[0] = init op in[0] op ... op in[n-1], as a full reduction's kernel is lowered: a
/// one-iteration Parallel loop around an accumulator and one vector loop.
kir::Kernel full_reduce(const std::string& name, ReduceOp op, DType t, int64_t n, double init) {
  kir::Expr i = kir::var(1, n);
  kir::Kernel k;
  k.name = name;
  k.params = {param(t, n, false), param(t, 1, true)};
  k.body = kir::loop(
      0, 1, LoopKind::Parallel,
      {kir::accumulator(0, t, kir::imm(init, t)),
       kir::loop(1, n, LoopKind::Vectorizable, {kir::accumulate(0, op, kir::load(0, t, i))}),
       kir::store(1, kir::var(0, 1), kir::acc_ref(0, t))});
  return k;
}

double reference(ReduceOp op, double init, const Buf& in) {
  double want = init;
  for (size_t j = 0; j < in.size(); ++j) {
    double x = in.get(j);
    switch (op) {
      case ReduceOp::Sum: want += x; break;
      case ReduceOp::Prod: want *= x; break;
      case ReduceOp::Max: want = std::isnan(x) || std::isnan(want) ? NAN : std::max(want, x); break;
      case ReduceOp::Min: want = std::isnan(x) || std::isnan(want) ? NAN : std::min(want, x); break;
    }
  }
  return want;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("llvm: a long full reduction is split over the pool and matches the reference",
          "[llvm]") {
  const int64_t n = 200003;  // not a multiple of the chunk
  for (DType t : {DType::Float32, DType::Float64, DType::Int32, DType::Int64}) {
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min}) {
      bool fp = is_floating(t);
      if (!fp && op == ReduceOp::Prod) continue;
      double init = op == ReduceOp::Prod ? 1.0 : op == ReduceOp::Max ? -7.0 : 0.5;
      if (!fp) init = std::round(init);
      std::string name = std::string("t_split_") + kir::reduce_name(op) + short_name(t);
      kir::Kernel k = full_reduce(name, op, t, n, init);
      CHECK(count(codegen::llvm_ir(k, false), ".red0.body") > 0);
      Buf in(t, n), out(t, 1);
      std::mt19937 rng(7);
      std::uniform_real_distribution<double> d(op == ReduceOp::Prod ? 0.99999 : -100,
                                               op == ReduceOp::Prod ? 1.00001 : 100);
      for (int64_t j = 0; j < n; ++j) in.set(j, fp ? d(rng) : std::round(d(rng)));
      in.set(n - 1, fp ? 1000.5 : 1000);  // the maximum sits in the last, short chunk
      run(k, {&in, &out});
      INFO(name);
      double want = reference(op, init, in);
      INFO("got " << out.get(0) << " want " << want);
      // f32: 2e5 rounded steps (the reference accumulates in double); a product of that many
      // f32 factors near 1 drifts by about 1e-3 even in order.
      double rel = t == DType::Float32 ? (op == ReduceOp::Prod ? 5e-3 : 1e-4) : 1e-12;
      CHECK(near(out.get(0), want, rel, 1e-3));
      if (fp) {
        in.set(n / 3, NAN);
        run(k, {&in, &out});
        CHECK(std::isnan(out.get(0)));
      }
    }
  }
}

TEST_CASE("llvm: a split reduction gives the same bits for any thread count", "[llvm]") {
  const int64_t n = 1 << 20;
  kir::Kernel k = full_reduce("t_split_threads", ReduceOp::Sum, DType::Float32, n, 0);
  Buf in(DType::Float32, n), out1(DType::Float32, 1), outn(DType::Float32, 1);
  for (int64_t i = 0; i < n; ++i) in.set(i, std::sin(0.001 * static_cast<double>(i)));
  auto& pool = runtime::ThreadPool::instance();
  pool.set_num_threads(1);
  run(k, {&in, &out1});
  pool.set_num_threads(3);
  run(k, {&in, &outn});
  pool.set_num_threads(runtime::ThreadPool::threads_from_env());
  CHECK(out1.bytes == outn.bytes);
}

TEST_CASE("llvm: a split loop with two accumulators, then a loop reading the first result",
          "[llvm]") {
  // a0 = sum x, a1 = max x in one loop; a2 = sum (x - a0 / n)^2 in the next; out = {a0, a1, a2}.
  const int64_t n = 100000;
  const DType t = DType::Float64;
  kir::Expr i = kir::var(1, n), j = kir::var(2, n);
  kir::Expr mean = kir::binary(kir::BinOp::Div, kir::acc_ref(0, t), kir::float_imm(n, t));
  kir::Expr dev = kir::binary(kir::BinOp::Sub, kir::load(0, t, j), mean);
  kir::Kernel k;
  k.name = "t_split_two";
  k.params = {param(t, n, false), param(t, 3, true)};
  k.body = kir::loop(
      0, 1, LoopKind::Parallel,
      {kir::accumulator(0, t, kir::float_imm(0, t)),
       kir::accumulator(1, t, kir::float_imm(-INFINITY, t)),
       kir::loop(1, n, LoopKind::Vectorizable,
                 {kir::accumulate(0, ReduceOp::Sum, kir::load(0, t, i)),
                  kir::accumulate(1, ReduceOp::Max, kir::load(0, t, i))}),
       kir::accumulator(2, t, kir::float_imm(0, t)),
       kir::loop(2, n, LoopKind::Vectorizable,
                 {kir::accumulate(2, ReduceOp::Sum, kir::binary(kir::BinOp::Mul, dev, dev))}),
       kir::store(1, kir::int_imm(0), kir::acc_ref(0, t)),
       kir::store(1, kir::int_imm(1), kir::acc_ref(1, t)),
       kir::store(1, kir::int_imm(2), kir::acc_ref(2, t))});
  std::string ir = codegen::llvm_ir(k, false);
  CHECK(count(ir, ".red0.body") > 0);
  CHECK(count(ir, ".red1.body") > 0);
  Buf in(t, n), out(t, 3);
  double sum = 0, mx = -INFINITY;
  for (int64_t q = 0; q < n; ++q) {
    double x = std::cos(0.37 * static_cast<double>(q)) * 5 + 2;
    in.set(q, x);
    sum += x;
    mx = std::max(mx, x);
  }
  double var = 0;
  for (int64_t q = 0; q < n; ++q) var += (in.get(q) - sum / n) * (in.get(q) - sum / n);
  run(k, {&in, &out});
  CHECK(near(out.get(0), sum, 1e-12, 1e-9));
  CHECK(out.get(1) == mx);
  CHECK(near(out.get(2), var, 1e-12, 1e-9));
}

TEST_CASE("llvm: a cumulative loop (a running value read inside) is not split", "[llvm]") {
  const int64_t n = 1 << 16;
  const DType t = DType::Float32;
  kir::Expr i = kir::var(1, n);
  kir::Kernel k;
  k.name = "t_split_cumsum";
  k.params = {param(t, n, false), param(t, n, true)};
  k.body = kir::loop(0, 1, LoopKind::Parallel,
                     {kir::accumulator(0, t, kir::float_imm(0, t)),
                      kir::loop(1, n, LoopKind::Serial,
                                {kir::accumulate(0, ReduceOp::Sum, kir::load(0, t, i)),
                                 kir::store(1, i, kir::acc_ref(0, t))})});
  CHECK(count(codegen::llvm_ir(k, false), ".red") == 0);
  Buf in(t, n), out(t, n);
  for (int64_t q = 0; q < n; ++q) in.set(q, 1.0);
  run(k, {&in, &out});
  CHECK(out.get(n - 1) == static_cast<double>(n));
}

namespace {
/// Softmax rows as lowering emits them: max, sum of exp(x - max), then exp(x - max) / sum.
/// With `read_output`, the max loop also reads the output param (so it cannot cache).
kir::Kernel softmax_rows(const std::string& name, int64_t rows, int64_t cols, bool read_output) {
  const DType t = DType::Float32;
  kir::Expr r = kir::var(0, rows);
  auto at = [&](int64_t v) { return kir::add(kir::mul(r, kir::int_imm(cols)), kir::var(v, cols)); };
  auto e = [&](int64_t v) {
    return kir::unary(ir::Op::Exp,
                      kir::binary(kir::BinOp::Sub, kir::load(0, t, at(v)), kir::acc_ref(0, t)));
  };
  kir::Expr first =
      read_output
          ? kir::binary(kir::BinOp::Add, kir::load(0, t, at(1)),
                        kir::binary(kir::BinOp::Mul, kir::load(1, t, at(1)), kir::float_imm(0, t)))
          : kir::load(0, t, at(1));
  kir::Kernel k;
  k.name = name;
  k.params = {param(t, rows * cols, false), param(t, rows * cols, true)};
  k.body = kir::loop(
      0, rows, LoopKind::Parallel,
      {kir::accumulator(0, t, kir::float_imm(-INFINITY, t)),
       kir::loop(1, cols, LoopKind::Vectorizable, {kir::accumulate(0, ReduceOp::Max, first)}),
       kir::accumulator(1, t, kir::float_imm(0, t)),
       kir::loop(2, cols, LoopKind::Vectorizable, {kir::accumulate(1, ReduceOp::Sum, e(2))}),
       kir::loop(3, cols, LoopKind::Vectorizable,
                 {kir::store(1, at(3), kir::binary(kir::BinOp::Div, e(3), kir::acc_ref(1, t)))})});
  return k;
}
}  // namespace

TEST_CASE("llvm: softmax rows compute exp once per element and multiply by 1 / sum", "[llvm]") {
  const int64_t rows = 33;
  for (auto [cols, read_output] :
       {std::pair<int64_t, bool>{517, false}, {517, true}, {512, false}}) {
    kir::Kernel k =
        softmax_rows((read_output ? "t_softmax_read" : "t_softmax") + std::to_string(cols), rows,
                     cols, read_output);
    std::string raw = codegen::llvm_ir(k, false);
    INFO(raw);
    // The costliest loop (the exp loop, which also sums) prefetches the next row's input, and
    // its output's lines for ownership, through calls the vectorizer makes one per vector
    // (also past the last row: a prefetch never faults).
    CHECK(count(raw, "call void @kiln.prefetch.r4(") == 1);
    CHECK(count(raw, "call void @kiln.prefetch.w4(") == 1);
    // Unoptimized IR: one call of the exp function per element loop that needs it (and its
    // definition).
    CHECK(count(raw, " @kiln.math.exp.f32(") - 1 == (read_output ? 2 : 1));
    // The only division left is the reciprocal, outside the element loops.
    CHECK(count(raw, "fdiv") == 1);
    Buf in(DType::Float32, rows * cols), out(DType::Float32, rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) in.set(i, std::sin(0.7 * static_cast<double>(i)) * 9);
    run(k, {&in, &out});
    for (int64_t row = 0; row < rows; ++row) {
      double mx = -INFINITY, sum = 0;
      for (int64_t c = 0; c < cols; ++c) mx = std::max(mx, in.get(row * cols + c));
      for (int64_t c = 0; c < cols; ++c) sum += std::exp(in.get(row * cols + c) - mx);
      for (int64_t c = 0; c < cols; ++c) {
        double want = std::exp(in.get(row * cols + c) - mx) / sum;
        INFO("row " << row << " col " << c);
        CHECK(near(out.get(row * cols + c), want, 1e-5, 1e-9));
      }
    }
  }
}

TEST_CASE("llvm: a long flat elementwise loop prefetches its streams half a page ahead", "[llvm]") {
  for (int64_t n : {int64_t{1000}, (int64_t{1} << 20) + 7}) {
    const DType t = DType::Float32;
    kir::Expr i = kir::var(0, n);
    kir::Kernel k;
    k.name = "t_stream" + std::to_string(n);
    k.params = {param(t, n, false), param(t, n, false), param(t, n, true)};
    kir::Expr v = kir::binary(
        kir::BinOp::Add, kir::binary(kir::BinOp::Mul, kir::load(0, t, i), kir::float_imm(2, t)),
        kir::load(1, t, i));
    k.body = kir::loop(0, n, LoopKind::Parallel, {kir::store(2, i, v)});
    std::string raw = codegen::llvm_ir(k, false);
    INFO(n);
    // Over 4 MiB of streams: both inputs are prefetched for reading, the output for writing
    // (rw = 1), 512 f32 ahead; a small kernel has none.
    bool big = n > 1000;
    CHECK(count(raw, "call void @llvm.prefetch") == (big ? 3 : 0));
    CHECK(count(raw, "i32 1, i32 3, i32 1)") == (big ? 1 : 0));
    CHECK(count(raw, ", 512\n") == (big ? 3 : 0));
    // Every element, the ones past the last 16-element strip of each thread's range included.
    Buf a(t, n), b(t, n), out(t, n);
    for (int64_t j = 0; j < n; ++j) {
      a.set(j, static_cast<double>(j % 1013) - 500);
      b.set(j, static_cast<double>(j % 7));
    }
    run(k, {&a, &b, &out});
    int64_t wrong = 0;
    for (int64_t j = 0; j < n; ++j) wrong += out.get(j) != a.get(j) * 2 + b.get(j);
    CHECK(wrong == 0);
  }
}

TEST_CASE("llvm: a contiguous 2-d elementwise nest runs as one flat loop", "[llvm]") {
  const int64_t rows = 37, cols = 300;
  const DType t = DType::Float32;
  for (bool broadcast : {false, true}) {
    kir::Expr flat = kir::add(kir::mul(kir::var(0, rows), kir::int_imm(cols)), kir::var(1, cols));
    // sigmoid(x) + y, y the same shape or a row broadcast along the rows (y[col]).
    kir::Expr y = broadcast ? kir::load(1, t, kir::var(1, cols)) : kir::load(1, t, flat);
    kir::Kernel k;
    k.name = broadcast ? "t_nest_bcast" : "t_nest_flat";
    k.params = {param(t, rows * cols, false), param(t, broadcast ? cols : rows * cols, false),
                param(t, rows * cols, true)};
    k.body = kir::loop(
        0, rows, LoopKind::Parallel,
        {kir::loop(
            1, cols, LoopKind::Vectorizable,
            {kir::store(2, flat,
                        kir::binary(kir::BinOp::Add,
                                    kir::unary(ir::Op::Sigmoid, kir::load(0, t, flat)), y))})});
    std::string raw = codegen::llvm_ir(k, false);
    INFO(raw);
    // The thread pool splits the elements (collapsed) or the rows (a broadcast needs the column).
    std::string extent = "i64 " + std::to_string(broadcast ? rows : rows * cols) + ", i64 ";
    size_t call = raw.find("call void @kiln_parallel_for(");
    REQUIRE(call != std::string::npos);
    std::string line = raw.substr(call, raw.find('\n', call) - call);
    INFO(line);
    CHECK(line.find(extent) != std::string::npos);
    Buf a(t, rows * cols), b(t, broadcast ? cols : rows * cols), out(t, rows * cols);
    for (int64_t j = 0; j < rows * cols; ++j) a.set(j, std::sin(0.37 * static_cast<double>(j)) * 6);
    for (int64_t j = 0; j < (broadcast ? cols : rows * cols); ++j)
      b.set(j, static_cast<double>(j % 11));
    run(k, {&a, &b, &out});
    int64_t wrong = 0;
    for (int64_t j = 0; j < rows * cols; ++j) {
      double want = 1 / (1 + std::exp(-a.get(j))) + b.get(broadcast ? j % cols : j);
      wrong += !near(out.get(j), want, 1e-5, 1e-6);
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("llvm: windows read past the input's edge load under their bounds test", "[llvm]") {
  // A padded 3x3 unfold (im2col) and a fold (col2im) of a buffer: each read outside the input is
  // a select of the fill, with its load at a clamped index so that it stays in bounds. The
  // emitter evaluates the load only where the bounds test holds, without the clamp, so its
  // index stays affine: contiguous vector loads (masked, or in loops LLVM unswitches on the
  // test), where the clamped index made gathers.
  using namespace kiln::ir;
  const Window w{3, 3, 1, 1, 1, 1, 1, 1};
  const int64_t h = 15, wd = 19;
  auto buffer = [](int64_t n, Buf& mirror) {
    auto b = std::make_shared<runtime::Buffer>(DType::Float32, n);
    for (int64_t i = 0; i < n; ++i) {
      b->set(i, std::sin(0.37 * static_cast<double>(i)));
      mirror.set(static_cast<size_t>(i), b->get(i));
    }
    return b;
  };
  Buf x_in(DType::Float32, 2 * 3 * h * wd), g_in(DType::Float32, 2 * 3 * 9 * h * wd);
  auto x = load(buffer(2 * 3 * h * wd, x_in), {2, 3, h, wd});
  auto g = load(buffer(2 * 3 * 9 * h * wd, g_in), {2, 3, 3, 3, h, wd});
  for (auto [out, in] : {std::pair{unfold(x, w, h, wd, 0.0), &x_in}, {fold(g, w, h, wd), &g_in}}) {
    Schedule s = schedule({out});
    REQUIRE(s.kernels.size() == 1);
    std::string ir = codegen::llvm_ir(s.kernels[0].kernel, true);
    INFO(ir);
    CHECK(count(ir, "llvm.masked.gather") == 0);
    CHECK(count(ir, "load <16 x float>") + count(ir, "load <8 x float>") +
              count(ir, "llvm.masked.load.v16f32") + count(ir, "llvm.masked.load.v8f32") >
          0);
    auto want = interpret({out})[0];
    Buf res(DType::Float32, static_cast<size_t>(out->numel()));
    run(s.kernels[0].kernel, {in, &res});
    int64_t wrong = 0;
    for (int64_t i = 0; i < out->numel(); ++i) wrong += !near(res.get(i), want->get(i), 1e-5, 1e-6);
    CHECK(wrong == 0);
  }
}

TEST_CASE("llvm: max pooling's backward reads and writes window pairs as whole vectors", "[llvm]") {
  // relu(x + b) pooled 2x2 (as max_pool2d lowers it: a reshape reduced by reduce_first) and
  // differentiated. Its kernels walk rows of 13 windows whose two columns are read and written
  // at 2 * i and 2 * i + 1; the vectorizer folds a row's tail into masks, and with masked
  // interleaved accesses enabled (target.cpp) loads and stores whole vectors and shuffles them,
  // where it gathered and scattered (3.5x slower).
  using namespace kiln::ir;
  Shape xs = {2, 4, 26, 26};
  auto x = load(std::make_shared<runtime::Buffer>(DType::Float32, numel_of(xs)), xs);
  auto c = [&](double v, const Shape& s) { return constant(v, DType::Float32, s, Device()); };
  auto h = binary(Op::Maximum, binary(Op::Add, x, c(0.5, xs)), c(0, xs));
  auto pooled = reduce_first(Op::Max, reshape(h, {2, 4, 13, 2, 13, 2}), {3, 5});
  Schedule s = schedule(grad({pooled}, {x}, {c(1, pooled->shape())}));
  int checked = 0;
  for (const auto& lk : s.kernels) {
    std::string ir = codegen::llvm_ir(lk.kernel, true);
    // Where AVX-512 is missing the vectorizer costs these accesses otherwise (and AVX2 has no
    // masked stores of interleaved groups): the check is for AVX-512 hosts.
    if (count(ir, "\"kiln.avx512\"") == 0) continue;
    INFO(lk.kernel.name << ":\n" << ir);
    CHECK(count(ir, "llvm.masked.scatter") == 0);
    CHECK(count(ir, "llvm.masked.gather") == 0);
    ++checked;
  }
  if (checked == 0) WARN("no AVX-512 on this host: the interleaved accesses were not checked");
  if (checked > 0) CHECK(checked >= 2);
}

#endif  // KILN_WITH_LLVM
