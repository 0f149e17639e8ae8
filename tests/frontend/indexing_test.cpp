// Tests of libtorch-style indexing: index() with slices, ints, None, "...", bool masks and
// int64 index tensors, index_put_ through the same paths, and out-of-range messages. Values are
// worked by hand from arange inputs; results marked "PyTorch" were checked against real
// PyTorch 2.15.0 (CPU) indexing with the same indices.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using namespace kiln::indexing;  // NOLINT: as libtorch users write it

namespace {

using V = std::vector<int64_t>;
using D = std::vector<double>;

kiln::Tensor ar(int64_t n) { return kiln::arange(n, kiln::kFloat32); }
kiln::Tensor mat() { return ar(12).view({3, 4}); }  // [[0..3], [4..7], [8..11]]
kiln::Tensor longs(const V& v) { return kiln::from_vector(v, {static_cast<int64_t>(v.size())}); }
kiln::Tensor bools(const std::vector<int64_t>& v, const V& shape) {
  return kiln::from_vector(v, shape).to(kiln::kBool);
}

}  // namespace

TEST_CASE("indexing: slices of a vector are views", "[indexing]") {
  auto x = ar(10);
  auto head = x.index({Slice(None, 5)});
  CHECK(head.to_vector<double>() == D{0, 1, 2, 3, 4});
  CHECK(head.is_same_storage(x));
  CHECK(x.index({Slice(-5, None)}).to_vector<double>() == D{5, 6, 7, 8, 9});
  auto even = x.index({Slice(None, None, 2)});
  CHECK(even.to_vector<double>() == D{0, 2, 4, 6, 8});
  CHECK(even.strides() == V{2});
  CHECK(x.index({Slice(1, None, 3)}).to_vector<double>() == D{1, 4, 7});
  CHECK(x.index({Slice(2, -2, 2)}).to_vector<double>() == D{2, 4, 6});
  CHECK(x.index({Slice()}).to_vector<double>() == x.to_vector<double>());
  CHECK(x.index({Slice(8, 2)}).sizes() == V{0});
}

TEST_CASE("indexing: integers, negative integers and mixed with slices", "[indexing]") {
  auto m = mat();
  auto e = m.index({1, 2});
  CHECK(e.dim() == 0);
  CHECK(e.item<double>() == 6);
  CHECK(m.index({-1, -1}).item<double>() == 11);
  CHECK(m.index({-3, 0}).item<double>() == 0);
  CHECK(m.index({1}).to_vector<double>() == D{4, 5, 6, 7});
  auto col = m.index({Slice(), 0});
  CHECK(col.to_vector<double>() == D{0, 4, 8});
  CHECK(col.strides() == V{4});
  CHECK(col.is_same_storage(m));
  CHECK(m.index({Slice(1, None), Slice(None, None, 2)}).to_vector<double>() == D{4, 6, 8, 10});
  CHECK(m.index({Slice(None, None, 2), -1}).to_vector<double>() == D{3, 11});
}

TEST_CASE("indexing: None and Ellipsis", "[indexing]") {
  auto v = ar(3);
  auto row = v.index({None, Slice()});
  CHECK(row.sizes() == V{1, 3});
  CHECK(row.to_vector<double>() == D{0, 1, 2});
  CHECK(v.index({Slice(), None}).sizes() == V{3, 1});
  auto m = mat();
  CHECK(m.index({None, "...", None}).sizes() == V{1, 3, 4, 1});  // PyTorch
  auto s = m.index({Slice(1, None), None, Slice(None, None, 2)});
  CHECK(s.sizes() == V{2, 1, 2});    // PyTorch
  CHECK(s.strides() == V{4, 4, 2});  // PyTorch
  CHECK(s.to_vector<double>() == D{4, 6, 8, 10});
  auto last = m.index({"...", 1});
  CHECK(last.to_vector<double>() == D{1, 5, 9});
  CHECK(last.strides() == V{4});  // PyTorch
  CHECK(m.index({Ellipsis, None}).sizes() == V{3, 4, 1});
  auto c = ar(24).view({2, 3, 4});
  CHECK(c.index({0, Ellipsis, 2}).to_vector<double>() == D{2, 6, 10});
  CHECK(c.index({Ellipsis}).sizes() == V{2, 3, 4});
  CHECK(c.index({1, "..."}).sizes() == V{3, 4});
  CHECK_THROWS_AS(m.index({"..", 1}), kiln::Error);
}

