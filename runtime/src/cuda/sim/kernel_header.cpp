#include "cuda/sim/sim.h"

namespace kiln::runtime::cuda::sim {

namespace {

// What a rendered kernel needs from CUDA, for a host C++ compiler: the keywords, the built-in
// index variables, the intrinsics kiln's prelude calls, warp shuffles and __syncthreads. Each
// thread of a block that synchronizes runs as a fiber (ucontext) on the launching thread; a
// fiber that reaches a barrier yields, and the scheduler resumes the waiters once every live
// thread of the block (__syncthreads) or of the warp (a shuffle) has arrived. Barriers that can
// never complete (threads of one block or warp waiting at different barriers, a full-mask
// shuffle in a partial warp or with a lane gone) fail the launch with a message instead of
// hanging. Kernels without barriers run their threads one after another as plain calls.
constexpr const char* kHeader = R"SIM(// ---- kiln CUDA simulator (host C++)
#define KILN_CUDA_SIM 1
#include <math.h>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ucontext.h>
#include <unistd.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// Per launching thread: two host threads may run one module's kernels at once.
#define __shared__ static thread_local

// Module-local (static, not inline: an inline variable would be one GNU_UNIQUE symbol shared by
// every loaded module, and pin the first module in memory).
struct kiln_sim_index { unsigned x = 0, y = 0, z = 0; };
struct kiln_sim_dim3 { unsigned x = 1, y = 1, z = 1; };
static thread_local kiln_sim_index kiln_sim_thread_idx, kiln_sim_block_idx;
static thread_local kiln_sim_dim3 kiln_sim_block_dim, kiln_sim_grid_dim;
#define threadIdx kiln_sim_thread_idx
#define blockIdx kiln_sim_block_idx
#define blockDim kiln_sim_block_dim
#define gridDim kiln_sim_grid_dim

namespace kiln_sim {

enum Wait : unsigned char { kRunnable, kBlockBarrier, kWarpBarrier, kDone };
struct Fiber {
  ucontext_t context;
  Wait wait;
};
struct Block {
  ucontext_t scheduler;
  Fiber* fibers = nullptr;
  unsigned long long* slots = nullptr;  // one shuffle slot per thread
  unsigned threads = 0, current = 0;
  void (*body)(void*) = nullptr;
  void* closure = nullptr;
  char message[256] = {};  // set when the launch fails
};
static thread_local Block* block = nullptr;

// Fails the launch: the fiber never resumes (without fibers, the launch stops after this thread).
inline void fail(const char* what) {
  Block* b = block;
  std::snprintf(b->message, sizeof b->message, "thread %u of block %u: %s", b->current,
                kiln_sim_block_idx.x, what);
  if (b->fibers != nullptr) swapcontext(&b->fibers[b->current].context, &b->scheduler);
}

inline void wait_at(Wait w) {
  Block* b = block;
  if (b->fibers == nullptr) {
    std::snprintf(b->message, sizeof b->message, "a barrier in a kernel run without fibers");
    return;
  }
  b->fibers[b->current].wait = w;
  swapcontext(&b->fibers[b->current].context, &b->scheduler);
}

inline void fiber_main() {
  Block* b = block;
  b->body(b->closure);
  b->fibers[b->current].wait = kDone;  // returns to uc_link, the scheduler
}

// Releases whatever can proceed; false when nothing can (a deadlock) or all are done.
inline bool release(Block& b, bool* all_done) {
  bool progress = false, any_live = false;
  for (unsigned w = 0; w < b.threads; w += 32) {
    unsigned end = w + 32 < b.threads ? w + 32 : b.threads;
    bool shuffle = false, all_shuffle = true;
    for (unsigned t = w; t < end; ++t) {
      shuffle |= b.fibers[t].wait == kWarpBarrier;
      all_shuffle &= b.fibers[t].wait == kWarpBarrier;
    }
    if (shuffle && all_shuffle) {
      for (unsigned t = w; t < end; ++t) b.fibers[t].wait = kRunnable;
      progress = true;
    }
  }
  if (progress) return true;
  bool all_block = true;
  for (unsigned t = 0; t < b.threads; ++t) {
    Wait s = b.fibers[t].wait;
    any_live |= s != kDone;
    all_block &= s == kDone || s == kBlockBarrier;
  }
  *all_done = !any_live;
  if (!any_live || !all_block) return false;
  for (unsigned t = 0; t < b.threads; ++t)
    if (b.fibers[t].wait == kBlockBarrier) b.fibers[t].wait = kRunnable;
  return true;
}

// Fiber stacks: the launcher passes `stack` bytes per thread, each above a guard page.
inline bool run_block(Block& b, char* stack_base, size_t stack) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (unsigned t = 0; t < b.threads; ++t) {
    Fiber& f = b.fibers[t];
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stack_base + t * (stack + page) + page;
    f.context.uc_stack.ss_size = stack;
    f.context.uc_link = &b.scheduler;
    makecontext(&f.context, fiber_main, 0);
    f.wait = kRunnable;
  }
  for (;;) {
    for (unsigned t = 0; t < b.threads; ++t) {
      if (b.fibers[t].wait != kRunnable) continue;
      b.current = t;
      kiln_sim_thread_idx.x = t;
      swapcontext(&b.scheduler, &b.fibers[t].context);
      if (b.message[0] != 0) return false;
    }
    bool all_done = false;
    if (release(b, &all_done)) continue;
    if (all_done) return true;
    std::snprintf(b.message, sizeof b.message,
                  "block %u: its threads wait at barriers that can never complete (__syncthreads "
                  "not reached by every thread, or a shuffle in a partial warp)",
                  kiln_sim_block_idx.x);
    return false;
  }
}

template <class F>
int launch(unsigned grid, unsigned threads, bool fibers, char* stack_base, unsigned long stack,
           char* message, unsigned long size, F body) {
  Block b;
  block = &b;
  b.threads = threads;
  b.body = [](void* c) { (*static_cast<F*>(c))(); };
  b.closure = &body;
  kiln_sim_grid_dim.x = grid;
  kiln_sim_block_dim.x = threads;
  Fiber* fiber_array = nullptr;
  unsigned long long* slot_array = nullptr;
  if (fibers) {
    fiber_array = new Fiber[threads];
    slot_array = new unsigned long long[threads];
  }
  b.fibers = fiber_array;
  b.slots = slot_array;
  for (unsigned g = 0; g < grid && b.message[0] == 0; ++g) {
    kiln_sim_block_idx.x = g;
    if (fibers) {
      run_block(b, stack_base, stack);
      continue;
    }
    for (unsigned t = 0; t < threads && b.message[0] == 0; ++t) {
      b.current = t;
      kiln_sim_thread_idx.x = t;
      body();
    }
  }
  delete[] fiber_array;
  delete[] slot_array;
  block = nullptr;
  std::snprintf(message, size, "%s", b.message);
  return b.message[0] == 0 ? 0 : 1;
}

}  // namespace kiln_sim

inline void __syncthreads() { kiln_sim::wait_at(kiln_sim::kBlockBarrier); }

template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int lane_mask) {
  kiln_sim::Block* b = kiln_sim::block;
  unsigned t = b->current, first = t & ~31u;
  if (b->fibers == nullptr || mask != 0xffffffffu || first + 32 > b->threads) {
    kiln_sim::fail("__shfl_xor_sync with a full-warp mask needs all 32 lanes of the warp");
    return v;
  }
  for (unsigned l = first; l < first + 32; ++l)
    if (b->fibers[l].wait == kiln_sim::kDone) kiln_sim::fail("__shfl_xor_sync after a lane exited");
  static_assert(sizeof(T) <= sizeof(unsigned long long), "shuffle of a wide type");
  std::memcpy(&b->slots[t], &v, sizeof v);
  kiln_sim::wait_at(kiln_sim::kWarpBarrier);
  T r;
  std::memcpy(&r, &b->slots[first + ((t & 31u) ^ (static_cast<unsigned>(lane_mask) & 31u))], sizeof r);
  kiln_sim::wait_at(kiln_sim::kWarpBarrier);  // nobody overwrites a slot before all have read
  return r;
}

