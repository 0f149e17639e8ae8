// Tests of the elementwise ops: arithmetic, type promotion, math functions, pow, clamp,
// minimum/maximum, where, comparisons, logical ops and broadcasting (a seeded property test
// against a small row-major reference written here). Literals marked "PyTorch" were printed by
// real PyTorch 2.15.0 (CPU); the rest are closed forms or worked by hand.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "kiln/compiler/interpreter.h"

using Catch::Contains;

namespace {

using Shape = std::vector<int64_t>;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// float32 results are compared with a relative tolerance of a few ulps of float.
void check_close(const std::vector<double>& got, const std::vector<double>& want,
                 double eps = 1e-6) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    if (std::isnan(want[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::isinf(want[i])) {
      CHECK(got[i] == want[i]);
    } else {
      CHECK(got[i] == Approx(want[i]).margin(eps).epsilon(eps));
    }
  }
}

std::vector<double> values(const kiln::Tensor& t) { return t.to_vector<double>(); }

kiln::Tensor sample() { return kiln::tensor({-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5}); }
kiln::Tensor positive() { return kiln::tensor({0.25, 0.5, 1.0, 2.0, 10.0}); }

// ---- a tiny reference for broadcasting: row-major arrays and explicit index arithmetic ----
struct Array {
  Shape shape;
  std::vector<double> data;
};

int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Element of `a` read at the multi-index `idx` of a (possibly larger) broadcast shape.
double at_broadcast(const Array& a, const Shape& idx) {
  size_t lead = idx.size() - a.shape.size();
  int64_t off = 0;
  for (size_t d = 0; d < a.shape.size(); ++d) {
    int64_t i = a.shape[d] == 1 ? 0 : idx[lead + d];
    off = off * a.shape[d] + i;
  }
  return a.data[static_cast<size_t>(off)];
}

Array reference_binary(const Array& a, const Array& b, const Shape& out,
                       const std::function<double(double, double)>& f) {
  Array r{out, {}};
  Shape idx(out.size(), 0);
  for (int64_t k = 0; k < count(out); ++k) {
    int64_t rest = k;
    for (size_t d = out.size(); d-- > 0;) {
      idx[d] = rest % out[d];
      rest /= out[d];
    }
    r.data.push_back(f(at_broadcast(a, idx), at_broadcast(b, idx)));
  }
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Arithmetic and promotion

TEST_CASE("arithmetic operators between tensors and with scalars", "[elementwise]") {
  auto a = kiln::tensor({1.0, 2.0, 3.0});
  auto b = kiln::tensor({4.0, 5.0, 6.0});
  CHECK(values(a + b) == std::vector<double>{5, 7, 9});
  CHECK(values(a - b) == std::vector<double>{-3, -3, -3});
  CHECK(values(a * b) == std::vector<double>{4, 10, 18});
  check_close(values(a / b), {0.25, 0.4, 0.5});
  CHECK(values(-a) == std::vector<double>{-1, -2, -3});
  CHECK(values(a + 1) == std::vector<double>{2, 3, 4});
  CHECK(values(10 - a) == std::vector<double>{9, 8, 7});
  CHECK(values(a - 0.5) == std::vector<double>{0.5, 1.5, 2.5});
  CHECK(values(2 * a) == std::vector<double>{2, 4, 6});
  CHECK(values(a * 2) == std::vector<double>{2, 4, 6});
  CHECK(values(a / 2) == std::vector<double>{0.5, 1, 1.5});
  CHECK(values(6 / a) == std::vector<double>{6, 3, 2});
  CHECK(values(kiln::add(a, b)) == std::vector<double>{5, 7, 9});
  CHECK(values(kiln::sub(a, b)) == std::vector<double>{-3, -3, -3});
  CHECK(values(kiln::mul(a, b)) == std::vector<double>{4, 10, 18});
  CHECK(values(kiln::div(b, a)) == std::vector<double>{4, 2.5, 2});
  CHECK(values(a.add(b)) == std::vector<double>{5, 7, 9});
  CHECK(values(a.sub(b)) == std::vector<double>{-3, -3, -3});
  CHECK(values(a.mul(b)) == std::vector<double>{4, 10, 18});
  CHECK(values(b.div(a)) == std::vector<double>{4, 2.5, 2});
  CHECK(values(a.neg()) == std::vector<double>{-1, -2, -3});
  CHECK(values(kiln::neg(a)) == std::vector<double>{-1, -2, -3});
}

TEST_CASE("integer arithmetic stays integer; division is true division", "[elementwise]") {
  auto i = kiln::tensor({7, -7});
  auto two = kiln::tensor({2, 2});
  CHECK((i + two).dtype() == kiln::kInt64);
  CHECK((i * two).to_vector<int64_t>() == std::vector<int64_t>{14, -14});
  auto q = i / two;  // PyTorch: tensor([3.5, -3.5]), float32
  CHECK(q.dtype() == kiln::kFloat32);
  CHECK(values(q) == std::vector<double>{3.5, -3.5});
  CHECK((i / 2).dtype() == kiln::kFloat32);
  CHECK(values(i / 2) == std::vector<double>{3.5, -3.5});
  CHECK(values(1 / kiln::tensor({2, 4})) == std::vector<double>{0.5, 0.25});
  CHECK((5 - kiln::tensor({1, 2})).to_vector<int64_t>() == std::vector<int64_t>{4, 3});
  CHECK((kiln::tensor({1, 2}) + 1).dtype() == kiln::kInt64);
}

TEST_CASE("type promotion between tensors follows PyTorch", "[elementwise]") {
  auto i32 = kiln::tensor({1, 2}, kiln::kInt32);
  auto i64 = kiln::tensor({1, 2}, kiln::kInt64);
  auto u8 = kiln::tensor({1, 2}, kiln::kUInt8);
  auto f16 = kiln::tensor({1.0, 2.0}, kiln::kFloat16);
  auto bf16 = kiln::tensor({1.0, 2.0}, kiln::kBFloat16);
  auto f32 = kiln::tensor({1.0, 2.0});
  auto f64 = kiln::tensor({1.0, 2.0}, kiln::kFloat64);
  auto b = kiln::tensor({true, false});

  CHECK((i32 + f32).dtype() == kiln::kFloat32);
  CHECK((i64 + f32).dtype() == kiln::kFloat32);
  CHECK((i32 + i64).dtype() == kiln::kInt64);
  CHECK((u8 + i32).dtype() == kiln::kInt32);
  CHECK((f16 + f32).dtype() == kiln::kFloat32);
  CHECK((f16 + bf16).dtype() == kiln::kFloat32);
  CHECK((bf16 + i64).dtype() == kiln::kBFloat16);
  CHECK((f32 + f64).dtype() == kiln::kFloat64);
  CHECK((b + i32).dtype() == kiln::kInt32);
  CHECK((b + f16).dtype() == kiln::kFloat16);
  CHECK(values(b + i32) == std::vector<double>{2, 2});
  CHECK((i32 - u8).dtype() == kiln::kInt32);
  CHECK((i32 * f64).dtype() == kiln::kFloat64);
  CHECK((i32 / i64).dtype() == kiln::kFloat32);
  CHECK((f64 / i64).dtype() == kiln::kFloat64);
}

TEST_CASE("promotion with scalars and 0-d tensors follows PyTorch", "[elementwise]") {
  auto i32 = kiln::tensor({1, 2}, kiln::kInt32);
  auto f16 = kiln::tensor({1.0, 2.0}, kiln::kFloat16);
  auto b = kiln::tensor({true, false});

  // A number of a higher category gives the default dtype of that category.
  CHECK((i32 + 2.5).dtype() == kiln::kFloat32);
  CHECK(values(i32 + 2.5) == std::vector<double>{3.5, 4.5});
  CHECK((2.5 * i32).dtype() == kiln::kFloat32);
  // A number of the same category does not widen the tensor.
  CHECK((f16 + 2.0).dtype() == kiln::kFloat16);
  CHECK((i32 + 5).dtype() == kiln::kInt32);
  CHECK((b + 1).dtype() == kiln::kInt64);
  CHECK((b + 1.5).dtype() == kiln::kFloat32);

  // 0-d tensors act like numbers for the dimensioned tensor, but keep their own dtype when
  // they are of a higher category (PyTorch: int32 + tensor(5.0, float64) -> float64).
  auto zi = kiln::scalar_tensor(5);
  auto zd = kiln::scalar_tensor(5.0, kiln::kFloat64);
  CHECK((i32 + zi).dtype() == kiln::kInt32);
  CHECK((i32 + zd).dtype() == kiln::kFloat64);
  CHECK((f16 + zd).dtype() == kiln::kFloat16);
  // Two 0-d tensors promote normally.
  CHECK((zi + zd).dtype() == kiln::kFloat64);
  CHECK((zi + zd).dim() == 0);
  // PyTorch: tensor([1], int32) * tensor(2.5, float16) -> float16
  CHECK((i32 * kiln::scalar_tensor(2.5, kiln::kFloat16)).dtype() == kiln::kFloat16);
}

TEST_CASE("float16 results are rounded to float16", "[elementwise]") {
  // PyTorch: tensor([1000.], float16) + 0.3 -> [1000.5] (half spacing at 1000 is 0.5).
  auto h = kiln::tensor({1000.0}, kiln::kFloat16) + 0.3;
  CHECK(h.dtype() == kiln::kFloat16);
  CHECK(h.item<double>() == 1000.5);
}

TEST_CASE("uint8 arithmetic wraps as in PyTorch", "[elementwise]") {
  auto u8 = kiln::tensor({1, 2}, kiln::kUInt8);
  // PyTorch: tensor([1, 2], uint8) + 300 -> tensor([45, 46], uint8): 300 wraps to 44.
  auto r = u8 + 300;
  CHECK(r.dtype() == kiln::kUInt8);
  CHECK(r.to_vector<int>() == std::vector<int>{45, 46});
  // PyTorch: tensor([2], uint8) - 3 -> [255]; tensor([250], uint8) + tensor([10], uint8) -> [4].
  CHECK((kiln::tensor({2}, kiln::kUInt8) - 3).to_vector<int>() == std::vector<int>{255});
  CHECK((kiln::tensor({250}, kiln::kUInt8) + kiln::tensor({10}, kiln::kUInt8)).to_vector<int>() ==
        std::vector<int>{4});
  // PyTorch: -tensor([1, 2], uint8) -> [255, 254].
  CHECK((-u8).to_vector<int>() == std::vector<int>{255, 254});
}

TEST_CASE("int32 arithmetic wraps; float16 overflows to inf", "[elementwise]") {
  // PyTorch: tensor([1, 2], int32) * 2**31 -> [-2147483648, 0] (the number wraps to int32 first).
  auto r = kiln::tensor({1, 2}, kiln::kInt32) * (int64_t{1} << 31);
  CHECK(r.dtype() == kiln::kInt32);
  CHECK(r.to_vector<int64_t>() == std::vector<int64_t>{-2147483648LL, 0});
  // PyTorch: tensor([60000.], f16) + tensor([10000.], f16) -> [inf]
  auto h = kiln::tensor({60000.0}, kiln::kFloat16) + kiln::tensor({10000.0}, kiln::kFloat16);
  CHECK(h.item<double>() == kInf);
}

TEST_CASE("integer true division by zero gives inf and nan", "[elementwise]") {
  // PyTorch: tensor([1, 2]) / 0 -> [inf, inf]; tensor([-1, 0]) / tensor([0, 0]) -> [-inf, nan]
  CHECK(values(kiln::tensor({1, 2}) / 0) == std::vector<double>{kInf, kInf});
  auto v = values(kiln::tensor({-1, 0}) / kiln::tensor({0, 0}));
  CHECK(v[0] == -kInf);
  CHECK(std::isnan(v[1]));
}

TEST_CASE("an int64 number past 2^53 is exact in arithmetic", "[elementwise]") {
  const int64_t v = (int64_t{1} << 53) + 1;
  // PyTorch: tensor([0]) + (2**53 + 1) -> [9007199254740993]
  CHECK((kiln::tensor({0}) + v).to_vector<int64_t>() == std::vector<int64_t>{v});
}

TEST_CASE("bool arithmetic: + is or, * is and, - throws", "[elementwise]") {
  auto a = kiln::tensor({true, false, true, false});
  auto b = kiln::tensor({true, true, false, false});
  CHECK((a + b).dtype() == kiln::kBool);
  CHECK((a + b).to_vector<int>() == std::vector<int>{1, 1, 1, 0});
  CHECK((a * b).dtype() == kiln::kBool);
  CHECK((a * b).to_vector<int>() == std::vector<int>{1, 0, 0, 0});
  REQUIRE_THROWS_AS(a - b, kiln::DTypeError);
  REQUIRE_THROWS_WITH(a - b, Contains("[sub]") && Contains("bool"));
  REQUIRE_THROWS_WITH(-a, Contains("[neg]") && Contains("bool"));
  // PyTorch: sign of a bool tensor is the tensor itself; relu of bool throws.
  CHECK(kiln::sign(a).dtype() == kiln::kBool);
  CHECK(kiln::sign(a).to_vector<int>() == std::vector<int>{1, 0, 1, 0});
  REQUIRE_THROWS_WITH(kiln::relu(a), Contains("[relu]") && Contains("bool"));
}

// ---------------------------------------------------------------------------------------------
// Unary math

TEST_CASE("unary math functions match PyTorch", "[elementwise]") {
  // Every expected list below was printed by PyTorch 2.15.0 for the float32 input
  // [-2.5, -1, -0.5, 0, 0.5, 1, 2.5] (or [0.25, 0.5, 1, 2, 10] for the positive-only ones).
  auto x = sample();
  check_close(values(kiln::exp(x)),
              {0.08208499848842621, 0.3678794503211975, 0.6065306663513184, 1.0, 1.6487212181091309,
               2.7182817459106445, 12.182494163513184});
  check_close(values(kiln::expm1(x)),
              {-0.9179149866104126, -0.6321205496788025, -0.39346933364868164, 0.0,
               0.6487212777137756, 1.718281865119934, 11.182494163513184});
  check_close(values(kiln::abs(x)), {2.5, 1.0, 0.5, 0.0, 0.5, 1.0, 2.5});
  check_close(values(kiln::sign(x)), {-1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0});
  // PyTorch: sign(nan) == 0, sign(-inf) == -1.
  CHECK(values(kiln::sign(kiln::tensor({std::nan(""), -HUGE_VAL}))) == std::vector<double>{0, -1});
  CHECK(values(kiln::sign(kiln::tensor({std::nan("")}, kiln::kFloat64) * 2)) ==
        std::vector<double>{0});
  check_close(values(kiln::sin(x)),
              {-0.5984721183776855, -0.8414709568023682, -0.4794255495071411, 0.0,
               0.4794255495071411, 0.8414709568023682, 0.5984721183776855});
  check_close(values(kiln::cos(x)),
              {-0.8011435866355896, 0.5403023362159729, 0.8775825500488281, 1.0, 0.8775825500488281,
               0.5403023362159729, -0.8011435866355896});
  check_close(values(kiln::tanh(x)),
              {-0.9866142868995667, -0.7615941762924194, -0.46211716532707214, 0.0,
               0.46211716532707214, 0.7615941762924194, 0.9866142868995667});
  check_close(values(kiln::sigmoid(x)),
              {0.07585817575454712, 0.2689414322376251, 0.3775406777858734, 0.5, 0.622459352016449,
               0.7310585975646973, 0.9241418242454529});
  check_close(values(kiln::relu(x)), {0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 2.5});
  check_close(values(kiln::gelu(x)),
              {-0.015524178743362427, -0.15865525603294373, -0.1542687714099884, 0.0,
               0.3457312285900116, 0.8413447141647339, 2.48447585105896});
  check_close(values(kiln::gelu(x, "tanh")),
              {-0.015084296464920044, -0.15880799293518066, -0.1542859971523285, 0.0,
               0.3457140028476715, 0.8411920070648193, 2.4849157333374023});
  check_close(values(kiln::silu(x)),
              {-0.189645454287529, -0.2689414322376251, -0.1887703388929367, 0.0,
               0.3112296760082245, 0.7310585975646973, 2.310354471206665});
  check_close(values(kiln::softplus(x)),
              {0.07888973504304886, 0.3132616877555847, 0.4740769863128662, 0.6931471824645996,
               0.9740769863128662, 1.31326162815094, 2.578889846801758});
  check_close(values(kiln::erf(x)),
              {-0.9995930194854736, -0.8427007794380188, -0.5204998850822449, 0.0,
               0.5204998850822449, 0.8427007794380188, 0.9995930194854736});
  check_close(values(kiln::floor(x)), {-3.0, -1.0, -1.0, 0.0, 0.0, 1.0, 2.0});
  check_close(values(kiln::ceil(x)), {-2.0, -1.0, -0.0, 0.0, 1.0, 1.0, 3.0});
  check_close(values(kiln::round(x)), {-2.0, -1.0, -0.0, 0.0, 0.0, 1.0, 2.0});

  auto p = positive();
  check_close(values(kiln::log(p)), {-1.3862943649291992, -0.6931471824645996, 0.0,
                                     0.6931471824645996, 2.3025851249694824});
  check_close(values(kiln::log1p(p)), {0.2231435477733612, 0.40546509623527527, 0.6931471824645996,
                                       1.0986123085021973, 2.397895336151123});
  check_close(values(kiln::sqrt(p)),
              {0.5, 0.7071067690849304, 1.0, 1.4142135381698608, 3.1622776985168457});
  check_close(values(kiln::rsqrt(p)),
              {2.0, 1.4142135381698608, 1.0, 0.7071067690849304, 0.3162277638912201});
  check_close(values(kiln::reciprocal(p)), {4.0, 2.0, 1.0, 0.5, 0.10000000149011612});
}

TEST_CASE("unary methods agree with the free functions", "[elementwise]") {
  auto x = sample();
  auto p = positive();
  CHECK(values(x.exp()) == values(kiln::exp(x)));
  CHECK(values(p.log()) == values(kiln::log(p)));
  CHECK(values(p.log1p()) == values(kiln::log1p(p)));
  CHECK(values(x.expm1()) == values(kiln::expm1(x)));
  CHECK(values(p.sqrt()) == values(kiln::sqrt(p)));
  CHECK(values(p.rsqrt()) == values(kiln::rsqrt(p)));
  CHECK(values(x.abs()) == values(kiln::abs(x)));
  CHECK(values(x.sign()) == values(kiln::sign(x)));
  CHECK(values(x.sin()) == values(kiln::sin(x)));
  CHECK(values(x.cos()) == values(kiln::cos(x)));
  CHECK(values(x.tanh()) == values(kiln::tanh(x)));
  CHECK(values(x.sigmoid()) == values(kiln::sigmoid(x)));
  CHECK(values(x.relu()) == values(kiln::relu(x)));
  CHECK(values(x.erf()) == values(kiln::erf(x)));
  CHECK(values(x.floor()) == values(kiln::floor(x)));
  CHECK(values(x.ceil()) == values(kiln::ceil(x)));
  CHECK(values(x.round()) == values(kiln::round(x)));
  CHECK(values(p.reciprocal()) == values(kiln::reciprocal(p)));
}

TEST_CASE("round is half to even", "[elementwise]") {
  auto x = kiln::tensor({0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, 3.5});
  CHECK(values(kiln::round(x)) == std::vector<double>{0, 2, 2, -0.0, -2, -2, 2, 3, 4});
  auto r = kiln::round(kiln::tensor({-0.5}));
  CHECK(std::signbit(r.item<double>()));  // PyTorch: -0.
}

TEST_CASE("unary math: special values", "[elementwise]") {
  auto v = values(kiln::log(kiln::tensor({0.0, -1.0})));
  CHECK(v[0] == -kInf);
  CHECK(std::isnan(v[1]));
  CHECK(std::isnan(kiln::sqrt(kiln::tensor({-1.0})).item<double>()));
  CHECK(kiln::reciprocal(kiln::tensor({0.0})).item<double>() == kInf);
  CHECK(kiln::rsqrt(kiln::tensor({0.0})).item<double>() == kInf);
  CHECK(values(kiln::exp(kiln::tensor({-kInf, kInf}))) == std::vector<double>{0.0, kInf});
  CHECK(values(kiln::sigmoid(kiln::tensor({-200.0, 200.0}))) == std::vector<double>{0.0, 1.0});
  CHECK(values(kiln::tanh(kiln::tensor({-100.0, 100.0}))) == std::vector<double>{-1.0, 1.0});
  // expm1 and log1p keep precision near 0.
  CHECK(kiln::expm1(kiln::tensor({1e-10}, kiln::kFloat64)).item<double>() ==
        Approx(1e-10).epsilon(1e-9));
  CHECK(kiln::log1p(kiln::tensor({1e-10}, kiln::kFloat64)).item<double>() ==
        Approx(1e-10).epsilon(1e-9));
  CHECK(std::isnan(kiln::relu(kiln::tensor({kNan})).item<double>()));
}

TEST_CASE("softplus: beta and threshold", "[elementwise]") {
  // PyTorch: F.softplus(tensor([25., -30., 1.]), beta=2, threshold=20)
  check_close(values(kiln::softplus(kiln::tensor({25.0, -30.0, 1.0}), 2.0, 20.0)),
              {25.0, 4.37825544636038e-27, 1.0634640455245972});
  // Closed form: log(1 + e^x), linear beyond the threshold.
  CHECK(kiln::softplus(kiln::tensor({50.0})).item<double>() == 50.0);
}

TEST_CASE("unary ops: dtypes of integer and float16 inputs", "[elementwise]") {
  auto i = kiln::tensor({0, 1, 2});
  CHECK(kiln::exp(i).dtype() == kiln::kFloat32);
  check_close(values(kiln::exp(i)), {1.0, std::exp(1.0), std::exp(2.0)});
  CHECK(kiln::sqrt(kiln::tensor({4}, kiln::kInt32)).dtype() == kiln::kFloat32);
  CHECK(kiln::sin(kiln::tensor({true})).dtype() == kiln::kFloat32);
  CHECK(kiln::abs(kiln::tensor({-3, 2})).dtype() == kiln::kInt64);
  CHECK(kiln::abs(kiln::tensor({-3, 2})).to_vector<int64_t>() == std::vector<int64_t>{3, 2});
  CHECK(kiln::sign(kiln::tensor({-3, 0, 2})).to_vector<int64_t>() ==
        std::vector<int64_t>{-1, 0, 1});
  CHECK(kiln::floor(kiln::tensor({3})).dtype() == kiln::kInt64);
  CHECK(kiln::round(kiln::tensor({3}, kiln::kInt32)).to_vector<int>() == std::vector<int>{3});
  CHECK(kiln::relu(kiln::tensor({-3, 4})).to_vector<int64_t>() == std::vector<int64_t>{0, 4});
  CHECK(kiln::relu(kiln::tensor({-3, 4})).dtype() == kiln::kInt64);
  auto h = kiln::exp(kiln::tensor({1.0}, kiln::kFloat16));
  CHECK(h.dtype() == kiln::kFloat16);
  CHECK(h.item<double>() == 2.71875);  // e rounded to half precision
  CHECK(kiln::exp(kiln::tensor({1.0}, kiln::kFloat64)).item<double>() ==
        Approx(std::exp(1.0)).epsilon(1e-15));
}

TEST_CASE("gelu, silu, softplus need floating input; gelu checks its mode", "[elementwise]") {
  REQUIRE_THROWS_AS(kiln::gelu(kiln::tensor({1, 2})), kiln::DTypeError);
  REQUIRE_THROWS_WITH(kiln::gelu(kiln::tensor({1, 2})), Contains("[gelu]") && Contains("int64"));
  REQUIRE_THROWS_WITH(kiln::silu(kiln::tensor({1, 2})), Contains("[silu]"));
  REQUIRE_THROWS_WITH(kiln::softplus(kiln::tensor({1, 2})), Contains("[softplus]"));
  REQUIRE_THROWS_WITH(kiln::gelu(kiln::tensor({1.0}), "fast"),
                      Contains("[gelu]") && Contains("fast"));
}

// ---------------------------------------------------------------------------------------------
// pow, clamp, minimum/maximum, where

TEST_CASE("pow with tensor and scalar exponents", "[elementwise]") {
  auto a = kiln::tensor({1.0, 2.0, 3.0});
  CHECK(values(kiln::pow(a, 2)) == std::vector<double>{1, 4, 9});
  CHECK(values(a.pow(2)) == std::vector<double>{1, 4, 9});
  check_close(values(kiln::pow(kiln::tensor({4.0, 9.0}), 0.5)), {2.0, 3.0});
  // PyTorch: pow([2., 3., 4.], [3., 0.5, -1.]) -> [8., 1.7320507764816284, 0.25]
  auto e = kiln::tensor({3.0, 0.5, -1.0});
  check_close(values(kiln::pow(kiln::tensor({2.0, 3.0, 4.0}), e)), {8.0, 1.7320507764816284, 0.25});
  check_close(values(kiln::tensor({2.0, 3.0, 4.0}).pow(e)), {8.0, 1.7320507764816284, 0.25});
  CHECK(kiln::pow(kiln::tensor({1, 2, 3}), 2).dtype() == kiln::kInt64);
  CHECK(kiln::pow(kiln::tensor({1, 2, 3}), 2).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 4, 9});
  CHECK(kiln::pow(kiln::tensor({2, 3}), 2.5).dtype() == kiln::kFloat32);
  check_close(values(kiln::pow(kiln::tensor({2, 3}), 2.5)),
              {std::pow(2.0, 2.5), std::pow(3.0, 2.5)});
  CHECK(kiln::pow(2, kiln::tensor({1, 2, 3})).to_vector<int64_t>() ==
        std::vector<int64_t>{2, 4, 8});
  CHECK(kiln::pow(2.0, kiln::tensor({1, 2, 3})).dtype() == kiln::kFloat32);
  CHECK(values(kiln::pow(2.0, kiln::tensor({1, 2, 3}))) == std::vector<double>{2, 4, 8});
  CHECK(kiln::pow(kiln::tensor({2}), kiln::tensor({3.0})).dtype() == kiln::kFloat32);
  CHECK(kiln::pow(kiln::tensor({0.0}), 0).item<double>() == 1.0);
  // PyTorch: pow(tensor([2, 3]), -1) raises "Integers to negative integer powers are not allowed."
  REQUIRE_THROWS_AS(kiln::pow(kiln::tensor({2, 3}), -1), kiln::Error);
  REQUIRE_THROWS_WITH(kiln::pow(kiln::tensor({2, 3}), -1),
                      Contains("[pow]") && Contains("negative"));
  check_close(values(kiln::pow(kiln::tensor({2.0, 3.0}), -1)), {0.5, 0.3333333432674408});
  // Broadcasting: a column of bases against a row of exponents.
  auto col = kiln::tensor({{2.0}, {3.0}});
  auto row = kiln::tensor({0.0, 1.0, 2.0});
  CHECK(values(kiln::pow(col, row)) == std::vector<double>{1, 2, 4, 1, 3, 9});
}

TEST_CASE("clamp", "[elementwise]") {
  auto x = kiln::tensor({-2.0, -0.5, 0.5, 2.0});
  CHECK(values(kiln::clamp(x, -1.0, 1.0)) == std::vector<double>{-1, -0.5, 0.5, 1});
  CHECK(values(x.clamp(-1.0, 1.0)) == std::vector<double>{-1, -0.5, 0.5, 1});
  CHECK(values(kiln::clamp(x, 0.0)) == std::vector<double>{0, 0, 0.5, 2});
  CHECK(values(kiln::clamp(x, std::nullopt, 1.0)) == std::vector<double>{-2, -0.5, 0.5, 1});
  // PyTorch: clamp(tensor([1, 5, 9]), 2, 7) -> [2, 5, 7] int64; with 2.5 -> float32 [2.5, 5., 9.].
  auto i = kiln::tensor({1, 5, 9});
  CHECK(kiln::clamp(i, 2, 7).dtype() == kiln::kInt64);
  CHECK(kiln::clamp(i, 2, 7).to_vector<int64_t>() == std::vector<int64_t>{2, 5, 7});
  CHECK(kiln::clamp(i, 2.5, 7).dtype() == kiln::kFloat32);
  CHECK(values(kiln::clamp(i, 2.5)) == std::vector<double>{2.5, 5.0, 9.0});
  // PyTorch: clamp([nan, -1., 3.], 0., 1.) -> [nan, 0., 1.]
  auto n = values(kiln::clamp(kiln::tensor({kNan, -1.0, 3.0}), 0.0, 1.0));
  CHECK(std::isnan(n[0]));
  CHECK(n[1] == 0.0);
  CHECK(n[2] == 1.0);
  // PyTorch: clamp([1., 5.], 4., 2.) -> [2., 2.] (min > max: everything becomes max).
  CHECK(values(kiln::clamp(kiln::tensor({1.0, 5.0}), 4.0, 2.0)) == std::vector<double>{2.0, 2.0});
  REQUIRE_THROWS_WITH(kiln::clamp(x, std::nullopt, std::nullopt), Contains("[clamp]"));
}

TEST_CASE("minimum and maximum propagate NaN", "[elementwise]") {
  auto a = kiln::tensor({1.0, kNan, 3.0, -1.0});
  auto b = kiln::tensor({2.0, 0.0, kNan, -2.0});
  auto lo = values(kiln::minimum(a, b));  // PyTorch: [1., nan, nan, -2.]
  CHECK(lo[0] == 1.0);
  CHECK(std::isnan(lo[1]));
  CHECK(std::isnan(lo[2]));
  CHECK(lo[3] == -2.0);
  auto hi = values(kiln::maximum(a, b));
  CHECK(hi[0] == 2.0);
  CHECK(std::isnan(hi[1]));
  CHECK(std::isnan(hi[2]));
  CHECK(hi[3] == -1.0);
  // Promotion: PyTorch maximum(int64, float32) -> float32.
  auto m = kiln::maximum(kiln::tensor({1, 5}), kiln::tensor({3.0, 2.0}));
  CHECK(m.dtype() == kiln::kFloat32);
  CHECK(values(m) == std::vector<double>{3, 5});
  // Broadcasting.
  CHECK(values(kiln::minimum(kiln::tensor({{1.0}, {4.0}}), kiln::tensor({2.0, 3.0}))) ==
        std::vector<double>{1, 1, 2, 3});
}

TEST_CASE("where: broadcasting in all three arguments and promotion", "[elementwise]") {
  auto cond = kiln::tensor({{true}, {false}});  // [2, 1]
  auto a = kiln::tensor({1.0, 2.0, 3.0});       // [3]
  auto b = kiln::tensor({{{10.0}}, {{20.0}}});  // [2, 1, 1]
  auto r = kiln::where(cond, a, b);
  CHECK(r.sizes() == Shape{2, 2, 3});
  CHECK(values(r) == std::vector<double>{1, 2, 3, 10, 10, 10, 1, 2, 3, 20, 20, 20});

  // Condition broadcast along rows, a and b full.
  auto c2 = kiln::tensor({true, false});
  auto x = kiln::tensor({{1, 2}, {3, 4}});
  auto y = kiln::tensor({{-1, -2}, {-3, -4}});
  CHECK(kiln::where(c2, x, y).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3, -4});
  CHECK(kiln::where(c2, x, y).dtype() == kiln::kInt64);

