// Graph IR nodes: hash-consing, the builders' canonical forms, the verifier's messages, hashes,
// depth, iterative teardown and whole-graph traversal.
#include "kiln/compiler/node.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/compiler/graph.h"
#include "kiln/runtime/buffer.h"
#include "kiln/runtime/error.h"

using namespace kiln;
using namespace kiln::ir;

namespace {

const Device kCpu;

NodeRef placeholder(uint64_t id, DType dtype, Shape shape, Device device = kCpu) {
  Attrs a;
  a.buffer_id = id;
  return make(Op::Load, {}, dtype, std::move(shape), std::move(a), device);
}

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return "";
}

Attrs ints(std::vector<int64_t> v) {
  Attrs a;
  a.ints = std::move(v);
  return a;
}

}  // namespace

TEST_CASE("equal structure gives the same node", "[node][intern]") {
  NodeRef x = placeholder(1, kFloat32, {2, 3});
  NodeRef y = placeholder(2, kFloat32, {2, 3});
  CHECK(placeholder(1, kFloat32, {2, 3}).get() == x.get());
  CHECK(binary(Op::Add, x, y).get() == binary(Op::Add, x, y).get());
  CHECK(reduce(Op::Sum, unary(Op::Exp, x), {1}).get() ==
        reduce(Op::Sum, unary(Op::Exp, x), {1}).get());
  CHECK(constant(1.5, kFloat32, {}, kCpu).get() == constant(1.5, kFloat32, {}, kCpu).get());
  // The generic constructor interns with the typed ones.
  CHECK(make(Op::Neg, {x}, kFloat32, {2, 3}, {}, kCpu).get() == unary(Op::Neg, x).get());
  // Constants are rounded to their dtype before interning.
  CHECK(constant(0.1, kFloat32, {}, kCpu).get() ==
        constant(static_cast<float>(0.1), kFloat32, {}, kCpu).get());
}

TEST_CASE("any difference gives a different node", "[node][intern]") {
  NodeRef x = placeholder(1, kFloat32, {2, 3});
  NodeRef y = placeholder(2, kFloat32, {2, 3});
  CHECK(binary(Op::Add, x, y).get() != binary(Op::Add, y, x).get());      // input order
  CHECK(binary(Op::Add, x, y).get() != binary(Op::Mul, x, y).get());      // op
  CHECK(reduce(Op::Sum, x, {0}).get() != reduce(Op::Sum, x, {1}).get());  // ints
  CHECK(constant(1.0, kFloat32, {}, kCpu).get() != constant(2.0, kFloat32, {}, kCpu).get());
  CHECK(constant(0.0, kFloat32, {}, kCpu).get() != constant(-0.0, kFloat32, {}, kCpu).get());
  CHECK(constant(1.0, kFloat32, {}, kCpu).get() != constant(1.0, kFloat64, {}, kCpu).get());
  CHECK(constant(1.0, kFloat32, {1}, kCpu).get() != constant(1.0, kFloat32, {}, kCpu).get());
  CHECK(constant(1.0, kFloat32, {}, kCpu).get() != constant(1.0, kFloat32, {}, "cuda:0").get());
  CHECK(constant(1.0, kFloat32, {}, "cuda:0").get() != constant(1.0, kFloat32, {}, "cuda:1").get());
  CHECK(random(RandomDist::Uniform, 1, 0, kFloat32, {4}, kCpu).get() !=
        random(RandomDist::Uniform, 2, 0, kFloat32, {4}, kCpu).get());  // seed
  CHECK(random(RandomDist::Uniform, 1, 0, kFloat32, {4}, kCpu).get() !=
        random(RandomDist::Uniform, 1, 4, kFloat32, {4}, kCpu).get());  // offset
  CHECK(random(RandomDist::Uniform, 1, 0, kFloat32, {4}, kCpu).get() !=
        random(RandomDist::Normal, 1, 0, kFloat32, {4}, kCpu).get());
  CHECK(x.get() != y.get());                                                  // buffer id
  CHECK(pad(x, {1, 0, 0, 0}, 0.0).get() != pad(x, {1, 0, 0, 0}, 1.0).get());  // scalar
}

