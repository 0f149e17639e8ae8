// Tests of the creation functions: literal lists, from_vector, constants, eye, *_like, arange,
// linspace and the random generators. Expected values are closed forms or hand-worked, except
// where a comment says they were printed by real PyTorch 2.15.0 (CPU).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using Catch::Contains;

namespace {

using Shape = std::vector<int64_t>;

void check_close(const std::vector<double>& got, const std::vector<double>& want,
                 double eps = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(want[i]).margin(eps).epsilon(eps));
  }
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double std_of(const std::vector<double>& v) {
  double m = mean_of(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

}  // namespace

TEST_CASE("tensor: 1-D list of floats is float32", "[creation]") {
  auto t = kiln::tensor({1.f, 2.f, 3.f});
  CHECK(t.sizes() == Shape{3});
  CHECK(t.dim() == 1);
  CHECK(t.numel() == 3);
  CHECK(t.dtype() == kiln::kFloat32);
  CHECK(t.is_contiguous());
  CHECK(t.strides() == Shape{1});
  CHECK(t.to_vector<float>() == std::vector<float>{1.f, 2.f, 3.f});
}

TEST_CASE("tensor: double literals are float32, int literals int64, bools bool", "[creation]") {
  auto d = kiln::tensor({{0.4410, -1.0317}, {-0.2844, -0.1035}});
  CHECK(d.dtype() == kiln::kFloat32);
  CHECK(d.sizes() == Shape{2, 2});
  // The values are rounded to float32.
  CHECK(d.to_vector<double>()[0] == static_cast<double>(0.4410f));
  CHECK(d.to_vector<double>()[3] == static_cast<double>(-0.1035f));

  auto i = kiln::tensor({1, 2, 3});
  CHECK(i.dtype() == kiln::kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3});

  auto b = kiln::tensor({true, false, true});
  CHECK(b.dtype() == kiln::kBool);
  CHECK(b.to_vector<bool>() == std::vector<bool>{true, false, true});
}

TEST_CASE("tensor: nested lists up to 4-D give row-major shapes", "[creation]") {
  auto t2 = kiln::tensor({{1, 2, 3}, {4, 5, 6}});
  CHECK(t2.sizes() == Shape{2, 3});
  CHECK(t2.strides() == Shape{3, 1});
  CHECK(t2.to_vector<int>() == std::vector<int>{1, 2, 3, 4, 5, 6});

  auto t3 = kiln::tensor({{{1.0, 2.0}}, {{3.0, 4.0}}, {{5.0, 6.0}}});
  CHECK(t3.sizes() == Shape{3, 1, 2});
  CHECK(t3.to_vector<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});

  auto t4 = kiln::tensor({{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}});
  CHECK(t4.sizes() == Shape{1, 2, 2, 2});
  CHECK(t4.dim() == 4);
  CHECK(t4.strides() == Shape{8, 4, 2, 1});
  CHECK(t4.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("tensor: options choose dtype", "[creation]") {
  auto t = kiln::tensor({1.5, 2.5}, kiln::kFloat64);
  CHECK(t.dtype() == kiln::kFloat64);
  CHECK(t.to_vector<double>() == std::vector<double>{1.5, 2.5});

  auto i = kiln::tensor({1.7, -2.7}, kiln::TensorOptions().dtype(kiln::kInt32));
  CHECK(i.dtype() == kiln::kInt32);
  CHECK(i.to_vector<int>() == std::vector<int>{1, -2});  // truncation toward zero

  auto h = kiln::tensor({0.1, 1.0}, kiln::kFloat16);
  CHECK(h.dtype() == kiln::kFloat16);
  // 0.1 rounded to half precision is 0.0999755859375 (1638 / 16384).
  CHECK(h.to_vector<double>()[0] == 0.0999755859375);

  auto r = kiln::tensor({1.0, 2.0}, kiln::TensorOptions().requires_grad(true));
  CHECK(r.requires_grad());
}

TEST_CASE("tensor: a ragged nested list throws ShapeError", "[creation]") {
  REQUIRE_THROWS_AS(kiln::tensor({{1, 2, 3}, {4, 5}}), kiln::ShapeError);
  REQUIRE_THROWS_WITH(kiln::tensor({{1, 2, 3}, {4, 5}}),
                      Contains("[tensor]") && Contains("ragged"));
  REQUIRE_THROWS_WITH(kiln::tensor({{{1.0}, {2.0, 3.0}}}), Contains("ragged"));
}

TEST_CASE("scalar_tensor is 0-d", "[creation]") {
  auto s = kiln::scalar_tensor(2.5);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.sizes().empty());
  CHECK(s.dtype() == kiln::kFloat32);
  CHECK(s.item<float>() == 2.5f);
  CHECK(kiln::scalar_tensor(3).dtype() == kiln::kInt64);
  CHECK(kiln::scalar_tensor(true).dtype() == kiln::kBool);
}

