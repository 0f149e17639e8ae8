// Tests of the in-place ops: values, dtype rules, broadcasting, and the functionalized write
// through views (the base and every other view see it). Error messages marked "PyTorch" are
// the text real PyTorch 2.15.0 gives for the same call.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

using V = std::vector<int64_t>;
using D = std::vector<double>;

kiln::Tensor ar(int64_t n) { return kiln::arange(n, kiln::kFloat32); }

}  // namespace

TEST_CASE("inplace: arithmetic with scalars and tensors", "[inplace]") {
  auto a = ar(4);
  kiln::Tensor& r = a.add_(1);
  CHECK(&r == &a);
  CHECK(a.to_vector<double>() == D{1, 2, 3, 4});
  a.sub_(0.5);
  CHECK(a.to_vector<double>() == D{0.5, 1.5, 2.5, 3.5});
  a.mul_(2);
  CHECK(a.to_vector<double>() == D{1, 3, 5, 7});
  a.div_(4);
  CHECK(a.to_vector<double>() == D{0.25, 0.75, 1.25, 1.75});
  auto b = ar(4);
  b.add_(kiln::tensor({10.f, 20.f, 30.f, 40.f}));
  CHECK(b.to_vector<double>() == D{10, 21, 32, 43});
  b.add_(kiln::tensor({1.f, 1.f, 1.f, 1.f}), 3);  // alpha
  CHECK(b.to_vector<double>() == D{13, 24, 35, 46});
  b.sub_(kiln::tensor({1.f, 2.f, 3.f, 4.f}), 2);
  CHECK(b.to_vector<double>() == D{11, 20, 29, 38});
  b.mul_(kiln::tensor({0.f, 1.f, 2.f, -1.f}));
  CHECK(b.to_vector<double>() == D{0, 20, 58, -38});
  b.div_(kiln::tensor({1.f, 4.f, 2.f, 2.f}));
  CHECK(b.to_vector<double>() == D{0, 5, 29, -19});
  // Each write bumps the storage version.
  auto before = b.version();
  b.zero_();
  CHECK(b.version() == before + 1);
  CHECK(b.to_vector<double>() == D{0, 0, 0, 0});
}

TEST_CASE("inplace: broadcasting the right-hand side", "[inplace]") {
  auto m = ar(6).view({2, 3});
  m.add_(kiln::tensor({100.f, 200.f, 300.f}));
  CHECK(m.to_vector<double>() == D{100, 201, 302, 103, 204, 305});
  m.mul_(kiln::tensor({{1.f}, {-1.f}}));
  CHECK(m.to_vector<double>() == D{100, 201, 302, -103, -204, -305});
  m.sub_(kiln::scalar_tensor(1.f));
  CHECK(m.to_vector<double>() == D{99, 200, 301, -104, -205, -306});
  // The result must keep self's shape. PyTorch: "output with shape [3] doesn't match the
  // broadcast shape [2, 3]"
  auto v = ar(3);
  CHECK_THROWS_AS(v.add_(kiln::zeros({2, 3})), kiln::ShapeError);
  CHECK_THROWS_WITH(
      v.add_(kiln::zeros({2, 3})),
      Catch::Contains("output with shape [3] doesn't match the broadcast shape [2, 3]"));
  CHECK(v.to_vector<double>() == D{0, 1, 2});  // unchanged by the failed call
  CHECK_THROWS_AS(kiln::zeros({2, 3}).add_(kiln::zeros({3, 3})), kiln::ShapeError);
}

TEST_CASE("inplace: fill_ and zero_", "[inplace]") {
  auto a = kiln::zeros({2, 2});
  a.fill_(3.5);
  CHECK(a.to_vector<double>() == D{3.5, 3.5, 3.5, 3.5});
  CHECK(a.dtype() == kiln::kFloat32);
  auto i = kiln::arange(3);
  i.fill_(7);
  CHECK(i.to_vector<int64_t>() == V{7, 7, 7});
  CHECK(i.dtype() == kiln::kInt64);
  auto bl = kiln::zeros({3}, kiln::kBool);
  bl.fill_(true);
  CHECK(bl.to_vector<int64_t>() == V{1, 1, 1});
  a.zero_();
  CHECK(a.to_vector<double>() == D{0, 0, 0, 0});
  auto s = kiln::scalar_tensor(1.0);
  s.fill_(-2);
  CHECK(s.item<double>() == -2);
}