TEST_CASE("loads of real buffers", "[node]") {
  auto buf = std::make_shared<runtime::Buffer>(kFloat32, 6);
  NodeRef a = load(buf, {2, 3});
  CHECK(a->op() == Op::Load);
  CHECK(a->buffer() == buf);
  CHECK(a->attrs().buffer_id == buf->id());
  CHECK(load(buf, {2, 3}).get() == a.get());
  CHECK(load(buf, {6}).get() != a.get());
  auto other = std::make_shared<runtime::Buffer>(kFloat32, 6);
  CHECK(load(other, {2, 3}).get() != a.get());
  CHECK_THAT(error_of<InternalError>([&] { load(buf, {7}); }),
             Catch::EndsWith("internal error: load shape does not match buffer size"));
  CHECK_THAT(error_of<InternalError>([&] { load(nullptr, {7}); }),
             Catch::EndsWith("internal error: load of a null buffer"));
}

TEST_CASE("builders canonicalise trivial cases", "[node][builders]") {
  NodeRef x = placeholder(1, kFloat32, {2, 3});

  SECTION("a reshape to the same shape is its input") {
    CHECK(reshape(x, {2, 3}).get() == x.get());
  }

  SECTION("reshapes of reshapes collapse") {
    NodeRef r = reshape(reshape(x, {6}), {3, 2});
    CHECK(r->op() == Op::Reshape);
    CHECK(r->input(0).get() == x.get());
    CHECK(r.get() == reshape(x, {3, 2}).get());
    CHECK(reshape(reshape(x, {6}), {2, 3}).get() == x.get());
    CHECK(reshape(reshape(reshape(x, {6}), {1, 6}), {3, 2}).get() == r.get());
  }

  SECTION("as_strided with contiguous strides is a reshape") {
    NodeRef flat = reshape(x, {6});
    NodeRef v = as_strided(flat, {3, 2}, {2, 1}, 0);
    CHECK(v->op() == Op::Reshape);
    CHECK(v.get() == reshape(x, {3, 2}).get());
    CHECK(as_strided(flat, {6}, {1}, 0).get() == flat.get());
    // An offset, other strides or fewer elements keep the view.
    CHECK(as_strided(flat, {5}, {1}, 1)->op() == Op::AsStrided);
    CHECK(as_strided(flat, {3, 2}, {1, 3}, 0)->op() == Op::AsStrided);
    CHECK(as_strided(flat, {2, 2}, {2, 1}, 0)->op() == Op::AsStrided);
  }

  SECTION("identity movements, casts and reductions are their input") {
    CHECK(permute(x, {0, 1}).get() == x.get());
    CHECK(expand(x, {2, 3}).get() == x.get());
    CHECK(pad(x, {0, 0, 0, 0}, 5.0).get() == x.get());
    CHECK(slice(x, {0, 2, 1, 0, 3, 1}).get() == x.get());
    CHECK(flip(x, {}).get() == x.get());
    CHECK(cast(x, kFloat32).get() == x.get());
    CHECK(reduce(Op::Sum, x, {}).get() == x.get());
  }

  SECTION("non-trivial movements infer their shapes") {
    CHECK(permute(x, {1, 0})->shape() == Shape{3, 2});
    CHECK(pad(x, {1, 2, 0, 1}, 0.0)->shape() == Shape{5, 4});
    CHECK(slice(x, {0, 2, 2, 0, 3, 2})->shape() == Shape{1, 2});
    CHECK(reduce(Op::Max, x, {0, 1})->shape() == Shape{1, 1});
    CHECK(matmul(x, permute(x, {1, 0}))->shape() == Shape{2, 2});
    CHECK(argsort(x, 1, false)->dtype() == kInt64);
    CHECK(binary(Op::Lt, x, x)->dtype() == kBool);
  }
}

