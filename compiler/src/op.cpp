#include "kiln/compiler/op.h"

namespace kiln::ir {

namespace {
struct OpInfo {
  const char* name;
  OpKind kind;
  int arity;
};
constexpr OpInfo kOpInfo[] = {
#define KILN_OP_INFO(name, text, kind, arity) {text, OpKind::kind, arity},
    KILN_OPS(KILN_OP_INFO)
#undef KILN_OP_INFO
};
}  // namespace

const char* op_name(Op op) { return kOpInfo[static_cast<int>(op)].name; }
OpKind op_kind(Op op) { return kOpInfo[static_cast<int>(op)].kind; }
int op_arity(Op op) { return kOpInfo[static_cast<int>(op)].arity; }

bool op_from_name(const std::string& name, Op* out) {
  for (int i = 0; i < kNumOps; ++i) {
    if (name == kOpInfo[i].name) {
      *out = static_cast<Op>(i);
      return true;
    }
  }
  return false;
}

bool is_comparison(Op op) {
  switch (op) {
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Eq:
    case Op::Ne:
    case Op::And:
    case Op::Or: return true;
    default: return false;
  }
}

}  // namespace kiln::ir