  // Mixed dtypes promote: int64 and float64 -> float64.
  CHECK(kiln::where(c2, kiln::tensor({1, 2}), kiln::tensor({0.5, 0.5}, kiln::kFloat64)).dtype() ==
        kiln::kFloat64);
}

TEST_CASE("where: scalar forms", "[elementwise]") {
  auto c = kiln::tensor({true, false});
  // PyTorch: where(c, tensor([1, 2]), 2.5) -> [1., 2.5] float32
  auto r = kiln::where(c, kiln::tensor({1, 2}), 2.5);
  CHECK(r.dtype() == kiln::kFloat32);
  CHECK(values(r) == std::vector<double>{1.0, 2.5});
  // PyTorch: where(c, 1.0, tensor([1, 2], float64)) -> float64
  auto s = kiln::where(c, 1.0, kiln::tensor({1.0, 2.0}, kiln::kFloat64));
  CHECK(s.dtype() == kiln::kFloat64);
  CHECK(values(s) == std::vector<double>{1.0, 2.0});
  // PyTorch: where(c, tensor([1, 2], int32), 5) -> int32
  auto t = kiln::where(c, kiln::tensor({1, 2}, kiln::kInt32), 5);
  CHECK(t.dtype() == kiln::kInt32);
  CHECK(t.to_vector<int>() == std::vector<int>{1, 5});
  // The scalar broadcasts against a bigger condition.
  auto big =
      kiln::where(kiln::tensor({{true, false}, {false, true}}), kiln::tensor({7.0, 8.0}), 0.0);
  CHECK(values(big) == std::vector<double>{7, 0, 0, 8});
}