TEST_CASE("inplace: copy_ converts dtypes and broadcasts", "[inplace]") {
  auto f = kiln::zeros({3});
  f.copy_(kiln::arange(3));  // int64 -> float32
  CHECK(f.dtype() == kiln::kFloat32);
  CHECK(f.to_vector<double>() == D{0, 1, 2});
  auto i = kiln::zeros({3}, kiln::kInt64);
  i.copy_(kiln::tensor({1.7f, -2.7f, 3.2f}));  // float -> int truncates toward zero, as PyTorch
  CHECK(i.dtype() == kiln::kInt64);
  CHECK(i.to_vector<int64_t>() == V{1, -2, 3});
  auto b = kiln::zeros({3}, kiln::kBool);
  b.copy_(kiln::tensor({0.f, 2.f, -1.f}));
  CHECK(b.to_vector<int64_t>() == V{0, 1, 1});
  auto m = kiln::zeros({2, 3});
  m.copy_(kiln::tensor({1.f, 2.f, 3.f}));
  CHECK(m.to_vector<double>() == D{1, 2, 3, 1, 2, 3});
  m.copy_(kiln::scalar_tensor(9.0, kiln::kFloat64));
  CHECK(m.to_vector<double>() == D{9, 9, 9, 9, 9, 9});
  // Copying from a transposed view.
  auto t = ar(6).view({2, 3}).t();
  auto dst = kiln::zeros({3, 2});
  dst.copy_(t);
  CHECK(dst.to_vector<double>() == D{0, 3, 1, 4, 2, 5});
  // PyTorch: "The size of tensor a (3) must match the size of tensor b (2) at non-singleton
  // dimension 0"
  CHECK_THROWS_AS(kiln::zeros({3}).copy_(kiln::zeros({2})), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::zeros({3}).copy_(kiln::zeros({2, 3})), kiln::ShapeError);
}

TEST_CASE("inplace: copy_ from a view of the same storage", "[inplace]") {
  auto a = ar(6);
  a.slice(0, 0, 3).copy_(a.slice(0, 3, 6));
  CHECK(a.to_vector<double>() == D{3, 4, 5, 3, 4, 5});
  auto m = ar(4).view({2, 2});
  m.copy_(m.t());  // the read happens before the write, as in functional semantics
  CHECK(m.to_vector<double>() == D{0, 2, 1, 3});
}

TEST_CASE("inplace: clamp_", "[inplace]") {
  auto a = ar(5);
  a.clamp_(1, 3);
  CHECK(a.to_vector<double>() == D{1, 1, 2, 3, 3});
  auto b = ar(5);
  b.clamp_(std::nullopt, 2.5);
  CHECK(b.to_vector<double>() == D{0, 1, 2, 2.5, 2.5});
  auto c = ar(5);
  c.clamp_(3.5);
  CHECK(c.to_vector<double>() == D{3.5, 3.5, 3.5, 3.5, 4});
  auto i = kiln::arange(5);
  i.clamp_(1, 3);
  CHECK(i.dtype() == kiln::kInt64);
  CHECK(i.to_vector<int64_t>() == V{1, 1, 2, 3, 3});
  // Through a view.
  auto m = ar(6).view({2, 3});
  m.select(0, 1).clamp_(std::nullopt, 4);
  CHECK(m.to_vector<double>() == D{0, 1, 2, 3, 4, 4});
}

TEST_CASE("inplace: integer tensors refuse floating results", "[inplace]") {
  // PyTorch: "result type Float can't be cast to the desired output type Long"; kiln names
  // dtypes as torch.float32 / torch.int64 print.
  auto i = kiln::arange(3);
  CHECK_THROWS_AS(i.add_(1.5), kiln::DTypeError);
  CHECK_THROWS_WITH(i.add_(1.5),
                    "[add_] result type float32 can't be cast to the desired output type int64");
  CHECK_THROWS_WITH(i.add_(kiln::tensor({1.5f, 2.f, 3.f})),
                    "[add_] result type float32 can't be cast to the desired output type int64");
  CHECK_THROWS_WITH(kiln::zeros({2}, kiln::kBool).add_(1),
                    "[add_] result type int64 can't be cast to the desired output type bool");
  CHECK_THROWS_AS(i.mul_(2.0), kiln::DTypeError);
  CHECK_THROWS_AS(i.div_(2), kiln::DTypeError);  // true division gives float
  CHECK(i.to_vector<int64_t>() == V{0, 1, 2});
  // Integer results are fine.
  i.add_(kiln::tensor({10, 20, 30}));
  i.mul_(2);
  CHECK(i.to_vector<int64_t>() == V{20, 42, 64});
  // A float tensor takes integer operands.
  auto f = ar(3);
  f.add_(kiln::arange(3));
  CHECK(f.to_vector<double>() == D{0, 2, 4});
  // int32 += int64 keeps int32.
  auto i32 = kiln::arange(3, kiln::kInt32);
  i32.add_(kiln::arange(3));
  CHECK(i32.dtype() == kiln::kInt32);
  CHECK(i32.to_vector<int64_t>() == V{0, 2, 4});
}

