// max_pool2d's gradient goes whole to one element per window, as PyTorch's does: the first
// maximum in the window's row-major order (the last NaN where the window holds NaNs), never a
// padded position, accumulated where windows overlap. The expected numbers are PyTorch 2.15's
// (torch.nn.functional.max_pool2d, float64, upstream gradient 1, 2, 3, ... over the output).
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

#include "frontend/gradcheck.h"
#include "kiln/compiler/interpreter.h"

using kiln::Tensor;
namespace F = kiln::nn::functional;
using kiln::testing::gradcheck;
using kiln::testing::leaf;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Case {
  std::string name;
  std::vector<double> x;
  std::vector<int64_t> shape;
  int64_t kernel, stride, padding, dilation;
  bool ceil_mode;
  std::vector<double> y, grad;
};

std::vector<Case> cases() {
  // clang-format off
  return {
      // name, x, shape, kernel, stride, padding, dilation, ceil_mode, y, grad
      {"all zeros", {0, 0, 0, 0}, {1, 1, 2, 2}, 2, 2, 0, 1, false, {0}, {1, 0, 0, 0}},
      {"ties in overlapping windows", {1, 2, 2, 0, 2, 2, 1, 2, 0, 2, 2, 1}, {1, 1, 3, 4},
       2, 1, 0, 1, false, {2, 2, 2, 2, 2, 2}, {0, 3, 3, 0, 4, 5, 0, 6, 0, 0, 0, 0}},
      {"ties with padding", {0, 0, 1, 1, 0, 0, 0, 1, 1}, {1, 1, 3, 3},
       3, 2, 1, 1, false, {1, 1, 1, 1}, {0, 0, 2, 4, 0, 0, 0, 4, 0}},
      {"-inf inputs beside the padding", {-kInf, -kInf, 1, -kInf, -kInf, 0, 2, 0, 0}, {1, 1, 3, 3},
       3, 2, 1, 1, false, {-kInf, 1, 2, 0}, {1, 0, 2, 0, 0, 4, 3, 0, 0}},
      {"dilation and ceil_mode",
       {3, 1, 3, 0, 3, 0, 3, 1, 3, 0, 3, 0, 3, 1, 3, 1, 3, 0, 3, 1, 3, 1, 3, 0, 3}, {1, 1, 5, 5},
       2, 2, 0, 2, true, {3, 3, 3, 3},
       {1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"ceil_mode windows past the padding", std::vector<double>(20, 0.0), {1, 1, 4, 5},
       2, 2, 1, 1, true, std::vector<double>(9, 0.0),
       {1, 2, 0, 3, 0, 4, 5, 0, 6, 0, 0, 0, 0, 0, 0, 7, 8, 0, 9, 0}},
      {"unbatched", {1, 1, 0, 1, 1, 0, 0, 5, 5, 5, 5, 0}, {2, 2, 3},
       2, 1, 0, 1, false, {1, 1, 5, 5}, {1, 2, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0}},
      {"NaN windows", {1, kNaN, kNaN, 2, 3, 1, 2, kNaN}, {1, 1, 2, 4},
       2, 2, 0, 1, false, {kNaN, kNaN}, {0, 1, 0, 0, 0, 0, 0, 2}},
  };
  // clang-format on
}

void check_same(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
    CHECK((got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]))));
  }
}

}  // namespace

TEST_CASE("max_pool2d: the gradient goes to one element per window, as PyTorch's", "[nn][grad]") {
  for (const Case& c : cases()) {
    for (kiln::DType dt : {kiln::kFloat64, kiln::kFloat32}) {
      INFO(c.name << " in " << kiln::torch_name(dt));
      Tensor x = kiln::from_vector(c.x, c.shape, dt).requires_grad_();
      Tensor y = F::max_pool2d(x, c.kernel, c.stride, c.padding, c.dilation, c.ceil_mode);
      Tensor g = kiln::arange(1, y.numel() + 1, kiln::TensorOptions(dt)).reshape(y.sizes());
      std::vector<Tensor> grad = kiln::autograd::grad({(y * g).sum()}, {x});
      check_same(y.to_vector<double>(), c.y);
      check_same(grad[0].to_vector<double>(), c.grad);
    }
  }
}

TEST_CASE("max_pool2d: MaxPool2d's backward routes ties like the functional", "[nn][grad]") {
  // Tiles, the CNN's case: a window of tied values sends its gradient to its top-left element.
  Tensor x = kiln::tensor({{{{0.0, 0.0, 3.0, 3.0}, {0.0, 0.0, 3.0, 1.0}}}}).requires_grad_();
  kiln::nn::MaxPool2d pool(2);
  pool(x).sum().backward();
  check_same(x.grad().to_vector<double>(), {1, 0, 1, 0, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d: finite differences where no window ties", "[nn][grad]") {
  gradcheck([](const std::vector<Tensor>& v) { return F::max_pool2d(v[0], 3, 1, 1, 2); },
            {leaf({1, 2, 6, 7}, 21)});
  gradcheck(
      [](const std::vector<Tensor>& v) {
        return F::max_pool2d(v[0], {2, 3}, kiln::nn::ExpandingArray<2>({1, 2}), {1, 0}, 1, true);
      },
      {leaf({2, 1, 5, 6}, 22)});
  gradcheck([](const std::vector<Tensor>& v) { return F::max_pool2d(v[0], 2, 1); },
            {leaf({3, 4, 5}, 23)});
}

TEST_CASE("max_pool2d: the CNN's compiled gradient equals the interpreter's", "[nn][grad]") {
  // 2x2 pooling of relu(x * 1.5 + 0.5) over 26 x 26 maps (rows of 13 windows, the main job's
  // first pooling): the compiled kernels walk rows with masked tails and interleaved pairs.
  kiln::manual_seed(17);
  Tensor x = kiln::randn({3, 5, 26, 26}).requires_grad_();
  Tensor weights = kiln::randn({3, 5, 13, 13});
  (F::max_pool2d(kiln::relu(x * 1.5 + 0.5), 2) * weights).sum().backward();
  Tensor g = x.grad();
  CHECK(g.node()->op() != kiln::ir::Op::Load);  // still lazy: the interpreter recomputes it
  auto want = kiln::ir::interpret({g.node()})[0];
  auto got = g.to_vector<double>();
  REQUIRE(static_cast<int64_t>(got.size()) == want->numel());
  int64_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i)
    wrong += std::fabs(got[i] - want->get(static_cast<int64_t>(i))) > 1e-5;
  CHECK(wrong == 0);
}
