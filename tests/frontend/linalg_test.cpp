// Tests of matmul (1-D, 2-D, batched, broadcast-batched), mm, bmm and einsum. Products of the
// small integer matrices below are exact in float32; values marked "PyTorch" were printed by
// real PyTorch 2.15.0 (CPU) for the same inputs, the rest are worked by hand.
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

namespace {

using V = std::vector<int64_t>;
using D = std::vector<double>;

kiln::Tensor ar(int64_t n) { return kiln::arange(n, kiln::kFloat32); }

/// Naive row-major product of [n, k] by [k, m], the independent oracle.
D naive_mm(const D& a, const D& b, int64_t n, int64_t k, int64_t m) {
  D out(static_cast<size_t>(n * m), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t p = 0; p < k; ++p) out[i * m + j] += a[i * k + p] * b[p * m + j];
  return out;
}

D ramp(int64_t n, double start = 0) {
  D v;
  for (int64_t i = 0; i < n; ++i) v.push_back(start + static_cast<double>(i));
  return v;
}

}  // namespace

TEST_CASE("linalg: matmul of 2-D and 1-D operands", "[linalg]") {
  auto a = ar(6).view({2, 3});
  auto b = ar(12).view({3, 4});
  auto c = kiln::matmul(a, b);
  CHECK(c.sizes() == V{2, 4});
  CHECK(c.to_vector<double>() == D{20, 23, 26, 29, 56, 68, 80, 92});  // PyTorch
  CHECK(c.to_vector<double>() == naive_mm(ramp(6), ramp(12), 2, 3, 4));
  auto v = kiln::tensor({1.f, 2.f, 3.f});
  auto mv = a.matmul(v);
  CHECK(mv.sizes() == V{2});
  CHECK(mv.to_vector<double>() == D{8, 26});  // PyTorch
  auto vm = kiln::matmul(v, b);
  CHECK(vm.sizes() == V{4});
  CHECK(vm.to_vector<double>() == D{32, 38, 44, 50});  // PyTorch
  auto vv = kiln::matmul(v, v);
  CHECK(vv.dim() == 0);
  CHECK(vv.item<double>() == 14);
  // Transposed (non-contiguous) operands.
  auto at = a.t();  // [3, 2]
  CHECK(kiln::matmul(at, a).to_vector<double>() == naive_mm(D{0, 3, 1, 4, 2, 5}, ramp(6), 3, 2, 3));
  CHECK(kiln::matmul(a, a.t()).to_vector<double>() == D{5, 14, 14, 50});
  // Other dtypes.
  auto i = kiln::arange(4).view({2, 2});
  auto ii = kiln::matmul(i, i);
  CHECK(ii.dtype() == kiln::kInt64);
  CHECK(ii.to_vector<int64_t>() == V{2, 3, 6, 11});
  auto d = kiln::matmul(a.to(kiln::kFloat64), b.to(kiln::kFloat64));
  CHECK(d.dtype() == kiln::kFloat64);
  CHECK(d.to_vector<double>() == D{20, 23, 26, 29, 56, 68, 80, 92});
}

