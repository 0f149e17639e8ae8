// Kernel shapes: elementwise (one parallel loop over the output), row kernels (a parallel loop
// over rows, then one inner loop per fused reduction and a final store loop: softmax,
// layer_norm and reductions with prologues and epilogues), and the opaque ops (opaque.cpp).
#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <unordered_set>

#include "kiln/compiler/kir/cancel.h"
#include "kiln/compiler/lower.h"
#include "kiln/runtime/error.h"
#include "lower/builder.h"
#include "lower/nest.h"
#include "lower/opaque.h"

namespace kiln::lower {

using ir::Op;
using kir::Expr;

namespace {

/// Elements a kernel's inner loops cover at least (when the shape allows): enough to vectorize
/// and to make the division of the row index negligible.
constexpr int64_t kMinInner = 16;

/// The reduction that sets a row kernel's rows: the root when it reduces, else one of the
/// row structure (input shape and axes) most fused reductions share, so that as few as
/// possible break. Null when nothing fused reduces.
const ir::Node* find_reduce(const Builder& b, const ir::Node* root) {
  if (ir::is_reduce(root->op())) return root;
  std::vector<const ir::Node*> stack{root}, reduces;
  std::unordered_set<const ir::Node*> seen{root};
  while (!stack.empty()) {
    const ir::Node* n = stack.back();
    stack.pop_back();
    if (ir::is_reduce(n->op())) reduces.push_back(n);
    if (n->op() == Op::MatMul) continue;  // its operands are lowered inside the contraction
    for (const auto& in : n->inputs()) {
      if (b.fused(in.get()) && seen.insert(in.get()).second) stack.push_back(in.get());
    }
  }
  const ir::Node* best = nullptr;
  size_t best_count = 0;
  for (const ir::Node* r : reduces) {
    size_t count = 0;
    for (const ir::Node* o : reduces) {
      count += o->input(0)->shape() == r->input(0)->shape() && o->attrs().ints == r->attrs().ints;
    }
    if (count > best_count) best = r, best_count = count;
  }
  return best;
}

Expr narrow_for_store(const Expr& v, DType dtype) { return kir::cast(v, dtype); }

/// The node whose shape a kernel iterates: the root seen through reshapes (a storage's flat
/// node is a reshape of the op that computes it; both have the same row-major order).
const ir::Node* logical_root(const Builder& b, const ir::Node* root) {
  const ir::Node* n = root;
  while (n->op() == Op::Reshape && b.fused(n->input(0).get())) n = n->input(0).get();
  return n;
}

/// The shape an elementwise kernel over `shaped` iterates: its shape, or a refinement of it
/// (each dim split into several, the same row-major order) that a fused reshape reads through,
/// so that the reshape's index math cancels: pooling's windows [N, C, H/2, 2, W/2, 2] then read
/// at plain loop variables instead of at divisions of them. The search follows elementwise ops
/// and permutes (mapping each node's dims to the kernel's) down to such a reshape.
Shape iteration_shape(const Builder& b, const ir::Node* shaped) {
  Shape best = shaped->shape();
  struct Visit {
    const ir::Node* n;
    std::vector<int64_t> dims;  // the kernel's dim of each of n's dims
  };
  std::vector<int64_t> identity(best.size());
  for (size_t d = 0; d < identity.size(); ++d) identity[d] = static_cast<int64_t>(d);
  std::vector<Visit> stack{{shaped, identity}};
  std::unordered_set<const ir::Node*> seen{shaped};
  while (!stack.empty()) {
    Visit v = stack.back();
    stack.pop_back();
    const ir::Node* n = v.n;
    std::vector<std::vector<int64_t>> in_dims(n->inputs().size());
    if (n->op() == Op::Reshape) {
      if (auto runs = runs_of(n->input(0)->shape(), n->shape())) {
        // The kernel's dims, each split as the reshape's input splits it.
        std::vector<Shape> split(shaped->shape().size());
        for (size_t d = 0; d < runs->size(); ++d) {
          for (size_t i : (*runs)[d]) split[v.dims[d]].push_back(n->input(0)->shape()[i]);
        }
        Shape refined;
        for (const Shape& s : split) refined.insert(refined.end(), s.begin(), s.end());
        // Only where the inner loops keep their length (a flatten's [N, C, 5, 5] refining
        // [N, 1600] would cut 1600-long rows into loops of 5).
        if (refined.size() > best.size() && runs_of(refined, shaped->shape()) &&
            inner_elements(refined, kMinInner) >= inner_elements(shaped->shape(), kMinInner)) {
          best = refined;
        }
      }
      continue;
    }
    if (ir::is_elementwise(n->op())) {
      for (auto& d : in_dims) d = v.dims;
    } else if (n->op() == Op::Permute) {
      in_dims[0].resize(v.dims.size());
      for (size_t d = 0; d < v.dims.size(); ++d) in_dims[0][n->attrs().ints[d]] = v.dims[d];
    } else {
      continue;
    }
    for (size_t i = 0; i < in_dims.size(); ++i) {
      const ir::Node* in = n->input(i).get();
      bool mapped = in->rank() == static_cast<int64_t>(in_dims[i].size());
      for (size_t d = 0; mapped && d < in_dims[i].size(); ++d)
        mapped = in->shape()[d] == shaped->shape()[in_dims[i][d]];
      if (mapped && b.fused(in) && seen.insert(in).second) stack.push_back({in, in_dims[i]});
    }
  }
  return best;
}

/// The elementwise kernel's body, its last `merge` inner dims one loop (loop_nest; `merged`
/// gets how many it did merge), or null when some access then divides that loop's variable.
kir::Stmt elementwise_body(Builder& b, const ir::Node* root, int64_t out, int64_t merge,
                           int64_t* merged) {
  const ir::Node* shaped = logical_root(b, root);
  const Shape& shape = shaped->shape();
  Shape walked = iteration_shape(b, shaped);
  LoopNest nest = loop_nest(b, walked, kMinInner, merge);
  *merged = nest.merged;
  std::vector<Expr> idx = reindex(nest.idx, walked, shape);
  b.set_elementwise(idx);
  b.enable_gemm(out, shape);
  Expr v = b.value(shaped, idx);
  std::vector<kir::Stmt> body = b.take_row_statements();
  body.push_back(kir::store(out, nest.flat, narrow_for_store(v, root->dtype())));
  kir::Stmt loop = nest.wrap(std::move(body));
  if (nest.merged > 1) {
    // A GEMM's fused epilogue (codegen/llvm/gemm_epilogue) runs on tiles of the product's
    // rows: its inner loop must be one row of it, so a GEMM kernel merges no dims.
    if (b.gemm_call()) return nullptr;
    loop = kir::cancel_divisions(loop, nest.loops.back().id);
    if (kir::divides_var(loop, nest.loops.back().id)) return nullptr;
  }
  // A matmul that runs as a GEMM call (Builder::gemm_value) writes the output buffer first;
  // the loop then applies the fused epilogue in place (reading the product back), and is not
  // needed when the matmul is the kernel's value itself.
  if (b.gemm_call()) {
    if (shaped == b.gemm_node()) return b.gemm_call();
    return kir::block({b.gemm_call(), loop});
  }
  return loop;
}

kir::Stmt row_body(Builder& b, const ir::Node* flat_root, const ir::Node* first_reduce,
                   int64_t out) {
  const ir::Node* root = logical_root(b, flat_root);
  const ir::Node* r0 = first_reduce;
  Shape domain = r0->input(0)->shape();
  std::vector<int64_t> axes = r0->attrs().ints;
  // The root is either a per-row value (a reduction and its epilogue: one store per row) or
  // has the rows' full shape (softmax, layer_norm: a final loop over the row).
  Shape reduced_shape = domain;
  for (int64_t a : axes) reduced_shape[a] = 1;
  bool per_row = root->numel() == numel_of(reduced_shape) && root->shape() != domain;
  if (!per_row && root->shape() != domain) {
    throw FusionBreak{
        r0, "reduce result broadcast to a shape other than its input's " + shape_str(domain)};
  }
  Shape outer_shape, inner_shape;
  for (size_t d = 0; d < domain.size(); ++d) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
    (reduced ? inner_shape : outer_shape).push_back(domain[d]);
  }
  if (per_row) {
    // One value per row. Tiny rows (pooling windows) are walked as a loop nest over the rows'
    // shape, each row's reduction inside the innermost loop; longer ones as one flat loop.
    bool tiny = numel_of(inner_shape) <= kMinInner;
    LoopNest nest = loop_nest(b, outer_shape, tiny ? kMinInner : numel_of(outer_shape) + 1);
    b.set_rows(domain, axes, nest.idx);
    b.next_pass();
    bool flat = nest.loops.size() == 1;
    Expr v = b.value(root, flat ? unflatten_index(nest.flat, root->shape())
                                : reindex(nest.idx, outer_shape, root->shape()));
    std::vector<kir::Stmt> body = b.take_row_statements();
    body.push_back(kir::store(out, nest.flat, narrow_for_store(v, root->dtype())));
    return nest.wrap(std::move(body));
  }
  int64_t row_id = 0;
  Expr row = b.new_var(numel_of(outer_shape), &row_id);
  std::vector<Expr> outer = unflatten_index(row, outer_shape);
  b.set_rows(domain, axes, outer);
  int64_t k_id = 0;
  Expr k = b.new_var(numel_of(inner_shape), &k_id);
  std::vector<Expr> inner = unflatten_index(k, inner_shape);
  std::vector<Expr> full = merge_index(domain.size(), axes, outer, inner);
  b.next_pass();
  Expr v = b.value(root, full);
  std::vector<kir::Stmt> body = b.take_row_statements();
  body.push_back(kir::loop(
      k_id, numel_of(inner_shape), kir::LoopKind::Vectorizable,
      {kir::store(out, flatten_index(full, domain), narrow_for_store(v, root->dtype()))}));
  return kir::loop(row_id, numel_of(outer_shape), kir::LoopKind::Parallel, std::move(body));
}

}  // namespace

