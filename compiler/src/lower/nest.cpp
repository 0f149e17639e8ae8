#include "lower/nest.h"

namespace kiln::lower {

using kir::Expr;

kir::Stmt LoopNest::wrap(std::vector<kir::Stmt> body) const {
  kir::Stmt s;
  for (size_t l = loops.size(); l-- > 0;) {
    s = kir::loop(loops[l].id, loops[l].extent, loops[l].kind, std::move(body));
    body = {s};
  }
  return s;
}

LoopNest loop_nest(Builder& b, const Shape& shape, int64_t min_inner) {
  LoopNest nest;
  int64_t n = numel_of(shape);
  size_t split = shape.size();
  int64_t inner = 1;
  while (split > 1 && inner < min_inner) inner *= shape[--split];
  int64_t id = 0;
  if (inner < min_inner || inner >= n) {
    Expr i = b.new_var(n, &id);
    nest.loops.push_back({id, n, kir::LoopKind::Parallel});
    nest.idx = unflatten_index(i, shape);
    nest.flat = i;
    return nest;
  }
  Expr row = b.new_var(n / inner, &id);
  nest.loops.push_back({id, n / inner, kir::LoopKind::Parallel});
  nest.idx = unflatten_index(row, Shape(shape.begin(), shape.begin() + split));
  Shape inner_shape(shape.begin() + split, shape.end());
  std::vector<Expr> inner_idx;
  for (int64_t extent : inner_shape) {
    if (extent == 1) {
      inner_idx.push_back(kir::int_imm(0));
      continue;
    }
    inner_idx.push_back(b.new_var(extent, &id));
    nest.loops.push_back({id, extent, kir::LoopKind::Vectorizable});
  }
  nest.idx.insert(nest.idx.end(), inner_idx.begin(), inner_idx.end());
  nest.flat = kir::add(kir::mul(row, kir::int_imm(inner)), flatten_index(inner_idx, inner_shape));
  return nest;
}

std::vector<Expr> reindex(const std::vector<Expr>& idx, const Shape& from, const Shape& to) {
  std::vector<Expr> kept;
  Shape from_kept, to_kept;
  for (size_t d = 0; d < from.size(); ++d) {
    if (from[d] != 1) kept.push_back(idx[d]), from_kept.push_back(from[d]);
  }
  for (int64_t s : to) {
    if (s != 1) to_kept.push_back(s);
  }
  if (from_kept != to_kept) return unflatten_index(flatten_index(idx, from), to);
  std::vector<Expr> out;
  size_t k = 0;
  for (int64_t s : to) out.push_back(s == 1 ? kir::int_imm(0) : kept[k++]);
  return out;
}

}  // namespace kiln::lower