TEST_CASE("indexing: bool masks", "[indexing]") {
  auto m = mat();
  auto rows = m.index({bools({1, 0, 1}, {3})});
  CHECK(rows.sizes() == V{2, 4});
  CHECK(rows.to_vector<double>() == D{0, 1, 2, 3, 8, 9, 10, 11});
  // PyTorch: m[:, [True, False, True, True]] == [[0, 2, 3], [4, 6, 7], [8, 10, 11]]
  auto cols = m.index({Slice(), bools({1, 0, 1, 1}, {4})});
  CHECK(cols.sizes() == V{3, 3});
  CHECK(cols.to_vector<double>() == D{0, 2, 3, 4, 6, 7, 8, 10, 11});
  // 2-D mask: the selected elements in row-major order.
  auto big = m.index({m > 5});
  CHECK(big.sizes() == V{6});
  CHECK(big.to_vector<double>() == D{6, 7, 8, 9, 10, 11});
  auto none = m.index({m > 100});
  CHECK(none.sizes() == V{0});
  auto c = ar(24).view({2, 3, 4});
  auto mask2 = bools({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, {3, 4});
  auto picked = c.index({Slice(), mask2});
  CHECK(picked.sizes() == V{2, 3});
  CHECK(picked.to_vector<double>() == D{0, 5, 11, 12, 17, 23});
  // PyTorch: "The shape of the mask [2] at index 0 does not match the shape of the indexed
  // tensor [3, 4] at index 0"
  CHECK_THROWS_AS(m.index({bools({1, 0}, {2})}), kiln::IndexError);
  CHECK_THROWS_WITH(
      m.index({bools({1, 0}, {2})}),
      Catch::Contains("shape of the mask [2] at index 0 does not match the shape of the "
                      "indexed tensor [3, 4] at index 0"));
}

TEST_CASE("indexing: int64 index tensors", "[indexing]") {
  auto m = mat();
  auto r = m.index({longs({2, 0})});
  CHECK(r.sizes() == V{2, 4});
  CHECK(r.to_vector<double>() == D{8, 9, 10, 11, 0, 1, 2, 3});
  auto c = m.index({Slice(), longs({3, 1})});  // PyTorch: [[3, 1], [7, 5], [11, 9]]
  CHECK(c.sizes() == V{3, 2});
  CHECK(c.to_vector<double>() == D{3, 1, 7, 5, 11, 9});
  auto idx2 = kiln::from_vector(V{0, 1, 2, 0}, {2, 2});
  auto r2 = m.index({idx2});
  CHECK(r2.sizes() == V{2, 2, 4});  // PyTorch
  CHECK(r2.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3});
  auto v = ar(10);
  CHECK(v.index({longs({9, 0, 9})}).to_vector<double>() == D{9, 0, 9});
  CHECK(v.index({kiln::from_vector(std::vector<int32_t>{3, 4}, {2})}).to_vector<double>() ==
        D{3, 4});
  // PyTorch: "tensors used as indices must be long, int, byte or bool tensors"
  CHECK_THROWS_AS(v.index({kiln::tensor({0.f})}), kiln::IndexError);
  CHECK_THROWS_WITH(v.index({kiln::tensor({0.f})}),
                    Catch::Contains("tensors used as indices must be long, int"));
}

