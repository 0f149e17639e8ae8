#include "lower/nest.h"

#include <algorithm>

namespace kiln::lower {

using kir::Expr;

namespace {
/// The most elements one row of a nest's Parallel loop covers.
constexpr int64_t kRowElements = 1024;
}  // namespace

kir::Stmt LoopNest::wrap(std::vector<kir::Stmt> body) const {
  kir::Stmt s;
  for (size_t l = loops.size(); l-- > 0;) {
    s = kir::loop(loops[l].id, loops[l].extent, loops[l].kind, std::move(body));
    body = {s};
  }
  return s;
}

int64_t inner_elements(const Shape& shape, int64_t min_inner, size_t* split_out) {
  size_t split = shape.size();
  int64_t inner = 1;
  while (split > 1 && inner < min_inner) inner *= shape[--split];
  if (inner < min_inner || inner >= numel_of(shape)) split = shape.size(), inner = 1;
  if (split_out) *split_out = split;
  return inner;
}

LoopNest loop_nest(Builder& b, const Shape& shape, int64_t min_inner, int64_t merge) {
  LoopNest nest;
  int64_t n = numel_of(shape);
  size_t split = 0;
  int64_t inner = inner_elements(shape, min_inner, &split);
  int64_t id = 0;
  if (split == shape.size()) {
    Expr i = b.new_var(n, &id);
    nest.loops.push_back({id, n, kir::LoopKind::Parallel});
    nest.idx = unflatten_index(i, shape);
    nest.flat = i;
    return nest;
  }
  // Rows of up to kRowElements: dims before the inner ones become loops too, so that the row
  // index is divided once per row of that size (short rows would divide it every few elements).
  while (split > 1 && inner * shape[split - 1] <= kRowElements) inner *= shape[--split];
  Expr row = b.new_var(n / inner, &id);
  nest.loops.push_back({id, n / inner, kir::LoopKind::Parallel});
  nest.idx = unflatten_index(row, Shape(shape.begin(), shape.begin() + split));
  Shape inner_shape(shape.begin() + split, shape.end());
  // The inner dims from `first` on are the merged loop's (when it merges two or more).
  size_t first = inner_shape.size();
  for (int64_t count = 0; first > 0 && count < merge;) count += inner_shape[--first] > 1;
  while (first < inner_shape.size() && inner_shape[first] == 1) ++first;
  auto merged =
      static_cast<int64_t>(std::count_if(inner_shape.begin() + static_cast<std::ptrdiff_t>(first),
                                         inner_shape.end(), [](int64_t e) { return e > 1; }));
  if (merged < 2) first = inner_shape.size();
  std::vector<Expr> inner_idx;
  for (size_t d = 0; d < first; ++d) {
    if (inner_shape[d] == 1) {
      inner_idx.push_back(kir::int_imm(0));
      continue;
    }
    inner_idx.push_back(b.new_var(inner_shape[d], &id));
    nest.loops.push_back({id, inner_shape[d], kir::LoopKind::Vectorizable});
  }
  if (first < inner_shape.size()) {
    Shape run(inner_shape.begin() + static_cast<std::ptrdiff_t>(first), inner_shape.end());
    int64_t extent = numel_of(run);
    Expr j = b.new_var(extent, &id);
    nest.loops.push_back({id, extent, kir::LoopKind::Vectorizable});
    for (const Expr& e : unflatten_index(j, run)) inner_idx.push_back(e);
    nest.merged = merged;
  }
  nest.idx.insert(nest.idx.end(), inner_idx.begin(), inner_idx.end());
  nest.flat = kir::add(kir::mul(row, kir::int_imm(inner)), flatten_index(inner_idx, inner_shape));
  return nest;
}

std::optional<std::vector<std::vector<size_t>>> runs_of(const Shape& fine, const Shape& coarse) {
  std::vector<std::vector<size_t>> runs(coarse.size());
  size_t i = 0;
  for (size_t d = 0; d < coarse.size(); ++d) {
    if (coarse[d] == 1) continue;
    int64_t product = 1;
    for (; i < fine.size() && product < coarse[d]; ++i) {
      if (fine[i] == 1) continue;
      product *= fine[i];
      runs[d].push_back(i);
    }
    if (product != coarse[d]) return std::nullopt;
  }
  for (; i < fine.size(); ++i) {
    if (fine[i] != 1) return std::nullopt;
  }
  return runs;
}

std::vector<Expr> reindex(const std::vector<Expr>& idx, const Shape& from, const Shape& to) {
  auto runs = runs_of(from, to);
  if (!runs) return unflatten_index(flatten_index(idx, from), to);
  // Each dim of `to` is a run of `from`'s dims: its index is theirs, flattened.
  std::vector<Expr> out;
  for (const auto& run : *runs) {
    std::vector<Expr> at;
    Shape run_shape;
    for (size_t i : run) {
      at.push_back(idx[i]);
      run_shape.push_back(from[i]);
    }
    out.push_back(flatten_index(at, run_shape));
  }
  return out;
}

}  // namespace kiln::lower
