// Tests of format_tensor. The expected strings of the generated cases are repr() output of real
// PyTorch 2.15.0 (CPU), pasted verbatim; the input values are the exact doubles of the PyTorch
// tensors' elements. The device cases at the end are written by hand from _str_intern, since
// the machine that generated the others has no GPU.
#include "kiln/frontend/format.h"

#include <cstdint>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <kiln/kiln.h>

using kiln::Device;
using kiln::DeviceType;
using kiln::DType;
using kiln::kBFloat16;
using kiln::kBool;
using kiln::kFloat16;
using kiln::kFloat32;
using kiln::kFloat64;
using kiln::kInt32;
using kiln::kInt64;
using kiln::kUInt8;
using kiln::Shape;
using kiln::detail::format_tensor;
using kiln::detail::PrintData;

namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

PrintData make(std::vector<double> values, Shape shape, DType dtype) {
  std::vector<int64_t> ints;
  if (!kiln::is_floating(dtype)) {
    for (double v : values) ints.push_back(static_cast<int64_t>(v));
  }
  return PrintData{std::move(values), std::move(ints), std::move(shape), dtype, Device(), false};
}

PrintData with_grad(PrintData t) {
  t.requires_grad = true;
  return t;
}

PrintData on_cuda(PrintData t, int index) {
  t.device = Device(DeviceType::CUDA, index);
  return t;
}

// i * scale for i in [0, n), rounded to the dtype as torch.tensor(..., dtype=dtype) rounds it.
std::vector<double> ramp(int64_t n, double scale, DType dtype) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) {
    double x = static_cast<double>(i) * scale;
    v.push_back(dtype == kFloat32 ? static_cast<double>(static_cast<float>(x)) : x);
  }
  return v;
}

}  // namespace

TEST_CASE("format: integer-valued floats print with a trailing dot", "[format]") {
  CHECK(format_tensor(make({1.0, 2.0, 3.0, 4.0}, {2, 2}, kFloat32)) ==
        "tensor([[1., 2.],\n"
        "        [3., 4.]])");
}

TEST_CASE("format: negative integer-valued floats", "[format]") {
  CHECK(format_tensor(make({-2.0, 10.0, 3.0}, {3}, kFloat32)) == "tensor([-2., 10.,  3.])");
}

TEST_CASE("format: fixed notation with four decimals", "[format]") {
  CHECK(format_tensor(make({0.4410000145435333, 1.5, -2.25}, {3}, kFloat32)) ==
        "tensor([ 0.4410,  1.5000, -2.2500])");
}

TEST_CASE("format: columns right-align to the widest element", "[format]") {
  CHECK(format_tensor(make({1.5, -100.25, 3.0, 4.0}, {2, 2}, kFloat32)) ==
        "tensor([[   1.5000, -100.2500],\n"
        "        [   3.0000,    4.0000]])");
}

TEST_CASE("format: integer mode width counts the dot", "[format]") {
  CHECK(format_tensor(make({12345.0, 100.0, -70.0, 23456.0}, {2, 2}, kFloat32)) ==
        "tensor([[12345.,   100.],\n"
        "        [  -70., 23456.]])");
}

TEST_CASE("format: scientific when the smallest magnitude is below 1e-4", "[format]") {
  CHECK(format_tensor(make({9.999999747378752e-06, 1.0}, {2}, kFloat32)) ==
        "tensor([1.0000e-05, 1.0000e+00])");
}

TEST_CASE("format: scientific when max / min exceeds 1000", "[format]") {
  CHECK(format_tensor(make({1.0, 2000.5}, {2}, kFloat32)) == "tensor([1.0000e+00, 2.0005e+03])");
}

TEST_CASE("format: scientific when the largest magnitude exceeds 1e8", "[format]") {
  CHECK(format_tensor(make({1000000000.0, 3000000000.0}, {2}, kFloat32)) ==
        "tensor([1.0000e+09, 3.0000e+09])");
}