std::string kernel_name(const kir::Kernel& k) {
  std::string text = kir::print(k);
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  static const char* kHex = "0123456789abcdef";
  std::string name = "kiln_k";
  for (int i = 15; i >= 0; --i) name += kHex[(h >> (4 * i)) & 0xf];
  return name;
}

LoweredKernel lower_kernel(const ir::Node* root,
                           const std::unordered_set<const ir::Node*>& materialized) {
  KILN_CHECK(root->op() != Op::Load, "a load needs no kernel");
  std::optional<Builder> built(std::in_place, root, materialized);
  // The output param is numbered after the inputs, which are only known once the body is
  // built; use a placeholder and renumber below.
  constexpr int64_t kOut = 1 << 30;
  kir::Stmt body;
  if (ir::runs_own_kernel(root->op())) {
    body = opaque_body(*built, root, kOut);
  } else if (const ir::Node* r = find_reduce(*built, root)) {
    body = row_body(*built, root, r, kOut);
  } else {
    // All inner dims in one loop, else fewer, each attempt from a fresh start; merging one
    // (none) always succeeds.
    int64_t merge = std::numeric_limits<int64_t>::max(), merged = 0;
    while (!(body = elementwise_body(*built, root, kOut, merge, &merged))) {
      merge = merged - 1;
      built.emplace(root, materialized);
    }
  }
  Builder& b = *built;
  LoweredKernel lk;
  lk.inputs = b.inputs();
  lk.fused_reduces = b.fused_reduces();
  lk.outputs = {root};
  auto out = static_cast<int64_t>(lk.inputs.size());
  // The output is also named by a GEMM call's params and read back by its epilogue's loads.
  std::unordered_map<const kir::ExprNode*, Expr> renumbered;
  std::function<Expr(const Expr&)> renumber_expr = [&](const Expr& e) -> Expr {
    if (auto it = renumbered.find(e.get()); it != renumbered.end()) return it->second;
    Expr r = e;
    bool is_out = e->kind == kir::ExprKind::Load && e->int_value == kOut;
    std::vector<Expr> ops;
    bool changed = is_out;
    for (const auto& o : e->operands) {
      ops.push_back(renumber_expr(o));
      changed = changed || ops.back() != o;
    }
    if (changed) {
      auto copy = std::make_shared<kir::ExprNode>(*e);
      if (is_out) copy->int_value = out;
      copy->operands = std::move(ops);
      r = copy;
    }
    renumbered.emplace(e.get(), r);
    return r;
  };
  std::function<kir::Stmt(const kir::Stmt&)> renumber = [&](const kir::Stmt& s) -> kir::Stmt {
    auto copy = std::make_shared<kir::StmtNode>(*s);
    if (s->kind == kir::StmtKind::Store && s->id == kOut) copy->id = out;
    for (auto& p : copy->params) p = p == kOut ? out : p;
    for (auto& e : copy->exprs) e = renumber_expr(e);
    for (auto& c : copy->body) c = renumber(c);
    return copy;
  };
  lk.kernel.body = renumber(body);
  for (const ir::Node* in : lk.inputs)
    lk.kernel.params.push_back({in->dtype(), in->numel(), false});
  lk.kernel.params.push_back({root->dtype(), root->numel(), true});
  int64_t out_bytes = root->numel() * itemsize(root->dtype());
  lk.kernel.bytes_moved = b.bytes_loaded() + out_bytes;
  // A GEMM's epilogue reads the product back from the output and writes it again.
  if (b.gemm_call() && logical_root(b, root) != b.gemm_node())
    lk.kernel.bytes_moved += 2 * out_bytes;
  lk.kernel.bytes_minimum = out_bytes;
  for (const ir::Node* in : lk.inputs)
    lk.kernel.bytes_minimum += in->numel() * itemsize(in->dtype());
  lk.kernel.name = kernel_name(lk.kernel);
  kir::verify(lk.kernel);
  return lk;
}

}  // namespace kiln::lower
