// Value-level helpers of the LLVM emitter: dtype <-> LLVM types, memory conversions (bool as
// i8, f16 as half, bf16 as i16), casts with the interpreter's rules, unary and binary math, and
// the Philox generator. Internal to the LLVM backend.
#pragma once

#include "codegen/llvm/llvm_backend.h"

namespace kiln::codegen::llvm_backend {

class Values {
 public:
  explicit Values(llvm::IRBuilder<>& b) : b_(b) {}

  /// The type a value of dtype t is computed in: i1, i8, i32, i64, float (f16/bf16/f32), double.
  llvm::Type* value_type(DType t);
  /// The type of one element in memory: bool i8, f16 half, bf16 i16, else value_type.
  llvm::Type* memory_type(DType t);
  llvm::Value* int_const(int64_t v, DType t);

  llvm::Value* from_memory(llvm::Value* v, DType t);
  llvm::Value* to_memory(llvm::Value* v, DType t);
  /// Cast with the interpreter's rules: nonzero -> true, float -> int truncates then wraps,
  /// float -> f16/bf16 rounds to nearest even (f64 goes through f32, as round_to_dtype does).
  llvm::Value* convert(llvm::Value* v, DType from, DType to);

  llvm::Value* unary(ir::Op op, llvm::Value* x, DType t);
  /// `b_const`: the divisor is a constant (no guard against division by zero needed).
  llvm::Value* binary(kir::BinOp op, llvm::Value* a, llvm::Value* b, DType t, bool b_const);
  /// `stream` (i64, may be null) is added to `offset`.
  llvm::Value* philox(uint64_t seed, uint64_t offset, int64_t dist, DType t, llvm::Value* index,
                      llvm::Value* stream);

 private:
  llvm::Value* round_f16(llvm::Value* f);   // float -> float rounded to half precision
  llvm::Value* bf16_bits(llvm::Value* f);   // float -> i16, round to nearest even
  llvm::Value* round_bf16(llvm::Value* f);  // float -> float rounded to bf16 precision
  llvm::Value* to_bool(llvm::Value* v, DType from);

  llvm::IRBuilder<>& b_;
};

}  // namespace kiln::codegen::llvm_backend