TEST_CASE("where: two scalars take the condition's shape and promote as numbers", "[elementwise]") {
  auto c = kiln::tensor({{true, false}, {false, true}});
  // PyTorch: where(c, 1.0, 0.0) -> float32; where(c, 1, 0) -> int64; where(c, 1, 2.5) -> float32
  auto f = kiln::where(c, 1.0, 0.0);
  CHECK(f.dtype() == kiln::kFloat32);
  CHECK(f.sizes() == Shape{2, 2});
  CHECK(values(f) == std::vector<double>{1, 0, 0, 1});
  auto i = kiln::where(c, 7, -3);
  CHECK(i.dtype() == kiln::kInt64);
  CHECK(i.to_vector<int64_t>() == std::vector<int64_t>{7, -3, -3, 7});
  auto m = kiln::where(c, 1, 2.5);
  CHECK(m.dtype() == kiln::kFloat32);
  CHECK(values(m) == std::vector<double>{1, 2.5, 2.5, 1});
  CHECK(kiln::where(c, true, false).dtype() == kiln::kBool);
  REQUIRE_THROWS_AS(kiln::where(kiln::tensor({1, 0}), 1.0, 0.0), kiln::DTypeError);
}

TEST_CASE("methods minimum, maximum, logical_and, logical_or, where", "[elementwise]") {
  auto x = kiln::tensor({1.0, 5.0, -2.0});
  auto y = kiln::tensor({3.0, 2.0, -4.0});
  CHECK(values(x.minimum(y)) == std::vector<double>{1, 2, -4});
  CHECK(values(x.maximum(y)) == std::vector<double>{3, 5, -2});
  CHECK(values(x.maximum(y)) == values(kiln::maximum(x, y)));
  using V = std::vector<int>;
  auto a = kiln::tensor({true, true, false, false});
  auto b = kiln::tensor({true, false, true, false});
  CHECK(a.logical_and(b).dtype() == kiln::kBool);
  CHECK(a.logical_and(b).to_vector<int>() == V{1, 0, 0, 0});
  CHECK(a.logical_or(b).to_vector<int>() == V{1, 1, 1, 0});
  // libtorch: self.where(condition, other) == where(condition, self, other).
  CHECK(values(x.where(x > 0, y)) == std::vector<double>{1, 5, -4});
  CHECK(values(x.where(x > 0, 0.0)) == std::vector<double>{1, 5, 0});
  auto p = kiln::tensor({1, 2}).where(kiln::tensor({true, false}), 2.5);
  CHECK(p.dtype() == kiln::kFloat32);
  CHECK(values(p) == std::vector<double>{1, 2.5});
}

