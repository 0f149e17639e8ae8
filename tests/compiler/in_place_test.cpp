// In-place outputs (passes/in_place.h): a program asked to write an output into the buffer of
// one of its inputs does so exactly when every read of the old value comes first (an
// elementwise update, the kernels that read the input ordered before the writer, a 0-d counter
// read by other loops), and refuses where a kernel reads the input at other elements (a
// transpose, a reduction, a matmul) or the writes would have to come before each other. Every
// result equals the reference interpreter's, compiled (LLVM) and evaluated.
#include <cmath>
#include <functional>

#include <catch2/catch.hpp>

#include "kiln/compiler/compile.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/program.h"

namespace {

using namespace kiln;
using namespace kiln::ir;

using Build = std::function<std::vector<NodeRef>(const std::vector<NodeRef>& in)>;

runtime::BufferPtr filled(const Shape& shape, int k) {
  auto b = std::make_shared<runtime::Buffer>(DType::Float32, numel_of(shape));
  for (int64_t i = 0; i < b->numel(); ++i) b->set(i, std::sin(0.37 * static_cast<double>(i) + k));
  return b;
}

/// Builds the graph over fresh inputs of `shapes`, plans it asking for output i to overwrite
/// input want[i] (an index into `shapes`, -1 for none), runs it compiled or evaluated, checks
/// every output against the interpreter and that granted outputs are their input's buffer.
/// Returns what was granted, as indices into `shapes`.
std::vector<int64_t> run_in_place(const std::vector<Shape>& shapes, const Build& build,
                                  const std::vector<int64_t>& want, bool compiled) {
  std::vector<runtime::BufferPtr> bufs;
  std::vector<NodeRef> in;
  for (size_t k = 0; k < shapes.size(); ++k) {
    bufs.push_back(filled(shapes[k], static_cast<int>(k)));
    in.push_back(load(bufs.back(), shapes[k]));
  }
  std::vector<NodeRef> out = build(in);
  for (auto& o : out) o = reshape(o, {o->numel()});
  std::vector<runtime::BufferPtr> expected = interpret(out);
  GraphSignature sig = signature(out);
  auto slot_of = [&](int64_t k) -> int64_t {
    for (size_t j = 0; j < sig.loads.size(); ++j) {
      if (k >= 0 && sig.loads[j]->buffer() == bufs[static_cast<size_t>(k)])
        return static_cast<int64_t>(j);
    }
    return -1;
  };
  std::vector<int64_t> request;
  for (int64_t k : want) request.push_back(slot_of(k));
  auto p = plan_program(out, request);
  if (compiled) compile_program(*p);
  std::vector<runtime::BufferPtr> inputs;
  for (const Node* l : sig.loads) inputs.push_back(l->buffer());
  std::vector<runtime::BufferPtr> got = run_program(*p, inputs);
  std::vector<int64_t> granted;
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t k = -1;
    for (size_t b = 0; b < bufs.size(); ++b) {
      if (p->in_place[i] >= 0 && inputs[static_cast<size_t>(p->in_place[i])] == bufs[b])
        k = static_cast<int64_t>(b);
    }
    granted.push_back(k);
    if (k >= 0) CHECK(got[i] == bufs[static_cast<size_t>(k)]);
    for (int64_t e = 0; e < got[i]->numel(); ++e) {
      INFO("output " << i << " element " << e << (compiled ? " (compiled)" : " (evaluated)"));
      REQUIRE(got[i]->get(e) == Approx(expected[i]->get(e)).epsilon(1e-5).margin(1e-6));
    }
  }
  return granted;
}

std::vector<int64_t> both(const std::vector<Shape>& shapes, const Build& build,
                          const std::vector<int64_t>& want) {
  std::vector<int64_t> evaluated = run_in_place(shapes, build, want, false);
  if (can_compile_cpu()) CHECK(run_in_place(shapes, build, want, true) == evaluated);
  return evaluated;
}

NodeRef c(double v, const Shape& shape) { return constant(v, DType::Float32, shape, Device()); }

}  // namespace

TEST_CASE("in place: an elementwise update writes into its input", "[in_place]") {
  Shape s{8, 33};
  auto granted =
      both({s},
           [&](const auto& in) {
             return std::vector<NodeRef>{binary(Op::Add, binary(Op::Mul, in[0], c(2, s)), c(1, s))};
           },
           {0});
  CHECK(granted == std::vector<int64_t>{0});
}