TEST_CASE("linalg: batched and broadcast-batched matmul", "[linalg]") {
  auto A = ar(12).view({2, 2, 3});
  auto B = ar(12).view({2, 3, 2});
  auto AB = kiln::matmul(A, B);
  CHECK(AB.sizes() == V{2, 2, 2});
  CHECK(AB.to_vector<double>() == D{10, 13, 28, 40, 172, 193, 244, 274});  // PyTorch
  CHECK(kiln::bmm(A, B).to_vector<double>() == AB.to_vector<double>());
  CHECK(A.bmm(B).sizes() == V{2, 2, 2});
  // A batch against one matrix.
  auto AM = kiln::matmul(A, ar(6).view({3, 2}));
  CHECK(AM.to_vector<double>() == D{10, 13, 28, 40, 46, 67, 64, 94});  // PyTorch
  // Batch dims broadcast: [2, 1, 2, 2] @ [2, 2, 2] -> [2, 2, 2, 2].
  auto C = ar(8).view({2, 1, 2, 2});
  auto Dm = ar(8).view({2, 2, 2});
  auto CD = kiln::matmul(C, Dm);
  CHECK(CD.sizes() == V{2, 2, 2, 2});  // PyTorch
  CHECK(CD.to_vector<double>() ==
        D{2, 3, 6, 11, 6, 7, 26, 31, 10, 19, 14, 27, 46, 55, 66, 79});  // PyTorch
  // Batch with a vector on either side.
  auto v = kiln::tensor({1.f, 2.f, 3.f});
  auto Av = kiln::matmul(A, v);
  CHECK(Av.sizes() == V{2, 2});
  CHECK(Av.to_vector<double>() == D{8, 26, 44, 62});  // PyTorch
  auto vA = kiln::matmul(kiln::tensor({1.f, 2.f}), A);
  CHECK(vA.sizes() == V{2, 3});
  CHECK(vA.to_vector<double>() == D{6, 9, 12, 24, 27, 30});  // PyTorch
  // Batched transposed views.
  auto At = A.transpose(1, 2);  // [2, 3, 2]
  auto AtA = kiln::matmul(At, A);
  CHECK(AtA.sizes() == V{2, 3, 3});
  D first = naive_mm(D{0, 3, 1, 4, 2, 5}, ramp(6), 3, 2, 3);
  D second = naive_mm(D{6, 9, 7, 10, 8, 11}, ramp(6, 6), 3, 2, 3);
  first.insert(first.end(), second.begin(), second.end());
  CHECK(AtA.to_vector<double>() == first);
}

TEST_CASE("linalg: matmul shape and dtype errors", "[linalg]") {
  auto a = kiln::zeros({2, 3});
  auto b = kiln::zeros({4, 5});
  CHECK_THROWS_AS(kiln::matmul(a, b), kiln::ShapeError);
  CHECK_THROWS_WITH(kiln::matmul(a, b),
                    "[matmul] shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)");
  CHECK_THROWS_WITH(a.matmul(b), "[matmul] shapes [2, 3] and [4, 5] cannot be multiplied (3 != 4)");
  CHECK_THROWS_WITH(kiln::matmul(kiln::zeros({3}), kiln::zeros({4})),
                    "[matmul] shapes [3] and [4] cannot be multiplied (3 != 4)");
  CHECK_THROWS_WITH(kiln::mm(a, b), Catch::StartsWith("[mm]") && Catch::Contains("(3 != 4)"));
  CHECK_THROWS_AS(kiln::mm(kiln::zeros({3}), kiln::zeros({3, 2})), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::bmm(kiln::zeros({2, 3}), kiln::zeros({3, 2})), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::bmm(kiln::zeros({2, 2, 3}), kiln::zeros({3, 3, 2})), kiln::ShapeError);
  CHECK_THROWS_WITH(kiln::bmm(kiln::zeros({2, 2, 3}), kiln::zeros({2, 2, 2})),
                    Catch::StartsWith("[bmm]") && Catch::Contains("(3 != 2)"));
  // Batch dims that do not broadcast. PyTorch: "The size of tensor a (2) must match the size of
  // tensor b (3) at non-singleton dimension 0"
  CHECK_THROWS_AS(kiln::matmul(kiln::zeros({2, 2, 3}), kiln::zeros({3, 3, 2})), kiln::ShapeError);
  // PyTorch: "both arguments to matmul need to be at least 1D, but they are 0D and 1D"
  CHECK_THROWS_AS(kiln::matmul(kiln::scalar_tensor(1.0), kiln::zeros({3})), kiln::ShapeError);
  // PyTorch: "expected m1 and m2 to have the same dtype, but got: float != double"
  CHECK_THROWS_AS(kiln::matmul(a, kiln::zeros({3, 2}, kiln::kFloat64)), kiln::DTypeError);
}