TEST_CASE("from_vector: dtype follows the element type", "[creation]") {
  auto f = kiln::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(f.dtype() == kiln::kFloat32);
  CHECK(f.sizes() == Shape{2, 3});
  CHECK(f.to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});

  auto d = kiln::from_vector(std::vector<double>{0.1, 0.2});
  CHECK(d.dtype() == kiln::kFloat64);
  CHECK(d.sizes() == Shape{2});
  CHECK(d.to_vector<double>() == std::vector<double>{0.1, 0.2});  // exact: no float32 rounding

  auto i32 = kiln::from_vector(std::vector<int32_t>{-1, 2147483647}, {2});
  CHECK(i32.dtype() == kiln::kInt32);
  CHECK(i32.to_vector<int64_t>() == std::vector<int64_t>{-1, 2147483647});

  const int64_t big = (int64_t{1} << 53) + 1;  // not representable as a double
  auto i64 = kiln::from_vector(std::vector<int64_t>{big, -big}, {2, 1});
  CHECK(i64.dtype() == kiln::kInt64);
  CHECK(i64.sizes() == Shape{2, 1});
  CHECK(i64.to_vector<int64_t>() == std::vector<int64_t>{big, -big});

  auto u8 = kiln::from_vector(std::vector<uint8_t>{0, 200, 255});
  CHECK(u8.dtype() == kiln::kUInt8);
  CHECK(u8.to_vector<int>() == std::vector<int>{0, 200, 255});

  auto b = kiln::from_vector(std::vector<bool>{true, false}, {2});
  CHECK(b.dtype() == kiln::kBool);
  CHECK(b.to_vector<int>() == std::vector<int>{1, 0});

  auto conv = kiln::from_vector(std::vector<int>{1, 2, 3}, {3}, kiln::kFloat64);
  CHECK(conv.dtype() == kiln::kFloat64);
  CHECK(conv.to_vector<double>() == std::vector<double>{1, 2, 3});
}

TEST_CASE("from_vector copies the data", "[creation]") {
  std::vector<float> v{1, 2, 3};
  auto t = kiln::from_vector(v, {3});
  v[0] = 100;
  CHECK(t.to_vector<float>() == std::vector<float>{1, 2, 3});
}

TEST_CASE("from_vector: a count that does not fill the shape throws", "[creation]") {
  REQUIRE_THROWS_AS(kiln::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), kiln::ShapeError);
  REQUIRE_THROWS_WITH(kiln::from_vector(std::vector<float>{1, 2, 3}, {2, 2}),
                      Contains("3 values cannot fill shape [2, 2]"));
  REQUIRE_THROWS_WITH(kiln::from_vector(std::vector<int>{1, 2}, {-1, -2}),
                      Contains("negative dimension"));
}

