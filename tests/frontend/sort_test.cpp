// sort and argsort on the CPU, where they call the row sort (kernels/cpu/sort.h: O(n log n) per
// row) with the input read in place, against the reference interpreter: rows long enough that
// a quadratic sort would not finish, every dtype, many ties (the sort is stable in both
// directions), NaN, infinities and signed zeros, transposed and sliced views, a computed input,
// and the 0-d and empty cases; argsort and topk (the k largest or smallest, their gradient).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/interpreter.h"

namespace {

/// x.sort(dim, descending) compiled equals the interpreter's, indices and values (NaN == NaN).
void check_sort(const kiln::Tensor& x, int64_t dim, bool descending) {
  CAPTURE(x.sizes(), dim, descending, kiln::short_name(x.dtype()));
  auto [values, indices] = x.sort(dim, descending);
  auto want = kiln::ir::interpret({indices.node(), values.node()});
  auto got_i = indices.to_vector<int64_t>();
  auto got_v = values.to_vector<double>();
  REQUIRE(static_cast<int64_t>(got_i.size()) == want[0]->numel());
  int64_t wrong = 0;
  for (size_t k = 0; k < got_i.size(); ++k) {
    double w = want[1]->get(static_cast<int64_t>(k));
    bool same_value = got_v[k] == w || (std::isnan(got_v[k]) && std::isnan(w));
    if (got_i[k] != want[0]->get_int(static_cast<int64_t>(k)) || !same_value) {
      if (wrong++ == 0) {
        UNSCOPED_INFO("first difference at "
                      << k << ": index " << got_i[k] << " value " << got_v[k] << ", want index "
                      << want[0]->get_int(static_cast<int64_t>(k)) << " value " << w);
      }
    }
  }
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("sort: a row of 300000 floats, ascending and descending", "[sort]") {
  // By rank (n^2 compares) this row alone would take minutes.
  kiln::manual_seed(7);
  auto x = kiln::randn({300000});
  x.eval();
  for (bool descending : {false, true}) check_sort(x, 0, descending);
  auto [v, i] = x.sort();
  auto sorted = v.to_vector<double>();
  CHECK(std::is_sorted(sorted.begin(), sorted.end()));
}

TEST_CASE("sort: every dtype, with many ties, over both dims", "[sort]") {
  kiln::manual_seed(11);
  // Values from a small range: most rows hold each value many times.
  auto small = kiln::randint(-4, 5, {37, 1500});
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kFloat16, kiln::kBFloat16,
                         kiln::kInt32, kiln::kInt64, kiln::kUInt8, kiln::kBool}) {
    auto x = (dt == kiln::kUInt8 ? small + 4 : small).to(dt);
    x.eval();
    for (int64_t dim : {0, 1}) {
      for (bool descending : {false, true}) check_sort(x, dim, descending);
    }
  }
}

TEST_CASE("sort: NaN, infinities and signed zeros", "[sort]") {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> row = {0.0, -0.0, nan, -inf, 1.0, inf, -nan, -0.0, -1.0, 0.0, nan, -inf};
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat64, kiln::kFloat16, kiln::kBFloat16}) {
    auto x = kiln::from_vector(row, {3, 4}).to(dt);
    x.eval();
    for (int64_t dim : {0, 1}) {
      for (bool descending : {false, true}) check_sort(x, dim, descending);
    }
    for (bool descending : {false, true}) check_sort(x.reshape({12}), 0, descending);
  }
  // PyTorch: tensor([0., -0., nan, -inf, 1., inf, -0.]).sort(stable=True) puts the zeros in
  // index order and NaN last.
  auto z = kiln::from_vector(std::vector<double>{0.0, -0.0, nan, -inf, 1.0, inf, -0.0}, {7});
  auto [v, i] = z.sort();
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{3, 0, 1, 6, 4, 5, 2});
}

TEST_CASE("sort: many rows over the thread pool, short and radix-sorted", "[sort]") {
  kiln::manual_seed(5);
  // Enough rows that every thread sorts a share: 20000 rows of 300 (radix), 100000 of 8.
  for (auto shape : {std::vector<int64_t>{20000, 300}, std::vector<int64_t>{100000, 8}}) {
    auto x = kiln::randint(-50, 50, shape).to(kiln::kFloat32);
    x.eval();
    for (bool descending : {false, true}) check_sort(x, 1, descending);
  }
}

