// Memory planning: which temporary buffers of a program share one allocation. A temp lives from
// the launch that writes it to the last launch that reads it; temps whose lifetimes do not
// overlap may share. Allocations are plain byte buffers made per run, so the plan only decides
// their count and sizes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln::ir {

/// One temp: its size and the launches that write it first and read it last (last >= first;
/// a temp nobody reads has last == first).
struct TempLifetime {
  int64_t bytes = 0;
  size_t first = 0, last = 0;
};

struct MemoryPlan {
  std::vector<int64_t> alloc_bytes;  ///< size of each allocation: the largest temp it holds
  std::vector<int64_t> alloc_of;     ///< per temp: its allocation
  int64_t total_bytes() const;
};

/// Assigns temps to allocations, walking the launches in order. A launch's outputs are placed
/// before its inputs are freed (a kernel never writes a buffer it reads). A new temp takes the
/// smallest free allocation that holds it; when none does, the largest free one grows to fit
/// (a smaller total than a new allocation); a new allocation only when none is free.
MemoryPlan plan_memory(const std::vector<TempLifetime>& temps);

}  // namespace kiln::ir