TEST_CASE("indexing: negative entries in an index tensor count from the end", "[indexing]") {
  // PyTorch: m[tensor([-1, 0])] == [[8, 9, 10, 11], [0, 1, 2, 3]]
  auto m = mat();
  CHECK(m.index({longs({-1, 0})}).to_vector<double>() == D{8, 9, 10, 11, 0, 1, 2, 3});
  auto x = mat();
  x.index_put_({longs({-1})}, 7);  // PyTorch: the last row becomes 7
  CHECK(x.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7});
}

TEST_CASE("indexing: out of range and malformed indices", "[indexing]") {
  auto m = mat();
  // PyTorch: "index 3 is out of bounds for dimension 0 with size 3"
  CHECK_THROWS_AS(m.index({3}), kiln::IndexError);
  CHECK_THROWS_WITH(m.index({3}),
                    Catch::Contains("index 3 is out of bounds for dimension 0 with size 3"));
  CHECK_THROWS_WITH(m.index({0, -5}),
                    Catch::Contains("index -5 is out of bounds for dimension 1 with size 4"));
  CHECK_THROWS_WITH(m.index({Slice(), 4}),
                    Catch::Contains("index 4 is out of bounds for dimension 1 with size 4"));
  // PyTorch names the index's position with "..." expanded and None counted.
  CHECK_THROWS_WITH(m.index({None, 0, 5}),
                    Catch::Contains("index 5 is out of bounds for dimension 2 with size 4"));
  CHECK_THROWS_WITH(m.index({"...", 5}),
                    Catch::Contains("index 5 is out of bounds for dimension 1 with size 4"));
  CHECK_THROWS_WITH(m.index({Slice(), None, 7}),
                    Catch::Contains("index 7 is out of bounds for dimension 2 with size 4"));
  CHECK_THROWS_WITH(ar(24).view({2, 3, 4}).index({1, "...", 9}),
                    Catch::Contains("index 9 is out of bounds for dimension 2 with size 4"));
  // PyTorch: "too many indices for tensor of dimension 2"
  CHECK_THROWS_AS(m.index({0, 0, 0}), kiln::IndexError);
  CHECK_THROWS_WITH(m.index({0, 0, 0}),
                    Catch::Contains("too many indices for tensor of dimension 2"));
  CHECK_THROWS_AS(m.index_put_({0, 0, 0}, 1), kiln::IndexError);
  CHECK_THROWS_AS(m.index({Slice(None, None, 0)}), kiln::Error);
}

TEST_CASE("indexing: index tensor entries out of range", "[indexing]") {
  // PyTorch: "index 5 is out of bounds for dimension 0 with size 3". kiln gathers lazily and
  // does not read index values at the call, so the error comes when the value is read.
  auto m = mat();
  auto bad = m.index({longs({5})});
  CHECK_THROWS_AS(bad.to_vector<double>(), kiln::IndexError);
  CHECK_THROWS_WITH(bad.to_vector<double>(),
                    Catch::Contains("index 5 is out of bounds for dimension 0 with size 3"));
  auto badcol = m.index({Slice(), longs({0, -5})});
  CHECK_THROWS_WITH(badcol.to_vector<double>(), Catch::Contains("index -5 is out of bounds"));
}