TEST_CASE("format: scientific in integer mode", "[format]") {
  CHECK(format_tensor(make({1.0, 10000000000.0, -5.0}, {3}, kFloat32)) ==
        "tensor([ 1.0000e+00,  1.0000e+10, -5.0000e+00])");
}

TEST_CASE("format: scientific with three-digit exponents", "[format]") {
  CHECK(format_tensor(make({1e-200, 1e+200}, {2}, kFloat64)) ==
        "tensor([1.0000e-200, 1.0000e+200], dtype=torch.float64)");
}

TEST_CASE("format: nan and infinities among fractions", "[format]") {
  CHECK(format_tensor(make({1.5, kNan, kInf, -kInf}, {4}, kFloat32)) ==
        "tensor([1.5000,    nan,    inf,   -inf])");
}

TEST_CASE("format: nan among integers keeps its own width", "[format]") {
  CHECK(format_tensor(make({1.0, kNan, -kInf}, {3}, kFloat32)) == "tensor([1., nan, -inf])");
}

TEST_CASE("format: wide integers pad nan", "[format]") {
  CHECK(format_tensor(make({100.0, kNan, 2.0}, {3}, kFloat32)) == "tensor([100.,  nan,   2.])");
}

TEST_CASE("format: only non-finite values", "[format]") {
  CHECK(format_tensor(make({kNan, kInf, -kInf}, {3}, kFloat32)) == "tensor([nan, inf, -inf])");
}

