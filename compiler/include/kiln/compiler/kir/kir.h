// The kernel IR: one loop-level program per fused kernel, read by both renderers (LLVM for the
// CPU, CUDA C++ for GPUs). A kernel has parameters (flat buffers of one dtype each), a body of
// statements (loops, stores, accumulators) and expressions (loads with int64 index math,
// arithmetic, selects, casts). Nodes are immutable and built through make functions that check
// their invariants. The X-macros list the node kinds; switches over them have no default, so a
// new kind breaks the build wherever it is not handled.
//
// Semantics every renderer implements:
// - Index expressions are Int64; Div and Mod on integers are floor division / modulo of
//   non-negative operands (index math never divides negatives).
// - Float math is in the expression's dtype; f16/bf16 values are computed in f32 (loads widen,
//   stores narrow), so an expression's dtype is never f16/bf16 except a Load or a Cast to store.
// - A Parallel loop's iterations are independent and may run on several threads, each
//   iteration at most once; a Vectorizable loop may run its iterations in SIMD lanes; a Serial
//   loop runs in order.
// - An Accumulator is declared (with an initial value) inside a loop body, updated by
//   Accumulate statements in a nested loop, and read by AccRef: AccRef gives the current value
//   (after the loop: the reduction; inside it, after an Accumulate: the running value, as a
//   cumulative sum needs).
// - An Extern statement calls a hand-written C function (kernels/: the packed GEMM, the row sort)
// by
//   symbol name: `void symbol(void* const* params, const int64_t* args)`, where params[i] is
//   the data pointer (element 0) of kernel parameter `params[i]` and args points at the
//   statement's constant int64 arguments (nullptr when there are none). The callee reads its
//   parameters and writes only output parameters; statements after it see its writes. The
//   known symbols are listed in kernels/cpu/externs.h (kiln::kernels::extern_symbols), their
//   argument layouts in each one's header; the LLVM JIT resolves them as absolute symbols and the
//   evaluator calls them directly.
// - Philox may have a 16-bit float dtype: the value is then exact in that dtype (uniform uses
//   its mantissa bits); a consumer widens it with a Cast like a Load.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiln/compiler/op.h"
#include "kiln/runtime/dtype.h"

