// Element types, their sizes and names, and PyTorch's type promotion.
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

/// Element type of a tensor. The order is the promotion order within each category.
enum class DType : uint8_t { Bool, UInt8, Int32, Int64, Float16, BFloat16, Float32, Float64 };

inline constexpr DType kBool = DType::Bool;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kByte = DType::UInt8;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kInt = DType::Int32;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kLong = DType::Int64;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kHalf = DType::Float16;
inline constexpr DType kBFloat16 = DType::BFloat16;
inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kDouble = DType::Float64;

inline constexpr int kNumDTypes = 8;

/// Bytes per element.
int64_t itemsize(DType t);
/// Short name used by the text IR and messages: "f32", "i64", "bool", ...
const char* short_name(DType t);
/// PyTorch's name: "float32", "int64", ...
const char* torch_name(DType t);
/// Parses short_name's output; throws FormatError for an unknown name.
DType dtype_from_short_name(const std::string& name);

/// f16 or bf16: stored in 16 bits, computed in f32.
inline bool is_16_bit_float(DType t) { return t == DType::Float16 || t == DType::BFloat16; }
inline bool is_floating(DType t) {
  return is_16_bit_float(t) || t == DType::Float32 || t == DType::Float64;
}
inline bool is_integral(DType t, bool include_bool) {
  return t == DType::UInt8 || t == DType::Int32 || t == DType::Int64 ||
         (include_bool && t == DType::Bool);
}

/// The dtype two tensor operands promote to (PyTorch's promote_types).
DType promote_types(DType a, DType b);

/// Significand bits of a floating dtype (f16: 11, bf16: 8, f32: 24, f64: 53).
int mantissa_bits(DType t);
/// Wraps an int64 to what an integer dtype holds (int32 and uint8 wrap, bool is 0 or 1).
int64_t wrap_int(int64_t v, DType t);

/// Rounds a double to the value the dtype can hold (wrapping integers, rounding floats).
double round_to_dtype(double v, DType t);

/// IEEE half and bfloat16 bit conversions (round to nearest even).
uint16_t float_to_half_bits(float f);
float half_bits_to_float(uint16_t h);
uint16_t float_to_bfloat16_bits(float f);
float bfloat16_bits_to_float(uint16_t b);

}  // namespace kiln
