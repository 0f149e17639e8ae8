// The pieces of the safetensors format that reading and writing share: dtype names and limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kiln/runtime/dtype.h"

namespace kiln::detail {

/// The reference implementation refuses headers longer than this (100 MB).
inline constexpr uint64_t kMaxSafetensorsHeader = 100'000'000;
/// The reserved header key holding string metadata.
inline constexpr const char* kSafetensorsMetadataKey = "__metadata__";

/// "F32", "I64", "BOOL", ... for a kiln dtype.
const char* safetensors_dtype_name(DType t);
/// The kiln dtype of a safetensors dtype name; nullopt for names kiln has no dtype for.
std::optional<DType> dtype_from_safetensors(const std::string& name);

}  // namespace kiln::detail