TEST_CASE("where: a non-bool condition and mismatched shapes throw", "[elementwise]") {
  auto a = kiln::tensor({1.0, 2.0});
  REQUIRE_THROWS_AS(kiln::where(kiln::tensor({1, 0}), a, a), kiln::DTypeError);
  REQUIRE_THROWS_WITH(kiln::where(kiln::tensor({1, 0}), a, a),
                      Contains("[where]") && Contains("bool"));
  REQUIRE_THROWS_AS(kiln::where(kiln::tensor({true, false, true}), a, a), kiln::ShapeError);
  REQUIRE_THROWS_WITH(kiln::where(kiln::tensor({true, false, true}), a, a),
                      Contains("[where]") && Contains("[3]") && Contains("[2]"));
}

// ---------------------------------------------------------------------------------------------
// Comparisons and logical ops

TEST_CASE("comparisons give kBool", "[elementwise]") {
  auto a = kiln::tensor({1.0, 2.0, 3.0});
  auto b = kiln::tensor({3.0, 2.0, 1.0});
  using V = std::vector<int>;
  CHECK((a < b).dtype() == kiln::kBool);
  CHECK((a < b).to_vector<int>() == V{1, 0, 0});
  CHECK((a <= b).to_vector<int>() == V{1, 1, 0});
  CHECK((a > b).to_vector<int>() == V{0, 0, 1});
  CHECK((a >= b).to_vector<int>() == V{0, 1, 1});
  CHECK((a == b).to_vector<int>() == V{0, 1, 0});
  CHECK((a != b).to_vector<int>() == V{1, 0, 1});
  CHECK(kiln::lt(a, b).to_vector<int>() == V{1, 0, 0});
  CHECK(kiln::le(a, b).to_vector<int>() == V{1, 1, 0});
  CHECK(kiln::gt(a, b).to_vector<int>() == V{0, 0, 1});
  CHECK(kiln::ge(a, b).to_vector<int>() == V{0, 1, 1});
  CHECK(kiln::eq(a, b).to_vector<int>() == V{0, 1, 0});
  CHECK(kiln::ne(a, b).to_vector<int>() == V{1, 0, 1});
  CHECK(a.lt(b).to_vector<int>() == V{1, 0, 0});
  CHECK(a.le(b).to_vector<int>() == V{1, 1, 0});
  CHECK(a.gt(b).to_vector<int>() == V{0, 0, 1});
  CHECK(a.ge(b).to_vector<int>() == V{0, 1, 1});
  CHECK(a.eq(b).to_vector<int>() == V{0, 1, 0});
  CHECK(a.ne(b).to_vector<int>() == V{1, 0, 1});
  CHECK((a < 2).to_vector<int>() == V{1, 0, 0});
  CHECK((a <= 2).to_vector<int>() == V{1, 1, 0});
  CHECK((a > 2).to_vector<int>() == V{0, 0, 1});
  CHECK((a >= 2).to_vector<int>() == V{0, 1, 1});
  CHECK((a == 2).to_vector<int>() == V{0, 1, 0});
  CHECK((a != 2).to_vector<int>() == V{1, 0, 1});
  CHECK((a == 2).dtype() == kiln::kBool);
  // An int tensor against a float number compares in float: PyTorch [1, 2, 3] < 2.5 -> T, T, F.
  CHECK((kiln::tensor({1, 2, 3}) < 2.5).to_vector<int>() == V{1, 1, 0});
  CHECK((kiln::tensor({2}) == 2.5).to_vector<int>() == V{0});
  // NaN compares unequal to everything, itself included.
  auto n = kiln::tensor({kNan});
  CHECK((n == n).to_vector<int>() == V{0});
  CHECK((n != n).to_vector<int>() == V{1});
  CHECK((n < 1.0).to_vector<int>() == V{0});
  CHECK(kiln::isnan(kiln::tensor({1.0, kNan})).to_vector<int>() == V{0, 1});
  // Broadcast comparison.
  auto g = kiln::tensor({{1.0}, {2.0}}) > kiln::tensor({0.0, 1.5, 3.0});
  CHECK(g.sizes() == Shape{2, 3});
  CHECK(g.to_vector<int>() == V{1, 0, 0, 1, 1, 0});
}