template <class To, class From>
inline To kiln_sim_bits(From f) {
  To t;
  std::memcpy(&t, &f, sizeof t);
  return t;
}
inline float __int_as_float(int x) { return kiln_sim_bits<float>(x); }
inline float __uint_as_float(unsigned x) { return kiln_sim_bits<float>(x); }
inline int __float_as_int(float x) { return kiln_sim_bits<int>(x); }
inline unsigned __float_as_uint(float x) { return kiln_sim_bits<unsigned>(x); }
inline double __longlong_as_double(long long x) { return kiln_sim_bits<double>(x); }
inline long long __double_as_longlong(double x) { return kiln_sim_bits<long long>(x); }
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((static_cast<unsigned long long>(a) * b) >> 32);
}
inline double __dmul_rn(double a, double b) { return a * b; }

// IEEE half <-> float, rounding to nearest even (PTX cvt.rn.f16.f32; NaN -> 0x7fff).
inline float kiln_sim_f16_to_f32(unsigned short h) {
  unsigned sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  if (exp == 0x1f) return __uint_as_float(sign | 0x7f800000u | (man << 13));
  if (exp != 0) return __uint_as_float(sign | ((exp + 112) << 23) | (man << 13));
  float f = static_cast<float>(man) * 5.9604644775390625e-8f;  // 2^-24
  return sign ? -f : f;
}
inline unsigned short kiln_sim_f32_to_f16(float f) {
  unsigned x = __float_as_uint(f), sign = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return 0x7fff;
  if (a >= 0x477ff000u) return static_cast<unsigned short>(sign | 0x7c00u);  // rounds past max
  if (a >= 0x38800000u) {  // normal half
    unsigned r = a - 0x38000000u;
    r = (r + 0xfffu + ((r >> 13) & 1u)) >> 13;
    return static_cast<unsigned short>(sign | r);
  }
  // Subnormal half: value / 2^-24, rounded to nearest even (exact in float arithmetic).
  float m = __uint_as_float(a) * 16777216.0f;
  float r = std::nearbyint(m);
  return static_cast<unsigned short>(sign | static_cast<unsigned>(r));
}
// ---- end of the kiln CUDA simulator header
)SIM";

}  // namespace

const char* kernel_header() { return kHeader; }

}  // namespace kiln::runtime::cuda::sim
