// Laziness and storage semantics: ops record nodes and run only when a value is needed; deep
// pending graphs are realized automatically; in-place writes bump the storage version.
#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/graph.h"

namespace {
bool is_realized(const kiln::Tensor& t) {
  // A realized tensor reads a load of its buffer, possibly through a view.
  const kiln::ir::Node* n = t.node().get();
  while (!n->inputs().empty() && kiln::ir::is_movement(n->op())) n = n->input(0).get();
  return n->op() == kiln::ir::Op::Load;
}
}  // namespace

TEST_CASE("ops are lazy until a value is read", "[lazy]") {
  auto a = kiln::ones({2, 3});
  auto b = (a * 2 + 1).sum(1);
  REQUIRE_FALSE(is_realized(b));
  REQUIRE(b.sizes() == std::vector<int64_t>{2});  // metadata runs nothing
  REQUIRE_FALSE(is_realized(b));
  REQUIRE(b.to_vector<float>() == std::vector<float>{9.f, 9.f});
  REQUIRE(is_realized(b));
}

TEST_CASE("eval realizes several tensors at once", "[lazy]") {
  auto x = kiln::arange(4).to(kiln::kFloat32);
  auto y = x * x;
  auto z = y + x;
  kiln::eval({y, z});
  REQUIRE(is_realized(y));
  REQUIRE(is_realized(z));
  REQUIRE(z.to_vector<float>() == std::vector<float>{0.f, 2.f, 6.f, 12.f});
}

TEST_CASE("identical expressions share one hash-consed node", "[lazy]") {
  auto x = kiln::tensor({1.f, 2.f});
  auto p = kiln::exp(x) * 3;
  auto q = kiln::exp(x) * 3;
  REQUIRE(p.node() == q.node());
  auto r = kiln::exp(x) * 4;
  REQUIRE(p.node() != r.node());
}

TEST_CASE("a long loop of in-place updates stays bounded and correct", "[lazy]") {
  // 10,000 pending updates without reading a value: the graph is realized automatically when
  // it grows past the depth threshold, so nothing recurses deeply or grows without bound.
  auto p = kiln::zeros({4});
  auto g = kiln::ones({4});
  for (int i = 0; i < 10000; ++i) p.sub_(0.5 * g);
  REQUIRE(p.node()->depth() < 4096);
  REQUIRE(p.to_vector<float>() == std::vector<float>(4, -5000.f));
}

TEST_CASE("a long chain of out-of-place ops is realized on the way", "[lazy]") {
  auto x = kiln::zeros({3}, kiln::kFloat64);
  for (int i = 0; i < 6000; ++i) x = x + 1;
  REQUIRE(x.node()->depth() < 4096);
  REQUIRE(x.to_vector<double>() == std::vector<double>(3, 6000.0));
}

TEST_CASE("in-place writes bump the storage version seen by every view", "[lazy]") {
  auto a = kiln::zeros({2, 2});
  auto v = a.index({0});
  uint64_t before = a.version();
  v.fill_(3);
  REQUIRE(a.version() == before + 1);
  REQUIRE(v.version() == a.version());
  REQUIRE(a.to_vector<float>() == std::vector<float>{3.f, 3.f, 0.f, 0.f});
}

TEST_CASE("detach shares storage; clone does not", "[lazy]") {
  auto a = kiln::ones({3}).requires_grad_();
  auto d = a.detach();
  auto c = a.clone();
  REQUIRE(d.is_same_storage(a));
  REQUIRE_FALSE(c.is_same_storage(a));
  REQUIRE_FALSE(d.requires_grad());
  {
    auto w = a.detach();
    w.mul_(2);
  }
  REQUIRE(a.to_vector<float>() == std::vector<float>{2.f, 2.f, 2.f});
  REQUIRE(c.to_vector<float>() == std::vector<float>{1.f, 1.f, 1.f});
}

TEST_CASE("realized values round to the dtype whether or not they were stored", "[lazy]") {
  kiln::manual_seed(7);
  auto r1 = kiln::rand({16});
  r1.eval();
  kiln::manual_seed(7);
  auto r2 = kiln::rand({16});
  REQUIRE((r1 == r2).all().item<bool>());
  REQUIRE((kiln::tensor({1.f / 3.f}) * 3 == 1.0).item<bool>());
}

TEST_CASE("an undefined tensor is reported, not dereferenced", "[lazy]") {
  kiln::Tensor t;
  REQUIRE_FALSE(t.defined());
  REQUIRE_THROWS_WITH(t.sizes(), Catch::Contains("[sizes] the tensor is undefined"));
  REQUIRE_THROWS_WITH(kiln::exp(t), Catch::Contains("[exp] the tensor is undefined"));
}

TEST_CASE("a tensor on a device this build cannot run is refused at the call", "[lazy]") {
  REQUIRE_THROWS_AS(kiln::zeros({2}, kiln::Device("cuda:0")), kiln::DeviceError);
  REQUIRE_THROWS_WITH(kiln::ones({2}).to(kiln::kCUDA), Catch::Contains("[to] device cuda:0"));
  REQUIRE(kiln::default_device() == kiln::Device(kiln::kCPU));
}