TEST_CASE("zeros, ones, full, empty", "[creation]") {
  auto z = kiln::zeros({2, 3});
  CHECK(z.dtype() == kiln::kFloat32);
  CHECK(z.sizes() == Shape{2, 3});
  CHECK(z.to_vector<double>() == std::vector<double>(6, 0.0));

  auto o = kiln::ones({2, 3}, kiln::kLong);
  CHECK(o.dtype() == kiln::kInt64);
  CHECK(o.to_vector<int64_t>() == std::vector<int64_t>(6, 1));

  auto o0 = kiln::ones({});
  CHECK(o0.dim() == 0);
  CHECK(o0.item<float>() == 1.f);

  auto e = kiln::zeros({0, 4});
  CHECK(e.numel() == 0);
  CHECK(e.to_vector<float>().empty());

  CHECK(kiln::empty({3, 2}).sizes() == Shape{3, 2});
  CHECK(kiln::empty({3, 2}).dtype() == kiln::kFloat32);

  // full infers the dtype from the fill value, as torch.full does.
  CHECK(kiln::full({2}, 7.0).dtype() == kiln::kFloat32);
  CHECK(kiln::full({2}, 7).dtype() == kiln::kInt64);
  CHECK(kiln::full({2}, true).dtype() == kiln::kBool);
  CHECK(kiln::full({2}, 7.0).to_vector<double>() == std::vector<double>{7, 7});
  CHECK(kiln::full({2, 2}, -3).to_vector<int64_t>() == std::vector<int64_t>(4, -3));
  CHECK(kiln::full({2}, 2.5, kiln::kFloat64).dtype() == kiln::kFloat64);
  CHECK(kiln::full({1}, 0.1).item<double>() == static_cast<double>(0.1f));
}

TEST_CASE("full: a value the dtype cannot hold throws, as in PyTorch", "[creation]") {
  // PyTorch: "value cannot be converted to type uint8_t without overflow"; an unsigned dtype
  // takes negatives down to -255 (they wrap), a floating one infinities and NaN.
  auto u8 = kiln::TensorOptions(kiln::kUInt8);
  REQUIRE_THROWS_AS(kiln::full({2}, 300, u8), kiln::ValueError);
  REQUIRE_THROWS_WITH(kiln::full({2}, 300, u8),
                      Contains("[full]") && Contains("cannot be converted to type uint8"));
  CHECK(kiln::full({2}, -1, u8).to_vector<int64_t>() == std::vector<int64_t>{255, 255});
  CHECK_THROWS_AS(kiln::full({2}, -256, u8), kiln::ValueError);
  CHECK_THROWS_AS(kiln::full({2}, int64_t{1} << 40, kiln::TensorOptions(kiln::kInt32)),
                  kiln::ValueError);
  CHECK_THROWS_AS(kiln::full({2}, 1e39, kiln::TensorOptions(kiln::kFloat32)), kiln::ValueError);
  CHECK_THROWS_AS(kiln::full({2}, -1.0, u8), kiln::ValueError);  // only integers wrap
  // float16 and bfloat16 round what they cannot hold to infinity (PyTorch: full(1e6) -> inf).
  CHECK(std::isinf(kiln::full({1}, 1e6, kiln::TensorOptions(kiln::kFloat16)).item<double>()));
  CHECK(std::isinf(kiln::full({1}, 1e39, kiln::TensorOptions(kiln::kBFloat16)).item<double>()));
  CHECK_THROWS_AS(kiln::full({2}, std::nan(""), kiln::TensorOptions(kiln::kInt64)),
                  kiln::ValueError);
  CHECK(std::isinf(kiln::full({1}, INFINITY, kiln::TensorOptions(kiln::kFloat16)).item<double>()));
  CHECK(kiln::full({1}, 2, kiln::TensorOptions(kiln::kBool)).item<bool>());
  CHECK_THROWS_AS(kiln::zeros({2}, u8).fill_(256), kiln::ValueError);
}

TEST_CASE("creation: negative dims throw ShapeError naming the op", "[creation]") {
  REQUIRE_THROWS_AS(kiln::zeros({2, -1}), kiln::ShapeError);
  REQUIRE_THROWS_WITH(kiln::zeros({2, -1}), Contains("[zeros]") && Contains("[2, -1]"));
  REQUIRE_THROWS_WITH(kiln::ones({-3}), Contains("[ones]") && Contains("negative"));
  REQUIRE_THROWS_WITH(kiln::full({-3}, 1.0), Contains("[full]"));
  REQUIRE_THROWS_WITH(kiln::rand({-3}), Contains("[rand]") && Contains("negative"));
  REQUIRE_THROWS_WITH(kiln::randn({2, -2}), Contains("[randn]"));
  REQUIRE_THROWS_AS(kiln::eye(-1), kiln::ShapeError);
  REQUIRE_THROWS_WITH(kiln::eye(-1), Contains("[eye]"));
}

