// The CUDA printer: kernel-IR expressions and statements as CUDA C++ lines with the kernel IR's
// exact semantics (the LLVM backend's: f16/bf16 computed in f32, wrapping integers, truncating
// integer division with a zero divisor giving the dividend, NaN-propagating max/min). An
// expression prints as a chain of `const` SSA temporaries and returns the last one's name;
// temporaries are shared within one statement. Int64 index math whose value range fits 32 bits
// is computed in `int`.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>

#include "codegen/cuda/types.h"
#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen::cuda {

/// Indented lines of C++.
struct Code {
  std::string text;
  int indent = 1;
  void line(const std::string& s) { text += std::string(2 * indent, ' ') + s + "\n"; }
  void open(const std::string& s) {
    line(s + " {");
    ++indent;
  }
  void close() {
    --indent;
    line("}");
  }
};

class Printer {
 public:
  Printer(const kir::Kernel& k, Code& code) : k_(k), code_(code) {}

  /// Loop variable id -> its C name (the caller declares it).
  std::unordered_map<int64_t, std::string> vars;
  /// Accumulator id -> the variable Accumulate updates and the one AccRef reads (they differ
  /// for a block-reduced accumulator: per-thread partial vs the reduced value).
  std::unordered_map<int64_t, std::string> acc_write, acc_read;
  /// When set and it returns a non-empty name, that is the Load's value (vector lanes,
  /// register-cached rows).
  std::function<std::string(const kir::Expr&)> load_override;

  /// Prints `e`'s temporaries; returns the name (or literal) of its value.
  std::string expr(const kir::Expr& e);
  /// Prints a statement as sequential C (Parallel loops run serially here).
  void stmt(const kir::Stmt& s);
  /// Forgets cached temporaries (at a new statement or scope).
  void clear() { cache_.clear(); }
  /// Forgets cached temporaries for which `drop` is true.
  void forget_if(const std::function<bool(const kir::ExprNode*)>& drop);

  /// The value stored into param `p` at `index` (already printed names).
  std::string store_line(int64_t p, const std::string& index, const std::string& value,
                         DType value_dtype) const;
  /// The value of param `p` at `index` (a printed name) in its compute type.
  std::string load_text(int64_t p, const std::string& index) const;
  /// `acc` combined with `x` (both names of dtype `t`) by `op`.
  static std::string combine(kir::ReduceOp op, DType t, const std::string& acc,
                             const std::string& x);
  /// The identity of `op` for `t` (Sum 0, Prod 1); Max / Min have none.
  static std::string identity(kir::ReduceOp op, DType t);
  /// A fresh temporary name.
  std::string temp() { return "t" + std::to_string(next_temp_++); }
  /// The declared dtype of accumulator `id` (recorded when its declaration is seen).
  std::unordered_map<int64_t, DType> acc_dtype;
  /// True when `e` (Int64) is computed in 32-bit int.
  bool narrow(const kir::Expr& e);

  Code& code() { return code_; }
  const kir::Kernel& kernel() const { return k_; }

 private:
  std::string compute(const kir::Expr& e);
  std::string operand(const kir::Expr& e, const kir::Expr& o);
  std::string unary(const kir::Expr& e, const std::string& x);
  std::string binary(const kir::Expr& e, const std::string& a, const std::string& b);

  const kir::Kernel& k_;
  Code& code_;
  int next_temp_ = 0;
  std::unordered_map<const kir::ExprNode*, std::string> cache_;
  std::unordered_map<const kir::ExprNode*, bool> narrow_;
};

}  // namespace kiln::codegen::cuda
