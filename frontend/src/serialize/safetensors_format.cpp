// Safetensors dtype names (see safetensors_format.h).
#include "serialize/safetensors_format.h"

namespace kiln::detail {

const char* safetensors_dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "BOOL";
    case DType::UInt8: return "U8";
    case DType::Int32: return "I32";
    case DType::Int64: return "I64";
    case DType::Float16: return "F16";
    case DType::BFloat16: return "BF16";
    case DType::Float32: return "F32";
    case DType::Float64: return "F64";
  }
  return "?";
}

std::optional<DType> dtype_from_safetensors(const std::string& name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    auto t = static_cast<DType>(i);
    if (name == safetensors_dtype_name(t)) return t;
  }
  return std::nullopt;
}

}  // namespace kiln::detail