TEST_CASE("eye", "[creation]") {
  auto i3 = kiln::eye(3);
  CHECK(i3.dtype() == kiln::kFloat32);
  CHECK(i3.sizes() == Shape{3, 3});
  CHECK(i3.to_vector<double>() == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});

  auto r = kiln::eye(2, 4, kiln::kInt64);
  CHECK(r.dtype() == kiln::kInt64);
  CHECK(r.sizes() == Shape{2, 4});
  CHECK(r.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 0, 1, 0, 0});

  auto c = kiln::eye(3, 1);
  CHECK(c.to_vector<double>() == std::vector<double>{1, 0, 0});
  CHECK(kiln::eye(2, kiln::kBool).dtype() == kiln::kBool);
  CHECK(kiln::eye(0).numel() == 0);
}

TEST_CASE("*_like take shape, dtype and device from the tensor", "[creation]") {
  auto t = kiln::tensor({{1, 2, 3}, {4, 5, 6}}, kiln::kInt32);
  auto z = kiln::zeros_like(t);
  CHECK(z.sizes() == Shape{2, 3});
  CHECK(z.dtype() == kiln::kInt32);
  CHECK(z.device() == t.device());
  CHECK(z.to_vector<int>() == std::vector<int>(6, 0));

  auto o = kiln::ones_like(t, kiln::kFloat64);
  CHECK(o.dtype() == kiln::kFloat64);
  CHECK(o.to_vector<double>() == std::vector<double>(6, 1.0));

  // full_like keeps the tensor's dtype even for a float fill (torch.full_like truncates).
  auto f = kiln::full_like(t, 7.9);
  CHECK(f.dtype() == kiln::kInt32);
  CHECK(f.to_vector<int>() == std::vector<int>(6, 7));

  auto ft = kiln::full_like(kiln::zeros({2}), 0.5);
  CHECK(ft.to_vector<double>() == std::vector<double>{0.5, 0.5});

  auto r = kiln::rand_like(kiln::zeros({4, 5}, kiln::kFloat64));
  CHECK(r.sizes() == Shape{4, 5});
  CHECK(r.dtype() == kiln::kFloat64);
  auto n = kiln::randn_like(kiln::zeros({3}));
  CHECK(n.sizes() == Shape{3});
  CHECK(n.dtype() == kiln::kFloat32);
}

TEST_CASE("arange: integer arguments give int64, any float gives float32", "[creation]") {
  auto a = kiln::arange(6);
  CHECK(a.dtype() == kiln::kInt64);
  CHECK(a.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3, 4, 5});

  auto b = kiln::arange(0, 10, 2);
  CHECK(b.dtype() == kiln::kInt64);
  CHECK(b.to_vector<int64_t>() == std::vector<int64_t>{0, 2, 4, 6, 8});

  CHECK(kiln::arange(5.0).dtype() == kiln::kFloat32);
  CHECK(kiln::arange(5.0).to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4});
  CHECK(kiln::arange(1, 2.5, 0.5).dtype() == kiln::kFloat32);
  CHECK(kiln::arange(1, 2.5, 0.5).to_vector<double>() == std::vector<double>{1.0, 1.5, 2.0});
  CHECK(kiln::arange(4, kiln::kFloat64).dtype() == kiln::kFloat64);
  CHECK(kiln::arange(0).numel() == 0);
  CHECK(kiln::arange(3, 3).numel() == 0);
}

TEST_CASE("arange: negative steps and fractional lengths", "[creation]") {
  // torch.arange(10, 0, -3) -> [10, 7, 4, 1]
  auto d = kiln::arange(10, 0, -3);
  CHECK(d.dtype() == kiln::kInt64);
  CHECK(d.to_vector<int64_t>() == std::vector<int64_t>{10, 7, 4, 1});

  auto f = kiln::arange(-1.0, -2.0, -0.25);
  CHECK(f.to_vector<double>() == std::vector<double>{-1.0, -1.25, -1.5, -1.75});

  // torch.arange(0, 1, 0.1) (PyTorch 2.15.0): ten elements, computed in double then rounded.
  auto t = kiln::arange(0, 1, 0.1);
  REQUIRE(t.numel() == 10);
  check_close(
      t.to_vector<double>(),
      {0.0, 0.10000000149011612, 0.20000000298023224, 0.30000001192092896, 0.4000000059604645, 0.5,
       0.6000000238418579, 0.699999988079071, 0.800000011920929, 0.8999999761581421},
      0.0);
}

