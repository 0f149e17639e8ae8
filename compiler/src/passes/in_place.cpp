#include "passes/in_place.h"

#include "kiln/compiler/kir/walk.h"
#include "kiln/compiler/lower.h"

namespace kiln::ir {

namespace {

/// Where a statement sits in a kernel: the statement whose body holds it (null for the body
/// itself), its position there, the top-level statement it is part of (the kernel's loop nests
/// run one after the other), and how many times it runs (the extents of the loops around it).
struct Where {
  const kir::StmtNode* parent = nullptr;
  size_t position = 0;
  size_t top = 0;
  int64_t runs = 1;
};

template <typename F>
void visit(const kir::Stmt& s, const Where& w, const F& f) {
  f(*s, w);
  int64_t runs = s->kind == kir::StmtKind::For ? w.runs * s->extent : w.runs;
  for (size_t i = 0; i < s->body.size(); ++i) visit(s->body[i], {s.get(), i, w.top, runs}, f);
}

/// Calls f(statement, where) for every statement of k, parents first.
template <typename F>
void visit_kernel(const kir::Kernel& k, const F& f) {
  if (k.body->kind != kir::StmtKind::Block) return visit(k.body, Where{}, f);
  f(*k.body, Where{});
  for (size_t i = 0; i < k.body->body.size(); ++i)
    visit(k.body->body[i], {k.body.get(), i, i, 1}, f);
}

/// `index` with the variables of one-iteration loops as 0 (a 0-d store's loop writes element 0
/// as `v`, where its readers load element 0).
kir::Expr without_unit_vars(const kir::Expr& index) {
  return kir::map_expr(index, [](const kir::Expr& x) -> kir::Expr {
    return x->kind == kir::ExprKind::Var && x->bound == 1 ? kir::int_imm(0) : nullptr;
  });
}

/// True when every load of param `in` in k reads the old value before param `out`, which is
/// bound to the same buffer, overwrites it (the rule in in_place.h).
bool reads_before_write(const kir::Kernel& k, int64_t in, int64_t out) {
  const kir::StmtNode* store = nullptr;
  Where at;
  int stores = 0;
  bool calls = false;
  visit_kernel(k, [&](const kir::StmtNode& s, const Where& w) {
    calls = calls || s.kind == kir::StmtKind::Extern;
    if (s.kind == kir::StmtKind::Store && s.id == out) {
      ++stores;
      store = &s;
      at = w;
    }
  });
  // One store, run once per element: each iteration writes its own element.
  if (calls || stores != 1 || at.runs != k.params[static_cast<size_t>(out)].numel) return false;
  const kir::Expr index = without_unit_vars(store->exprs[0]);
  bool ok = true;
  visit_kernel(k, [&](const kir::StmtNode& s, const Where& w) {
    for (const auto& e : s.exprs) {
      ok = ok && !kir::any_of(e, [&](const kir::Expr& x) {
             if (x->kind != kir::ExprKind::Load || x->int_value != in) return false;
             bool earlier_nest = w.top < at.top;
             bool same_element = w.parent == at.parent && w.position <= at.position &&
                                 kir::equal(without_unit_vars(x->operands[0]), index);
             return !earlier_nest && !same_element;
           });
    }
  });
  return ok;
}

/// k reading param `in` through param `out` instead.
void read_through(kir::Kernel& k, int64_t in, int64_t out) {
  k.body = kir::map_exprs(k.body, [&](const kir::Expr& x) -> kir::Expr {
    if (x->kind != kir::ExprKind::Load || x->int_value != in) return nullptr;
    return kir::load(out, x->dtype, x->operands[0]);
  });
  k.name = lower::kernel_name(k);
  kir::verify(k);
}

/// The kernel param of launch `l` bound to `slot` among its inputs (or outputs); -1 if none.
int64_t param_of(const Program& p, const Program::Launch& l, size_t slot, bool output) {
  const kir::Kernel& k = p.kernels[l.kernel];
  for (size_t t = 0; t < l.slots.size(); ++t) {
    if (l.slots[t] == slot && k.params[t].output == output) return static_cast<int64_t>(t);
  }
  return -1;
}

}  // namespace

void grant_in_place(Program& p, const std::vector<int64_t>& requested) {
  p.in_place.assign(p.num_outputs, -1);
  if (requested.empty()) return;
  std::vector<size_t> input_slot(p.num_inputs), output_slot(p.num_outputs, SIZE_MAX);
  for (size_t s = 0; s < p.slots.size(); ++s) {
    const Program::Slot& sl = p.slots[s];
    if (sl.kind == Program::SlotKind::Input) input_slot[static_cast<size_t>(sl.index)] = s;
    if (sl.kind == Program::SlotKind::Output) output_slot[static_cast<size_t>(sl.index)] = s;
  }
  std::vector<bool> taken(p.num_inputs, false);
  for (size_t i = 0; i < requested.size() && i < p.num_outputs; ++i) {
    int64_t j = requested[i];
    if (j < 0 || static_cast<size_t>(j) >= p.num_inputs || taken[static_cast<size_t>(j)] ||
        output_slot[i] == SIZE_MAX)
      continue;
    size_t in = input_slot[static_cast<size_t>(j)], out = output_slot[i];
    if (p.slots[in].dtype != p.slots[out].dtype || p.slots[in].numel != p.slots[out].numel)
      continue;
    size_t writer = 0;
    while (writer < p.launches.size() && param_of(p, p.launches[writer], out, true) < 0) ++writer;
    if (writer == p.launches.size()) continue;
    bool read_later = false;
    for (size_t l = writer + 1; l < p.launches.size() && !read_later; ++l)
      read_later = param_of(p, p.launches[l], in, false) >= 0;
    if (read_later) continue;
    const Program::Launch& l = p.launches[writer];
    kir::Kernel& k = p.kernels[l.kernel];
    int64_t a = param_of(p, l, in, false), b = param_of(p, l, out, true);
    if (a >= 0) {
      if (!reads_before_write(k, a, b)) continue;
      read_through(k, a, b);
    }
    p.in_place[i] = j;
    taken[static_cast<size_t>(j)] = true;
    p.peak_bytes -= p.slots[out].numel * itemsize(p.slots[out].dtype);
  }
}

}  // namespace kiln::ir