TEST_CASE("check_node rejects bad nodes with a message", "[node][verifier]") {
  NodeRef x = placeholder(1, kFloat32, {2, 3});
  NodeRef y = placeholder(2, kFloat32, {3});
  NodeRef flat = placeholder(3, kFloat32, {10});
  auto msg = [](auto f) { return error_of<InternalError>(f); };

  CHECK(msg([&] { binary(Op::Add, x, y); }) == "[ir.add] input shapes differ: [2, 3] vs [3]");
  CHECK(msg([&] { binary(Op::Add, x, cast(x, kFloat64)); }) == "[ir.add] input dtypes differ");
  CHECK(msg([&] {
          make(Op::Add, {x}, kFloat32, {2, 3}, {}, kCpu);
        }) == "[ir.add] expects 2 inputs, got 1");
  CHECK(msg([&] {
          make(Op::Neg, {nullptr}, kFloat32, {2, 3}, {}, kCpu);
        }) == "[ir.neg] null input");
  CHECK(msg([&] {
          make(Op::Neg, {x}, kFloat64, {2, 3}, {}, kCpu);
        }) == "[ir.neg] dtype does not match inputs");
  CHECK(msg([&] {
          make(Op::Neg, {x}, kFloat32, {3, 2}, {}, kCpu);
        }) == "[ir.neg] shape [3, 2] but inputs imply [2, 3]");
  CHECK(msg([&] {
          make(Op::Neg, {x}, kFloat32, {2, 3}, {}, "cuda:0");
        }) == "[ir.neg] device differs from inputs");
  CHECK(msg([&] {
          binary(Op::Add, x, placeholder(4, kFloat32, {2, 3}, "cuda:0"));
        }) == "[ir.add] inputs on different devices");
  CHECK(msg([&] {
          constant(0.0, kFloat32, {2, -1}, kCpu);
        }) == "[ir.const] negative dimension in [2, -1]");
  CHECK(msg([&] { where(x, x, x); }) == "[ir.where] condition must be bool");
  CHECK(msg([&] { reduce(Op::Sum, x, {1, 0}); }) == "[ir.sum] axes must be sorted and unique");
  CHECK(msg([&] { reduce(Op::Sum, x, {2}); }) == "[ir.sum] axis 2 out of range");
  CHECK(msg([&] { permute(x, {1, 1}); }) == "[ir.permute] not a permutation");
  CHECK(msg([&] { permute(x, {0}); }) == "[ir.permute] permutation has wrong length");
  CHECK(msg([&] { reshape(x, {4}); }) == "[ir.reshape] element count changes");
  CHECK(msg([&] { expand(x, {4, 3}); }) == "[ir.expand] can only expand size-1 dims");
  CHECK(msg([&] { pad(x, {-1, 0, 0, 0}, 0.0); }) == "[ir.pad] pads must be non-negative");
  CHECK(msg([&] {
          slice(x, {0, 3, 1, 0, 3, 1});
        }) == "[ir.slice] slice bounds out of range in dim 0");
  CHECK(msg([&] { as_strided(x, {2}, {1}, 0); }) == "[ir.as_strided] input must be flat");
  CHECK(msg([&] { as_strided(flat, {4}, {3}, 1); }) ==
        "[ir.as_strided] view reaches outside its base");
  CHECK(msg([&] { as_strided(flat, {2}, {-1}, 5); }) ==
        "[ir.as_strided] strides must be non-negative");
  CHECK(msg([&] { set_strided(flat, y, {4}, 3); }) ==
        "[ir.set_strided] view reaches outside its base");
  CHECK(msg([&] { set_strided(flat, y, {-1}, 5); }) ==
        "[ir.set_strided] strides must be non-negative");
  CHECK(msg([&] { matmul(x, x); }) == "[ir.matmul] inner dims differ");
  CHECK(msg([&] { matmul(y, y); }) == "[ir.matmul] operands need equal rank >= 2");
  CHECK(msg([&] { gather(x, x, 0); }) == "[ir.gather] index must be int64");
  CHECK(msg([&] { cumsum(x, 2); }) == "[ir.cumsum] axis 2 out of range");
  CHECK(msg([&] { make(Op::Iota, {}, kInt64, {2}, ints({1}), kCpu); }) ==
        "[ir.iota] axis 1 out of range for [2]");
  CHECK(msg([&] { make(Op::Random, {}, kFloat32, {2}, ints({2}), kCpu); }) ==
        "[ir.random] unknown distribution 2");
  CHECK(msg([&] { make(Op::Random, {}, kInt32, {2}, ints({0}), kCpu); }) ==
        "[ir.random] random values must be floating");
  CHECK(msg([&] {
          make(Op::ArgSort, {x}, kInt64, {2, 3}, ints({0, 5}), kCpu);
        }) == "[ir.argsort] descending must be 0 or 1");
  // Arithmetic on huge attributes is checked, not wrapped.
  CHECK(msg([&] { as_strided(flat, {3}, {int64_t{1} << 62}, 0); }) ==
        "[ir.as_strided] view reaches outside its base");
  CHECK(msg([&] { pad(y, {INT64_MAX, 0}, 0.0); }) == "[ir.pad] padded size overflows in dim 0");
  CHECK(slice(y, {0, 3, INT64_MAX})->shape() == Shape{1});
  // The typed builders check their own preconditions with file:line.
  CHECK_THAT(msg([&] { iota(2, kInt64, {2}, kCpu); }),
             Catch::Contains("builders.cpp:") &&
                 Catch::EndsWith("internal error: iota axis out of range"));
  CHECK_THAT(msg([&] { unary(Op::Add, x); }),
             Catch::EndsWith("internal error: unary() takes a unary op other than cast"));
}