TEST_CASE("arange: the length is ceil((end - start) / step) in double, as PyTorch", "[creation]") {
  // PyTorch: arange(1, 1.3, 0.1) has 4 elements (0.3 / 0.1 > 3 in double); arange(0, 0.3, 0.1) 3.
  check_close(kiln::arange(1, 1.3, 0.1).to_vector<double>(),
              {1.0, 1.100000023841858, 1.2000000476837158, 1.2999999523162842}, 0.0);
  check_close(kiln::arange(0, 0.3, 0.1).to_vector<double>(),
              {0.0, 0.10000000149011612, 0.20000000298023224}, 0.0);
}

TEST_CASE("arange: int64 values past 2^53 are exact", "[creation]") {
  const int64_t big = int64_t{1} << 53;
  // PyTorch: arange(2**53, 2**53 + 4) -> [9007199254740992, ..., 9007199254740995]
  CHECK(kiln::arange(big, big + 4).to_vector<int64_t>() ==
        std::vector<int64_t>{big, big + 1, big + 2, big + 3});
  // The length too: arange(2**53 - 2, 2**53 + 3) has 5 elements (a double count gave 6).
  auto odd = kiln::arange(big - 2, big + 3);
  CHECK(odd.to_vector<int64_t>() == std::vector<int64_t>{big - 2, big - 1, big, big + 1, big + 2});
  CHECK(kiln::arange(big + 7, big, -3).to_vector<int64_t>() ==
        std::vector<int64_t>{big + 7, big + 4, big + 1});
  CHECK_THROWS_AS(kiln::arange(big + 1, big), kiln::Error);  // equal as doubles
  CHECK_THROWS_WITH(
      kiln::arange(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()),
      Contains("overflow"));
}

TEST_CASE("tensor: int64 literals past 2^53 are exact", "[creation]") {
  // PyTorch: torch.tensor([2**53 + 1, -(2**53 + 1)]).tolist() == [9007199254740993, ...]
  const int64_t v = (int64_t{1} << 53) + 1;
  CHECK(kiln::tensor({v, -v}).to_vector<int64_t>() == std::vector<int64_t>{v, -v});
  CHECK(kiln::tensor({{v}, {v + 2}}).to_vector<int64_t>() == std::vector<int64_t>{v, v + 2});
}

TEST_CASE("arange: bad steps throw", "[creation]") {
  REQUIRE_THROWS_AS(kiln::arange(0, 10, 0), kiln::Error);
  REQUIRE_THROWS_WITH(kiln::arange(0, 10, 0), Contains("[arange]") && Contains("step"));
  REQUIRE_THROWS_WITH(kiln::arange(0, 10, -1), Contains("[arange]"));
  REQUIRE_THROWS_WITH(kiln::arange(10, 0, 1), Contains("[arange]"));
}

TEST_CASE("linspace: PyTorch's exact float32 values", "[creation]") {
  // Literals printed by PyTorch 2.15.0: torch.linspace(0, 5, 101)[[0,1,2,33,50,51,67,99,100]].
  auto t = kiln::linspace(0, 5, 101);
  CHECK(t.dtype() == kiln::kFloat32);
  REQUIRE(t.numel() == 101);
  auto v = t.to_vector<double>();
  const std::vector<int> idx{0, 1, 2, 33, 50, 51, 67, 99, 100};
  const std::vector<double> want{0.0, 0.05000000074505806, 0.10000000149011612, 1.649999976158142,
                                 2.5, 2.549999952316284,   3.3499999046325684,  4.949999809265137,
                                 5.0};
  for (size_t k = 0; k < idx.size(); ++k) {
    INFO("index " << idx[k]);
    CHECK(v[static_cast<size_t>(idx[k])] == want[k]);
  }

  // torch.linspace(-1, 1, 7): the middle element is not exactly 0 in PyTorch.
  auto s = kiln::linspace(-1, 1, 7).to_vector<double>();
  const std::vector<double> want7{-1.0,
                                  -0.6666666269302368,
                                  -0.3333333134651184,
                                  -2.9802322387695312e-08,
                                  0.3333333134651184,
                                  0.6666666269302368,
                                  1.0};
  check_close(s, want7, 1e-7);

  // torch.linspace(0, 1, 10)
  check_close(kiln::linspace(0, 1, 10).to_vector<double>(),
              {0.0, 0.1111111119389534, 0.2222222238779068, 0.3333333432674408, 0.4444444477558136,
               0.5555555820465088, 0.6666666865348816, 0.7777777910232544, 0.8888888955116272, 1.0},
              0.0);
}

