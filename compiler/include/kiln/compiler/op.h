// The primitive ops of the graph IR and their trait table. Everything in the public API is
// composed from these in frontend/, so autograd needs one rule per primitive and fusion sees
// through composites. The X-macro generates the enum, the names and the traits; a switch over
// Op with no default breaks the build where a new op is not handled.
#pragma once

#include <cstdint>
#include <string>

namespace kiln::ir {

/// Families of ops; fusion and the interpreter dispatch on these.
enum class OpKind : uint8_t { Leaf, Unary, Binary, Ternary, Reduce, Movement, Opaque };

// X(name, text, kind, arity)
#define KILN_OPS(X)                       \
  X(Load, "load", Leaf, 0)                \
  X(Const, "const", Leaf, 0)              \
  X(Iota, "iota", Leaf, 0)                \
  X(Random, "random", Leaf, 1)            \
  X(Neg, "neg", Unary, 1)                 \
  X(Exp, "exp", Unary, 1)                 \
  X(Log, "log", Unary, 1)                 \
  X(Log1p, "log1p", Unary, 1)             \
  X(Expm1, "expm1", Unary, 1)             \
  X(Sqrt, "sqrt", Unary, 1)               \
  X(Rsqrt, "rsqrt", Unary, 1)             \
  X(Abs, "abs", Unary, 1)                 \
  X(Sign, "sign", Unary, 1)               \
  X(Sin, "sin", Unary, 1)                 \
  X(Cos, "cos", Unary, 1)                 \
  X(Tanh, "tanh", Unary, 1)               \
  X(Sigmoid, "sigmoid", Unary, 1)         \
  X(Erf, "erf", Unary, 1)                 \
  X(Floor, "floor", Unary, 1)             \
  X(Ceil, "ceil", Unary, 1)               \
  X(Round, "round", Unary, 1)             \
  X(Reciprocal, "reciprocal", Unary, 1)   \
  X(Not, "not", Unary, 1)                 \
  X(Cast, "cast", Unary, 1)               \
  X(Add, "add", Binary, 2)                \
  X(Sub, "sub", Binary, 2)                \
  X(Mul, "mul", Binary, 2)                \
  X(Div, "div", Binary, 2)                \
  X(Pow, "pow", Binary, 2)                \
  X(Maximum, "maximum", Binary, 2)        \
  X(Minimum, "minimum", Binary, 2)        \
  X(Lt, "lt", Binary, 2)                  \
  X(Le, "le", Binary, 2)                  \
  X(Gt, "gt", Binary, 2)                  \
  X(Ge, "ge", Binary, 2)                  \
  X(Eq, "eq", Binary, 2)                  \
  X(Ne, "ne", Binary, 2)                  \
  X(And, "and", Binary, 2)                \
  X(Or, "or", Binary, 2)                  \
  X(Where, "where", Ternary, 3)           \
  X(Sum, "sum", Reduce, 1)                \
  X(Max, "max", Reduce, 1)                \
  X(Min, "min", Reduce, 1)                \
  X(Prod, "prod", Reduce, 1)              \
  X(Reshape, "reshape", Movement, 1)      \
  X(Permute, "permute", Movement, 1)      \
  X(Expand, "expand", Movement, 1)        \
  X(Pad, "pad", Movement, 1)              \
  X(Slice, "slice", Movement, 1)          \
  X(Flip, "flip", Movement, 1)            \
  X(AsStrided, "as_strided", Movement, 1) \
  X(Unfold, "unfold", Movement, 1)        \
  X(SetStrided, "set_strided", Opaque, 2) \
  X(MatMul, "matmul", Opaque, 2)          \
  X(ArgSort, "argsort", Opaque, 1)        \
  X(Gather, "gather", Opaque, 2)          \
  X(Scatter, "scatter", Opaque, 3)        \
  X(Cumsum, "cumsum", Opaque, 1)          \
  X(Fold, "fold", Opaque, 1)

enum class Op : uint8_t {
#define KILN_OP_ENUM(name, text, kind, arity) name,
  KILN_OPS(KILN_OP_ENUM)
#undef KILN_OP_ENUM
};

inline constexpr int kNumOps = 0
#define KILN_OP_COUNT(name, text, kind, arity) +1
    KILN_OPS(KILN_OP_COUNT)
#undef KILN_OP_COUNT
    ;

/// The op's name in the text IR ("add", "as_strided").
const char* op_name(Op op);
/// Parses op_name's output; returns false when the name is unknown.
bool op_from_name(const std::string& name, Op* out);
OpKind op_kind(Op op);
/// Number of inputs the op takes (random: at most this many; see takes_inputs).
int op_arity(Op op);
/// True when `op` takes `n` inputs: its arity, except random, which takes none or one (an
/// int64 scalar added to its stream offset at run time: kiln::compile's replayed RNG).
inline bool takes_inputs(Op op, size_t n) {
  return op == Op::Random ? n <= 1 : static_cast<int>(n) == op_arity(op);
}

inline bool is_leaf(Op op) { return op_kind(op) == OpKind::Leaf; }
inline bool is_unary(Op op) { return op_kind(op) == OpKind::Unary; }
inline bool is_binary(Op op) { return op_kind(op) == OpKind::Binary; }
inline bool is_elementwise(Op op) {
  OpKind k = op_kind(op);
  return k == OpKind::Unary || k == OpKind::Binary || k == OpKind::Ternary;
}
inline bool is_reduce(Op op) { return op_kind(op) == OpKind::Reduce; }
inline bool is_movement(Op op) { return op_kind(op) == OpKind::Movement; }
/// Opaque ops that run as kernels of their own; the others (gather, matmul, fold) are computed
/// inside their consumer's kernel (matmul fuses its epilogue, gather and fold their reads).
inline bool runs_own_kernel(Op op) {
  return op_kind(op) == OpKind::Opaque && op != Op::Gather && op != Op::MatMul && op != Op::Fold;
}
/// Binary ops whose result is kBool (comparisons and logical and/or).
bool is_comparison(Op op);

}  // namespace kiln::ir
