// Tests of the copying shape ops: cat, stack, pad, gather, index_select and one_hot. Results
// marked "PyTorch" were printed by real PyTorch 2.15.0 (CPU) for the same inputs; the others are
// worked by hand.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

using V = std::vector<int64_t>;
using D = std::vector<double>;

kiln::Tensor ar(int64_t n) { return kiln::arange(n, kiln::kFloat32); }
kiln::Tensor longs(const V& v, const V& shape) { return kiln::from_vector(v, shape); }

}  // namespace

TEST_CASE("shape: cat along each dim", "[shape]") {
  auto a = ar(6).view({2, 3});
  auto b = (ar(6) + 6).view({2, 3});
  auto c0 = kiln::cat({a, b});
  CHECK(c0.sizes() == V{4, 3});
  CHECK(c0.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  auto c1 = kiln::cat({a, b}, 1);
  CHECK(c1.sizes() == V{2, 6});
  CHECK(c1.to_vector<double>() == D{0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11});
  CHECK(kiln::cat({a, b}, -1).to_vector<double>() == c1.to_vector<double>());
  auto c3 = kiln::cat({a, kiln::zeros({2, 1}), a.slice(1, 2)}, 1);
  CHECK(c3.sizes() == V{2, 5});
  CHECK(c3.to_vector<double>() == D{0, 1, 2, 0, 2, 3, 4, 5, 0, 5});
  CHECK_FALSE(c3.is_same_storage(a));
  // Non-contiguous inputs.
  auto ct = kiln::cat({a.t(), b.t()}, 0);
  CHECK(ct.sizes() == V{6, 2});
  CHECK(ct.to_vector<double>() == D{0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11});
  CHECK(kiln::cat({a}).to_vector<double>() == a.to_vector<double>());
}

TEST_CASE("shape: cat promotes dtypes", "[shape]") {
  // PyTorch: cat([tensor([1, 2]), tensor([0.5])]) == [1., 2., 0.5], float32.
  auto c = kiln::cat({kiln::tensor({1, 2}), kiln::tensor({0.5f})});
  CHECK(c.dtype() == kiln::kFloat32);
  CHECK(c.to_vector<double>() == D{1, 2, 0.5});
  // PyTorch: int32 with int64 -> int64; float64 with float32 -> float64; bool with bool -> bool.
  CHECK(kiln::cat({kiln::arange(2, kiln::kInt32), kiln::arange(2)}).dtype() == kiln::kInt64);
  CHECK(kiln::cat({kiln::zeros({1}, kiln::kFloat64), kiln::zeros({1})}).dtype() == kiln::kFloat64);
  auto bl = kiln::cat({kiln::ones({1}, kiln::kBool), kiln::zeros({2}, kiln::kBool)});
  CHECK(bl.dtype() == kiln::kBool);
  CHECK(bl.to_vector<int64_t>() == V{1, 0, 0});
}

TEST_CASE("shape: cat skips empty 1-D tensors but promotes with them", "[shape]") {
  // PyTorch: cat([tensor([1, 2]), tensor([], dtype=float32), tensor([3])]) == [1., 2., 3.],
  // float32: the legacy empty tensor is skipped for shapes but joins type promotion.
  auto c = kiln::cat({kiln::tensor({1, 2}), kiln::zeros({0}), kiln::tensor({3})});
  CHECK(c.to_vector<double>() == D{1, 2, 3});
  CHECK(c.dtype() == kiln::kFloat32);
  auto m = kiln::cat({kiln::zeros({0}), ar(4).view({2, 2})});
  CHECK(m.sizes() == V{2, 2});
}

TEST_CASE("shape: cat errors name the tensor", "[shape]") {
  auto a = kiln::zeros({2, 3});
  // PyTorch: "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4
  // for tensor number 1 in the list."
  CHECK_THROWS_AS(kiln::cat({a, kiln::zeros({2, 4})}), kiln::ShapeError);
  CHECK_THROWS_WITH(kiln::cat({a, kiln::zeros({2, 4})}),
                    Catch::StartsWith("[cat]") &&
                        Catch::Contains("must match except in dimension 0. Expected size 3 "
                                        "but got size 4 for tensor number 1 in the list"));
  // PyTorch: "... dimension 1. Expected size 2 but got size 3 for tensor number 2 in the list."
  CHECK_THROWS_WITH(
      kiln::cat({a, a, kiln::zeros({3, 4})}, 1),
      Catch::Contains("must match except in dimension 1. Expected size 2 but got size 3 for tensor "
                      "number 2 in the list"));
  // PyTorch: "Tensors must have same number of dimensions: got 2 and 3"
  CHECK_THROWS_WITH(kiln::cat({a, kiln::zeros({2, 3, 1})}), Catch::Contains("got 2 and 3"));
  // PyTorch: "zero-dimensional tensor (at position 0) cannot be concatenated"
  CHECK_THROWS_WITH(
      kiln::cat({kiln::scalar_tensor(1.0), kiln::scalar_tensor(2.0)}),
      Catch::Contains("zero-dimensional tensor (at position 0) cannot be concatenated"));
  // PyTorch counts skipped empty 1-D tensors: "... for tensor number 2 in the list."
  CHECK_THROWS_WITH(
      kiln::cat({kiln::zeros({0}), a, kiln::zeros({2, 4})}),
      Catch::Contains("Expected size 3 but got size 4 for tensor number 2 in the list"));
  CHECK_THROWS_AS(kiln::cat({a, a}, 2), kiln::IndexError);
  CHECK_THROWS_AS(kiln::cat({}), kiln::Error);
}

TEST_CASE("shape: stack", "[shape]") {
  auto a = ar(6).view({2, 3});
  auto b = (ar(6) + 6).view({2, 3});
  auto s0 = kiln::stack({a, b});
  CHECK(s0.sizes() == V{2, 2, 3});
  CHECK(s0.to_vector<double>() == D{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  // PyTorch: stack([a, b], 1) == [[[0, 1, 2], [6, 7, 8]], [[3, 4, 5], [9, 10, 11]]]
  auto s1 = kiln::stack({a, b}, 1);
  CHECK(s1.sizes() == V{2, 2, 3});
  CHECK(s1.to_vector<double>() == D{0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11});
  // PyTorch: stack([a, b], -1) == [[[0, 6], [1, 7], [2, 8]], [[3, 9], [4, 10], [5, 11]]]
  auto s2 = kiln::stack({a, b}, -1);
  CHECK(s2.sizes() == V{2, 3, 2});
  CHECK(s2.to_vector<double>() == D{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11});
  auto sc = kiln::stack({kiln::scalar_tensor(1.0), kiln::scalar_tensor(2.0)});
  CHECK(sc.sizes() == V{2});
  CHECK(sc.to_vector<double>() == D{1, 2});
  // PyTorch: "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [3, 2]
  // at entry 1"
  CHECK_THROWS_AS(kiln::stack({a, kiln::zeros({3, 2})}), kiln::ShapeError);
  CHECK_THROWS_WITH(
      kiln::stack({a, kiln::zeros({3, 2})}),
      Catch::Contains("stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
                      "[3, 2] at entry 1"));
}

TEST_CASE("shape: pad in F.pad order, with crops and a value", "[shape]") {
  auto x = kiln::arange(12).view({3, 4});
  // PyTorch: F.pad(x, (1, 2)) pads the last dim 1 before, 2 after.
  auto p = kiln::pad(x, {1, 2});
  CHECK(p.sizes() == V{3, 7});
  CHECK(p.dtype() == kiln::kInt64);
  CHECK(p.to_vector<int64_t>() ==
        V{0, 0, 1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 0, 0, 0, 8, 9, 10, 11, 0, 0});
  // PyTorch: F.pad(x, (1, -1, -1, 1), value=9) == [[9, 4, 5, 6], [9, 8, 9, 10], [9, 9, 9, 9]]
  auto q = kiln::pad(x, {1, -1, -1, 1}, 9);
  CHECK(q.sizes() == V{3, 4});
  CHECK(q.to_vector<int64_t>() == V{9, 4, 5, 6, 9, 8, 9, 10, 9, 9, 9, 9});
  // PyTorch: F.pad(arange(4.).reshape(1, 2, 2), (0, 0, 1, 0, 1, 1))
  auto r = kiln::pad(ar(4).view({1, 2, 2}), {0, 0, 1, 0, 1, 1});
  CHECK(r.sizes() == V{3, 3, 2});
  CHECK(r.to_vector<double>() == D{0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0});
  auto f = kiln::pad(ar(2), {2, 1}, -0.5);
  CHECK(f.to_vector<double>() == D{-0.5, -0.5, 0, 1, -0.5});
  auto crop = kiln::pad(ar(5), {-1, -2});
  CHECK(crop.to_vector<double>() == D{1, 2});
  CHECK(kiln::pad(ar(3), {}).to_vector<double>() == D{0, 1, 2});
  // PyTorch: "Padding length must be divisible by 2"
  CHECK_THROWS_AS(kiln::pad(x, {1, 2, 3}), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::pad(x, {1, 1, 1, 1, 1, 1}), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::pad(ar(3), {-2, -2}), kiln::ShapeError);
}

TEST_CASE("shape: gather", "[shape]") {
  auto x = kiln::tensor({{1, 2}, {3, 4}});
  // PyTorch: gather(x, 1, [[0, 0], [1, 0]]) == [[1, 1], [4, 3]]; gather(x, 0, [[1, 0]]) == [[3, 2]]
  CHECK(kiln::gather(x, 1, longs({0, 0, 1, 0}, {2, 2})).to_vector<int64_t>() == V{1, 1, 4, 3});
  CHECK(x.gather(0, longs({1, 0}, {1, 2})).to_vector<int64_t>() == V{3, 2});
  auto g = x.gather(-1, longs({1, 1, 1}, {1, 3}));
  CHECK(g.sizes() == V{1, 3});
  CHECK(g.to_vector<int64_t>() == V{2, 2, 2});
  auto m = ar(12).view({3, 4});
  CHECK(m.t().gather(1, longs({2, 0}, {2, 1})).to_vector<double>() == D{8, 1});
  CHECK_THROWS_AS(x.gather(1, kiln::from_vector(std::vector<int32_t>{0}, {1, 1})),
                  kiln::DTypeError);
  CHECK_THROWS_AS(x.gather(1, longs({0, 0}, {2})), kiln::ShapeError);
  CHECK_THROWS_AS(x.gather(1, longs({0, 0, 0, 0, 0, 0}, {3, 2})), kiln::ShapeError);
  // PyTorch: "index -1 is out of bounds for dimension 1 with size 2" (no wrapping), raised here
  // when the value is read (kiln gathers lazily).
  CHECK_THROWS_WITH(
      x.gather(1, longs({-1, 0}, {2, 1})).to_vector<int64_t>(),
      Catch::Contains("[gather] index -1 is out of bounds for dimension 1 with size 2"));
  CHECK_THROWS_AS(x.gather(0, longs({2, 0}, {1, 2})).to_vector<int64_t>(), kiln::IndexError);
  // Only the indices read are checked: -1 padding in a column left out is fine.
  auto padded = longs({1, -1, 0, -1}, {2, 2});
  padded.eval();
  using kiln::indexing::Slice;
  CHECK(x.gather(1, padded.index({Slice(), Slice(0, 1)})).to_vector<int64_t>() == V{2, 3});
  CHECK_THROWS_AS(x.gather(1, padded.index({Slice(), Slice(1, 2)})).to_vector<int64_t>(),
                  kiln::IndexError);
}

TEST_CASE("shape: index_select", "[shape]") {
  auto a = ar(6).view({2, 3});
  // PyTorch: index_select(a, 1, [2, 0, 2]) == [[2, 0, 2], [5, 3, 5]]
  auto s = kiln::index_select(a, 1, longs({2, 0, 2}, {3}));
  CHECK(s.sizes() == V{2, 3});
  CHECK(s.to_vector<double>() == D{2, 0, 2, 5, 3, 5});
  CHECK(a.index_select(0, longs({1}, {1})).to_vector<double>() == D{3, 4, 5});
  CHECK(a.index_select(0, longs({}, {0})).sizes() == V{0, 3});
  CHECK(a.t()
            .index_select(0, kiln::from_vector(std::vector<int32_t>{2, 1}, {2}))
            .to_vector<double>() == D{2, 5, 1, 4});
  // PyTorch: "index_select(): Index is supposed to be a vector"
  CHECK_THROWS_AS(a.index_select(1, longs({0}, {1, 1})), kiln::ShapeError);
  CHECK_THROWS_AS(a.index_select(1, kiln::tensor({0.f})), kiln::DTypeError);
  // PyTorch: "index out of range in self" for a negative or too large index; tensor indexing
  // (a[:, [-1]]) counts a negative index from the end.
  CHECK_THROWS_WITH(a.index_select(1, longs({-1}, {1})).to_vector<double>(),
                    Catch::Contains("[index_select] index -1 is out of bounds for dimension 1"));
  CHECK_THROWS_AS(a.index_select(0, longs({2}, {1})).to_vector<double>(), kiln::IndexError);
  using kiln::indexing::Slice;
  CHECK(a.index({Slice(), longs({-1}, {1})}).to_vector<double>() == D{2, 5});
}

TEST_CASE("shape: one_hot", "[shape]") {
  // PyTorch: one_hot([0, 2, 1]) == [[1, 0, 0], [0, 0, 1], [0, 1, 0]], int64
  auto o = kiln::one_hot(kiln::tensor({0, 2, 1}));
  CHECK(o.sizes() == V{3, 3});
  CHECK(o.dtype() == kiln::kInt64);
  CHECK(o.to_vector<int64_t>() == V{1, 0, 0, 0, 0, 1, 0, 1, 0});
  auto o2 = kiln::one_hot(longs({1, 0}, {2, 1}), 3);
  CHECK(o2.sizes() == V{2, 1, 3});  // PyTorch
  CHECK(o2.to_vector<int64_t>() == V{0, 1, 0, 1, 0, 0});
  auto o4 = kiln::one_hot(kiln::tensor({3}), 5);
  CHECK(o4.to_vector<int64_t>() == V{0, 0, 0, 1, 0});
  // PyTorch: "one_hot is only applicable to index tensor of type LongTensor."
  CHECK_THROWS_AS(kiln::one_hot(kiln::tensor({0.f})), kiln::DTypeError);
  CHECK_THROWS_WITH(kiln::one_hot(kiln::tensor({0.f})),
                    Catch::Contains("one_hot is only applicable to index tensor"));
  // PyTorch: "Class values must be smaller than num_classes." / "... must be non-negative."
  CHECK_THROWS_WITH(kiln::one_hot(longs({1, 3}, {2}), 3).to_vector<int64_t>(),
                    Catch::Contains("[one_hot] class 3 is out of bounds for 3 classes"));
  CHECK_THROWS_AS(kiln::one_hot(longs({-1}, {1}), 3).to_vector<int64_t>(), kiln::IndexError);
  auto table = longs({0, 7, 2, 9}, {2, 2});  // column 0 holds classes, column 1 does not
  table.eval();
  CHECK(kiln::one_hot(table.select(1, 0), 3).to_vector<int64_t>() == V{1, 0, 0, 0, 0, 1});
}
