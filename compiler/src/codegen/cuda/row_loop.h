// One block-level Vectorizable loop of a row kernel (rows.cpp): strided over the block's
// threads, or unrolled with a compile-time count of elements per thread so that loads several
// loops share stay in registers, optionally with W consecutive elements per thread per step
// (one vector load per contiguous access).
#pragma once

#include <map>
#include <set>
#include <string>

#include "codegen/cuda/printer.h"

namespace kiln::codegen::cuda {

/// Register arrays holding a thread's elements of loads that several loops read, by key.
struct RegisterCache {
  std::map<std::string, std::string> name;  ///< key -> array
  std::set<std::string> fresh;              ///< keys the loop being printed fills
  int next = 0;
};

/// The key of a load `param[index]` inside the loop over `var`: equal keys, equal elements.
std::string cache_key(int64_t param, const kir::Expr& index, int64_t var);

struct RowLoop {
  int64_t block = 32;  ///< threads per block
  int64_t per_thread =
      1;              ///< unrolled: elements per thread (the loop's extent / block, rounded up)
  int64_t lanes = 1;  ///< consecutive elements per thread per step (unrolled only)
  bool unrolled = false;
};

/// Prints loop `s` (its Accumulates update the printer's acc_write variables).
void print_row_loop(Printer& pr, const kir::Stmt& s, const RowLoop& how, RegisterCache& cache);

}  // namespace kiln::codegen::cuda