TEST_CASE("linspace: an integer dtype truncates", "[creation]") {
  // PyTorch: linspace(0, 10, 5, dtype=int64) -> [0, 2, 5, 7, 10]; (0, -10) -> [0, -2, -5, -7, -10]
  auto t = kiln::linspace(0, 10, 5, kiln::kInt64);
  CHECK(t.dtype() == kiln::kInt64);
  CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{0, 2, 5, 7, 10});
  CHECK(kiln::linspace(0, -10, 5, kiln::kInt64).to_vector<int64_t>() ==
        std::vector<int64_t>{0, -2, -5, -7, -10});
}

TEST_CASE("full: an int64 fill past 2^53 is exact", "[creation]") {
  const int64_t v = (int64_t{1} << 53) + 1;
  // PyTorch: full((1,), 2**53 + 1) -> [9007199254740993]
  CHECK(kiln::full({1}, v).item<int64_t>() == v);
}

TEST_CASE("linspace: float64, one step, zero steps", "[creation]") {
  auto d = kiln::linspace(0, 1, 10, kiln::kFloat64);
  CHECK(d.dtype() == kiln::kFloat64);
  auto v = d.to_vector<double>();
  for (int i = 0; i < 10; ++i) CHECK(v[static_cast<size_t>(i)] == Approx(i / 9.0).epsilon(1e-15));
  CHECK(v.front() == 0.0);
  CHECK(v.back() == 1.0);

  auto one = kiln::linspace(3, 7, 1);
  CHECK(one.sizes() == Shape{1});
  CHECK(one.item<double>() == 3.0);
  CHECK(kiln::linspace(0, 1, 0).numel() == 0);
  REQUIRE_THROWS_WITH(kiln::linspace(0, 1, -1), Contains("[linspace]"));
}

TEST_CASE("rand: shape, dtype, range", "[creation]") {
  kiln::manual_seed(1);
  auto r = kiln::rand({2, 5});
  CHECK(r.sizes() == Shape{2, 5});
  CHECK(r.dtype() == kiln::kFloat32);
  auto d = kiln::rand({1000}, kiln::kFloat64);
  CHECK(d.dtype() == kiln::kFloat64);
  for (double x : d.to_vector<double>()) {
    CHECK(x >= 0.0);
    CHECK(x < 1.0);
  }
  CHECK(kiln::rand({}).dim() == 0);
  CHECK(kiln::rand({0, 3}).numel() == 0);
}

TEST_CASE("rand/randn/randint: the same seed gives the same numbers, later calls differ",
          "[creation]") {
  kiln::manual_seed(1234);
  auto a1 = kiln::rand({50}).to_vector<double>();
  auto a2 = kiln::rand({50}).to_vector<double>();
  auto n1 = kiln::randn({50}).to_vector<double>();
  auto i1 = kiln::randint(0, 1000, {50}).to_vector<int64_t>();
  kiln::manual_seed(1234);
  auto b1 = kiln::rand({50}).to_vector<double>();
  auto b2 = kiln::rand({50}).to_vector<double>();
  auto m1 = kiln::randn({50}).to_vector<double>();
  auto j1 = kiln::randint(0, 1000, {50}).to_vector<int64_t>();
  CHECK(a1 == b1);
  CHECK(a2 == b2);
  CHECK(n1 == m1);
  CHECK(i1 == j1);
  CHECK(a1 != a2);

  kiln::manual_seed(1235);
  CHECK(kiln::rand({50}).to_vector<double>() != a1);

  // Realizing a random tensor twice gives the same values (the node is fixed at creation).
  auto r = kiln::randn({8});
  CHECK(r.to_vector<double>() == r.to_vector<double>());

  // The elements within one tensor are distinct.
  std::set<double> distinct(a1.begin(), a1.end());
  CHECK(distinct.size() == a1.size());
}