TEST_CASE("indexing: index_put_ with ints and slices", "[indexing][inplace]") {
  auto m = mat();
  m.index_put_({Slice(), 0}, 5);
  CHECK(m.to_vector<double>() == D{5, 1, 2, 3, 5, 5, 6, 7, 5, 9, 10, 11});
  m.index_put_({1}, kiln::tensor({-1.f, -2.f, -3.f, -4.f}));
  CHECK(m.to_vector<double>() == D{5, 1, 2, 3, -1, -2, -3, -4, 5, 9, 10, 11});
  m.index_put_({-1, -1}, 100);
  CHECK(m.index({2, 3}).item<double>() == 100);
  // Broadcast value over a strided region.
  auto z = kiln::zeros({3, 4});
  z.index_put_({Slice(1, None), Slice(None, None, 2)}, kiln::tensor({7.f, 8.f}));
  CHECK(z.to_vector<double>() == D{0, 0, 0, 0, 7, 0, 8, 0, 7, 0, 8, 0});
  z.index_put_({"...", 1}, kiln::tensor({1.f, 2.f, 3.f}));
  CHECK(z.to_vector<double>() == D{0, 1, 0, 0, 7, 2, 8, 0, 7, 3, 8, 0});
  auto w = kiln::zeros({2, 2});
  w.index_put_({None, 0}, kiln::tensor({{4.f, 5.f}}));
  CHECK(w.to_vector<double>() == D{4, 5, 0, 0});
  // An int tensor with a scalar.
  auto i = kiln::arange(4);
  i.index_put_({Slice(1, 3)}, 9);
  CHECK(i.to_vector<int64_t>() == V{0, 9, 9, 3});
  CHECK(i.dtype() == kiln::kInt64);
  CHECK_THROWS_AS(w.index_put_({Slice()}, kiln::ones({3})), kiln::ShapeError);
}

TEST_CASE("indexing: index_put_ through a view reaches the base", "[indexing][inplace]") {
  auto m = mat();
  auto mid = m.index({Slice(), Slice(1, 3)});  // columns 1 and 2
  mid.index_put_({0}, -1);
  mid.index_put_({Slice(), 1}, kiln::tensor({20.f, 60.f, 100.f}));
  CHECK(m.to_vector<double>() == D{0, -1, 20, 3, 4, 5, 60, 7, 8, 9, 100, 11});
  auto t = mat();
  auto tt = t.t();
  tt.index_put_({1}, 0);  // t[:, 1] = 0
  CHECK(t.to_vector<double>() == D{0, 0, 2, 3, 4, 0, 6, 7, 8, 0, 10, 11});
}

TEST_CASE("indexing: index_put_ with masks", "[indexing][inplace]") {
  auto m = mat();
  m.index_put_({m > 5}, 0);
  CHECK(m.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0});
  // A vector of values fills the true positions in order. PyTorch: [[0, 1, 2, 3],
  // [4, 5, 10, 20], [30, 40, 50, 60]]
  auto x = mat();
  x.index_put_({x > 5}, kiln::tensor({10.f, 20.f, 30.f, 40.f, 50.f, 60.f}));
  CHECK(x.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 60});
  // A row mask with a row value broadcast. PyTorch: [[9, 8, 7, 6], [4, 5, 6, 7], [9, 8, 7, 6]]
  auto y = mat();
  y.index_put_({bools({1, 0, 1}, {3})}, kiln::tensor({9.f, 8.f, 7.f, 6.f}));
  CHECK(y.to_vector<double>() == D{9, 8, 7, 6, 4, 5, 6, 7, 9, 8, 7, 6});
  // A column mask after a slice, scalar tensor value.
  auto z = mat();
  z.index_put_({Slice(1, None), bools({0, 1, 0, 1}, {4})}, kiln::scalar_tensor(-1.f));
  CHECK(z.to_vector<double>() == D{0, 1, 2, 3, 4, -1, 6, -1, 8, -1, 10, -1});
  // A mask write through a view reaches the base.
  auto b = ar(6);
  auto bv = b.view({2, 3});
  bv.index_put_({bv < 2}, 42);
  CHECK(b.to_vector<double>() == D{42, 42, 2, 3, 4, 5});
}

