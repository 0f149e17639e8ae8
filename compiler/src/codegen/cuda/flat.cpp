// Flat launches: elementwise loops (a Parallel loop, times the perfectly nested Vectorizable
// loops inside it) as one 1-D index space of 256-thread blocks with a grid-stride loop. When every
// statement is a store and some access is contiguous in the innermost variable, each thread
// handles W consecutive elements (W * element size = 16 bytes for the narrowest contiguous
// access) with 128-bit loads and stores of kiln_vec; other accesses stay per-lane scalars.
#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "codegen/cuda/analysis.h"
#include "codegen/cuda/launch.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

/// The lane count for `stmts` over innermost variable `var` of `extent` iterations: 1 unless
/// every statement is a store and some access is contiguous.
int64_t lanes(const kir::Kernel& k, const std::vector<kir::Stmt>& stmts, int64_t var,
              int64_t extent) {
  int64_t narrowest = 0;
  for (const auto& s : stmts) {
    if (s->kind != kir::StmtKind::Store) return 1;
    std::vector<kir::Expr> loads;
    std::set<const kir::ExprNode*> seen;
    collect_loads(s->exprs[1], loads, seen);
    collect_loads(s->exprs[0], loads, seen);
    std::vector<std::pair<int64_t, kir::Expr>> accesses{{s->id, s->exprs[0]}};
    for (const auto& l : loads) accesses.push_back({l->int_value, l->operands[0]});
    for (const auto& [p, index] : accesses) {
      int64_t bytes = itemsize(k.params[p].dtype);
      if (contiguous(index, var, 16 / bytes) && (!narrowest || bytes < narrowest))
        narrowest = bytes;
    }
  }
  if (!narrowest) return 1;
  for (int64_t w = 16 / narrowest; w >= 2; w /= 2) {
    if (extent % w == 0) return w;
  }
  return 1;
}

/// Prints one store statement for lanes v..v+w-1 of `var` (named `name`).
void vector_store(Printer& pr, const kir::Stmt& s, int64_t var, const std::string& name,
                  int64_t w) {
  const kir::Kernel& k = pr.kernel();
  Code& code = pr.code();
  DependsOn dep(var);
  pr.clear();
  pr.vars[var] = name;
  // 128-bit loads of the contiguous loads, at lane 0's index.
  std::vector<kir::Expr> loads;
  std::set<const kir::ExprNode*> seen;
  collect_loads(s->exprs[1], loads, seen);
  std::map<const kir::ExprNode*, std::string> vec_of;
  for (const auto& l : loads) {
    DType t = k.params[l->int_value].dtype;
    int64_t per = 16 / itemsize(t);
    if (!contiguous(l->operands[0], var, std::min(per, w))) continue;
    std::string base = pr.expr(l->operands[0]), v = pr.temp();
    int64_t chunk = std::min(per, w);
    code.line(vec_type(t, chunk) + " " + v + "[" + std::to_string(w / chunk) + "];");
    for (int64_t c = 0; c < w / chunk; ++c) {
      code.line(v + "[" + std::to_string(c) + "] = *reinterpret_cast<const " + vec_type(t, chunk) +
                "*>(p" + std::to_string(l->int_value) + " + " + base + " + " +
                std::to_string(c * chunk) + ");");
    }
    vec_of[l.get()] = v;
  }
  DType st = k.params[s->id].dtype;
  int64_t sper = std::min<int64_t>(16 / itemsize(st), w);
  bool store_vec = contiguous(s->exprs[0], var, sper);
  std::string store_base = store_vec ? pr.expr(s->exprs[0]) : "";
  int64_t lane = 0;
  pr.load_override = [&](const kir::Expr& l) -> std::string {
    auto it = vec_of.find(l.get());
    if (it == vec_of.end()) return "";
    int64_t chunk = std::min(16 / itemsize(k.params[l->int_value].dtype), w);
    return from_memory(it->second + "[" + std::to_string(lane / chunk) + "].v[" +
                           std::to_string(lane % chunk) + "]",
                       k.params[l->int_value].dtype);
  };
  std::string out = pr.temp();
  if (store_vec) code.line(vec_type(st, sper) + " " + out + "[" + std::to_string(w / sper) + "];");
  for (lane = 0; lane < w; ++lane) {
    pr.forget_if([&](const kir::ExprNode* e) { return dep(e); });
    pr.vars[var] = lane ? "(" + name + " + " + std::to_string(lane) + ")" : name;
    std::string value = pr.expr(s->exprs[1]);
    if (store_vec) {
      code.line(out + "[" + std::to_string(lane / sper) + "].v[" + std::to_string(lane % sper) +
                "] = " + to_memory(value, s->exprs[1]->dtype, st) + ";");
    } else {
      code.line(pr.store_line(s->id, pr.expr(s->exprs[0]), value, s->exprs[1]->dtype));
    }
  }
  pr.load_override = nullptr;
  pr.vars[var] = name;
  for (int64_t c = 0; store_vec && c < w / sper; ++c) {
    code.line("*reinterpret_cast<" + vec_type(st, sper) + "*>(p" + std::to_string(s->id) + " + " +
              store_base + " + " + std::to_string(c * sper) + ") = " + out + "[" +
              std::to_string(c) + "];");
  }
  pr.clear();
}

}  // namespace

