// Facts about kernel-IR statements and index expressions that choose the GPU mapping: which
// loop variable an expression depends on, contiguity of an index in a variable, alignment,
// which accumulators and params a statement touches.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen::cuda {

/// Whether expressions depend on one loop variable (memoized over the expression DAG).
class DependsOn {
 public:
  explicit DependsOn(int64_t var) : var_(var) {}
  bool operator()(const kir::ExprNode* e);
  bool operator()(const kir::Expr& e) { return (*this)(e.get()); }

 private:
  int64_t var_;
  std::unordered_map<const kir::ExprNode*, bool> memo_;
};

/// The coefficient of `var` in `index` when the index is affine in it (var appears only under
/// +, - and * by a constant); nullopt otherwise.
std::optional<int64_t> coefficient(const kir::Expr& index, int64_t var);
/// True when `index` minus its `var` term is a multiple of `w` for every value of the other
/// variables (each remaining term is provably a multiple).
bool rest_multiple_of(const kir::Expr& index, int64_t var, int64_t w);

/// True when `index` is base + var with base a multiple of `w` (lanes of a 128-bit access).
bool contiguous(const kir::Expr& index, int64_t var, int64_t w);

/// Accumulators a statement declares (id -> dtype), in its whole subtree.
void declared_accumulators(const kir::Stmt& s, std::map<int64_t, DType>& out);
/// Params a statement stores to / loads from, in its whole subtree.
void stored_params(const kir::Stmt& s, std::set<int64_t>& out);
void loaded_params(const kir::Stmt& s, std::set<int64_t>& out);
/// Loads in `e` (each node once).
void collect_loads(const kir::Expr& e, std::vector<kir::Expr>& out,
                   std::set<const kir::ExprNode*>& seen);

}  // namespace kiln::codegen::cuda
