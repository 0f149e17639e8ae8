// Row launches: a Parallel loop whose body declares accumulators reduced by its Vectorizable
// loops (softmax, layer_norm, log_softmax, cross-entropy, sums over rows; a full reduction is
// one row) runs one thread block per iteration. Each Vectorizable loop becomes a block-strided
// loop; a block-level accumulator is accumulated per thread from its identity (max / min: from
// its initial value), then reduced by warp shuffles and shared memory, and every thread
// computes the same reduced value (no broadcast step). Statements at block level outside loops
// run on thread 0. When all loops have the row's length and a thread holds at most kMaxCached
// elements, the loops are unrolled and loads shared by several loops are kept in registers, so
// the row is read from memory once.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "codegen/cuda/analysis.h"
#include "codegen/cuda/launch.h"
#include "codegen/cuda/row_loop.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

constexpr int64_t kMaxCached = 32;  // elements of a row per thread kept in registers
constexpr int64_t kMinRow = 64;     // shorter rows run one thread per row (the fallback)

bool refs_acc(const kir::Expr& e, int64_t acc) {
  if (e->kind == kir::ExprKind::AccRef && e->int_value == acc) return true;
  for (const auto& o : e->operands) {
    if (refs_acc(o, acc)) return true;
  }
  return false;
}

/// Accumulate ops on `acc` in `s` (appended), and whether `s` reads it by AccRef.
void uses_of(const kir::Stmt& s, int64_t acc, std::vector<kir::ReduceOp>& ops, bool& read) {
  if (s->kind == kir::StmtKind::Accumulate && s->id == acc) ops.push_back(s->reduce);
  for (const auto& e : s->exprs) read = read || refs_acc(e, acc);
  for (const auto& c : s->body) uses_of(c, acc, ops, read);
}

/// An index that only reads the row variable and `var` (no loads, no accumulators).
bool plain_index(const kir::Expr& e, int64_t row, int64_t var) {
  switch (e->kind) {
    case kir::ExprKind::IntImm: return true;
    case kir::ExprKind::Var: return e->int_value == row || e->int_value == var;
    case kir::ExprKind::Binary:
      return plain_index(e->operands[0], row, var) && plain_index(e->operands[1], row, var);
    default: return false;
  }
}

struct RowPlan {
  std::map<int64_t, kir::ReduceOp> reduced;      // block-level accumulators reduced by a loop
  std::map<int64_t, size_t> reduced_in;          // ... and the body index of that loop
  std::map<std::string, std::set<size_t>> keys;  // cache key -> loops reading it
  int64_t row_length = 0;
  bool uniform = true;      // every loop has the row's length
  bool flat_bodies = true;  // loops hold only stores and accumulates (lanes possible)
  int64_t narrowest = 16;   // bytes of the narrowest contiguous access in the loops
};

std::optional<RowPlan> plan(const kir::Kernel& k, const kir::Stmt& loop) {
  RowPlan p;
  std::set<int64_t> stored;
  stored_params(loop, stored);
  std::vector<int64_t> accs;
  for (size_t i = 0; i < loop->body.size(); ++i) {
    const kir::Stmt& s = loop->body[i];
    switch (s->kind) {
      case kir::StmtKind::Accumulator: accs.push_back(s->id); break;
      case kir::StmtKind::Store: break;
      case kir::StmtKind::For: {
        if (s->loop != kir::LoopKind::Vectorizable) return std::nullopt;
        p.row_length = std::max(p.row_length, s->extent);
        for (const auto& c : s->body) {
          if (c->kind == kir::StmtKind::Store && contiguous(c->exprs[0], s->id, 1))
            p.narrowest = std::min(p.narrowest, itemsize(k.params[c->id].dtype));
          if (c->kind != kir::StmtKind::Store && c->kind != kir::StmtKind::Accumulate)
            p.flat_bodies = false;
          std::vector<kir::Expr> loads;
          std::set<const kir::ExprNode*> seen;
          for (const auto& e : c->exprs) collect_loads(e, loads, seen);
          for (const auto& l : loads) {
            auto coef = coefficient(l->operands[0], s->id);
            if (!coef || (*coef != 0 && *coef != 1)) return std::nullopt;  // strided: fallback
            if (*coef == 1)
              p.narrowest = std::min(p.narrowest, itemsize(k.params[l->int_value].dtype));
            if (*coef == 1 && plain_index(l->operands[0], loop->id, s->id) &&
                !stored.count(l->int_value) && c->kind != kir::StmtKind::For) {
              p.keys[cache_key(l->int_value, l->operands[0], s->id)].insert(i);
            }
          }
        }
        break;
      }
      default: return std::nullopt;
    }
  }
  if (accs.empty() || p.row_length < kMinRow) return std::nullopt;
  for (const auto& s : loop->body) {
    if (s->kind == kir::StmtKind::For && s->extent != p.row_length) p.uniform = false;
  }
  for (int64_t a : accs) {
    for (size_t i = 0; i < loop->body.size(); ++i) {
      const kir::Stmt& s = loop->body[i];
      std::vector<kir::ReduceOp> ops;
      bool read = false;
      uses_of(s, a, ops, read);
      if (ops.empty()) continue;
      if (s->kind != kir::StmtKind::For || read || p.reduced.count(a)) return std::nullopt;
      for (auto op : ops) {
        if (op != ops[0]) return std::nullopt;
      }
      p.reduced[a] = ops[0];
      p.reduced_in[a] = i;
    }
  }
  return p;
}