TEST_CASE("inplace: writes into an expanded view throw", "[inplace]") {
  auto a = ar(3);
  auto e = a.expand({2, 3});
  // PyTorch: "unsupported operation: more than one element of the written-to tensor refers to a
  // single memory location. Please clone() the tensor before performing the operation."
  CHECK_THROWS_AS(e.add_(1), kiln::Error);
  CHECK_THROWS_WITH(
      e.add_(1),
      Catch::Contains("more than one element of the written-to tensor refers to a single "
                      "memory location. Please clone() the tensor"));
  CHECK_THROWS_AS(e.fill_(0), kiln::Error);
  CHECK_THROWS_AS(e.copy_(kiln::zeros({2, 3})), kiln::Error);
  CHECK(a.to_vector<double>() == D{0, 1, 2});
  // An expand that adds only size-1 dims has no overlap and may be written.
  auto e1 = a.expand({1, 3});
  e1.add_(1);
  CHECK(a.to_vector<double>() == D{1, 2, 3});
  // A clone of the expanded view is writable and independent.
  auto c = e.clone();
  c.add_(1);
  CHECK(c.to_vector<double>() == D{2, 3, 4, 2, 3, 4});
  CHECK(a.to_vector<double>() == D{1, 2, 3});
}

TEST_CASE("inplace: a write through one view is seen by every other view", "[inplace]") {
  auto base = ar(12);
  auto m = base.view({3, 4});
  auto t = m.t();                                    // [4, 3]
  auto col = m.select(1, 2);                         // m[:, 2]
  auto strided = base.slice(0, 1, std::nullopt, 3);  // 1, 4, 7, 10
  t.select(0, 2).mul_(-1);                           // m[:, 2] *= -1 -> base 2, 6, 10
  CHECK(base.to_vector<double>() == D{0, 1, -2, 3, 4, 5, -6, 7, 8, 9, -10, 11});
  CHECK(col.to_vector<double>() == D{-2, -6, -10});
  CHECK(strided.to_vector<double>() == D{1, 4, 7, -10});
  strided.add_(kiln::tensor({100.f, 100.f, 100.f, 100.f}));
  CHECK(m.to_vector<double>() == D{0, 101, -2, 3, 104, 5, -6, 107, 8, 9, 90, 11});
  CHECK(t.select(1, 2).to_vector<double>() == D{8, 9, 90, 11});
  // Chains of writes before any read.
  auto x = ar(4);
  auto xv = x.view({2, 2});
  xv.select(0, 0).fill_(1);
  xv.select(1, 1).add_(10);  // column 1: x[1] and x[3]
  x.mul_(2);
  xv.t().select(0, 1).sub_(1);  // column 1 again
  CHECK(x.to_vector<double>() == D{2, 21, 4, 25});
}

TEST_CASE("inplace: writes into a copy do not reach the original", "[inplace]") {
  auto a = ar(6).view({2, 3});
  auto r = a.t().reshape({6});  // needs a copy
  r.fill_(0);
  CHECK(a.to_vector<double>() == D{0, 1, 2, 3, 4, 5});
  auto f = a.flip({0});
  f.fill_(0);
  CHECK(a.to_vector<double>() == D{0, 1, 2, 3, 4, 5});
  auto sum = a + 1;
  sum.zero_();
  CHECK(a.to_vector<double>() == D{0, 1, 2, 3, 4, 5});
}

TEST_CASE("inplace: a value read before a write keeps the old value", "[inplace]") {
  auto a = ar(3);
  auto old = a * 1;  // lazy, but it reads a's value at this point
  a.add_(10);
  CHECK(old.to_vector<double>() == D{0, 1, 2});
  CHECK(a.to_vector<double>() == D{10, 11, 12});
  a.eval();
  auto v = a.view({3, 1});
  v.mul_(2);
  CHECK(a.to_vector<double>() == D{20, 22, 24});
}
