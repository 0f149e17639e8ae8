// The fusion pass on IR graphs: which nodes it materializes and why.
#include <algorithm>

#include <catch2/catch.hpp>

#include "kiln/compiler/autograd.h"
#include "kiln/compiler/schedule.h"

using namespace kiln;
using namespace kiln::ir;

namespace {
NodeRef leaf(Shape s) {
  return load(std::make_shared<runtime::Buffer>(DType::Float32, numel_of(s)), s);
}
NodeRef c(double v, Shape s) { return constant(v, DType::Float32, s, Device()); }
bool has_break(const Schedule& s, Op op, const std::string& reason_part) {
  return std::any_of(s.breaks.begin(), s.breaks.end(), [&](const FusionBreakRecord& b) {
    return b.node->op() == op && b.reason.find(reason_part) != std::string::npos;
  });
}
}  // namespace

TEST_CASE("an elementwise chain is one kernel with only its output materialized", "[fuse]") {
  auto x = leaf({8, 32});
  auto y = unary(Op::Tanh, binary(Op::Mul, unary(Op::Exp, x), c(2, {8, 32})));
  Schedule s = schedule({y});
  REQUIRE(s.kernels.size() == 1);
  REQUIRE(s.breaks.size() == 1);
  REQUIRE(s.breaks[0].reason == "output");
}

TEST_CASE("softmax rows fuse; a reduce over other rows breaks with a reason", "[fuse]") {
  auto x = leaf({4, 16});
  auto m = reduce(Op::Max, x, {1});
  auto e = unary(Op::Exp, binary(Op::Sub, x, expand(m, {4, 16})));
  auto sm = binary(Op::Div, e, expand(reduce(Op::Sum, e, {1}), {4, 16}));
  REQUIRE(schedule({sm}).kernels.size() == 1);
  // Normalizing by a column sum (axis 0) inside a row softmax cannot share its rows.
  auto col = expand(reduce(Op::Sum, x, {0}), {4, 16});
  auto mixed = binary(Op::Add, sm, col);
  Schedule s = schedule({mixed});
  REQUIRE(s.kernels.size() == 2);
  REQUIRE(has_break(s, Op::Sum, "row"));
}

TEST_CASE("opaque ops run as kernels of their own", "[fuse]") {
  auto x = leaf({3, 5});
  auto y = cumsum(unary(Op::Exp, x), 1);
  Schedule s = schedule({binary(Op::Mul, y, c(3, {3, 5}))});
  REQUIRE(s.kernels.size() == 2);
  REQUIRE(has_break(s, Op::Cumsum, "own kernel"));
}

TEST_CASE("argsort on the CPU calls the row sort on a buffer or a view of one", "[fuse]") {
  auto x = leaf({6, 40});
  // A transposed view is read in place: one kernel, the library call.
  Schedule view = schedule({argsort(permute(x, {1, 0}), 1, false)});
  REQUIRE(view.kernels.size() == 1);
  CHECK(kir::print(view.kernels[0].kernel).find("extern kiln_extern_argsort(") !=
        std::string::npos);
  // A computed input is materialized first, and the break says why.
  Schedule computed = schedule({argsort(unary(Op::Exp, x), 1, true)});
  REQUIRE(computed.kernels.size() == 2);
  CHECK(has_break(computed, Op::Exp, "argsort's input is not a strided view"));
}

TEST_CASE("max pooling's gradient over a computed input writes no input-sized index tensor",
          "[fuse]") {
  // A long computation (as a convolution's output is) pooled 2x2 as max_pool2d does: a reshape
  // reduced by reduce_first. Its gradient compares each element's position with the window's
  // chosen one; the positions (iotas) are recomputed where read, never written out as an i32
  // tensor of the input's size (which a NaN test of the pooled value, reaching back through
  // the whole computation, made too costly to recompute).
  Shape xs = {4, 8, 12, 12};
  auto x = leaf(xs);
  auto h = x;
  for (int i = 0; i < 3; ++i)
    h = unary(Op::Tanh, binary(Op::Add, binary(Op::Mul, h, c(0.9, xs)), c(0.1, xs)));
  h = binary(Op::Maximum, h, c(0, xs));
  auto pooled = reduce_first(Op::Max, reshape(h, {4, 8, 6, 2, 6, 2}), {3, 5});
  auto g = grad({pooled}, {x}, {c(1, pooled->shape())});
  Schedule s = schedule(g);
  for (const auto& k : s.kernels) {
    for (const Node* out : k.outputs) {
      INFO(op_name(out->op()) << " " << shape_str(out->shape()));
      CHECK_FALSE((!is_floating(out->dtype()) && out->numel() >= numel_of(xs)));
    }
  }
}

TEST_CASE("a costly node with several consumers is materialized, a cheap one recomputed",
          "[fuse]") {
  auto x = leaf({64});
  NodeRef cheap = unary(Op::Exp, x);
  Schedule s1 = schedule({binary(Op::Add, cheap, unary(Op::Sin, cheap))});
  REQUIRE(s1.kernels.size() == 1);
  NodeRef costly = x;
  for (int i = 0; i < 40; ++i) costly = unary(i % 2 ? Op::Sin : Op::Cos, costly);
  Schedule s2 = schedule({binary(Op::Add, costly, unary(Op::Exp, costly))});
  REQUIRE(s2.kernels.size() == 2);
  REQUIRE(has_break(s2, Op::Sin, "several consumers"));
}

TEST_CASE("kernels come producers first", "[fuse]") {
  auto x = leaf({2, 8});
  auto a = cumsum(x, 1);
  auto b = cumsum(unary(Op::Neg, a), 1);
  Schedule s = schedule({b});
  REQUIRE(s.kernels.size() == 2);
  REQUIRE(s.kernels[0].outputs == std::vector<const Node*>{a.get()});
  REQUIRE(s.kernels[1].outputs == std::vector<const Node*>{b.get()});
}

TEST_CASE("rule 6: a kernel reading too many buffers splits, a chain in halves", "[fuse]") {
  // x0 + x1 + ... + x599: one fused chain would read 600 buffers.
  std::vector<NodeRef> xs;
  NodeRef sum = leaf({16});
  xs.push_back(sum);
  for (int i = 1; i < 600; ++i) {
    xs.push_back(leaf({16}));
    sum = binary(Op::Add, sum, xs.back());
  }
  Schedule s = schedule({sum});
  REQUIRE(has_break(s, Op::Add, "buffers (at most 256)"));
  for (const auto& k : s.kernels) REQUIRE(k.inputs.size() <= 256);
  // Cut near the middle each time: a handful of kernels, not hundreds.
  REQUIRE(s.kernels.size() >= 3);
  REQUIRE(s.kernels.size() <= 4);
  // Below the limit nothing splits.
  NodeRef small = xs[0];
  for (int i = 1; i < 200; ++i) small = binary(Op::Add, small, xs[static_cast<size_t>(i)]);
  REQUIRE(schedule({small}).kernels.size() == 1);
}
