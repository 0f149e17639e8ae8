// The graph text form: exact output, round trips over every op and over random graphs, and
// the parser's errors on malformed input.
#include "kiln/compiler/text.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/compiler/graph.h"
#include "kiln/compiler/node.h"
#include "kiln/runtime/buffer.h"
#include "kiln/runtime/error.h"

using namespace kiln;
using namespace kiln::ir;

namespace {

const Device kCpu;

/// A load of buffer `id` with no data, as parse_graph makes them.
NodeRef placeholder(uint64_t id, DType dtype, Shape shape, Device device = kCpu) {
  Attrs a;
  a.buffer_id = id;
  return make(Op::Load, {}, dtype, std::move(shape), std::move(a), device);
}

/// Checks print(parse(print(g))) == print(g) and, unless `same_nodes` is false, that parsing
/// returns the very nodes it printed.
void check_round_trip(const std::vector<NodeRef>& outputs, bool same_nodes = true) {
  std::string text = print_graph(outputs);
  INFO(text);
  std::vector<NodeRef> parsed = parse_graph(text);
  REQUIRE(parsed.size() == outputs.size());
  CHECK(print_graph(parsed) == text);
  if (same_nodes) {
    for (size_t i = 0; i < outputs.size(); ++i) CHECK(parsed[i].get() == outputs[i].get());
  }
}

/// The message of the FormatError parse_graph throws for `text`.
std::string parse_error(const std::string& text) {
  try {
    parse_graph(text);
  } catch (const FormatError& e) {
    return e.what();
  }
  FAIL("parse_graph accepted:\n" << text);
  return "";
}

double double_of(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

uint64_t bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

/// One graph using every op in KILN_OPS.
std::vector<NodeRef> every_op_graph() {
  NodeRef a = placeholder(7, kFloat32, {2, 3});
  NodeRef b = constant(2.5, kFloat32, {2, 3}, kCpu);
  NodeRef idx = iota(1, kInt64, {2, 3}, kCpu);
  NodeRef rnd = random(RandomDist::Normal, 42, 3, kFloat32, {2, 3}, kCpu);
  std::vector<NodeRef> outs;
  for (Op op : {Op::Neg, Op::Exp, Op::Log, Op::Log1p, Op::Expm1, Op::Sqrt, Op::Rsqrt, Op::Abs,
                Op::Sign, Op::Sin, Op::Cos, Op::Tanh, Op::Sigmoid, Op::Erf, Op::Floor, Op::Ceil,
                Op::Round, Op::Reciprocal}) {
    outs.push_back(unary(op, a));
  }
  outs.push_back(cast(a, kFloat16));
  for (Op op : {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Pow, Op::Maximum, Op::Minimum, Op::Lt,
                Op::Le, Op::Gt, Op::Ge, Op::Eq, Op::Ne}) {
    outs.push_back(binary(op, a, rnd));
  }
  NodeRef lt = binary(Op::Lt, a, b);
  NodeRef ge = binary(Op::Ge, a, b);
  outs.push_back(binary(Op::And, lt, ge));
  outs.push_back(binary(Op::Or, lt, ge));
  outs.push_back(unary(Op::Not, lt));
  outs.push_back(where(lt, a, b));
  for (Op op : {Op::Sum, Op::Max, Op::Min, Op::Prod}) outs.push_back(reduce(op, a, {1}));
  outs.push_back(reshape(a, {3, 2}));
  NodeRef at = permute(a, {1, 0});
  outs.push_back(at);
  outs.push_back(expand(reduce(Op::Sum, a, {0}), {4, 3}));
  outs.push_back(pad(a, {1, 0, 0, 2}, -1.5));
  outs.push_back(slice(a, {0, 2, 1, 1, 3, 1}));
  outs.push_back(flip(a, {0, 1}));
  NodeRef flat = reshape(a, {6});
  outs.push_back(as_strided(flat, {2, 2}, {1, 2}, 1));
  outs.push_back(set_strided(flat, placeholder(8, kFloat32, {2}), {2}, 1));
  outs.push_back(matmul(a, at));
  NodeRef order = argsort(a, 1, true);
  outs.push_back(order);
  outs.push_back(gather(a, order, 1));
  outs.push_back(scatter(a, order, b, 1));
  outs.push_back(cumsum(a, 0));
  outs.push_back(idx);
  Window w{2, 2, 1, 2, 1, 0, 1, 1};
  NodeRef windows = unfold(a, w, 2, 1, -0.5);
  outs.push_back(windows);
  outs.push_back(fold(windows, w, 2, 3));
  return outs;
}

/// Builds random valid graphs from the typed builders (see the property test).
class RandomGraph {
 public:
  explicit RandomGraph(uint32_t seed) : rng_(seed) {}

  std::vector<NodeRef> build() {
    size_t steps = between(5, 40);
    for (int tries = 0; tries < 1000 && pool_.size() < steps; ++tries) {
      if (NodeRef n = step()) pool_.push_back(std::move(n));
    }
    std::vector<NodeRef> outs = {pool_.back()};
    int n = between(0, 2);
    for (int i = 0; i < n; ++i) outs.push_back(pool_[between(0, pool_.size() - 1)]);
    return outs;
  }

 private:
  template <typename T>
  int between(int lo, T hi) {
    return std::uniform_int_distribution<int>(lo, static_cast<int>(hi))(rng_);
  }
  bool coin() { return between(0, 1) == 1; }

  DType any_dtype() { return static_cast<DType>(between(0, kNumDTypes - 1)); }
  DType float_dtype() {
    const DType f[] = {kFloat16, kBFloat16, kFloat32, kFloat64};
    return f[between(0, 3)];
  }
  Shape any_shape() {
    Shape s(between(0, 3));
    for (auto& d : s) d = between(0, 9) == 0 ? 0 : between(1, 4);
    return s;
  }
  Device any_device() { return between(0, 4) == 0 ? Device(kCUDA, between(0, 1)) : kCpu; }

  NodeRef leaf(DType dtype, Shape shape, Device device) {
    switch (between(0, 3)) {
      case 0:
        if (!shape.empty()) {
          int axis = between(0, shape.size() - 1);
          return iota(axis, dtype, std::move(shape), device);
        }
        break;
      case 1:
        if (is_floating(dtype)) {
          // One draw per statement keeps a seed's graph the same under every compiler.
          RandomDist dist = coin() ? RandomDist::Uniform : RandomDist::Normal;
          uint64_t seed = rng_();
          uint64_t offset = rng_() % 5;
          return random(dist, seed, offset, dtype, std::move(shape), device);
        }
        break;
      case 2: {
        const double specials[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -2.5,
                                   0.1,
                                   1e-300,
                                   3.14159,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::nan("")};
        double v = coin() ? specials[between(0, 9)]
                          : std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
        if (!is_floating(dtype) && !std::isfinite(v)) v = 3.0;
        return constant(v, dtype, std::move(shape), device);
      }
      default: break;
    }
    return placeholder(between(1, 1000), dtype, std::move(shape), device);
  }

  /// A node of the given type: sometimes one from the pool, else a fresh leaf.
  NodeRef like(DType dtype, const Shape& shape, Device device) {
    for (int tries = 0; tries < 4 && !pool_.empty(); ++tries) {
      const NodeRef& n = pool_[between(0, pool_.size() - 1)];
      if (n->dtype() == dtype && n->shape() == shape && n->device() == device) return n;
    }
    return leaf(dtype, shape, device);
  }

  std::vector<int64_t> random_axes(int64_t rank) {
    std::vector<int64_t> axes;
    for (int64_t i = 0; i < rank; ++i) {
      if (coin()) axes.push_back(i);
    }
    return axes;
  }

  /// A new node, or null when the op drawn does not fit the input drawn.
  NodeRef step() {
    if (pool_.size() < 2 || between(0, 15) == 0) {
      return leaf(any_dtype(), any_shape(), any_device());
    }
    // Mostly extend one of the latest nodes, so that graphs grow deep as well as wide.
    size_t latest = pool_.size() - 2;
    NodeRef x =
        pool_[between(0, 3) ? between(latest, pool_.size() - 1) : between(0, pool_.size() - 1)];
    const Shape& s = x->shape();
    auto rank = static_cast<int64_t>(s.size());
    Device dev = x->device();
    switch (between(0, 19)) {
      case 0: {
        const Op ops[] = {Op::Neg,  Op::Exp,     Op::Log,   Op::Sqrt,  Op::Abs,
                          Op::Tanh, Op::Sigmoid, Op::Floor, Op::Round, Op::Not};
        return unary(ops[between(0, 9)], x);
      }
      case 1: return cast(x, any_dtype());
      case 2: {
        const Op ops[] = {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Maximum,
                          Op::Lt,  Op::Eq,  Op::Ne,  Op::And, Op::Or};
        return binary(ops[between(0, 9)], x, like(x->dtype(), s, dev));
      }
      case 3: {
        NodeRef y = like(x->dtype(), s, dev);
        return where(binary(Op::Gt, x, y), x, y);
      }
      case 4: {
        const Op ops[] = {Op::Sum, Op::Max, Op::Min, Op::Prod};
        return reduce(ops[between(0, 3)], x, random_axes(rank));
      }
      case 5: {
        Shape t = s;
        std::shuffle(t.begin(), t.end(), rng_);
        if (coin()) t = {x->numel()};
        return reshape(x, t);
      }
      case 6: {
        std::vector<int64_t> perm(rank);
        for (int64_t i = 0; i < rank; ++i) perm[i] = i;
        std::shuffle(perm.begin(), perm.end(), rng_);
        return permute(x, perm);
      }
      case 7: {
        Shape t = s;
        for (auto& d : t) {
          if (d == 1) d = between(1, 4);
        }
        return expand(x, t);
      }
      case 8: {
        std::vector<int64_t> pads(2 * rank);
        for (auto& p : pads) p = between(0, 2);
        return pad(x, pads, coin() ? 0.0 : -1.0);
      }
      case 9: {
        std::vector<int64_t> sss;
        for (int64_t d : s) {
          int start = between(0, d);
          int stop = between(start, d);
          sss.insert(sss.end(), {start, stop, between(1, 3)});
        }
        return slice(x, sss);
      }
      case 10: return flip(x, random_axes(rank));
      case 11:
      case 12: {
        int64_t n = x->numel();
        if (n == 0) break;
        NodeRef flat = reshape(x, {n});
        Shape sizes(between(0, 2)), strides(sizes.size());
        int64_t hi = 0;
        for (size_t i = 0; i < sizes.size(); ++i) {
          sizes[i] = between(1, 3);
          strides[i] = between(0, 2);
          hi += (sizes[i] - 1) * strides[i];
        }
        if (hi >= n) break;
        int64_t offset = between(0, static_cast<int>(n - 1 - hi));
        if (between(0, 11) == 11) {
          return set_strided(flat, like(x->dtype(), sizes, dev), strides, offset);
        }
        return as_strided(flat, sizes, strides, offset);
      }
      case 13: {
        if (rank < 2) break;
        Shape t = s;
        t[rank - 2] = s[rank - 1];
        t[rank - 1] = between(1, 3);
        return matmul(x, like(x->dtype(), t, dev));
      }
      case 14:
        if (rank == 0) break;
        return argsort(x, between(0, rank - 1), coin());
      case 15:
      case 16: {
        if (rank == 0) break;
        int axis = between(0, rank - 1);
        NodeRef order = argsort(x, axis, coin());
        if (coin()) return gather(x, order, axis);
        return scatter(x, order, like(x->dtype(), s, dev), axis);
      }
      case 17:
        if (rank == 0) break;
        return cumsum(x, between(0, rank - 1));
      case 18:
        if (rank < 2) break;
        return unfold(x, random_window(between(1, 3), between(1, 3)), between(0, 3), between(0, 3),
                      coin() ? 0.0 : -2.0);
      case 19:
        if (rank < 4 || s[rank - 4] == 0 || s[rank - 3] == 0) break;
        return fold(x, random_window(s[rank - 4], s[rank - 3]), between(0, 4), between(0, 4));
    }
    return nullptr;  // the op does not fit x: try another
  }

  Window random_window(int64_t kh, int64_t kw) {
    return {
        kh,           kw, between(1, 2), between(1, 2), between(0, 1), between(0, 1), between(1, 2),
        between(1, 2)};
  }

  std::mt19937 rng_;
  std::vector<NodeRef> pool_;
};

}  // namespace

TEST_CASE("print_graph's exact text", "[text]") {
  NodeRef x = placeholder(7, kFloat32, {2, 3});
  NodeRef two = constant(2.0, kFloat32, {2, 3}, kCpu);
  NodeRef sum = binary(Op::Add, x, two);
  NodeRef red = reduce(Op::Sum, sum, {1});
  CHECK(print_graph({red, sum}) ==
        "%0 = load() {buffer=7} : f32[2, 3] @cpu\n"
        "%1 = const() {scalar=2} : f32[2, 3] @cpu\n"
        "%2 = add(%0, %1) : f32[2, 3] @cpu\n"
        "%3 = sum(%2) {ints=[1]} : f32[2, 1] @cpu\n"
        "return %3, %2\n");
  CHECK(print_graph({random(RandomDist::Normal, 42, 3, kBFloat16, {}, Device("cuda:1"))}) ==
        "%0 = random() {ints=[1], seed=42, offset=3} : bf16[] @cuda:1\nreturn %0\n");
  CHECK(print_graph({constant(0.0, kInt64, {0, 4}, kCpu)}) ==
        "%0 = const() : i64[0, 4] @cpu\nreturn %0\n");
  CHECK(print_graph({pad(x, {0, 1, 2, 0}, 0.1)}) ==
        "%0 = load() {buffer=7} : f32[2, 3] @cpu\n"
        "%1 = pad(%0) {ints=[0, 1, 2, 0], scalar=0.10000000149011612} : f32[3, 5] @cpu\n"
        "return %1\n");
  CHECK(print_graph({}) == "return\n");
  CHECK(print_graph({x, x}) == "%0 = load() {buffer=7} : f32[2, 3] @cpu\nreturn %0, %0\n");
}

TEST_CASE("print_graph names a shared input once", "[text]") {
  NodeRef x = placeholder(1, kFloat32, {4});
  NodeRef e = unary(Op::Exp, x);
  NodeRef m = binary(Op::Mul, e, e);
  CHECK(print_graph({m}) ==
        "%0 = load() {buffer=1} : f32[4] @cpu\n"
        "%1 = exp(%0) : f32[4] @cpu\n"
        "%2 = mul(%1, %1) : f32[4] @cpu\n"
        "return %2\n");
}

TEST_CASE("every op round-trips to the same interned nodes", "[text]") {
  std::vector<NodeRef> outs = every_op_graph();
  std::set<Op> seen;
  for (const Node* n : topo_order(outs)) seen.insert(n->op());
  CHECK(seen.size() == static_cast<size_t>(kNumOps));
  check_round_trip(outs);
}

TEST_CASE("parse_graph rebuilds a graph whose nodes are gone", "[text]") {
  std::string text = print_graph(every_op_graph());  // the graph dies here
  std::vector<NodeRef> parsed = parse_graph(text);
  CHECK(print_graph(parsed) == text);
  verify(parsed);
  // Parsing again while the first parse is alive gives the same nodes.
  std::vector<NodeRef> again = parse_graph(text);
  for (size_t i = 0; i < parsed.size(); ++i) CHECK(again[i].get() == parsed[i].get());
}

TEST_CASE("scalars round-trip bit for bit", "[text]") {
  const double values[] = {0.0,
                           -0.0,
                           0.1,
                           1.0 / 3.0,
                           -2.5e-8,
                           1e300,
                           std::numeric_limits<double>::max(),
                           std::numeric_limits<double>::lowest(),
                           std::numeric_limits<double>::min(),
                           std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           double_of(0x7ff8000000000000ull),   // nan
                           double_of(0xfff8000000000000ull),   // -nan
                           double_of(0x7ff800000000abcdull)};  // nan with a payload
  for (double v : values) {
    INFO("bits " << std::hex << bits_of(v));
    NodeRef c = constant(v, kFloat64, {}, kCpu);
    std::vector<NodeRef> parsed = parse_graph(print_graph({c}));
    CHECK(bits_of(parsed[0]->attrs().scalar) == bits_of(v));
    CHECK(parsed[0].get() == c.get());
  }
  CHECK(print_graph({constant(-std::numeric_limits<double>::infinity(), kFloat32, {}, kCpu)}) ==
        "%0 = const() {scalar=-inf} : f32[] @cpu\nreturn %0\n");
  CHECK(print_graph({constant(double_of(0x7ff8000000000000ull), kFloat64, {}, kCpu)}) ==
        "%0 = const() {scalar=nan} : f64[] @cpu\nreturn %0\n");
  CHECK(print_graph({constant(double_of(0x7ff800000000abcdull), kFloat64, {}, kCpu)}) ==
        "%0 = const() {scalar=nan(0x7ff800000000abcd)} : f64[] @cpu\nreturn %0\n");
  CHECK(print_graph({constant(-0.0, kFloat64, {}, kCpu)}) ==
        "%0 = const() {scalar=-0} : f64[] @cpu\nreturn %0\n");
}

TEST_CASE("loads with data print their buffer id and parse to placeholders", "[text]") {
  auto buf = std::make_shared<runtime::Buffer>(kFloat32, 6);
  NodeRef x = load(buf, {2, 3});
  NodeRef y = unary(Op::Neg, x);
  std::string text = print_graph({y});
  CHECK(text == "%0 = load() {buffer=" + std::to_string(buf->id()) +
                    "} : f32[2, 3] @cpu\n%1 = neg(%0) : f32[2, 3] @cpu\nreturn %1\n");
  check_round_trip({y}, /*same_nodes=*/false);
  // With the buffer's nodes gone, parsing gives a load of the same id without data.
  x.reset();
  y.reset();
  std::vector<NodeRef> parsed = parse_graph(text);
  const NodeRef& ld = parsed[0]->input(0);
  CHECK(ld->op() == Op::Load);
  CHECK(ld->attrs().buffer_id == buf->id());
  CHECK(ld->buffer() == nullptr);
  CHECK(print_graph(parsed) == text);
}

TEST_CASE("parse_graph accepts blank lines, comments, spaces and CRLF", "[text]") {
  std::vector<NodeRef> g = parse_graph(
      "# a comment\r\n"
      "\n"
      "  %10 =   const( ) { scalar = 1.5 } :f32[ 2 ,3 ]@cpu\r\n"
      "\t%4 = exp(%10) : f32[2, 3] @cpu   \n"
      "return %4 , %10");
  REQUIRE(g.size() == 2);
  CHECK(g[1].get() == constant(1.5, kFloat32, {2, 3}, kCpu).get());
  CHECK(g[0].get() == unary(Op::Exp, g[1]).get());
  CHECK(parse_graph("return").empty());
}

TEST_CASE("random graphs round-trip", "[text][property]") {
  uint32_t base = 20240601;
  if (const char* env = std::getenv("KILN_TEST_SEED"))
    base = static_cast<uint32_t>(std::stoul(env));
  for (uint32_t i = 0; i < 50; ++i) {
    uint32_t seed = base + i;
    INFO("seed " << seed << " (rerun with KILN_TEST_SEED=" << seed << ")");
    std::vector<NodeRef> outs = RandomGraph(seed).build();
    verify(outs);
    check_round_trip(outs);
  }
}

TEST_CASE("parse_graph rejects malformed input with a message naming the line", "[text][errors]") {
  const std::string c = "%0 = const() : f32[2] @cpu\n";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", "[parse_graph] line 1: missing return line"},
      {c, "[parse_graph] line 1: missing return line"},
      {"hello", "[parse_graph] line 1: expected '%N = op(...)' or 'return', found 'hello'"},
      {"%0 = foo() : f32[] @cpu\nreturn %0", "[parse_graph] line 1: unknown op 'foo'"},
      {"%0 = () : f32[] @cpu", "[parse_graph] line 1: expected an op name, found '('"},
      {"%x = const() : f32[] @cpu", "[parse_graph] line 1: expected digits after '%', found 'x'"},
      {"%0 const() : f32[] @cpu",
       "[parse_graph] line 1: expected '=' after the value name, found 'const'"},
      {"%0 = const() {scalar=1.5x} : f32[] @cpu", "[parse_graph] line 1: bad scalar '1.5x'"},
      {"%0 = const() {scalar=1e999} : f32[] @cpu",
       "[parse_graph] line 1: scalar '1e999' is out of range"},
      {"%0 = const() {scalar=} : f32[] @cpu", "[parse_graph] line 1: bad scalar '}'"},
      {"%0 = const() {scalar=nan(0x0000000000000001)} : f64[] @cpu",
       "[parse_graph] line 1: bad nan payload 'nan(0x0000000000000001)'"},
      {"%0 = load() {buffer=99999999999999999999} : f32[] @cpu",
       "[parse_graph] line 1: buffer id '99999999999999999999' is out of range"},
      {"%0 = load() {buffer=-1} : f32[] @cpu",
       "[parse_graph] line 1: expected buffer id, found '-1'"},
      {"%0 = iota() {ints=[9223372036854775808]} : f32[2] @cpu",
       "[parse_graph] line 1: integer '9223372036854775808' is out of range"},
      {"%0 = iota() {ints=[1.5]} : f32[2] @cpu", "[parse_graph] line 1: bad integer '1.5'"},
      {"%0 = iota() {ints=[0,]} : f32[2] @cpu",
       "[parse_graph] line 1: expected integer, found ']'"},
      {"%0 = iota() {ints=[0} : f32[2] @cpu",
       "[parse_graph] line 1: expected ']' to close the ints, found '}'"},
      {"%99999999999999999999 = const() : f32[] @cpu",
       "[parse_graph] line 1: value number '99999999999999999999' is out of range"},
      {"%0 = neg(%1) : f32[] @cpu", "[parse_graph] line 1: %1 is not defined"},
      {"%0 = neg(%0) : f32[] @cpu", "[parse_graph] line 1: %0 is not defined"},
      {c + "%1 = add(%0) : f32[2] @cpu", "[parse_graph] line 2: add takes 2 inputs, got 1"},
      {c + "%1 = neg(%0, %0) : f32[2] @cpu", "[parse_graph] line 2: neg takes 1 input, got 2"},
      {c + "%1 = neg(%0 : f32[2] @cpu",
       "[parse_graph] line 2: expected ')' to close the inputs, found ':'"},
      {c + "%0 = neg(%0) : f32[2] @cpu", "[parse_graph] line 2: %0 is defined twice"},
      {"%0 = const() : f32[2, -1] @cpu",
       "[parse_graph] line 1: negative dimension -1 in shape [2, -1]"},
      {"%0 = const() : f32[4294967296, 4294967296, 0] @cpu",
       "[parse_graph] line 1: shape [4294967296, 4294967296, 0] is too large (its size overflows "
       "int64)"},
      {"%0 = const() : f31[2] @cpu", "[parse_graph] line 1: unknown dtype 'f31'"},
      {"%0 = const() : [2] @cpu", "[parse_graph] line 1: expected a dtype, found '['"},
      {"%0 = const() : f32 @cpu",
       "[parse_graph] line 1: expected '[' to open the shape, found '@cpu'"},
      {"%0 = const() : f32[2] @tpu", "[parse_graph] line 1: unknown device 'tpu'"},
      {"%0 = const() : f32[2] @cuda:-1", "[parse_graph] line 1: unknown device 'cuda:'"},
      {"%0 = const() : f32[2]",
       "[parse_graph] line 1: expected '@' before the device, found end of line"},
      {"%0 = const() : f32[2] @cpu extra",
       "[parse_graph] line 1: unexpected 'extra' after the device"},
      {c + "%1 = neg(%0) {seed=1} : f32[2] @cpu",
       "[parse_graph] line 2: attribute 'seed' does not apply to neg"},
      {"%0 = const() {scalar=1, scalar=2} : f32[2] @cpu",
       "[parse_graph] line 1: attribute 'scalar' given twice"},
      {"%0 = const() {colour=1} : f32[2] @cpu", "[parse_graph] line 1: unknown attribute 'colour'"},
      {"%0 = const() {scalar 1} : f32[2] @cpu",
       "[parse_graph] line 1: expected '=' after the attribute name, found '1'"},
      {c + "return %0\n%1 = neg(%0) : f32[2] @cpu",
       "[parse_graph] line 3: text after the return line"},
      {c + "return %0 %0", "[parse_graph] line 2: unexpected '%0' in the return list"},
      {c + "return %1", "[parse_graph] line 2: %1 is not defined"},
      {c + "return 0",
       "[parse_graph] line 2: expected a value name like %0 in the return list, found '0'"},
      // Nodes make() rejects.
      {c + "%1 = const() : f32[3] @cpu\n%2 = add(%0, %1) : f32[2] @cpu",
       "[parse_graph] line 3: invalid node: [ir.add] input shapes differ: [2] vs [3]"},
      {c + "%1 = neg(%0) : f64[2] @cpu",
       "[parse_graph] line 2: invalid node: [ir.neg] dtype does not match inputs"},
      {c + "%1 = neg(%0) : f32[2] @cuda:0",
       "[parse_graph] line 2: invalid node: [ir.neg] device differs from inputs"},
      {"%0 = iota() {ints=[5]} : f32[2] @cpu",
       "[parse_graph] line 1: invalid node: [ir.iota] axis 5 out of range for [2]"},
      {"%0 = random() {ints=[7]} : f32[2] @cpu",
       "[parse_graph] line 1: invalid node: [ir.random] unknown distribution 7"},
      {"%0 = random() {ints=[0]} : i32[2] @cpu",
       "[parse_graph] line 1: invalid node: [ir.random] random values must be floating"},
      {c + "%1 = argsort(%0) {ints=[0, 2]} : i64[2] @cpu",
       "[parse_graph] line 2: invalid node: [ir.argsort] descending must be 0 or 1"},
      {c + "%1 = sum(%0) {ints=[1]} : f32[1] @cpu",
       "[parse_graph] line 2: invalid node: [ir.sum] axis 1 out of range"},
      // Overflow inside the verifier's arithmetic is an error, not a wrap.
      {"%0 = const() : f32[10] @cpu\n%1 = as_strided(%0) {ints=[4611686018427387904, 0]} : f32[3] "
       "@cpu",
       "[parse_graph] line 2: invalid node: [ir.as_strided] view reaches outside its base"},
      {"%0 = const() : f32[10] @cpu\n%1 = const() : f32[3] @cpu\n"
       "%2 = set_strided(%0, %1) {ints=[-1, 0]} : f32[10] @cpu",
       "[parse_graph] line 3: invalid node: [ir.set_strided] strides must be non-negative"},
      {c + "%1 = pad(%0) {ints=[9223372036854775807, 0]} : f32[2] @cpu",
       "[parse_graph] line 2: invalid node: [ir.pad] padded size overflows in dim 0"},
  };
  for (const Case& k : cases) {
    INFO("input:\n" << k.text);
    CHECK(parse_error(k.text) == k.message);
  }
}