TEST_CASE("verify accepts every built graph", "[node][verifier]") {
  NodeRef x = placeholder(1, kFloat32, {2, 3});
  NodeRef z = reduce(Op::Sum, binary(Op::Mul, unary(Op::Exp, x), x), {0, 1});
  CHECK_NOTHROW(verify({z, x}));
  CHECK_NOTHROW(verify({}));
}

TEST_CASE("structural hashes are stable across equal graphs", "[node][hash]") {
  auto build = [] {
    NodeRef x = placeholder(11, kFloat32, {4, 4});
    NodeRef w = random(RandomDist::Normal, 5, 0, kFloat32, {4, 4}, kCpu);
    return reduce(Op::Sum, matmul(x, w), {1});
  };
  NodeRef a = build();
  uint64_t h = a->hash();
  uint64_t gh = graph_hash({a});
  a.reset();  // the whole graph dies; rebuilding makes new nodes with the same hashes
  NodeRef b = build();
  CHECK(b->hash() == h);
  CHECK(graph_hash({b}) == gh);
  CHECK(graph_hash({b, b}) != gh);  // order- and count-sensitive
  // A change anywhere below changes the root's hash.
  NodeRef x = placeholder(12, kFloat32, {4, 4});
  NodeRef w = random(RandomDist::Normal, 5, 0, kFloat32, {4, 4}, kCpu);
  CHECK(reduce(Op::Sum, matmul(x, w), {1})->hash() != h);
}

TEST_CASE("depth is the longest path to a leaf", "[node]") {
  NodeRef x = placeholder(1, kFloat32, {2});
  NodeRef c = constant(1.0, kFloat32, {2}, kCpu);
  CHECK(x->depth() == 0);
  NodeRef e = unary(Op::Exp, unary(Op::Neg, x));
  CHECK(e->depth() == 2);
  CHECK(binary(Op::Add, e, c)->depth() == 3);
  CHECK(binary(Op::Add, c, e)->depth() == 3);
}

TEST_CASE("a million-node chain is built and torn down without recursion", "[node][slow]") {
  size_t before = interned_node_count();
  {
    NodeRef n = constant(3.0, kFloat64, {}, kCpu);
    for (int i = 0; i < 1000000; ++i) n = unary(i % 2 ? Op::Neg : Op::Abs, n);
    CHECK(n->depth() == 1000000);
    CHECK(interned_node_count() == before + 1000001);
    CHECK(topo_order({n}).size() == 1000001);
  }  // the chain dies here, one link at a time
  CHECK(interned_node_count() == before);
}

TEST_CASE("topo_order lists inputs before users, each once", "[graph]") {
  NodeRef x = placeholder(1, kFloat32, {2});
  NodeRef y = placeholder(2, kFloat32, {2});
  NodeRef e = unary(Op::Exp, x);
  NodeRef s = binary(Op::Add, e, y);
  NodeRef m = binary(Op::Mul, s, e);  // a diamond through e
  std::vector<const Node*> order = topo_order({m, y, nullptr, m});
  std::vector<const Node*> expected = {x.get(), e.get(), y.get(), s.get(), m.get()};
  CHECK(order == expected);
  std::unordered_set<const Node*> seen;
  for (const Node* n : order) {
    for (const auto& in : n->inputs()) CHECK(seen.count(in.get()) == 1);
    CHECK(seen.insert(n).second);
  }
  // Output order decides where independent parts land.
  CHECK(topo_order({y, m}) ==
        std::vector<const Node*>{y.get(), x.get(), e.get(), s.get(), m.get()});
  CHECK(topo_order({}).empty());
  CHECK(topo_order({m}) == topo_order({m}));
}

TEST_CASE("interned_node_count drops when nodes die", "[node][intern]") {
  size_t before = interned_node_count();
  {
    NodeRef x = placeholder(424242, kFloat32, {7});
    std::vector<NodeRef> keep;
    for (int i = 0; i < 10; ++i)
      keep.push_back(binary(Op::Add, x, constant(1000.0 + i, kFloat32, {7}, kCpu)));
    CHECK(interned_node_count() == before + 21);
    keep.resize(5);
    CHECK(interned_node_count() == before + 11);
    // A dead node is not found again: building it anew makes a fresh node.
    keep.push_back(binary(Op::Add, x, constant(1009.0, kFloat32, {7}, kCpu)));
    CHECK(interned_node_count() == before + 13);
  }
  CHECK(interned_node_count() == before);
}
