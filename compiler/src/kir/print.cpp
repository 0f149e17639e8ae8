// The kernel IR's text form: deterministic, one statement per line.
#include <fmt/format.h>

#include "kiln/compiler/kir/kir.h"

namespace kiln::kir {

namespace {
std::string imm_text(double v) { return fmt::format("{}", v); }

void print_stmt(const Stmt& s, int depth, std::string& out) {
  std::string pad(static_cast<size_t>(2 * depth), ' ');
  switch (s->kind) {
    case StmtKind::For: {
      const char* kind = s->loop == LoopKind::Parallel       ? "parallel for"
                         : s->loop == LoopKind::Vectorizable ? "vector for"
                                                             : "for";
      out += fmt::format("{}{} v{} in 0..{} {{\n", pad, kind, s->id, s->extent);
      for (const auto& b : s->body) print_stmt(b, depth + 1, out);
      out += pad + "}\n";
      break;
    }
    case StmtKind::Block:
      for (const auto& b : s->body) print_stmt(b, depth, out);
      break;
    case StmtKind::Store:
      out += fmt::format("{}p{}[{}] = {}\n", pad, s->id, print(s->exprs[0]), print(s->exprs[1]));
      break;
    case StmtKind::Accumulator:
      out += fmt::format("{}a{}: {} = {}\n", pad, s->id, short_name(s->dtype), print(s->exprs[0]));
      break;
    case StmtKind::Accumulate:
      out += fmt::format("{}a{} {}= {}\n", pad, s->id, reduce_name(s->reduce), print(s->exprs[0]));
      break;
    case StmtKind::Extern: {
      std::string params, args;
      for (int64_t p : s->params) params += fmt::format("{}p{}", params.empty() ? "" : ", ", p);
      for (size_t i = 0; i < s->int_args.size(); ++i)
        args += fmt::format("{}{}", i ? ", " : "", s->int_args[i]);
      out += fmt::format("{}extern {}({}; {})\n", pad, s->symbol, params, args);
      break;
    }
  }
}
}  // namespace

std::string print(const Expr& e) {
  switch (e->kind) {
    case ExprKind::IntImm:
      return e->dtype == DType::Int64 ? std::to_string(e->int_value)
                                      : fmt::format("{}:{}", e->int_value, short_name(e->dtype));
    case ExprKind::FloatImm:
      return fmt::format("{}:{}", imm_text(e->float_value), short_name(e->dtype));
    case ExprKind::Var: return fmt::format("v{}", e->int_value);
    case ExprKind::Load: return fmt::format("p{}[{}]", e->int_value, print(e->operands[0]));
    case ExprKind::Unary: return fmt::format("{}({})", ir::op_name(e->unop), print(e->operands[0]));
    case ExprKind::Binary: {
      BinOp op = e->binop;
      if (op == BinOp::Pow || op == BinOp::Max || op == BinOp::Min) {
        return fmt::format("{}({}, {})", binop_name(op), print(e->operands[0]),
                           print(e->operands[1]));
      }
      return fmt::format("({} {} {})", print(e->operands[0]), binop_name(op),
                         print(e->operands[1]));
    }
    case ExprKind::Select:
      return fmt::format("select({}, {}, {})", print(e->operands[0]), print(e->operands[1]),
                         print(e->operands[2]));
    case ExprKind::Cast: return fmt::format("{}({})", short_name(e->dtype), print(e->operands[0]));
    case ExprKind::AccRef: return fmt::format("a{}", e->int_value);
    case ExprKind::Philox:
      return fmt::format("philox{}[seed={}, offset={}{}]({}):{}",
                         e->dist == 0 ? "_uniform" : "_normal", e->seed, e->offset,
                         e->operands.size() > 1 ? " + " + print(e->operands[1]) : "",
                         print(e->operands[0]), short_name(e->dtype));
  }
  return "?";
}

std::string print(const Kernel& k) {
  std::string out = "kernel " + k.name + "(";
  for (size_t i = 0; i < k.params.size(); ++i) {
    if (i) out += ", ";
    const Param& p = k.params[i];
    out += fmt::format("p{}: {}[{}]{}", i, short_name(p.dtype), p.numel, p.output ? " out" : "");
  }
  out += ") {\n";
  print_stmt(k.body, 1, out);
  return out + "}\n";
}

}  // namespace kiln::kir