TEST_CASE("linalg: mm", "[linalg]") {
  auto a = ar(6).view({2, 3});
  auto b = ar(12).view({3, 4});
  CHECK(kiln::mm(a, b).to_vector<double>() == D{20, 23, 26, 29, 56, 68, 80, 92});
  CHECK(a.mm(b).sizes() == V{2, 4});
  CHECK(kiln::mm(b.t(), a.t()).to_vector<double>() == D{20, 56, 23, 68, 26, 80, 29, 92});
  auto eye = kiln::eye(3);
  CHECK(kiln::mm(a, eye).to_vector<double>() == D{0, 1, 2, 3, 4, 5});
}

TEST_CASE("linalg: einsum", "[linalg]") {
  auto a = ar(6).view({2, 3});
  auto b = ar(12).view({3, 4});
  auto ik = kiln::einsum("ij,jk->ik", {a, b});
  CHECK(ik.sizes() == V{2, 4});
  CHECK(ik.to_vector<double>() == D{20, 23, 26, 29, 56, 68, 80, 92});
  // Implicit output: the letters that appear once, sorted. PyTorch: einsum('ij,jk', a, b) == a @ b
  CHECK(kiln::einsum("ij,jk", {a, b}).to_vector<double>() == D{20, 23, 26, 29, 56, 68, 80, 92});
  CHECK(kiln::einsum(" ij , jk -> ik ", {a, b}).sizes() == V{2, 4});
  auto A = ar(12).view({2, 2, 3});
  auto B = ar(12).view({2, 3, 2});
  CHECK(kiln::einsum("bij,bjk->bik", {A, B}).to_vector<double>() ==
        D{10, 13, 28, 40, 172, 193, 244, 274});  // PyTorch
  auto ji = kiln::einsum("ij->ji", {a});
  CHECK(ji.sizes() == V{3, 2});
  CHECK(ji.to_vector<double>() == D{0, 3, 1, 4, 2, 5});  // PyTorch
  auto v = kiln::tensor({1.f, 2.f, 3.f});
  auto w = kiln::tensor({4.f, 5.f, 6.f});
  auto dot = kiln::einsum("i,i->", {v, w});
  CHECK(dot.dim() == 0);
  CHECK(dot.item<double>() == 32);  // PyTorch
  auto total = kiln::einsum("ij->", {a});
  CHECK(total.dim() == 0);
  CHECK(total.item<double>() == 15);  // PyTorch
  CHECK(kiln::einsum("i,j->ij", {v, kiln::tensor({1.f, -1.f})}).to_vector<double>() ==
        D{1, -1, 2, -2, 3, -3});                                            // PyTorch
  CHECK(kiln::einsum("ij,ij->i", {a, a}).to_vector<double>() == D{5, 50});  // PyTorch
  CHECK(kiln::einsum("ij->j", {a}).to_vector<double>() == D{3, 5, 7});
  CHECK(kiln::einsum("ij,jk->ki", {a, b}).to_vector<double>() == D{20, 56, 23, 68, 26, 80, 29, 92});
}

TEST_CASE("linalg: einsum errors", "[linalg]") {
  auto a = ar(6).view({2, 3});
  // PyTorch computes the trace for "ii->"; kiln does not support repeated subscripts yet.
  CHECK_THROWS_AS(kiln::einsum("ii->", {kiln::eye(3)}), kiln::Error);
  CHECK_THROWS_WITH(kiln::einsum("ii->", {kiln::eye(3)}),
                    Catch::StartsWith("[einsum]") && Catch::Contains("repeated subscript 'i'"));
  // PyTorch: "einsum(): subscript j has size 4 for operand 1 which does not broadcast with
  // previously seen size 3"
  CHECK_THROWS_AS(kiln::einsum("ij,jk->ik", {a, kiln::zeros({4, 4})}), kiln::ShapeError);
  CHECK_THROWS_WITH(kiln::einsum("ij,jk->ik", {a, kiln::zeros({4, 4})}),
                    Catch::StartsWith("[einsum]"));
  CHECK_THROWS_AS(kiln::einsum("ij,jk->ik", {a}), kiln::Error);
  CHECK_THROWS_AS(kiln::einsum("ijk->i", {a}), kiln::ShapeError);
  CHECK_THROWS_AS(kiln::einsum("ij->iz", {a}), kiln::Error);
  CHECK_THROWS_AS(kiln::einsum("i1->i", {a}), kiln::Error);
}