TEST_CASE("in place: refused where a kernel reads the input at other elements", "[in_place]") {
  Shape s{16, 16};
  SECTION("transpose") {
    auto granted =
        both({s},
             [&](const auto& in) {
               return std::vector<NodeRef>{binary(Op::Add, permute(in[0], {1, 0}), c(1, s))};
             },
             {0});
    CHECK(granted == std::vector<int64_t>{-1});
  }
  SECTION("a row's sum subtracted") {
    auto granted = both({s},
                        [&](const auto& in) {
                          NodeRef sum = reduce(Op::Sum, in[0], {1});
                          return std::vector<NodeRef>{binary(Op::Sub, in[0], expand(sum, s))};
                        },
                        {0});
    CHECK(granted == std::vector<int64_t>{-1});
  }
  SECTION("matmul") {
    auto granted = both(
        {s, s}, [&](const auto& in) { return std::vector<NodeRef>{matmul(in[0], in[1])}; }, {0});
    CHECK(granted == std::vector<int64_t>{-1});
  }
}

TEST_CASE("in place: kernels that read the old value run before the writer", "[in_place]") {
  Shape s{4, 40};
  SECTION("a sum of the input, an output of its own") {
    auto granted =
        both({s},
             [&](const auto& in) {
               return std::vector<NodeRef>{binary(Op::Add, in[0], c(1, s)),
                                           reduce(Op::Sum, binary(Op::Mul, in[0], in[0]), {0, 1})};
             },
             {0, -1});
    CHECK(granted == std::vector<int64_t>{0, -1});
  }
  SECTION("a matmul of the input") {
    auto granted =
        both({s, {40, 4}},
             [&](const auto& in) {
               return std::vector<NodeRef>{binary(Op::Mul, in[0], c(0.5, s)), matmul(in[0], in[1])};
             },
             {0, -1});
    CHECK(granted == std::vector<int64_t>{0, -1});
  }
  SECTION("an Adam-like update: the parameter's loop reads the moment the same loop writes") {
    // m' = 0.9 m + 0.1 g; p' = p - 0.01 m' / (|m'| + 1e-3), m' recomputed in p's kernel.
    auto granted = both(
        {s, s, s},
        [&](const auto& in) {
          NodeRef m =
              binary(Op::Add, binary(Op::Mul, in[1], c(0.9, s)), binary(Op::Mul, in[2], c(0.1, s)));
          NodeRef step = binary(Op::Div, m, binary(Op::Add, unary(Op::Abs, m), c(1e-3, s)));
          return std::vector<NodeRef>{m, binary(Op::Sub, in[0], binary(Op::Mul, step, c(0.01, s)))};
        },
        {1, 0, -1});
    CHECK(granted == std::vector<int64_t>{1, 0});
  }
  SECTION("Adam-like updates of [4, 40], [4] and [4, 16], merged over their rows") {
    std::vector<Shape> shapes{{4, 40}, {4, 40}, {4}, {4}, {4, 16}, {4, 16}};
    auto granted = both(shapes,
                        [&](const auto& in) {
                          std::vector<NodeRef> out;
                          for (size_t k = 0; k < in.size(); k += 2) {
                            const Shape& s = shapes[k];
                            NodeRef m =
                                binary(Op::Add, binary(Op::Mul, in[k + 1], c(0.9, s)), c(0.1, s));
                            out.push_back(m);
                            out.push_back(binary(Op::Sub, in[k], binary(Op::Mul, m, c(0.01, s))));
                          }
                          return out;
                        },
                        {1, 0, 3, 2, 5, 4});
    CHECK(granted == std::vector<int64_t>{1, 0, 3, 2, 5, 4});
  }
  SECTION("a 0-d step count read by every element of another update") {
    auto granted = both(
        {{}, s},
        [&](const auto& in) {
          NodeRef t = binary(Op::Add, in[0], c(1, {}));
          return std::vector<NodeRef>{t, binary(Op::Mul, in[1], expand(reshape(t, {1, 1}), s))};
        },
        {0, 1});
    CHECK(granted == std::vector<int64_t>{0, 1});
  }
}

TEST_CASE("in place: two updates that read each other's old value get one in place", "[in_place]") {
  Shape s{4, 40};
  auto granted = both(
      {s, s},
      [&](const auto& in) {
        return std::vector<NodeRef>{binary(Op::Add, in[0], in[1]), binary(Op::Sub, in[1], in[0])};
      },
      {0, 1});
  CHECK(static_cast<int>(granted[0] >= 0) + static_cast<int>(granted[1] >= 0) == 1);
}

TEST_CASE("in place: requests are part of the program's cache key", "[in_place]") {
  CHECK(program_key(42, {}) == 42);
  CHECK(program_key(42, {-1, -1}) == 42);
  CHECK(program_key(42, {0, -1}) != 42);
  CHECK(program_key(42, {0, -1}) != program_key(42, {-1, 0}));
}