TEST_CASE("format: all zeros", "[format]") {
  CHECK(format_tensor(make({0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, {2, 3}, kFloat32)) ==
        "tensor([[0., 0., 0.],\n"
        "        [0., 0., 0.]])");
}

TEST_CASE("format: negative zero", "[format]") {
  CHECK(format_tensor(make({-0.0, 1.5}, {2}, kFloat32)) == "tensor([-0.0000, 1.5000])");
}

TEST_CASE("format: bool", "[format]") {
  CHECK(format_tensor(make({1, 0, 1}, {3}, kBool)) == "tensor([ True, False,  True])");
}

TEST_CASE("format: bool all true", "[format]") {
  CHECK(format_tensor(make({1, 1, 1, 1}, {2, 2}, kBool)) ==
        "tensor([[True, True],\n"
        "        [True, True]])");
}

TEST_CASE("format: int64 has no dtype suffix", "[format]") {
  CHECK(format_tensor(make({1, -20, 300}, {3}, kInt64)) == "tensor([  1, -20, 300])");
}

TEST_CASE("format: int32 shows its dtype", "[format]") {
  CHECK(format_tensor(make({1, 2, -3, 40}, {2, 2}, kInt32)) ==
        "tensor([[ 1,  2],\n"
        "        [-3, 40]], dtype=torch.int32)");
}

TEST_CASE("format: uint8 shows its dtype", "[format]") {
  CHECK(format_tensor(make({0, 255, 7}, {3}, kUInt8)) ==
        "tensor([  0, 255,   7], dtype=torch.uint8)");
}

TEST_CASE("format: float64 shows its dtype", "[format]") {
  CHECK(format_tensor(make({0.1, 2.0, 0.3333333333333333}, {3}, kFloat64)) ==
        "tensor([0.1000, 2.0000, 0.3333], dtype=torch.float64)");
}

TEST_CASE("format: float16 values print from their double values", "[format]") {
  CHECK(format_tensor(make({0.0999755859375, 0.199951171875, 65504.0}, {3}, kFloat16)) ==
        "tensor([9.9976e-02, 1.9995e-01, 6.5504e+04], dtype=torch.float16)");
}

TEST_CASE("format: bfloat16 values print from their double values", "[format]") {
  CHECK(format_tensor(make({0.10009765625, 3.140625, -2.0}, {3}, kBFloat16)) ==
        "tensor([ 0.1001,  3.1406, -2.0000], dtype=torch.bfloat16)");
}

TEST_CASE("format: 0-d integer-valued float", "[format]") {
  CHECK(format_tensor(make({3.0}, {}, kFloat32)) == "tensor(3.)");
}

TEST_CASE("format: 0-d fraction", "[format]") {
  CHECK(format_tensor(make({0.5}, {}, kFloat32)) == "tensor(0.5000)");
}

TEST_CASE("format: 0-d scientific", "[format]") {
  CHECK(format_tensor(make({9.999999747378752e-06}, {}, kFloat32)) == "tensor(1.0000e-05)");
}

TEST_CASE("format: int64 values past 2^53 print exactly", "[format]") {
  // PyTorch 2.15: tensor([    9007199254740993, -9223372036854775808])
  std::ostringstream os;
  os << kiln::tensor({(int64_t{1} << 53) + 1, std::numeric_limits<int64_t>::min()});
  CHECK(os.str() == "tensor([    9007199254740993, -9223372036854775808])");
}

TEST_CASE("format: 0-d int64", "[format]") {
  CHECK(format_tensor(make({7}, {}, kInt64)) == "tensor(7)");
}

TEST_CASE("format: 0-d float64", "[format]") {
  CHECK(format_tensor(make({-2.5}, {}, kFloat64)) == "tensor(-2.5000, dtype=torch.float64)");
}

TEST_CASE("format: 0-d bool", "[format]") {
  CHECK(format_tensor(make({0}, {}, kBool)) == "tensor(False)");
}

TEST_CASE("format: 0-d nan", "[format]") {
  CHECK(format_tensor(make({kNan}, {}, kFloat32)) == "tensor(nan)");
}

TEST_CASE("format: empty vector", "[format]") {
  CHECK(format_tensor(make({}, {0}, kFloat32)) == "tensor([])");
}

TEST_CASE("format: empty matrix shows its size", "[format]") {
  CHECK(format_tensor(make({}, {0, 3}, kFloat32)) == "tensor([], size=(0, 3))");
}

TEST_CASE("format: empty int64 shows its dtype", "[format]") {
  CHECK(format_tensor(make({}, {0}, kInt64)) == "tensor([], dtype=torch.int64)");
}

TEST_CASE("format: empty 3-d float64", "[format]") {
  CHECK(format_tensor(make({}, {2, 0, 3}, kFloat64)) ==
        "tensor([], size=(2, 0, 3), dtype=torch.float64)");
}

TEST_CASE("format: 3-d blocks are separated by a blank line", "[format]") {
  CHECK(format_tensor(make({0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0},
                           {2, 2, 3}, kFloat32)) ==
        "tensor([[[ 0.,  1.,  2.],\n"
        "         [ 3.,  4.,  5.]],\n"
        "\n"
        "        [[ 6.,  7.,  8.],\n"
        "         [ 9., 10., 11.]]])");
}

TEST_CASE("format: 4-d blocks are separated by two blank lines", "[format]") {
  CHECK(format_tensor(
            make({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {2, 2, 2, 2}, kInt64)) ==
        "tensor([[[[ 0,  1],\n"
        "          [ 2,  3]],\n"
        "\n"
        "         [[ 4,  5],\n"
        "          [ 6,  7]]],\n"
        "\n"
        "\n"
        "        [[[ 8,  9],\n"
        "          [10, 11]],\n"
        "\n"
        "         [[12, 13],\n"
        "          [14, 15]]]])");
}

TEST_CASE("format: long rows wrap at 80 columns", "[format]") {
  CHECK(format_tensor(make(ramp(30, 1.0, kFloat32), {30}, kFloat32)) ==
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
        "        28., 29.])");
}

TEST_CASE("format: long int rows wrap inside a matrix", "[format]") {
  CHECK(format_tensor(make(ramp(40, 1.0, kInt64), {2, 20}, kInt64)) ==
        "tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n"
        "         18, 19],\n"
        "        [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,\n"
        "         38, 39]])");
}

TEST_CASE("format: long fraction rows wrap", "[format]") {
  CHECK(format_tensor(make(ramp(25, 0.14285714285714285, kFloat32), {25}, kFloat32)) ==
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286])");
}

TEST_CASE("format: summarized vector", "[format]") {
  CHECK(format_tensor(make(ramp(2000, 1.0, kFloat32), {2000}, kFloat32)) ==
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])");
}

