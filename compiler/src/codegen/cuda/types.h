// C++ spellings of kernel-IR dtypes and values in generated CUDA: compute and memory types,
// literals, casts with the kernel IR's semantics, and the 16-bit float storage conversions.
#pragma once

#include <string>

#include "kiln/runtime/dtype.h"

namespace kiln::codegen::cuda {

/// The C++ type a value of `t` is computed in (bool, unsigned char, int, long long, float,
/// double) and the one it is stored in (kiln_f16 / kiln_bf16 for the 16-bit floats).
const char* compute_type(DType t);
const char* memory_type(DType t);
/// `v` (computed as `from`) converted to `to` as the kernel IR's Cast does.
std::string convert(const std::string& v, DType from, DType to);
/// A value of `t` read from memory (text `m` of memory_type(t)) in its compute type, and a
/// value (computed as `value_dtype`) converted for storing into memory of `t`.
std::string from_memory(const std::string& m, DType t);
std::string to_memory(const std::string& v, DType value_dtype, DType t);
/// kiln_vec<memory type, n>: n consecutive elements, one aligned vector access.
std::string vec_type(DType t, int64_t n);
/// A literal of `t` with value v.
std::string float_literal(double v, DType t);

}  // namespace kiln::codegen::cuda