namespace kiln::kir {

/// Binary operators of expressions (math, comparison and index arithmetic).
// clang-format off
#define KILN_KIR_BINOPS(X)                                                                   \
  X(Add, "+") X(Sub, "-") X(Mul, "*") X(Div, "/") X(Mod, "%") X(Pow, "pow") X(Max, "max")    \
  X(Min, "min") X(Lt, "<") X(Le, "<=") X(Gt, ">") X(Ge, ">=") X(Eq, "==") X(Ne, "!=")        \
  X(And, "&&") X(Or, "||")
// clang-format on

enum class BinOp : uint8_t {
#define KILN_KIR_ENUM(name, text) name,
  KILN_KIR_BINOPS(KILN_KIR_ENUM)
#undef KILN_KIR_ENUM
};
const char* binop_name(BinOp op);
/// True for comparisons and and/or (their result is kBool).
bool binop_is_predicate(BinOp op);

/// Unary math (the graph's unary ops other than cast).
using UnOp = ir::Op;

/// Reduction combiners.
enum class ReduceOp : uint8_t { Sum, Max, Min, Prod };
const char* reduce_name(ReduceOp op);

#define KILN_KIR_EXPRS(X) \
  X(IntImm) X(FloatImm) X(Var) X(Load) X(Unary) X(Binary) X(Select) X(Cast) X(AccRef) X(Philox)

enum class ExprKind : uint8_t {
#define KILN_KIR_ENUM(name) name,
  KILN_KIR_EXPRS(KILN_KIR_ENUM)
#undef KILN_KIR_ENUM
};

struct ExprNode;
using Expr = std::shared_ptr<const ExprNode>;

/// One expression node. Fields unused by a kind are left at their defaults.
struct ExprNode {
  ExprKind kind;
  DType dtype;
  int64_t int_value =
      0;  ///< IntImm; Var: loop variable id; Load: parameter index; AccRef: accumulator id
  double float_value = 0.0;    ///< FloatImm
  UnOp unop = ir::Op::Neg;     ///< Unary
  BinOp binop = BinOp::Add;    ///< Binary
  uint64_t seed = 0;           ///< Philox: key
  uint64_t offset = 0;         ///< Philox: stream
  int64_t dist = 0;            ///< Philox: 0 uniform in [0, 1) with dtype's mantissa bits, 1 normal
  int64_t bound = 0;           ///< Var: the loop's extent (the variable is in [0, bound))
  std::vector<Expr> operands;  ///< Load: {index}; Unary: {x}; Binary: {a, b}; Select: {cond, a, b};
                               ///< Cast: {x}; Philox: {element index} or {element index,
                               ///< stream added to offset}
};

Expr int_imm(int64_t v);
Expr float_imm(double v, DType dtype);
/// A constant of any dtype (integers and bool become IntImm of that dtype).
Expr imm(double v, DType dtype);
/// An exact integer constant of an integer or bool dtype.
Expr imm_int(int64_t v, DType dtype);
/// Loop variable `id` of a loop with `extent` iterations.
Expr var(int64_t id, int64_t extent);
Expr load(int64_t param, DType dtype, Expr index);
Expr unary(UnOp op, Expr x);
Expr binary(BinOp op, Expr a, Expr b);
Expr select(Expr cond, Expr a, Expr b);
Expr cast(Expr x, DType dtype);
Expr acc_ref(int64_t acc, DType dtype);
/// The graph's random op for one element: Philox 4x32-10 exactly as the interpreter computes it.
/// `stream` (optional, Int64) is added to `offset` at run time.
Expr philox(uint64_t seed, uint64_t offset, int64_t dist, DType dtype, Expr index,
            Expr stream = nullptr);

/// Structural equality: the same kinds, dtypes, fields and operands.
bool equal(const Expr& a, const Expr& b);

/// Conservative value range [lo, hi] of an Int64 expression.
struct Range {
  int64_t lo, hi;
};
Range range_of(const Expr& e);

// Index arithmetic with constant folding and the div/mod rules of index simplification:
// (x * c + y) / c -> x + y / c and (x * c + y) % c -> y % c when 0 <= y < c, x / c -> 0 and
// x % c -> x when 0 <= x < c, (x / a) / b -> x / (a * b).
Expr add(Expr a, Expr b);
Expr mul(Expr a, Expr b);
Expr div(Expr a, Expr b);
Expr mod(Expr a, Expr b);

#define KILN_KIR_STMTS(X) X(For) X(Block) X(Store) X(Accumulator) X(Accumulate) X(Extern)

enum class StmtKind : uint8_t {
#define KILN_KIR_ENUM(name) name,
  KILN_KIR_STMTS(KILN_KIR_ENUM)
#undef KILN_KIR_ENUM
};

enum class LoopKind : uint8_t { Serial, Parallel, Vectorizable };

struct StmtNode;
using Stmt = std::shared_ptr<const StmtNode>;

struct StmtNode {
  StmtKind kind;
  int64_t id =
      0;  ///< For: loop variable id; Store: parameter; Accumulator / Accumulate: accumulator id
  int64_t extent = 0;  ///< For: iterations [0, extent)
  LoopKind loop = LoopKind::Serial;
  ReduceOp reduce = ReduceOp::Sum;  ///< Accumulate
  DType dtype = DType::Float32;     ///< Accumulator: accumulation dtype
  std::vector<Expr> exprs;      ///< Store: {index, value}; Accumulator: {init}; Accumulate: {value}
  std::vector<Stmt> body;       ///< For / Block: statements in order
  std::string symbol;           ///< Extern: the C function called
  std::vector<int64_t> params;  ///< Extern: kernel parameters passed (their data pointers)
  std::vector<int64_t> int_args;  ///< Extern: constant int64 arguments
};

Stmt loop(int64_t var_id, int64_t extent, LoopKind kind, std::vector<Stmt> body);
Stmt block(std::vector<Stmt> body);
Stmt store(int64_t param, Expr index, Expr value);
Stmt accumulator(int64_t id, DType dtype, Expr init);
Stmt accumulate(int64_t id, ReduceOp op, Expr value);
/// A call of `void symbol(void* const* params, const int64_t* args)` (see the semantics above).
Stmt extern_call(std::string symbol, std::vector<int64_t> params, std::vector<int64_t> int_args);

/// A kernel parameter: a flat buffer of `numel` elements of `dtype`.
struct Param {
  DType dtype;
  int64_t numel;
  bool output;
};

struct Kernel {
  std::string name;  ///< deterministic, from the kernel's content
  std::vector<Param> params;
  Stmt body;
  int64_t bytes_moved = 0;    ///< bytes the kernel reads and writes as generated
  int64_t bytes_minimum = 0;  ///< bytes the math needs (each input once, each output once)
};

/// The kernel's text form: deterministic, used for cache keys, golden files and kiln-dump.
std::string print(const Kernel& k);
std::string print(const Expr& e);
/// Checks invariants (loop vars bound, params in range, accumulators declared before use, index
/// expressions Int64); throws InternalError.
void verify(const Kernel& k);

}  // namespace kiln::kir
