// A tour of kiln's tensor idioms: creation, broadcasting arithmetic, reductions, views and
// in-place writes through them, indexing, linear algebra and random numbers. Every op is lazy;
// values are computed when printed.
#include <iostream>

#include <kiln/kiln.h>

int main() {
  using namespace kiln::indexing;
  std::cout << "kiln tour on " << kiln::default_device().str() << "\n\n";

  auto a = kiln::tensor({{0.4410, -1.0317}, {-0.2844, -0.1035}});
  auto b = kiln::arange(6).reshape({2, 3});
  std::cout << "a =\n" << a << "\nb =\n" << b << "\n\n";

  // Broadcasting arithmetic and type promotion (int64 + float32 -> float32).
  auto c = b * 0.5 + kiln::ones({3});
  std::cout << "b * 0.5 + ones(3) =\n" << c << "\n";
  std::cout << "gelu(a) * sigmoid(a) =\n" << kiln::gelu(a) * kiln::sigmoid(a) << "\n\n";

  // Reductions, with dims and values + indices.
  auto [values, indices] = c.max(1);
  std::cout << "c.sum() = " << c.sum().item<float>() << ", c.mean(0) = " << c.mean(0) << "\n";
  std::cout << "c.max(1) = " << values << ", indices " << indices << "\n";
  std::cout << "softmax(c, 1) =\n" << kiln::softmax(c, 1) << "\n\n";

  // Views share storage: writing through a view changes the base.
  auto base = kiln::zeros({2, 3});
  auto row = base.index({1});
  row.add_(kiln::arange(3));
  base.t().index_put_({0, Slice()}, 7.0);
  std::cout << "after writes through views, base =\n" << base << "\n\n";

  // Indexing with slices, None and boolean masks.
  auto x = kiln::linspace(-1, 1, 9);
  std::cout << "x[::2] = " << x.index({Slice(None, None, 2)}) << "\n";
  std::cout << "x[x > 0] = " << x.index({x > 0}) << "\n";
  std::cout << "x[None, -3:] = " << x.index({None, Slice(-3, None)}) << "\n\n";

  // Linear algebra.
  auto m = kiln::matmul(kiln::eye(2) * 2, a);
  std::cout << "matmul(2I, a) =\n" << m << "\n";
  std::cout << "einsum(ij,jk->ik) =\n" << kiln::einsum("ij,jk->ik", {a, a}) << "\n\n";

  // Joins, sorting and cumulative sums.
  std::cout << "cat =\n" << kiln::cat({a, a * 10}, 0) << "\n";
  auto [sorted, order] = kiln::sort(kiln::tensor({3.f, 1.f, 2.f}));
  std::cout << "sort = " << sorted << ", order " << order << "\n";
  std::cout << "cumsum = " << kiln::cumsum(kiln::arange(1, 6), 0) << "\n\n";

  // Counter-based random numbers: the same seed gives the same numbers everywhere.
  kiln::manual_seed(0);
  auto r1 = kiln::randn({2, 3});
  kiln::manual_seed(0);
  auto r2 = kiln::randn({2, 3});
  std::cout << "randn(2, 3) with seed 0 =\n"
            << r1 << "\nsame again: " << std::boolalpha << (r1 == r2).all().item<bool>() << "\n";
  std::cout << fmt::format("fmt works too: {}\n", kiln::tensor({1, 2, 3}));
  return 0;
}