TEST_CASE("comparisons with a number on the left", "[elementwise]") {
  using V = std::vector<int>;
  auto a = kiln::tensor({1.0, 2.0, 3.0});
  CHECK((2 < a).dtype() == kiln::kBool);
  CHECK((2 < a).to_vector<int>() == V{0, 0, 1});
  CHECK((2 <= a).to_vector<int>() == V{0, 1, 1});
  CHECK((2 > a).to_vector<int>() == V{1, 0, 0});
  CHECK((2 >= a).to_vector<int>() == V{1, 1, 0});
  CHECK((2 == a).to_vector<int>() == V{0, 1, 0});
  CHECK((2 != a).to_vector<int>() == V{1, 0, 1});
  // The mirror image of the scalar-right form.
  CHECK((1.5 < a).to_vector<int>() == (a > 1.5).to_vector<int>());
  // A float number against an int tensor compares in float: 2.5 > [1, 2, 3] -> T, T, F.
  CHECK((2.5 > kiln::tensor({1, 2, 3})).to_vector<int>() == V{1, 1, 0});
  CHECK((2.5 == kiln::tensor({2})).to_vector<int>() == V{0});
  CHECK((1.0 < kiln::tensor({kNan})).to_vector<int>() == V{0});
  CHECK((1.0 != kiln::tensor({kNan})).to_vector<int>() == V{1});
}

