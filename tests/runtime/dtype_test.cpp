// Element types (promotion, half and bfloat16 conversions, rounding), device names, and the
// Philox generator's known-answer vectors.
#include "kiln/runtime/dtype.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "kiln/runtime/device.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/philox.h"

using namespace kiln;

namespace {

constexpr DType kAll[kNumDTypes] = {kBool,    kUInt8,    kInt32,   kInt64,
                                    kFloat16, kBFloat16, kFloat32, kFloat64};

uint32_t float_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

template <typename E, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  FAIL("expected an exception");
  return "";
}

}  // namespace

TEST_CASE("promote_types follows PyTorch's table", "[dtype]") {
  // Rows and columns in kAll's order: bool, u8, i32, i64, f16, bf16, f32, f64.
  const DType b = kBool, u8 = kUInt8, i32 = kInt32, i64 = kInt64, f16 = kFloat16, bf16 = kBFloat16,
              f32 = kFloat32, f64 = kFloat64;
  const DType expected[kNumDTypes][kNumDTypes] = {
      {b, u8, i32, i64, f16, bf16, f32, f64},         // bool
      {u8, u8, i32, i64, f16, bf16, f32, f64},        // u8
      {i32, i32, i32, i64, f16, bf16, f32, f64},      // i32
      {i64, i64, i64, i64, f16, bf16, f32, f64},      // i64
      {f16, f16, f16, f16, f16, f32, f32, f64},       // f16
      {bf16, bf16, bf16, bf16, f32, bf16, f32, f64},  // bf16
      {f32, f32, f32, f32, f32, f32, f32, f64},       // f32
      {f64, f64, f64, f64, f64, f64, f64, f64},       // f64
  };
  for (int i = 0; i < kNumDTypes; ++i) {
    for (int j = 0; j < kNumDTypes; ++j) {
      INFO(short_name(kAll[i]) << " + " << short_name(kAll[j]));
      CHECK(promote_types(kAll[i], kAll[j]) == expected[i][j]);
    }
  }
  CHECK(promote_types(kInt64, kFloat16) == kFloat16);  // int + float -> the float
  CHECK(promote_types(kFloat16, kBFloat16) == kFloat32);
  CHECK(promote_types(kBool, kInt32) == kInt32);
  CHECK(promote_types(kUInt8, kInt32) == kInt32);
}

TEST_CASE("dtype names, sizes and traits", "[dtype]") {
  const int64_t sizes[kNumDTypes] = {1, 1, 4, 8, 2, 2, 4, 8};
  for (int i = 0; i < kNumDTypes; ++i) {
    CHECK(itemsize(kAll[i]) == sizes[i]);
    CHECK(dtype_from_short_name(short_name(kAll[i])) == kAll[i]);
  }
  CHECK(std::string(short_name(kBFloat16)) == "bf16");
  CHECK(std::string(torch_name(kFloat16)) == "float16");
  CHECK(error_of<FormatError>([] { dtype_from_short_name("f31"); }) ==
        "[dtype] unknown dtype name 'f31'");
  CHECK(is_floating(kBFloat16));
  CHECK_FALSE(is_floating(kInt64));
  CHECK(is_integral(kBool, true));
  CHECK_FALSE(is_integral(kBool, false));
}