Step render_flat(const kir::Kernel& k, const kir::Stmt& loop, bool flatten,
                 const std::string& entry, std::string& source) {
  // The index space: (var, extent) from outer to inner.
  std::vector<std::pair<int64_t, int64_t>> dims{{loop->id, loop->extent}};
  std::vector<kir::Stmt> stmts = loop->body;
  while (flatten && stmts.size() == 1 && stmts[0]->kind == kir::StmtKind::For &&
         stmts[0]->loop == kir::LoopKind::Vectorizable) {
    dims.push_back({stmts[0]->id, stmts[0]->extent});
    std::vector<kir::Stmt> inner = stmts[0]->body;
    stmts = std::move(inner);
  }
  int64_t inner = dims.back().first;
  int64_t w = flatten ? lanes(k, stmts, inner, dims.back().second) : 1;
  int64_t total = 1;
  for (const auto& d : dims) total *= d.second;
  total /= w;
  Code code;
  Printer pr(k, code);
  bool wide = total > (int64_t{1} << 30);
  const char* it = wide ? "long long" : "int";
  code.open(std::string("for (") + it + " i = static_cast<" + it + ">(blockIdx.x) * " +
            std::to_string(kFlatBlock) + " + threadIdx.x; i < " + std::to_string(total) +
            "; i += static_cast<" + it + ">(gridDim.x) * " + std::to_string(kFlatBlock) + ")");
  // Unflatten i into the loop variables (the innermost one times the lane count).
  std::string rest = "i";
  for (size_t d = dims.size(); d-- > 0;) {
    int64_t extent = d + 1 == dims.size() ? dims[d].second / w : dims[d].second;
    std::string v = "v" + std::to_string(dims[d].first);
    std::string value = d == 0 ? rest : rest + " % " + std::to_string(extent);
    if (d + 1 == dims.size() && w > 1) value = "(" + value + ") * " + std::to_string(w);
    code.line(std::string("const ") + it + " " + v + " = " + value + ";");
    pr.vars[dims[d].first] = v;
    if (d > 0) rest = "(" + rest + " / " + std::to_string(extent) + ")";
  }
  for (const auto& s : stmts) {
    if (w > 1) {
      vector_store(pr, s, inner, "v" + std::to_string(inner), w);
    } else {
      pr.stmt(s);
    }
  }
  code.close();
  source += global_function(k, entry, kFlatBlock, stmts, code.text);
  Step step;
  step.entry = entry;
  step.block = kFlatBlock;
  step.grid = std::clamp<int64_t>((total + kFlatBlock - 1) / kFlatBlock, 1,
                                  std::numeric_limits<int32_t>::max());
  return step;
}

Step render_single(const kir::Kernel& k, const std::vector<kir::Stmt>& stmts,
                   const std::string& entry, std::string& source) {
  Code code;
  Printer pr(k, code);
  code.open("if (blockIdx.x == 0 && threadIdx.x == 0)");
  for (const auto& s : stmts) pr.stmt(s);
  code.close();
  source += global_function(k, entry, 1, stmts, code.text);
  Step step;
  step.entry = entry;
  return step;
}

}  // namespace kiln::codegen::cuda
