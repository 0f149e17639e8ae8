// The CUDA renderer's driver: splits a kernel's top level into steps at Extern statements and
// picks each Parallel loop's GPU mapping (launch.h).
#include <map>

#include "codegen/cuda/analysis.h"
#include "codegen/cuda/launch.h"
#include "codegen/cuda/prelude.h"
#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/runtime/error.h"

namespace kiln::codegen::cuda {

namespace {

constexpr const char* kKernelsMarker = "// ---- kernels\n";

void flatten_blocks(const kir::Stmt& s, std::vector<kir::Stmt>& out) {
  if (s->kind == kir::StmtKind::Block) {
    for (const auto& c : s->body) flatten_blocks(c, out);
  } else {
    out.push_back(s);
  }
}

bool contains_extern(const kir::Stmt& s) {
  if (s->kind == kir::StmtKind::Extern) return true;
  for (const auto& c : s->body) {
    if (contains_extern(c)) return true;
  }
  return false;
}

bool declares_accumulator(const kir::Stmt& loop) {
  for (const auto& s : loop->body) {
    if (s->kind == kir::StmtKind::Accumulator) return true;
  }
  return false;
}

}  // namespace

std::string global_function(const kir::Kernel& k, const std::string& entry, int block,
                            const std::vector<kir::Stmt>& body, const std::string& code) {
  // Params are noalias unless a library call also sees them (as the LLVM backend).
  const char* restrict_kw = contains_extern(k.body) ? "" : " __restrict__";
  std::string out = "extern \"C\" __global__ void __launch_bounds__(" + std::to_string(block) +
                    ") " + entry + "(";
  for (size_t i = 0; i < k.params.size(); ++i) {
    out += i ? ", " : "";
    out += std::string(k.params[i].output ? "" : "const ") + memory_type(k.params[i].dtype) + "*" +
           restrict_kw + " p" + std::to_string(i);
  }
  out += ") {\n";
  std::map<int64_t, DType> accs;
  for (const auto& s : body) declared_accumulators(s, accs);
  for (const auto& [id, t] : accs)
    out += std::string("  ") + compute_type(t) + " a" + std::to_string(id) + ";\n";
  return out + code + "}\n\n";
}

CudaKernel render(const kir::Kernel& k) {
  kir::verify(k);
  std::vector<kir::Stmt> top;
  flatten_blocks(k.body, top);
  CudaKernel out;
  std::string functions;
  std::vector<kir::Stmt> single;  // top-level statements outside Parallel loops, run in order
  auto entry = [&] { return k.name + "_" + std::to_string(out.steps.size()); };
  auto flush = [&] {
    if (single.empty()) return;
    out.steps.push_back(render_single(k, single, entry(), functions));
    single.clear();
  };
  for (const auto& s : top) {
    if (s->kind == kir::StmtKind::Extern) {
      flush();
      Step step;
      step.kind = Step::Kind::Extern;
      step.symbol = s->symbol;
      step.params = s->params;
      step.int_args = s->int_args;
      out.steps.push_back(step);
    } else if (s->kind == kir::StmtKind::For && s->loop == kir::LoopKind::Parallel) {
      flush();
      if (!declares_accumulator(s)) {
        out.steps.push_back(render_flat(k, s, true, entry(), functions));
      } else if (auto rows = render_rows(k, s, entry(), functions)) {
        out.steps.push_back(*rows);
      } else {
        out.steps.push_back(render_flat(k, s, false, entry(), functions));
      }
    } else {
      single.push_back(s);
    }
  }
  flush();
  out.source = std::string(prelude()) + "\n// kernel " + k.name + "\n" + kKernelsMarker + functions;
  return out;
}

std::string source_without_prelude(const CudaKernel& k) {
  size_t at = k.source.find(kKernelsMarker);
  return at == std::string::npos ? k.source
                                 : k.source.substr(at + std::string(kKernelsMarker).size());
}

}  // namespace kiln::codegen::cuda