TEST_CASE("parse_graph accepts what the verifier accepts at the limits", "[text]") {
  // A huge step must not overflow the slice's size computation.
  std::vector<NodeRef> g = parse_graph(
      "%0 = const() : f32[2] @cpu\n"
      "%1 = slice(%0) {ints=[0, 2, 9223372036854775807]} : f32[1] @cpu\n"
      "return %1\n");
  CHECK(g[0]->shape() == Shape{1});
  g = parse_graph("%0 = const() {scalar=-9223372036854775808} : i64[] @cpu\nreturn %0");
  CHECK(g[0]->attrs().scalar == -9223372036854775808.0);
  g = parse_graph("%0 = const() : f32[9223372036854775807] @cpu\nreturn %0");
  CHECK(g[0]->numel() == std::numeric_limits<int64_t>::max());
}

TEST_CASE("parse_graph survives garbage", "[text][errors]") {
  // Deep nesting and odd bytes give errors, never a crash or recursion.
  std::string deep(200000, '[');
  CHECK_THAT(parse_error(deep), Catch::StartsWith("[parse_graph] line 1: "));
  CHECK_THAT(parse_error("%0 = const() : f32" + deep + " @cpu"),
             Catch::StartsWith("[parse_graph] line 1: "));
  std::string junk("%0 = const\0x\xff() : f32[] @cpu\nreturn %0", 38);
  CHECK(parse_error(junk) == "[parse_graph] line 1: expected '(' after the op name, found '?x?'");
  std::string long_name = "%0 = " + std::string(100, 'z') + "() : f32[] @cpu";
  CHECK(parse_error(long_name) ==
        "[parse_graph] line 1: unknown op 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'");

  // Random mutations of a valid graph either parse or throw FormatError naming a line.
  const std::string text = print_graph(every_op_graph());
  const std::string alphabet = "%=(){}[],:@ -0123456789.abcefinrstuxz\n\t\r#\xff";
  uint32_t seed = 7;
  if (const char* env = std::getenv("KILN_TEST_SEED"))
    seed = static_cast<uint32_t>(std::stoul(env));
  INFO("seed " << seed);
  std::mt19937 rng(seed);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string t = text;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !t.empty(); ++e) {
      size_t at = rng() % t.size();
      switch (rng() % 5) {
        case 0: t.erase(at, 1 + rng() % 8); break;
        case 1:
          t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), alphabet[rng() % alphabet.size()]);
          break;
        case 2: t[at] = alphabet[rng() % alphabet.size()]; break;
        case 3: t.resize(at); break;
        default: t.insert(at, t.substr(rng() % t.size(), rng() % 40)); break;
      }
    }
    try {
      std::vector<NodeRef> g = parse_graph(t);
      ++accepted;
      CHECK(parse_graph(print_graph(g)).size() == g.size());
    } catch (const FormatError& e) {
      if (std::string(e.what()).rfind("[parse_graph] line ", 0) != 0) {
        FAIL("bad message: " << e.what() << "\ninput:\n" << t);
      }
    }
  }
  CHECK(accepted < 3000);
}