TEST_CASE("sort: NaN, infinities and signed zeros in rows sorted by radix", "[sort]") {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<double> special = {0.0, -0.0, nan, -inf, inf, -nan, 1.5, -1.5};
  std::vector<double> row;
  for (int i = 0; i < 1000; ++i)
    row.push_back(i % 3 == 0 ? special[static_cast<size_t>(i / 3) % special.size()]
                             : std::sin(0.1 * i) * 4);
  for (kiln::DType dt : {kiln::kFloat32, kiln::kFloat16, kiln::kBFloat16, kiln::kFloat64}) {
    auto x = kiln::from_vector(row, {2, 500}).to(dt);
    x.eval();
    for (bool descending : {false, true}) {
      check_sort(x, 1, descending);
      check_sort(x.flip({1}), 1, descending);  // a negative stride along the row
    }
  }
}

TEST_CASE("sort: views are sorted in place, a computed input first materialized", "[sort]") {
  kiln::manual_seed(3);
  auto x = kiln::randn({64, 257, 3});
  x.eval();
  for (bool descending : {false, true}) {
    check_sort(x, 1, descending);                                      // strided rows
    check_sort(x.transpose(0, 2), 2, descending);                      // a permuted view
    check_sort(x.slice(1, 3, 250, 4).flip({0}), 0, descending);        // sliced, negative
    check_sort(x.select(2, 1).expand({5, 64, 257}), 2, descending);    // broadcast rows
    check_sort(x.slice(1, 0, 1).expand({64, 300, 3}), 1, descending);  // stride 0 along it
    check_sort((x * 2.0 + 1.0).reshape({64, 771}), 1, descending);     // computed (exactly)
  }
}

TEST_CASE("sort: a 0-d tensor, empty rows and rows of one", "[sort]") {
  auto scalar = kiln::scalar_tensor(2.5);
  auto [v, i] = scalar.sort();
  CHECK(i.dim() == 0);
  CHECK(i.item<int64_t>() == 0);
  CHECK(v.item<double>() == 2.5);
  check_sort(kiln::zeros({4, 0}), 1, false);
  check_sort(kiln::zeros({0, 4}), 1, true);
  check_sort(kiln::arange(5.0).reshape({5, 1}), 1, false);
}

TEST_CASE("argsort and topk: sort's indices, the k largest or smallest", "[sort]") {
  auto x = kiln::tensor({{3.0, 1.0, 2.0, 1.0, 5.0}, {0.5, -1.0, 0.5, 7.0, -2.0}});
  auto [sv, si] = x.sort(1, true);
  CHECK(x.argsort(1, true).to_vector<int64_t>() == si.to_vector<int64_t>());
  CHECK(kiln::argsort(x).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 3, 2, 0, 4, 4, 1, 0, 2, 3});
  // PyTorch: x.topk(2) -> values [[5, 3], [7, 0.5]], indices [[4, 0], [3, 0]]; ties (the two
  // 0.5s) come in index order here.
  auto [v, i] = x.topk(2);
  CHECK(v.sizes() == std::vector<int64_t>{2, 2});
  CHECK(v.to_vector<double>() == std::vector<double>{5, 3, 7, 0.5});
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{4, 0, 3, 0});
  auto [lv, li] = kiln::topk(x, 3, -1, /*largest=*/false);
  CHECK(lv.to_vector<double>() == std::vector<double>{1, 1, 2, -2, -1, 0.5});
  CHECK(li.to_vector<int64_t>() == std::vector<int64_t>{1, 3, 2, 4, 1, 0});
  auto [cv, ci] = x.topk(1, 0);  // along dim 0
  CHECK(cv.to_vector<double>() == std::vector<double>{3, 1, 2, 7, 5});
  CHECK(ci.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 1, 0});
  auto [ev, ei] = x.topk(0);
  CHECK(ev.sizes() == std::vector<int64_t>{2, 0});
  CHECK(ei.numel() == 0);
  REQUIRE_THROWS_AS(x.topk(6), kiln::IndexError);
  REQUIRE_THROWS_AS(x.topk(-1), kiln::IndexError);
  REQUIRE_THROWS_AS(x.topk(1, 2), kiln::Error);
  // A long row: the 5 largest of 100000.
  kiln::manual_seed(9);
  auto r = kiln::randn({100000});
  auto [rv, ri] = r.topk(5);
  auto all = r.to_vector<double>();
  std::sort(all.begin(), all.end(), std::greater<>());
  CHECK(rv.to_vector<double>() == std::vector<double>(all.begin(), all.begin() + 5));
  for (int64_t j = 0; j < 5; ++j)
    CHECK(r[ri[j].item<int64_t>()].item<double>() == rv[j].item<double>());
}

TEST_CASE("topk: the gradient goes to the selected elements", "[sort]") {
  auto x = kiln::tensor({4.0, -1.0, 9.0, 2.0, 7.0}).requires_grad_();
  auto [v, i] = x.topk(2);
  (v * kiln::tensor({10.0, 100.0})).sum().backward();
  CHECK(x.grad().to_vector<double>() == std::vector<double>{0, 0, 10, 0, 100});
}