TEST_CASE("format: summarized matrix", "[format]") {
  CHECK(format_tensor(make(ramp(10000, 0.14285714285714285, kFloat32), {100, 100}, kFloat32)) ==
        "tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 1.3857e+01, 1.4000e+01,\n"
        "         1.4143e+01],\n"
        "        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.8143e+01, 2.8286e+01,\n"
        "         2.8429e+01],\n"
        "        [2.8571e+01, 2.8714e+01, 2.8857e+01,  ..., 4.2429e+01, 4.2571e+01,\n"
        "         4.2714e+01],\n"
        "        ...,\n"
        "        [1.3857e+03, 1.3859e+03, 1.3860e+03,  ..., 1.3996e+03, 1.3997e+03,\n"
        "         1.3999e+03],\n"
        "        [1.4000e+03, 1.4001e+03, 1.4003e+03,  ..., 1.4139e+03, 1.4140e+03,\n"
        "         1.4141e+03],\n"
        "        [1.4143e+03, 1.4144e+03, 1.4146e+03,  ..., 1.4281e+03, 1.4283e+03,\n"
        "         1.4284e+03]])");
}

TEST_CASE("format: summarized 3-d tensor", "[format]") {
  CHECK(format_tensor(make(ramp(8000, 1.0, kInt64), {20, 20, 20}, kInt64)) ==
        "tensor([[[   0,    1,    2,  ...,   17,   18,   19],\n"
        "         [  20,   21,   22,  ...,   37,   38,   39],\n"
        "         [  40,   41,   42,  ...,   57,   58,   59],\n"
        "         ...,\n"
        "         [ 340,  341,  342,  ...,  357,  358,  359],\n"
        "         [ 360,  361,  362,  ...,  377,  378,  379],\n"
        "         [ 380,  381,  382,  ...,  397,  398,  399]],\n"
        "\n"
        "        [[ 400,  401,  402,  ...,  417,  418,  419],\n"
        "         [ 420,  421,  422,  ...,  437,  438,  439],\n"
        "         [ 440,  441,  442,  ...,  457,  458,  459],\n"
        "         ...,\n"
        "         [ 740,  741,  742,  ...,  757,  758,  759],\n"
        "         [ 760,  761,  762,  ...,  777,  778,  779],\n"
        "         [ 780,  781,  782,  ...,  797,  798,  799]],\n"
        "\n"
        "        [[ 800,  801,  802,  ...,  817,  818,  819],\n"
        "         [ 820,  821,  822,  ...,  837,  838,  839],\n"
        "         [ 840,  841,  842,  ...,  857,  858,  859],\n"
        "         ...,\n"
        "         [1140, 1141, 1142,  ..., 1157, 1158, 1159],\n"
        "         [1160, 1161, 1162,  ..., 1177, 1178, 1179],\n"
        "         [1180, 1181, 1182,  ..., 1197, 1198, 1199]],\n"
        "\n"
        "        ...,\n"
        "\n"
        "        [[6800, 6801, 6802,  ..., 6817, 6818, 6819],\n"
        "         [6820, 6821, 6822,  ..., 6837, 6838, 6839],\n"
        "         [6840, 6841, 6842,  ..., 6857, 6858, 6859],\n"
        "         ...,\n"
        "         [7140, 7141, 7142,  ..., 7157, 7158, 7159],\n"
        "         [7160, 7161, 7162,  ..., 7177, 7178, 7179],\n"
        "         [7180, 7181, 7182,  ..., 7197, 7198, 7199]],\n"
        "\n"
        "        [[7200, 7201, 7202,  ..., 7217, 7218, 7219],\n"
        "         [7220, 7221, 7222,  ..., 7237, 7238, 7239],\n"
        "         [7240, 7241, 7242,  ..., 7257, 7258, 7259],\n"
        "         ...,\n"
        "         [7540, 7541, 7542,  ..., 7557, 7558, 7559],\n"
        "         [7560, 7561, 7562,  ..., 7577, 7578, 7579],\n"
        "         [7580, 7581, 7582,  ..., 7597, 7598, 7599]],\n"
        "\n"
        "        [[7600, 7601, 7602,  ..., 7617, 7618, 7619],\n"
        "         [7620, 7621, 7622,  ..., 7637, 7638, 7639],\n"
        "         [7640, 7641, 7642,  ..., 7657, 7658, 7659],\n"
        "         ...,\n"
        "         [7940, 7941, 7942,  ..., 7957, 7958, 7959],\n"
        "         [7960, 7961, 7962,  ..., 7977, 7978, 7979],\n"
        "         [7980, 7981, 7982,  ..., 7997, 7998, 7999]]])");
}

