// Kernel IR statement constructors and the verifier.
#include <set>
#include <unordered_set>

#include "kiln/compiler/kir/kir.h"
#include "kiln/runtime/error.h"

namespace kiln::kir {

namespace {
std::shared_ptr<StmtNode> node(StmtKind kind) {
  auto n = std::make_shared<StmtNode>();
  n->kind = kind;
  return n;
}
}  // namespace

Stmt loop(int64_t var_id, int64_t extent, LoopKind kind, std::vector<Stmt> body) {
  KILN_CHECK(extent >= 0, "kir::loop: negative extent");
  auto n = node(StmtKind::For);
  n->id = var_id;
  n->extent = extent;
  n->loop = kind;
  n->body = std::move(body);
  return n;
}

Stmt block(std::vector<Stmt> body) {
  auto n = node(StmtKind::Block);
  n->body = std::move(body);
  return n;
}

Stmt store(int64_t param, Expr index, Expr value) {
  KILN_CHECK(index->dtype == DType::Int64, "kir::store: index must be int64");
  auto n = node(StmtKind::Store);
  n->id = param;
  n->exprs = {std::move(index), std::move(value)};
  return n;
}

Stmt accumulator(int64_t id, DType dtype, Expr init) {
  KILN_CHECK(init->dtype == dtype, "kir::accumulator: init dtype differs");
  auto n = node(StmtKind::Accumulator);
  n->id = id;
  n->dtype = dtype;
  n->exprs = {std::move(init)};
  return n;
}

Stmt accumulate(int64_t id, ReduceOp op, Expr value) {
  auto n = node(StmtKind::Accumulate);
  n->id = id;
  n->reduce = op;
  n->dtype = value->dtype;
  n->exprs = {std::move(value)};
  return n;
}

Stmt extern_call(std::string symbol, std::vector<int64_t> params, std::vector<int64_t> int_args) {
  KILN_CHECK(!symbol.empty(), "kir::extern_call: empty symbol");
  auto n = node(StmtKind::Extern);
  n->symbol = std::move(symbol);
  n->params = std::move(params);
  n->int_args = std::move(int_args);
  return n;
}

namespace {
struct Verifier {
  const Kernel& k;
  std::set<int64_t> vars;
  std::unordered_set<int64_t> accs;

  void fail(const std::string& what) { KILN_CHECK(false, "kir::verify(" + k.name + "): " + what); }

  void expr(const Expr& e) {
    for (const auto& op : e->operands) expr(op);
    switch (e->kind) {
      case ExprKind::IntImm:
      case ExprKind::FloatImm: break;
      case ExprKind::Var:
        if (!vars.count(e->int_value))
          fail("loop variable v" + std::to_string(e->int_value) + " used outside its loop");
        break;
      case ExprKind::Load:
        if (e->int_value < 0 || e->int_value >= static_cast<int64_t>(k.params.size()))
          fail("load of a missing param");
        if (k.params[e->int_value].dtype != e->dtype) fail("load dtype differs from its param");
        if (e->operands[0]->dtype != DType::Int64) fail("load index is not int64");
        break;
      case ExprKind::Unary:
      case ExprKind::Binary:
      case ExprKind::Select:
      case ExprKind::Cast:
      case ExprKind::Philox: break;
      case ExprKind::AccRef:
        if (!accs.count(e->int_value))
          fail("accumulator a" + std::to_string(e->int_value) + " read before it is declared");
        break;
    }
  }

  void stmt(const Stmt& s) {
    switch (s->kind) {
      case StmtKind::For:
        if (!vars.insert(s->id).second)
          fail("loop variable v" + std::to_string(s->id) + " bound twice");
        for (const auto& b : s->body) stmt(b);
        vars.erase(s->id);
        break;
      case StmtKind::Block:
        for (const auto& b : s->body) stmt(b);
        break;
      case StmtKind::Store:
        if (s->id < 0 || s->id >= static_cast<int64_t>(k.params.size()) ||
            !k.params[s->id].output) {
          fail("store to a param that is not an output");
        }
        expr(s->exprs[0]);
        expr(s->exprs[1]);
        break;
      case StmtKind::Accumulator:
        expr(s->exprs[0]);
        accs.insert(s->id);
        break;
      case StmtKind::Accumulate:
        if (!accs.count(s->id)) fail("accumulate into an undeclared accumulator");
        expr(s->exprs[0]);
        break;
      case StmtKind::Extern:
        if (s->symbol.empty()) fail("extern call without a symbol");
        for (int64_t p : s->params) {
          if (p < 0 || p >= static_cast<int64_t>(k.params.size()))
            fail("extern " + s->symbol + " passes a missing param");
        }
        break;
    }
  }
};
}  // namespace

void verify(const Kernel& k) {
  KILN_CHECK(k.body != nullptr, "kir::verify: kernel without a body");
  Verifier v{k, {}, {}};
  v.stmt(k.body);
}

}  // namespace kiln::kir