TEST_CASE("float to half: exact values, overflow, subnormals, ties to even", "[dtype][half]") {
  CHECK(float_to_half_bits(1.0f) == 0x3c00);
  CHECK(float_to_half_bits(-2.0f) == 0xc000);
  CHECK(float_to_half_bits(0.0f) == 0x0000);
  CHECK(float_to_half_bits(-0.0f) == 0x8000);
  CHECK(float_to_half_bits(65504.0f) == 0x7bff);  // largest finite half
  CHECK(float_to_half_bits(65519.0f) == 0x7bff);  // below the midpoint to 65536
  CHECK(float_to_half_bits(65520.0f) == 0x7c00);  // the midpoint rounds to even: inf
  CHECK(float_to_half_bits(1e10f) == 0x7c00);
  CHECK(float_to_half_bits(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(float_to_half_bits(-std::numeric_limits<float>::infinity()) == 0xfc00);
  uint16_t nan = float_to_half_bits(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
  // Subnormals: 2^-24 is the smallest; 2^-25 is a tie between 0 and 2^-24 and goes to 0.
  CHECK(float_to_half_bits(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(float_to_half_bits(std::ldexp(1.0f, -25)) == 0x0000);
  CHECK(float_to_half_bits(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(float_to_half_bits(std::ldexp(3.0f, -25)) == 0x0002);     // 1.5 * 2^-24: tie, to even
  CHECK(float_to_half_bits(std::ldexp(5.0f, -25)) == 0x0002);     // 2.5 * 2^-24: tie, to even
  CHECK(float_to_half_bits(std::ldexp(1023.0f, -24)) == 0x03ff);  // largest subnormal
  CHECK(float_to_half_bits(std::ldexp(1.0f, -14)) == 0x0400);     // smallest normal
  CHECK(float_to_half_bits(-std::ldexp(1.0f, -24)) == 0x8001);
  CHECK(float_to_half_bits(std::ldexp(1.0f, -30)) == 0x0000);
  // Normal ties: 1 + 2^-11 lies between 0x3c00 and 0x3c01 and goes to the even 0x3c00;
  // 1 + 3 * 2^-11 lies between 0x3c01 and 0x3c02 and goes to 0x3c02.
  CHECK(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  CHECK(float_to_half_bits(1.0f + std::ldexp(3.0f, -11)) == 0x3c02);
  CHECK(float_to_half_bits(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3c01);
}

TEST_CASE("half to float", "[dtype][half]") {
  CHECK(half_bits_to_float(0x3c00) == 1.0f);
  CHECK(half_bits_to_float(0x7bff) == 65504.0f);
  CHECK(half_bits_to_float(0x0001) == std::ldexp(1.0f, -24));
  CHECK(half_bits_to_float(0x03ff) == std::ldexp(1023.0f, -24));
  CHECK(half_bits_to_float(0x7c00) == std::numeric_limits<float>::infinity());
  CHECK(half_bits_to_float(0xfc00) == -std::numeric_limits<float>::infinity());
  CHECK(std::isnan(half_bits_to_float(0x7e00)));
  CHECK(float_bits(half_bits_to_float(0x8000)) == 0x80000000u);
  CHECK(half_bits_to_float(0x8001) == -std::ldexp(1.0f, -24));
}

TEST_CASE("every half and bfloat16 value survives float and back", "[dtype][half]") {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    auto bits = static_cast<uint16_t>(h);
    float hf = half_bits_to_float(bits);
    if (std::isnan(hf)) {
      CHECK(std::isnan(half_bits_to_float(float_to_half_bits(hf))));
    } else if (float_to_half_bits(hf) != bits) {
      FAIL("half " << h << " does not round-trip");
    }
    float bf = bfloat16_bits_to_float(bits);
    if (std::isnan(bf)) {
      CHECK(std::isnan(bfloat16_bits_to_float(float_to_bfloat16_bits(bf))));
    } else if (float_to_bfloat16_bits(bf) != bits) {
      FAIL("bfloat16 " << h << " does not round-trip");
    }
  }
}

TEST_CASE("float to bfloat16 rounds to nearest even", "[dtype][bfloat16]") {
  CHECK(float_to_bfloat16_bits(1.0f) == 0x3f80);
  CHECK(float_to_bfloat16_bits(-1.0f) == 0xbf80);
  CHECK(float_to_bfloat16_bits(1.0f + std::ldexp(1.0f, -8)) == 0x3f80);  // tie: to even
  CHECK(float_to_bfloat16_bits(1.0f + std::ldexp(3.0f, -8)) == 0x3f82);  // tie: to even
  CHECK(float_to_bfloat16_bits(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)) == 0x3f81);
  CHECK(float_to_bfloat16_bits(std::numeric_limits<float>::infinity()) == 0x7f80);
  CHECK(float_to_bfloat16_bits(std::numeric_limits<float>::max()) == 0x7f80);  // rounds up
  uint16_t nan = float_to_bfloat16_bits(std::numeric_limits<float>::quiet_NaN());
  CHECK(std::isnan(bfloat16_bits_to_float(nan)));
  // A signalling NaN whose payload lives only in the low bits must stay a NaN.
  uint32_t snan_bits = 0x7f800001u;
  float snan;
  std::memcpy(&snan, &snan_bits, sizeof snan);
  CHECK(std::isnan(bfloat16_bits_to_float(float_to_bfloat16_bits(snan))));
  CHECK(bfloat16_bits_to_float(0x3f80) == 1.0f);
  CHECK(bfloat16_bits_to_float(0x0001) == std::ldexp(1.0f, -133));  // bfloat16 subnormal
}

TEST_CASE("round_to_dtype", "[dtype]") {
  CHECK(round_to_dtype(0.1, kFloat64) == 0.1);
  CHECK(round_to_dtype(0.1, kFloat32) == static_cast<double>(0.1f));
  CHECK(round_to_dtype(0.1, kFloat16) == 0.0999755859375);
  CHECK(round_to_dtype(0.1, kBFloat16) == 0.10009765625);
  CHECK(round_to_dtype(65520.0, kFloat16) == std::numeric_limits<double>::infinity());
  CHECK(round_to_dtype(1e300, kFloat32) == std::numeric_limits<double>::infinity());
  CHECK(std::isnan(round_to_dtype(std::nan(""), kFloat32)));
  CHECK(round_to_dtype(3.7, kInt32) == 3.0);  // integers truncate toward zero
  CHECK(round_to_dtype(-3.7, kInt64) == -3.0);
  CHECK(round_to_dtype(300.0, kUInt8) == 44.0);  // and wrap
  CHECK(round_to_dtype(-1.0, kUInt8) == 255.0);
  CHECK(round_to_dtype(2147483648.0, kInt32) == -2147483648.0);
  CHECK(round_to_dtype(0.5, kBool) == 1.0);
  CHECK(round_to_dtype(-0.0, kBool) == 0.0);
}

TEST_CASE("Device parses PyTorch's names", "[device]") {
  Device cpu("cpu");
  CHECK(cpu.is_cpu());
  CHECK(cpu.index() == 0);
  CHECK(cpu.str() == "cpu");
  Device cuda("cuda");
  CHECK(cuda.is_cuda());
  CHECK(cuda.index() == 0);
  CHECK(cuda.str() == "cuda:0");
  Device cuda1("cuda:1");
  CHECK(cuda1.type() == kCUDA);
  CHECK(cuda1.index() == 1);
  CHECK(cuda1.str() == "cuda:1");
  CHECK(Device("cuda:12").index() == 12);
  CHECK(Device(kCUDA, 1) == cuda1);
  CHECK(Device(kCUDA, 0) != cuda1);
  CHECK(Device(kCPU, 3) == cpu);  // the CPU's index is always 0
  Device implicit = "cuda:1";
  CHECK(implicit == cuda1);

  for (const char* bad : {"gpu", "CPU", "cuda:", "cuda:-1", "cuda:x", "cuda:1x", "cuda1", "",
                          "cpu:0", " cuda", "cuda:99999999999"}) {
    INFO("device string '" << bad << "'");
    CHECK(error_of<DeviceError>([&] { Device d{std::string(bad)}; }) ==
          std::string("[Device] invalid device string '") + bad +
              "' (expected cpu, cuda or cuda:N)");
  }
  CHECK(error_of<DeviceError>([] { Device d(kCUDA, -1); }) ==
        "[Device] device index must be non-negative, got -1");
}

TEST_CASE("philox4x32_10 matches the Random123 known-answer vectors", "[philox]") {
  using runtime::philox4x32_10;
  using Words = std::array<uint32_t, 4>;
  CHECK(philox4x32_10({0, 0, 0, 0}, 0, 0) == Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff) ==
        Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0) ==
        Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox streams and uniforms", "[philox]") {
  using namespace runtime;
  // philox_words puts the index in counter words 0-1, the offset in 2-3 and the seed in the key.
  CHECK(philox_words(0, 0, 0) == philox4x32_10({0, 0, 0, 0}, 0, 0));
  CHECK(philox_words(0xa4093822299f31d0ull, 0x0370734413198a2eull, 0x85a308d3243f6a88ull) ==
        philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0x299f31d0, 0xa4093822));
  CHECK(philox_words(1, 2, 3) != philox_words(1, 2, 4));
  CHECK(philox_words(1, 2, 3) != philox_words(1, 3, 3));
  CHECK(philox_words(1, 2, 3) != philox_words(2, 2, 3));
  CHECK(philox_uniform(0, 0) == 0.0);
  CHECK(philox_uniform(0xffffffff, 0xffffffff) == 1.0 - std::ldexp(1.0, -53));
  double sum = 0;
  for (uint64_t i = 0; i < 4096; ++i) {
    auto w = philox_words(42, 0, i);
    double u = philox_uniform(w[0], w[1]);
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
  }
  CHECK(sum / 4096 == Approx(0.5).margin(0.02));
}
