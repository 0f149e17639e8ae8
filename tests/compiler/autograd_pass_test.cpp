// The autograd pass (ir::grad) and the autograd marks on the graph IR, evaluated by the
// reference interpreter: rules of each family, stop_gradient, unreached nodes, overlapping
// views, region writes and gathers with repeated indices. The frontend's gradchecks cover
// every op end to end; these pin the pass down on its own.
#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/compiler/autograd.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/interpreter.h"
#include "kiln/compiler/marks.h"

using namespace kiln;
using namespace kiln::ir;

namespace {
NodeRef data(const std::vector<double>& v, Shape s) {
  auto buf = std::make_shared<runtime::Buffer>(DType::Float64, numel_of(s));
  for (size_t i = 0; i < v.size(); ++i) buf->set(static_cast<int64_t>(i), v[i]);
  return load(buf, s);
}
NodeRef ints(const std::vector<int64_t>& v, Shape s) {
  auto buf = std::make_shared<runtime::Buffer>(DType::Int64, numel_of(s));
  for (size_t i = 0; i < v.size(); ++i) buf->set_int(static_cast<int64_t>(i), v[i]);
  return load(buf, s);
}
NodeRef ones_like(const NodeRef& n) { return constant(1.0, n->dtype(), n->shape(), n->device()); }
std::vector<double> values(const NodeRef& n) {
  auto b = interpret({n})[0];
  std::vector<double> out;
  for (int64_t i = 0; i < b->numel(); ++i) out.push_back(b->get(i));
  return out;
}
NodeRef sum_all(const NodeRef& n) {
  std::vector<int64_t> axes;
  for (int64_t d = 0; d < n->rank(); ++d) axes.push_back(d);
  return reduce(Op::Sum, n, axes);
}
void check(const NodeRef& got, const std::vector<double>& want) {
  auto v = values(got);
  REQUIRE(v.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(v[i] == Approx(want[i]));
  }
}
}  // namespace

TEST_CASE("marks are identities that strip away", "[autograd]") {
  NodeRef x = data({1, 2}, {2});
  NodeRef c = constant(2.0, DType::Float64, {2}, Device());
  CHECK(stop_gradient(x) == x);  // nothing below a leaf carries a gradient
  NodeRef e = unary(Op::Exp, x);
  NodeRef s = stop_gradient(e);
  CHECK(is_stop_gradient(*s));
  CHECK(stop_gradient(s) == s);
  NodeRef a = leaf_mark(c, 1), b = leaf_mark(c, 2);
  CHECK(a != b);  // equal values, distinct leaves
  CHECK(leaf_mark_id(*a) == 1);
  CHECK(leaf_mark_id(*e) == 0);
  NodeRef f = binary(Op::Mul, binary(Op::Add, a, s), b);
  NodeRef stripped = strip_marks({f})[0];
  CHECK(stripped == binary(Op::Mul, binary(Op::Add, c, e), c));
  CHECK(strip_marks({stripped})[0] == stripped);
  check(f, values(stripped));
}

TEST_CASE("grad of elementwise ops, reductions and broadcasting", "[autograd]") {
  NodeRef x = data({0.5, -1.0, 2.0}, {3});
  NodeRef y = data({3.0}, {1});
  NodeRef yb = expand(reshape(y, {1}), {3});
  NodeRef f = sum_all(binary(Op::Mul, unary(Op::Exp, x), yb));
  auto g = grad({f}, {x, y}, {ones_like(f)});
  check(g[0], {3 * std::exp(0.5), 3 * std::exp(-1.0), 3 * std::exp(2.0)});
  check(g[1], {std::exp(0.5) + std::exp(-1.0) + std::exp(2.0)});
  // A cotangent other than ones scales the result.
  auto g2 = grad({f}, {y}, {constant(0.5, DType::Float64, f->shape(), Device())});
  check(g2[0], {0.5 * (std::exp(0.5) + std::exp(-1.0) + std::exp(2.0))});
}

TEST_CASE("stop_gradient and unreached nodes", "[autograd]") {
  NodeRef x = data({1.0, 2.0}, {2});
  NodeRef f = sum_all(binary(Op::Mul, x, stop_gradient(unary(Op::Exp, x))));
  check(grad({f}, {x}, {ones_like(f)})[0], {std::exp(1.0), std::exp(2.0)});
  NodeRef other = data({5.0}, {1});
  check(grad({f}, {other}, {ones_like(f)})[0], {0.0});
  // Integer paths carry nothing.
  NodeRef through_int = cast(cast(x, DType::Int64), DType::Float64);
  NodeRef h = sum_all(through_int);
  check(grad({h}, {x}, {ones_like(h)})[0], {0.0, 0.0});
}

TEST_CASE("overlapping and broadcast views scatter-add back", "[autograd]") {
  NodeRef flat = data({1, 2, 3, 4, 5}, {5});
  // Sliding windows of 3 over 5 elements: element k is read min(k + 1, 3, 5 - k) times.
  NodeRef windows = as_strided(flat, {3, 3}, {1, 1}, 0);
  NodeRef f = sum_all(windows);
  check(grad({f}, {flat}, {ones_like(f)})[0], {1, 2, 3, 2, 1});
  // A stride-0 dim sums; the unviewed element gets nothing.
  NodeRef bcast = as_strided(flat, {4, 2}, {0, 2}, 1);
  NodeRef h = sum_all(bcast);
  check(grad({h}, {flat}, {ones_like(h)})[0], {0, 4, 0, 4, 0});
}

TEST_CASE("set_strided, gather and matmul", "[autograd]") {
  NodeRef base = data({1, 2, 3, 4}, {4});
  NodeRef src = data({10, 20}, {2});
  NodeRef w = data({1, 2, 3, 4}, {4});
  NodeRef written = set_strided(base, src, {2}, 1);  // base[1] = 10, base[3] = 20
  NodeRef f = sum_all(binary(Op::Mul, written, w));
  auto g = grad({f}, {base, src}, {ones_like(f)});
  check(g[0], {1, 0, 3, 0});
  check(g[1], {2, 4});

  NodeRef x = data({1, 2, 3, 4, 5, 6}, {2, 3});
  NodeRef idx = ints({2, 2, 0, 1}, {2, 2});
  NodeRef gathered = gather(x, idx, 1);
  NodeRef h = sum_all(gathered);
  check(grad({h}, {x}, {ones_like(h)})[0], {0, 0, 2, 1, 1, 0});

  NodeRef a = data({1, 2, 3, 4}, {2, 2});
  NodeRef b = data({5, 6, 7, 8}, {2, 2});
  NodeRef m = sum_all(matmul(a, b));
  auto gm = grad({m}, {a, b}, {ones_like(m)});
  check(gm[0], {11, 15, 11, 15});  // row sums of b
  check(gm[1], {4, 4, 6, 6});      // column sums of a
}

TEST_CASE("grad walks deep graphs without recursion", "[autograd]") {
  NodeRef x = data({0.5}, {1});
  NodeRef y = x;
  for (int i = 0; i < 20000; ++i) y = binary(Op::Add, y, x);
  auto g = grad({y}, {x}, {ones_like(y)});
  check(g[0], {20001});
}
