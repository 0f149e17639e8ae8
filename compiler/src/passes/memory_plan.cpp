#include "kiln/compiler/memory_plan.h"

#include <algorithm>
#include <map>

#include "kiln/runtime/error.h"

namespace kiln::ir {

int64_t MemoryPlan::total_bytes() const {
  int64_t total = 0;
  for (int64_t b : alloc_bytes) total += b;
  return total;
}

MemoryPlan plan_memory(const std::vector<TempLifetime>& temps) {
  MemoryPlan plan;
  plan.alloc_of.assign(temps.size(), -1);
  // Temps by the launch that writes them, and by the last launch that reads them.
  std::multimap<size_t, size_t> born, dies;
  for (size_t t = 0; t < temps.size(); ++t) {
    KILN_CHECK(temps[t].last >= temps[t].first && temps[t].bytes >= 0,
               "plan_memory: a temp read before it is written");
    born.emplace(temps[t].first, t);
    dies.emplace(temps[t].last, t);
  }
  std::multimap<int64_t, int64_t> free;  // allocation size -> allocation
  auto d = dies.begin();
  for (auto b = born.begin(); b != born.end();) {
    size_t launch = b->first;
    // Temps last read before this launch free their allocations for it.
    for (; d != dies.end() && d->first < launch; ++d) {
      int64_t a = plan.alloc_of[d->second];
      free.emplace(plan.alloc_bytes[static_cast<size_t>(a)], a);
    }
    for (; b != born.end() && b->first == launch; ++b) {
      int64_t need = temps[b->second].bytes;
      int64_t alloc = -1;
      if (auto fit = free.lower_bound(need); fit != free.end()) {
        alloc = fit->second;
        free.erase(fit);
      } else if (!free.empty()) {
        auto largest = std::prev(free.end());
        alloc = largest->second;
        plan.alloc_bytes[static_cast<size_t>(alloc)] = need;
        free.erase(largest);
      } else {
        alloc = static_cast<int64_t>(plan.alloc_bytes.size());
        plan.alloc_bytes.push_back(need);
      }
      plan.alloc_of[b->second] = alloc;
    }
  }
  return plan;
}

}  // namespace kiln::ir