TEST_CASE("logical_and, logical_or, logical_not", "[elementwise]") {
  using V = std::vector<int>;
  auto a = kiln::tensor({true, true, false, false});
  auto b = kiln::tensor({true, false, true, false});
  CHECK(kiln::logical_and(a, b).dtype() == kiln::kBool);
  CHECK(kiln::logical_and(a, b).to_vector<int>() == V{1, 0, 0, 0});
  CHECK(kiln::logical_or(a, b).to_vector<int>() == V{1, 1, 1, 0});
  CHECK(kiln::logical_not(a).to_vector<int>() == V{0, 0, 1, 1});
  CHECK(a.logical_not().to_vector<int>() == V{0, 0, 1, 1});
  // Non-bool inputs are truthy where nonzero: PyTorch logical_and([1, 0, 2], [1., 1., 0.]).
  CHECK(
      kiln::logical_and(kiln::tensor({1, 0, 2}), kiln::tensor({1.0, 1.0, 0.0})).to_vector<int>() ==
      V{1, 0, 0});
  CHECK(kiln::logical_not(kiln::tensor({0.0, 2.0})).to_vector<int>() == V{1, 0});
  CHECK(kiln::logical_not(kiln::tensor({0.0, 2.0})).dtype() == kiln::kBool);
  CHECK(kiln::logical_or(kiln::tensor({{true}, {false}}), kiln::tensor({false, false}))
            .to_vector<int>() == V{1, 1, 0, 0});
}