/// Threads per row: a power of two in [32, 1024] giving each thread about 32 bytes of the
/// narrowest element (8 f32, 16 bf16), so that a row of up to 8K f32 stays in registers.
int64_t block_for(int64_t row_length, int64_t narrowest) {
  int64_t per_thread = 32 / narrowest, b = 32;
  while (b < 1024 && b * per_thread < row_length) b *= 2;
  return b;
}

}  // namespace

std::optional<Step> render_rows(const kir::Kernel& k, const kir::Stmt& loop,
                                const std::string& entry, std::string& source) {
  if (loop->extent > std::numeric_limits<int32_t>::max()) return std::nullopt;
  std::optional<RowPlan> p = plan(k, loop);
  if (!p) return std::nullopt;
  RowLoop how;
  how.block = block_for(p->row_length, p->narrowest);
  how.per_thread = (p->row_length + how.block - 1) / how.block;
  how.unrolled = p->uniform && how.per_thread <= kMaxCached;
  // Consecutive elements per thread: 16 bytes of the narrowest contiguous access.
  if (how.unrolled && p->flat_bodies) {
    how.lanes = 16 / p->narrowest;
    while (how.lanes > 1 && p->row_length % (how.block * how.lanes) != 0) how.lanes /= 2;
  }
  int64_t block = how.block;
  Code code;
  Printer pr(k, code);
  std::string row = "v" + std::to_string(loop->id);
  code.line("const int " + row + " = blockIdx.x;");
  code.line("const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;");
  pr.vars[loop->id] = row;
  for (const auto& [a, op] : p->reduced) {
    DType t = loop->body[0]->dtype;
    for (const auto& s : loop->body) {
      if (s->kind == kir::StmtKind::Accumulator && s->id == a) t = s->dtype;
    }
    code.line(std::string("__shared__ ") + compute_type(t) + " r" + std::to_string(a) + "[32];");
    code.line(std::string(compute_type(t)) + " a" + std::to_string(a) + "_p;");
  }
  std::set<int64_t> stored_so_far;
  RegisterCache cache;
  for (size_t i = 0; i < loop->body.size(); ++i) {
    const kir::Stmt& s = loop->body[i];
    pr.clear();
    std::set<int64_t> loads_here;
    loaded_params(s, loads_here);
    for (int64_t q : loads_here) {
      if (stored_so_far.count(q)) {  // an earlier statement's stores are read here
        code.line("__syncthreads();");
        stored_so_far.clear();
        break;
      }
    }
    stored_params(s, stored_so_far);
    if (s->kind == kir::StmtKind::Accumulator) {
      std::string a = "a" + std::to_string(s->id);
      pr.stmt(s);
      if (auto it = p->reduced.find(s->id); it != p->reduced.end()) {
        bool idempotent = it->second == kir::ReduceOp::Max || it->second == kir::ReduceOp::Min;
        code.line(a + "_p = " + (idempotent ? a : Printer::identity(it->second, s->dtype)) + ";");
        pr.acc_write[s->id] = a + "_p";
      }
      continue;
    }
    if (s->kind == kir::StmtKind::Store) {
      code.open("if (threadIdx.x == 0)");
      pr.stmt(s);
      code.close();
      continue;
    }
    // A Vectorizable loop, strided over the block.
    cache.fresh.clear();
    for (const auto& [key, loops] : p->keys) {
      if (!how.unrolled || loops.size() < 2 || *loops.begin() != i) continue;
      cache.name[key] = "c" + std::to_string(cache.next++);
      cache.fresh.insert(key);
    }
    print_row_loop(pr, s, how, cache);
    // Block reductions of the accumulators this loop reduced.
    for (const auto& [a, op] : p->reduced) {
      if (p->reduced_in.at(a) != i) continue;
      std::string n = std::to_string(a), part = "a" + n + "_p", red = "r" + n;
      DType t = pr.acc_dtype.at(a);
      for (int off = 16; off >= 1; off /= 2) {
        code.line(part + " = " +
                  Printer::combine(op, t, part,
                                   "kiln_shfl_xor(" + part + ", " + std::to_string(off) + ")") +
                  ";");
      }
      code.line("if (lane == 0) " + red + "[warp] = " + part + ";");
      code.line("__syncthreads();");
      code.line(part + " = " + red + "[0];");
      code.line("#pragma unroll");
      code.open("for (int w = 1; w < " + std::to_string(block / 32) + "; ++w)");
      code.line(part + " = " + Printer::combine(op, t, part, red + "[w]") + ";");
      code.close();
      bool idempotent = op == kir::ReduceOp::Max || op == kir::ReduceOp::Min;
      code.line("a" + n + " = " + (idempotent ? part : Printer::combine(op, t, "a" + n, part)) +
                ";");
      pr.acc_write[a] = "a" + n;
    }
  }
  source += global_function(k, entry, static_cast<int>(block), loop->body, code.text);
  Step step;
  step.entry = entry;
  step.grid = loop->extent;
  step.block = static_cast<int>(block);
  return step;
}

}  // namespace kiln::codegen::cuda