TEST_CASE("format: summarized rows but not columns", "[format]") {
  CHECK(format_tensor(make(ramp(2000, 1.0, kInt64), {5, 400}, kInt64)) ==
        "tensor([[   0,    1,    2,  ...,  397,  398,  399],\n"
        "        [ 400,  401,  402,  ...,  797,  798,  799],\n"
        "        [ 800,  801,  802,  ..., 1197, 1198, 1199],\n"
        "        [1200, 1201, 1202,  ..., 1597, 1598, 1599],\n"
        "        [1600, 1601, 1602,  ..., 1997, 1998, 1999]])");
}

TEST_CASE("format: summary uses only the edges for style", "[format]") {
  CHECK(format_tensor(make(ramp(1001, 0.001, kFloat64), {1001}, kFloat64)) ==
        "tensor([0.0000, 0.0010, 0.0020,  ..., 0.9980, 0.9990, 1.0000],\n"
        "       dtype=torch.float64)");
}

TEST_CASE("format: requires_grad suffix", "[format]") {
  CHECK(format_tensor(with_grad(make({1.0, 2.0}, {2}, kFloat32))) ==
        "tensor([1., 2.], requires_grad=True)");
}

TEST_CASE("format: dtype then requires_grad", "[format]") {
  CHECK(format_tensor(with_grad(make({1.0, 2.0}, {2}, kFloat64))) ==
        "tensor([1., 2.], dtype=torch.float64, requires_grad=True)");
}

TEST_CASE("format: suffix wraps past the line width", "[format]") {
  CHECK(format_tensor(with_grad(make(ramp(9, 1.23456, kFloat64), {1, 9}, kFloat64))) ==
        "tensor([[0.0000, 1.2346, 2.4691, 3.7037, 4.9382, 6.1728, 7.4074, 8.6419, 9.8765]],\n"
        "       dtype=torch.float64, requires_grad=True)");
}

TEST_CASE("format: suffix fits on a one-line tensor", "[format]") {
  CHECK(format_tensor(make(ramp(8, 1.23456, kFloat64), {8}, kFloat64)) ==
        "tensor([0.0000, 1.2346, 2.4691, 3.7037, 4.9382, 6.1728, 7.4074, 8.6419],\n"
        "       dtype=torch.float64)");
}

TEST_CASE("format: suffix wraps after a wrapped vector", "[format]") {
  CHECK(format_tensor(make(ramp(10, 1.23456, kFloat64), {10}, kFloat64)) ==
        "tensor([ 0.0000,  1.2346,  2.4691,  3.7037,  4.9382,  6.1728,  7.4074,  8.6419,\n"
        "         9.8765, 11.1110], dtype=torch.float64)");
}

// Hand-written: PyTorch names any device other than the CPU (the default device).
TEST_CASE("format: cuda device suffix", "[format]") {
  CHECK(format_tensor(on_cuda(make({1.0, 2.0}, {2}, kFloat32), 0)) ==
        "tensor([1., 2.], device='cuda:0')");
}

TEST_CASE("format: device comes before dtype and requires_grad", "[format]") {
  CHECK(format_tensor(with_grad(on_cuda(make({0.5}, {1}, kFloat64), 1))) ==
        "tensor([0.5000], device='cuda:1', dtype=torch.float64, requires_grad=True)");
}

TEST_CASE("format: empty cuda tensor", "[format]") {
  CHECK(format_tensor(on_cuda(make({}, {0}, kFloat32), 0)) == "tensor([], device='cuda:0')");
}
