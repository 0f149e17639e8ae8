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
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

constexpr int64_t kMaxCached = 16;  // elements of a row per thread kept in registers
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

/// The index printed with loop variable `var` renamed to "V" (equal keys: the same element).
std::string cache_key(int64_t param, const kir::Expr& index, int64_t var) {
  std::string text = kir::print(index), name = "v" + std::to_string(var), out;
  for (size_t i = 0; i < text.size();) {
    bool at = text.compare(i, name.size(), name) == 0 && (i == 0 || !isalnum(text[i - 1])) &&
              (i + name.size() == text.size() || !isalnum(text[i + name.size()]));
    out += at ? "V" : text.substr(i, 1);
    i += at ? name.size() : 1;
  }
  return std::to_string(param) + ":" + out;
}

struct RowPlan {
  std::map<int64_t, kir::ReduceOp> reduced;      // block-level accumulators reduced by a loop
  std::map<int64_t, size_t> reduced_in;          // ... and the body index of that loop
  std::map<std::string, std::set<size_t>> keys;  // cache key -> loops reading it
  int64_t row_length = 0;
  bool uniform = true;  // every loop has the row's length
};

std::optional<RowPlan> plan(const kir::Stmt& loop) {
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
          std::vector<kir::Expr> loads;
          std::set<const kir::ExprNode*> seen;
          for (const auto& e : c->exprs) collect_loads(e, loads, seen);
          for (const auto& l : loads) {
            auto coef = coefficient(l->operands[0], s->id);
            if (!coef || (*coef != 0 && *coef != 1)) return std::nullopt;  // strided: fallback
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

int64_t block_for(int64_t row_length) {
  int64_t b = 32;
  while (b < 1024 && b * 8 < row_length) b *= 2;
  return b;
}

}  // namespace

std::optional<Step> render_rows(const kir::Kernel& k, const kir::Stmt& loop,
                                const std::string& entry, std::string& source) {
  if (loop->extent > std::numeric_limits<int32_t>::max()) return std::nullopt;
  std::optional<RowPlan> p = plan(loop);
  if (!p) return std::nullopt;
  int64_t block = block_for(p->row_length);
  int64_t per_thread = (p->row_length + block - 1) / block;
  bool unrolled = p->uniform && per_thread <= kMaxCached;
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
  std::map<std::string, std::string> cache_name;  // cache key -> register array
  int cached = 0;
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
    std::string v = "v" + std::to_string(s->id);
    std::string e = std::to_string(s->extent), b = std::to_string(block);
    if (unrolled) {
      std::vector<std::string> fresh;  // register arrays this loop fills
      for (const auto& [key, loops] : p->keys) {
        if (loops.size() < 2 || *loops.begin() != i) continue;
        cache_name[key] = "c" + std::to_string(cached++);
        fresh.push_back(key);
      }
      for (const auto& key : fresh) {
        DType t = k.params[std::stoll(key.substr(0, key.find(':')))].dtype;
        code.line(std::string(compute_type(t)) + " " + cache_name[key] + "[" +
                  std::to_string(per_thread) + "];");
      }
      code.line("#pragma unroll");
      code.open("for (int j = 0; j < " + std::to_string(per_thread) + "; ++j)");
      code.line("const int " + v + " = threadIdx.x + j * " + b + ";");
      bool guard = s->extent % block != 0;
      if (guard) code.open("if (" + v + " < " + e + ")");
      pr.load_override = [&](const kir::Expr& l) -> std::string {
        std::string key = cache_key(l->int_value, l->operands[0], s->id);
        auto it = cache_name.find(key);
        if (it == cache_name.end()) return "";
        std::string slot = it->second + "[j]";
        if (std::find(fresh.begin(), fresh.end(), key) == fresh.end()) return slot;
        return "(" + slot + " = " + pr.load_text(l->int_value, pr.expr(l->operands[0])) + ")";
      };
      pr.vars[s->id] = v;
      for (const auto& c : s->body) pr.stmt(c);
      pr.load_override = nullptr;
      if (guard) code.close();
      code.close();
    } else {
      code.open("for (int " + v + " = threadIdx.x; " + v + " < " + e + "; " + v + " += " + b + ")");
      pr.vars[s->id] = v;
      for (const auto& c : s->body) pr.stmt(c);
      code.close();
    }
    pr.vars.erase(s->id);
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