TEST_CASE("rand: mean and std of 100k samples", "[creation]") {
  kiln::manual_seed(42);
  auto v = kiln::rand({100000}).to_vector<double>();
  // U[0, 1): mean 1/2, std 1/sqrt(12) = 0.288675.
  CHECK(mean_of(v) == Approx(0.5).margin(0.01));
  CHECK(std_of(v) == Approx(1.0 / std::sqrt(12.0)).margin(0.01));
  double lo = 1, hi = 0;
  int below_tenth = 0;
  for (double x : v) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    below_tenth += x < 0.1;
  }
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);
  CHECK(below_tenth == Approx(10000).margin(600));
}

TEST_CASE("randn: mean and std of 100k samples", "[creation]") {
  kiln::manual_seed(7);
  auto t = kiln::randn({100, 1000});
  CHECK(t.sizes() == Shape{100, 1000});
  CHECK(t.dtype() == kiln::kFloat32);
  auto v = t.to_vector<double>();
  CHECK(mean_of(v) == Approx(0.0).margin(0.02));
  CHECK(std_of(v) == Approx(1.0).margin(0.02));
  // About 68.27% of a standard normal lies in (-1, 1).
  int inside = 0;
  for (double x : v) inside += std::abs(x) < 1.0;
  CHECK(inside / 100000.0 == Approx(0.6827).margin(0.01));
  for (double x : v) REQUIRE(std::isfinite(x));
}

TEST_CASE("randint: range, dtype and a uniform spread", "[creation]") {
  kiln::manual_seed(3);
  auto t = kiln::randint(-3, 7, {100000});
  CHECK(t.dtype() == kiln::kInt64);
  CHECK(t.sizes() == Shape{100000});
  std::vector<int> counts(10, 0);
  for (int64_t x : t.to_vector<int64_t>()) {
    REQUIRE(x >= -3);
    REQUIRE(x < 7);
    ++counts[static_cast<size_t>(x + 3)];
  }
  for (int c : counts) CHECK(c == Approx(10000).margin(600));

  auto u = kiln::randint(5, {4, 4}, kiln::kInt32);
  CHECK(u.dtype() == kiln::kInt32);
  CHECK(u.sizes() == Shape{4, 4});
  for (int x : u.to_vector<int>()) {
    CHECK(x >= 0);
    CHECK(x < 5);
  }
  CHECK(kiln::randint(0, 1, {3}).to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0});
  CHECK(kiln::randint(0, 10, {3}, kiln::kFloat32).dtype() == kiln::kFloat32);
}

TEST_CASE("random: errors for bad dtypes and ranges", "[creation]") {
  REQUIRE_THROWS_AS(kiln::rand({2}, kiln::kLong), kiln::DTypeError);
  REQUIRE_THROWS_WITH(kiln::rand({2}, kiln::kLong), Contains("[rand]") && Contains("int64"));
  REQUIRE_THROWS_WITH(kiln::randn({2}, kiln::kInt32), Contains("[randn]") && Contains("int32"));
  REQUIRE_THROWS_WITH(kiln::randint(5, 5, {2}), Contains("[randint]") && Contains("from=5"));
  REQUIRE_THROWS_WITH(kiln::randint(5, 2, {2}), Contains("[randint]"));
}

TEST_CASE("creation: requires_grad(true) makes eye, arange and linspace leaves", "[creation]") {
  auto rg = kiln::TensorOptions().requires_grad(true);
  auto e = kiln::eye(2, 3, rg);
  CHECK(e.requires_grad());
  CHECK(e.is_leaf());
  CHECK(e.to_vector<double>() == std::vector<double>{1, 0, 0, 0, 1, 0});
  (e * kiln::arange(6, kiln::kFloat32).view({2, 3})).sum().backward();
  CHECK(e.grad().to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5});
  CHECK(kiln::eye(3, rg).requires_grad());

  auto a = kiln::arange(0.0, 1.0, 0.25, rg);
  CHECK(a.requires_grad());
  CHECK(a.is_leaf());
  (a * a).sum().backward();  // d/da sum(a^2) = 2a
  CHECK(a.grad().to_vector<double>() == std::vector<double>{0, 0.5, 1.0, 1.5});
  auto af = kiln::arange(3, rg.dtype(kiln::kFloat64));  // integer bounds, a float dtype
  CHECK(af.requires_grad());
  CHECK(af.to_vector<double>() == std::vector<double>{0, 1, 2});
  // PyTorch: arange(3, requires_grad=True) is int64, and only floats can require gradients.
  REQUIRE_THROWS_AS(kiln::arange(3, rg), kiln::DTypeError);

  auto l = kiln::linspace(0, 1, 5, rg);
  CHECK(l.requires_grad());
  CHECK(l.is_leaf());
  (l * 3.0).sum().backward();
  CHECK(l.grad().to_vector<double>() == std::vector<double>{3, 3, 3, 3, 3});
  CHECK(kiln::linspace(2, 2, 1, rg).requires_grad());  // the one-step path

  CHECK_FALSE(kiln::eye(2).requires_grad());
  CHECK_FALSE(kiln::arange(0.0, 1.0, 0.5).requires_grad());
  CHECK_FALSE(kiln::linspace(0, 1, 3).requires_grad());
}