TEST_CASE("indexing: index_put_ with int64 index tensors", "[indexing][inplace]") {
  // PyTorch: x[tensor([2, 0])] = tensor([1, 2, 3, 4]) sets rows 2 and 0.
  auto x = mat();
  x.index_put_({longs({2, 0})}, kiln::tensor({1.f, 2.f, 3.f, 4.f}));
  CHECK(x.to_vector<double>() == D{1, 2, 3, 4, 4, 5, 6, 7, 1, 2, 3, 4});
  // PyTorch: x[:, tensor([3, 0])] = tensor([-1, -2])
  auto y = mat();
  y.index_put_({Slice(), longs({3, 0})}, kiln::tensor({-1.f, -2.f}));
  CHECK(y.to_vector<double>() == D{-2, 1, 2, -1, -2, 5, 6, -1, -2, 9, 10, -1});
  auto v = ar(5);
  v.index_put_({longs({4, 1})}, kiln::tensor({40.f, 10.f}));
  CHECK(v.to_vector<double>() == D{0, 10, 2, 3, 40});
  v.index_put_({longs({0})}, 9);
  CHECK(v.to_vector<double>() == D{9, 10, 2, 3, 40});
  // Through a view.
  auto base = ar(6);
  auto view = base.view({2, 3}).t();                          // [3, 2]
  view.index_put_({longs({1})}, kiln::tensor({-5.f, -6.f}));  // base[1] = -5, base[4] = -6
  CHECK(base.to_vector<double>() == D{0, -5, 2, 3, -6, 5});
}

TEST_CASE("operator[]: an int selects along dim 0, a tensor indexes as index({t})", "[indexing]") {
  auto x = kiln::arange(12).reshape({3, 4});
  REQUIRE(x[1].sizes() == std::vector<int64_t>{4});
  REQUIRE(x[1][2].item<int64_t>() == 6);
  REQUIRE(x[-1][0].item<int64_t>() == 8);
  auto picked = x[kiln::tensor({int64_t{2}, int64_t{0}})];
  REQUIRE(picked.sizes() == std::vector<int64_t>{2, 4});
  REQUIRE(picked[0][3].item<int64_t>() == 11);
  REQUIRE(picked[1][3].item<int64_t>() == 3);
  REQUIRE_THROWS_AS(x[3], kiln::Error);
}

TEST_CASE("masked index_put_ values broadcast to the indexing result", "[indexing]") {
  auto x = kiln::zeros({2, 3});
  // One true row: a value of 2 rows cannot fill it (PyTorch: shape mismatch).
  CHECK_THROWS_AS(x.index_put_({kiln::tensor({true, false})}, kiln::tensor({{1.}, {2.}})),
                  kiln::ShapeError);
  CHECK_THROWS_AS(x.index_put_({kiln::tensor({true, false})}, kiln::tensor({1., 2.})),
                  kiln::ShapeError);
  CHECK(x.to_vector<float>() == std::vector<float>(6, 0.f));  // nothing written
  // Two true rows take a column of two values, and a row broadcasts to every true row.
  x.index_put_({kiln::tensor({true, true})}, kiln::tensor({{1.}, {2.}}));
  CHECK(x.to_vector<float>() == std::vector<float>{1, 1, 1, 2, 2, 2});
  auto y = kiln::zeros({2, 3});
  y.index_put_({kiln::tensor({false, true})}, kiln::tensor({1., 2., 3.}));
  CHECK(y.to_vector<float>() == std::vector<float>{0, 0, 0, 1, 2, 3});
  // A 2-d mask inside the dims: the value's leading dim is the batch's, as in PyTorch.
  auto b = kiln::zeros({2, 2, 3, 5});
  auto m = kiln::tensor({{true, false, true}, {false, true, false}});
  b.index_put_({Slice(), m}, kiln::tensor({{{1.}}, {{2.}}}));
  CHECK(b.sum(std::vector<int64_t>{2, 3}).to_vector<float>() == std::vector<float>{10, 5, 20, 10});
  // Extra leading size-1 dims, and nothing given for nothing selected.
  auto c = kiln::zeros({3});
  c.index_put_({kiln::tensor({true, true, true})}, kiln::ones({1, 1, 3}));
  CHECK(c.to_vector<float>() == std::vector<float>{1, 1, 1});
  auto e = kiln::zeros({2, 3});
  e.index_put_({kiln::tensor({false, false})}, kiln::ones({0, 3}));
  CHECK(e.to_vector<float>() == std::vector<float>(6, 0.f));
}
