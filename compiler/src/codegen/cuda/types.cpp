#include "codegen/cuda/types.h"

#include <cmath>
#include <cstdio>

namespace kiln::codegen::cuda {

const char* compute_type(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "unsigned char";
    case DType::Int32: return "int";
    case DType::Int64: return "long long";
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float32: return "float";
    case DType::Float64: return "double";
  }
  return "void";
}

const char* memory_type(DType t) {
  switch (t) {
    case DType::Bool: return "unsigned char";
    case DType::Float16: return "kiln_f16";
    case DType::BFloat16: return "kiln_bf16";
    case DType::UInt8:
    case DType::Int32:
    case DType::Int64:
    case DType::Float32:
    case DType::Float64: return compute_type(t);
  }
  return "void";
}

std::string float_literal(double v, DType t) {
  bool f64 = t == DType::Float64;
  if (std::isnan(v))
    return f64 ? "__longlong_as_double(0x7ff8000000000000LL)" : "__int_as_float(0x7fc00000)";
  if (std::isinf(v)) {
    if (f64)
      return v > 0 ? "__longlong_as_double(0x7ff0000000000000LL)"
                   : "__longlong_as_double(static_cast<long long>(0xfff0000000000000ULL))";
    return v > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(static_cast<int>(0xff800000u))";
  }
  char buf[64];
  // Hexadecimal literals are exact; the value is already rounded to the dtype.
  std::snprintf(buf, sizeof buf, "%a", f64 ? v : static_cast<double>(static_cast<float>(v)));
  return std::string(v < 0 ? "(" : "") + buf + (f64 ? "" : "f") + (v < 0 ? ")" : "");
}

std::string convert(const std::string& v, DType from, DType to) {
  if (from == to) return v;
  if (to == DType::Bool) {
    if (is_floating(from)) return "(" + v + " != " + float_literal(0, from) + ")";
    return "(" + v + " != 0)";
  }
  std::string ct = compute_type(to);
  if (!is_floating(to)) {
    if (is_floating(from)) return "static_cast<" + ct + ">(kiln_ftoi(" + v + "))";
    return "static_cast<" + ct + ">(" + v + ")";
  }
  std::string f = "static_cast<" + ct + ">(" + v + ")";
  if (is_floating(from) && from != DType::Float64 && to != DType::Float64) f = v;
  if (to == DType::Float16) return "kiln_round_f16(" + f + ")";
  if (to == DType::BFloat16) return "kiln_round_bf16(" + f + ")";
  return f;
}

std::string from_memory(const std::string& m, DType t) {
  switch (t) {
    case DType::Bool: return "(" + m + " != 0)";
    case DType::Float16: return "kiln_f16_to_f32(" + m + ")";
    case DType::BFloat16: return "kiln_bf16_to_f32(" + m + ")";
    default: return m;
  }
}

std::string to_memory(const std::string& v, DType value_dtype, DType t) {
  std::string c = convert(v, value_dtype, t);
  if (t == DType::Float16) return "kiln_f32_to_f16(" + c + ")";
  if (t == DType::BFloat16) return "kiln_f32_to_bf16(" + c + ")";
  if (t == DType::Bool) return "static_cast<unsigned char>(" + c + ")";
  return c;
}

std::string vec_type(DType t, int64_t n) {
  return std::string("kiln_vec<") + memory_type(t) + ", " + std::to_string(n) + ">";
}

}  // namespace kiln::codegen::cuda