TEST_CASE("randint: requires_grad needs a float dtype and marks only the result", "[creation]") {
  auto rg = kiln::TensorOptions().requires_grad(true);
  // PyTorch: randint(0, 10, (4,), requires_grad=True) throws: int64 cannot require gradients.
  REQUIRE_THROWS_AS(kiln::randint(0, 10, {4}, rg), kiln::DTypeError);
  REQUIRE_THROWS_WITH(kiln::randint(10, {4}, rg.dtype(kiln::kInt32)),
                      Contains("[randint]") && Contains("int32"));
  // A rejected call draws no numbers.
  kiln::manual_seed(5);
  auto first = kiln::randint(0, 10, {4}).to_vector<int64_t>();
  kiln::manual_seed(5);
  CHECK_THROWS_AS(kiln::randint(0, 10, {4}, rg), kiln::DTypeError);
  CHECK(kiln::randint(0, 10, {4}).to_vector<int64_t>() == first);

  // A float dtype may require grad; the result is the leaf, not the uniform draw behind it.
  auto f = kiln::randint(0, 10, {4}, rg.dtype(kiln::kFloat32));
  CHECK(f.dtype() == kiln::kFloat32);
  CHECK(f.requires_grad());
  CHECK(f.is_leaf());
  for (double v : f.to_vector<double>()) {
    CHECK(v == std::floor(v));
    CHECK(v >= 0);
    CHECK(v < 10);
  }
  (f * 2.0).sum().backward();
  CHECK(f.grad().to_vector<double>() == std::vector<double>{2, 2, 2, 2});
  CHECK(kiln::randint(0, 10, {2}, rg.dtype(kiln::kFloat64)).is_leaf());
  CHECK_FALSE(kiln::randint(0, 10, {4}, kiln::kFloat32).requires_grad());
}

TEST_CASE("randperm is a permutation", "[creation]") {
  kiln::manual_seed(11);
  auto p = kiln::randperm(20);
  CHECK(p.dtype() == kiln::kInt64);
  auto v = p.to_vector<int64_t>();
  std::set<int64_t> s(v.begin(), v.end());
  CHECK(s.size() == 20);
  CHECK(*s.begin() == 0);
  CHECK(*s.rbegin() == 19);
}

TEST_CASE("creation: a CUDA device throws DeviceError without a CUDA backend", "[creation]") {
  if (kiln::cuda::is_available()) {
    WARN("CUDA present: skipping the no-backend check");
    return;
  }
  REQUIRE_THROWS_AS(kiln::zeros({2}, kiln::Device(kiln::kCUDA, 0)), kiln::DeviceError);
  REQUIRE_THROWS_WITH(kiln::zeros({2}, kiln::Device(kiln::kCUDA, 0)), Contains("[zeros]"));
}

TEST_CASE("a bool tensor filled with a fractional value is true", "[creation]") {
  CHECK(kiln::full({2}, 0.5, kiln::kBool).to_vector<int64_t>() == std::vector<int64_t>{1, 1});
  CHECK(kiln::zeros({2}, kiln::kBool).fill_(0.5).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 1});
  CHECK(kiln::full({2}, 0.0, kiln::kBool).to_vector<int64_t>() == std::vector<int64_t>{0, 0});
}
