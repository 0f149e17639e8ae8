// Work splitting shared by the CPU GEMMs (gemm.cpp, gemm_dot.cpp): tasks taken dynamically by
// the thread pool's threads, and partial products summed in a fixed order. Internal to
// kiln_kernels.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "kiln/runtime/thread_pool.h"

namespace kiln::kernels {

/// Runs task(t) for every t in [0, count): on the calling thread alone when `threads` <= 1,
/// else on up to `threads` pool threads, each taking the next task when it finishes one (so a
/// core slowed by other work takes fewer).
template <typename F>
void for_each_task(int64_t count, int64_t threads, const F& task) {
  if (threads <= 1 || count <= 1) {
    for (int64_t t = 0; t < count; ++t) task(t);
    return;
  }
  struct Context {
    const F* task;
    int64_t count;
    std::atomic<int64_t> next{0};
  } ctx{&task, count};
  auto body = [](void* p, int64_t, int64_t) {
    auto& c = *static_cast<Context*>(p);
    for (int64_t t = c.next.fetch_add(1); t < c.count; t = c.next.fetch_add(1)) (*c.task)(t);
  };
  kiln_parallel_for(body, &ctx, std::min(threads, count), 1);
}

/// out[i] = parts[0][i] + parts[1][i] + ... for `count` parts of `size` elements each, added in
/// part order: the same bits whichever threads computed the parts.
template <typename T>
void sum_in_order(const T* parts, int64_t count, int64_t size, T* out) {
  std::copy(parts, parts + size, out);
  for (int64_t p = 1; p < count; ++p) {
    const T* part = parts + p * size;
    for (int64_t i = 0; i < size; ++i) out[i] += part[i];
  }
}

}  // namespace kiln::kernels