// ---------------------------------------------------------------------------------------------
// Broadcasting

TEST_CASE("broadcasting: property test against a row-major reference", "[elementwise]") {
  const uint32_t seed = std::random_device{}();
  CAPTURE(seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> rank_dist(0, 4), dim_dist(1, 4), coin(0, 2);
  std::uniform_real_distribution<double> val(-4.0, 4.0);

  for (int trial = 0; trial < 40; ++trial) {
    CAPTURE(trial);
    // An output shape, and two operands that are suffixes of it with some dims set to 1.
    Shape out(static_cast<size_t>(rank_dist(rng)));
    for (auto& d : out) d = dim_dist(rng);
    auto operand_shape = [&]() {
      std::uniform_int_distribution<size_t> len(0, out.size());
      size_t n = len(rng);
      Shape s(out.end() - static_cast<std::ptrdiff_t>(n), out.end());
      for (auto& d : s) {
        if (coin(rng) == 0) d = 1;
      }
      return s;
    };
    Array a{operand_shape(), {}}, b{operand_shape(), {}};
    for (int64_t i = 0; i < count(a.shape); ++i) a.data.push_back(std::round(val(rng) * 4) / 4);
    for (int64_t i = 0; i < count(b.shape); ++i) b.data.push_back(std::round(val(rng) * 4) / 4);
    // The true output shape is the broadcast of the two operands (may be smaller than `out`).
    Shape expect(std::max(a.shape.size(), b.shape.size()), 1);
    for (size_t i = 0; i < expect.size(); ++i) {
      size_t from_end = expect.size() - 1 - i;
      int64_t da = from_end < a.shape.size() ? a.shape[a.shape.size() - 1 - from_end] : 1;
      int64_t db = from_end < b.shape.size() ? b.shape[b.shape.size() - 1 - from_end] : 1;
      expect[i] = std::max(da, db);
    }
    CAPTURE(a.shape, b.shape, expect);

    auto ta = kiln::from_vector(a.data, a.shape);
    auto tb = kiln::from_vector(b.data, b.shape);

    auto sum = ta + tb;
    REQUIRE(sum.sizes() == expect);
    CHECK(sum.to_vector<double>() == reference_binary(a, b, expect, std::plus<>()).data);
    CHECK((ta * tb).to_vector<double>() ==
          reference_binary(a, b, expect, std::multiplies<>()).data);
    CHECK((tb - ta).to_vector<double>() ==
          reference_binary(a, b, expect, [](double x, double y) { return y - x; }).data);
    CHECK(kiln::maximum(ta, tb).to_vector<double>() ==
          reference_binary(a, b, expect, [](double x, double y) { return std::max(x, y); }).data);
    CHECK((ta < tb).to_vector<double>() == reference_binary(a, b, expect, [](double x, double y) {
                                             return x < y ? 1.0 : 0.0;
                                           }).data);
    CHECK(kiln::where(ta < tb, ta, tb).to_vector<double>() ==
          reference_binary(a, b, expect, [](double x, double y) { return x < y ? x : y; }).data);
  }
}

TEST_CASE("broadcasting: a shape mismatch names the op and both shapes", "[elementwise]") {
  auto a = kiln::zeros({2, 3});
  auto b = kiln::zeros({4});
  REQUIRE_THROWS_AS(a + b, kiln::ShapeError);
  REQUIRE_THROWS_WITH(a + b, Contains("[add]") && Contains("[2, 3]") && Contains("[4]"));
  REQUIRE_THROWS_WITH(a - b, Contains("[sub]") && Contains("[2, 3]") && Contains("[4]"));
  REQUIRE_THROWS_WITH(a * b, Contains("[mul]"));
  REQUIRE_THROWS_WITH(a / b, Contains("[div]"));
  REQUIRE_THROWS_WITH(kiln::pow(a, b), Contains("[pow]"));
  REQUIRE_THROWS_WITH(kiln::maximum(a, b), Contains("[maximum]"));
  REQUIRE_THROWS_WITH(kiln::minimum(a, b), Contains("[minimum]"));
  REQUIRE_THROWS_WITH(a < b, Contains("[lt]") && Contains("[2, 3]") && Contains("[4]"));
  REQUIRE_THROWS_WITH(a == b, Contains("[eq]"));
  REQUIRE_THROWS_WITH(kiln::logical_and(a, b), Contains("[logical_and]"));
  REQUIRE_THROWS_WITH(kiln::zeros({2, 3, 4}) + kiln::zeros({3, 1, 5}),
                      Contains("[2, 3, 4]") && Contains("[3, 1, 5]"));
  // Leading dims broadcast, trailing must match: [5, 1, 3] + [4, 3] is fine.
  CHECK((kiln::zeros({5, 1, 3}) + kiln::zeros({4, 3})).sizes() == Shape{5, 4, 3});
  // An empty dim broadcasts with 1 but not with 2.
  CHECK((kiln::zeros({0, 3}) + kiln::zeros({1, 3})).sizes() == Shape{0, 3});
  REQUIRE_THROWS_AS(kiln::zeros({0, 3}) + kiln::zeros({2, 3}), kiln::ShapeError);
}

TEST_CASE("elementwise on 0-d tensors", "[elementwise]") {
  auto s = kiln::scalar_tensor(3.0);
  auto v = kiln::tensor({1.0, 2.0});
  CHECK((s * v).sizes() == Shape{2});
  CHECK(values(s * v) == std::vector<double>{3, 6});
  CHECK((s + s).dim() == 0);
  CHECK((s + s).item<double>() == 6.0);
  CHECK(kiln::exp(kiln::scalar_tensor(0.0)).item<double>() == 1.0);
}

TEST_CASE("elementwise on an undefined tensor throws", "[elementwise]") {
  kiln::Tensor u;
  REQUIRE_THROWS_WITH(kiln::exp(u), Contains("[exp]") && Contains("undefined"));
  REQUIRE_THROWS_WITH(u + kiln::zeros({1}), Contains("[add]") && Contains("undefined"));
}

TEST_CASE("int64 past 2^53 cast to f32 rounds once: compiled and interpreted", "[elementwise]") {
  // 2^60 + 2^36 + 1 lies just past the midpoint of 2^60 and 2^60 + 2^37, the f32s around it:
  // it rounds up. Through a double (2^60 + 2^36, the midpoint) it rounded to even, down; the
  // interpreter did that.
  int64_t v = (int64_t{1} << 60) + (int64_t{1} << 36) + 1;
  auto x = kiln::from_vector(std::vector<int64_t>{v, -v}, {2});
  x.eval();
  auto f = x.to(kiln::kFloat32);
  double up = std::ldexp(1.0, 60) + std::ldexp(1.0, 37);
  auto want = kiln::ir::interpret({f.node()})[0];
  CHECK(want->get(0) == up);
  CHECK(want->get(1) == -up);
  CHECK(f.to_vector<double>() == std::vector<double>{up, -up});
}

TEST_CASE("clamp of an integer tensor with a bound past its dtype's range", "[elementwise]") {
  // As in PyTorch: a bound past the far end is no bound, one past the near end an error.
  CHECK(kiln::clamp(kiln::tensor({1, 5}, kiln::kByte), -2).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 5});
  CHECK(kiln::clamp(kiln::tensor({1, 5}, kiln::kByte), -2, 3).to_vector<int64_t>() ==
        std::vector<int64_t>{1, 3});
  CHECK(kiln::clamp(kiln::tensor({1, 5}, kiln::kInt), std::nullopt, int64_t{1} << 40)
            .to_vector<int64_t>() == std::vector<int64_t>{1, 5});
  CHECK_THROWS_AS(kiln::clamp(kiln::tensor({1, 5}, kiln::kByte), 300), kiln::Error);
  CHECK_THROWS_AS(kiln::clamp(kiln::tensor({1, 5}, kiln::kByte), std::nullopt, -1), kiln::Error);
  auto x = kiln::tensor({1, 5}, kiln::kByte);
  x.clamp_(-2, 3);
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 3});
}

TEST_CASE("subtraction with a bool operand throws, as in PyTorch", "[elementwise]") {
  auto mask = kiln::tensor({true, false});
  auto ints = kiln::tensor({1, 2});
  CHECK_THROWS_AS(ints - mask, kiln::DTypeError);
  CHECK_THROWS_AS(mask - ints, kiln::DTypeError);
  CHECK_THROWS_AS(mask - 1, kiln::DTypeError);
  CHECK_THROWS_AS(1 - mask, kiln::DTypeError);
  CHECK_THROWS_AS(kiln::sub(mask, mask), kiln::DTypeError);
  CHECK_THROWS_AS(-mask, kiln::DTypeError);
  CHECK(kiln::logical_not(mask).to_vector<int64_t>() == std::vector<int64_t>{0, 1});
}
