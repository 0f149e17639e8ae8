// The packed GEMM (see gemm.h). Loop nest, for one sub-problem (one thread's rows/columns of
// one batch entry):
//
//   for jc in 0..n step NC                      B block: KC x NC, packed, lives in L2
//     for pc in 0..k step KC                    (one block when k <= 1.5 KC)
//       pack B[pc.., jc..] into NR-column micro-panels
//       for ic in 0..m step MC
//         pack A[ic.., pc..] into MR-row micro-panels
//         for ir in 0..mc step MR               A micro-panel (MR x KC) stays in L1
//           for jr in 0..nc step NR             B micro-panels stream from L2
//             C[ir.., jr..] (+)= Ap[ir] * Bp[jr]   micro-kernel, C tile in registers
//
// The first KC block stores into C, later ones add, so C needs no zeroing.
#include "cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/gemm_dot.h"
#include "cpu/gemm_micro.h"
#include "cpu/gemm_pack.h"
#include "cpu/tasks.h"
#include "kiln/runtime/thread_pool.h"

namespace kiln::kernels {

namespace {

/// A 64-byte aligned scratch buffer per thread (one for A panels, one for B).
template <typename T>
T* scratch(int which, int64_t count) {
  struct Buf {
    void* p = nullptr;
    size_t bytes = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf bufs[2];
  Buf& b = bufs[which];
  auto need = static_cast<size_t>(count) * sizeof(T);
  need = (need + 63) / 64 * 64;
  if (b.bytes < need) {
    std::free(b.p);
    b.p = std::aligned_alloc(64, need);
    if (!b.p) throw std::bad_alloc();
    b.bytes = need;
  }
  return static_cast<T*>(b.p);
}

/// A fused epilogue (gemm.h): called on each block of C once its product is final. Rows are
/// counted over batch * m; `row0` / `col0` place a sub-problem's C in the whole product.
struct Epilogue {
  kiln_gemm_epilogue_fn fn = nullptr;
  void* ctx = nullptr;
  int64_t row0 = 0, col0 = 0;

  void operator()(int64_t r0, int64_t r1, int64_t c0, int64_t c1) const {
    if (fn) fn(ctx, row0 + r0, row0 + r1, col0 + c0, col0 + c1);
  }
  Epilogue at(int64_t r, int64_t c) const { return {fn, ctx, row0 + r, col0 + c}; }
};

/// One sub-problem on the calling thread: C (m x n, row stride ldc) = A (m x k) * B (k x n).
template <typename T>
void gemm_serial(int64_t m, int64_t n, int64_t k, const T* a, int64_t ars, int64_t acs, const T* b,
                 int64_t brs, int64_t bcs, T* c, int64_t ldc, const Epilogue& epilogue) {
  using Tl = Tile<T>;
  constexpr int64_t MR = Tl::MR, NR = Tl::NR;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, T(0));
    epilogue(0, m, 0, n);
    return;
  }
  MicroFn<T> micro = micro_kernel<T>();
  // An inner dim a little over one block (a 3x3 convolution's 288) runs as one block: a short
  // second block would reload and store every C tile for few products.
  const int64_t kc_step = k <= Tl::KC * 3 / 2 ? k : Tl::KC;  // the longest block, too
  int64_t nc_max = std::min(Tl::NC, n), mc_max = std::min(Tl::MC, m);
  T* bp = scratch<T>(1, kc_step * ((nc_max + NR - 1) / NR * NR));
  T* ap = scratch<T>(0, kc_step * ((mc_max + MR - 1) / MR * MR));
  alignas(64) T edge[MR * NR];
  for (int64_t jc = 0; jc < n; jc += Tl::NC) {
    int64_t nc = std::min(Tl::NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_step) {
      int64_t kc = std::min(kc_step, k - pc);
      bool acc = pc > 0, last = pc + kc_step >= k;
      pack_b(kc, nc, b + pc * brs + jc * bcs, brs, bcs, bp);
      for (int64_t ic = 0; ic < m; ic += Tl::MC) {
        int64_t mc = std::min(Tl::MC, m - ic);
        pack_a(mc, kc, a + ic * ars + pc * acs, ars, acs, ap);
        for (int64_t ir = 0; ir < mc; ir += MR) {
          int64_t rows = std::min(MR, mc - ir);
          const T* apanel = ap + ir * kc;
          for (int64_t jr = 0; jr < nc; jr += NR) {
            int64_t cols = std::min(NR, nc - jr);
            T* ct = c + (ic + ir) * ldc + jc + jr;
            if (rows == MR && cols == NR) {
              micro(kc, apanel, bp + jr * kc, ct, ldc, acc);
            } else {
              micro(kc, apanel, bp + jr * kc, edge, NR, false);
              for (int64_t i = 0; i < rows; ++i) {
                for (int64_t j = 0; j < cols; ++j)
                  ct[i * ldc + j] = acc ? ct[i * ldc + j] + edge[i * NR + j] : edge[i * NR + j];
              }
            }
            if (last) epilogue(ic + ir, ic + ir + rows, jc + jr, jc + jr + cols);
          }
        }
      }
    }
  }
}

template <typename T>
struct Job {
  int64_t batch, m, n, k;
  const T* a;
  int64_t abs, ars, acs;
  const T* b;
  int64_t bbs, brs, bcs;
  T* c;
  int64_t mparts, nparts;  // each batch entry is split into mparts x nparts tasks
  int64_t kparts, kchunk;  // or into kparts slices of the inner dim, kchunk long,
  T* partial;              // each into its own [batch, m, n] slice of `partial`
  Epilogue epilogue;       // applied where the product is final (not to k slices)
  int64_t tasks() const { return batch * kparts * mparts * nparts; }
};

template <typename T>
void run_task(const Job<T>& j, int64_t t) {
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
  // Part boundaries are multiples of the tile sizes, so only the last part has edge tiles.
  auto bound = [](int64_t part, int64_t parts, int64_t size, int64_t tile) {
    int64_t tiles = (size + tile - 1) / tile;
    return std::min(size, tiles * part / parts * tile);
  };
  int64_t per_batch = j.kparts * j.mparts * j.nparts;
  int64_t bi = t / per_batch, rest = t % per_batch;
  int64_t kp = rest / (j.mparts * j.nparts);
  rest %= j.mparts * j.nparts;
  int64_t mp = rest / j.nparts, np = rest % j.nparts;
  int64_t m0 = bound(mp, j.mparts, j.m, MR), m1 = bound(mp + 1, j.mparts, j.m, MR);
  int64_t n0 = bound(np, j.nparts, j.n, NR), n1 = bound(np + 1, j.nparts, j.n, NR);
  int64_t k0 = kp * j.kchunk, k1 = std::min(j.k, k0 + j.kchunk);
  T* c = j.kparts > 1 ? j.partial + kp * j.batch * j.m * j.n : j.c;
  Epilogue epilogue = j.kparts > 1 ? Epilogue{} : j.epilogue.at(bi * j.m + m0, n0);
  gemm_serial<T>(m1 - m0, n1 - n0, k1 - k0, j.a + bi * j.abs + m0 * j.ars + k0 * j.acs, j.ars,
                 j.acs, j.b + bi * j.bbs + n0 * j.bcs + k0 * j.brs, j.brs, j.bcs,
                 c + bi * j.m * j.n + m0 * j.n + n0, j.n, epilogue);
}

/// Runs the job's tasks (on the pool when `threads` > 1; for_each_task), then sums the
/// inner-dim slices' partial products in slice order: the result depends on the shape only,
/// never on the thread count.
template <typename T>
void run_job(Job<T>& job, int64_t threads) {
  std::vector<T> partial(job.kparts > 1 ? job.kparts * job.batch * job.m * job.n : 0);
  job.partial = partial.data();
  for_each_task(job.tasks(), threads, [&](int64_t t) { run_task(job, t); });
  if (job.kparts <= 1) return;
  sum_in_order(partial.data(), job.kparts, job.batch * job.m * job.n, job.c);
  job.epilogue(0, job.batch * job.m, 0, job.n);
}

template <typename T>
void gemm(int64_t batch, int64_t m, int64_t n, int64_t k, const T* a, int64_t abs, int64_t ars,
          int64_t acs, const T* b, int64_t bbs, int64_t brs, int64_t bcs, T* c,
          const Epilogue& epilogue = {}) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR, KC = Tile<T>::KC;
  if constexpr (sizeof(T) == 4) {
    if (batch == 1 && gemm_dot_suits(m, n, k, acs, brs)) {
      gemm_dot_f32(m, n, k, a, ars, b, bcs, c);
      epilogue(0, m, 0, n);
      return;
    }
  }
  // A product narrower than one micro-tile (a convolution's weight gradient [32, 9]) would
  // waste most of every NR-wide tile: computed transposed (C^T = B^T A^T) it fills them, and
  // the small result is transposed back.
  if (n < NR && m > n) {
    std::vector<T> ct(static_cast<size_t>(batch * m * n));
    gemm<T>(batch, n, m, k, b, bbs, bcs, brs, a, abs, acs, ars, ct.data());
    for (int64_t bi = 0; bi < batch; ++bi) {
      const T* src = ct.data() + bi * m * n;
      T* dst = c + bi * m * n;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) dst[i * n + j] = src[j * m + i];
      }
    }
    epilogue(0, batch * m, 0, n);
    return;
  }
  Job<T> job{batch, m, n, k, a, abs, ars, acs, b, bbs, brs, bcs, c, 1, 1, 1, k, nullptr, epilogue};
  // A small product over a long inner dim (a weight gradient, summed over every pixel of the
  // batch) has too few tiles to share among threads: its inner dim is cut into up to 8
  // slices of whole KC blocks instead, a count that depends on the shape alone.
  if (batch == 1 && k >= 8 * KC && m * n <= 4 * k) {
    int64_t blocks = (k + KC - 1) / KC;
    job.kchunk = (blocks + 7) / 8 * KC;
    job.kparts = (k + job.kchunk - 1) / job.kchunk;
  }
  int64_t threads = runtime::ThreadPool::instance().num_threads();
  double flops = 2.0 * static_cast<double>(batch) * static_cast<double>(m) *
                 static_cast<double>(n) * static_cast<double>(std::max<int64_t>(k, 1));
  if (threads <= 1 || flops < 4.0e6 || job.kparts > 1) {
    run_job(job, flops < 4.0e6 ? 1 : threads);
    return;
  }
  // Aim at two tasks per thread for large products (taken dynamically, so a core slowed by
  // other work takes fewer; 1024^3 f32 on 2 cores measured 0.70 / 0.68 / 0.61 of the FMA peak
  // with 1 / 2 / 4 tasks per thread: every task packs its own rows of A and columns of B); split
  // each batch entry into an mparts x nparts grid that minimizes that packing (cost ~ nparts * m
  // + mparts * n).
  int64_t want = (flops >= 1.0e8 ? 2 : 1) * threads;
  int64_t per_batch = (want + batch - 1) / batch;
  if (per_batch > 1) {
    int64_t mtiles = (m + MR - 1) / MR, ntiles = (n + NR - 1) / NR;
    double best = -1;
    for (int64_t mp = 1; mp <= per_batch; ++mp) {
      int64_t np = (per_batch + mp - 1) / mp;
      if (mp > mtiles || np > ntiles || mp * np > per_batch + per_batch / 2) continue;
      double cost = static_cast<double>(np) * static_cast<double>(m) +
                    static_cast<double>(mp) * static_cast<double>(n);
      if (best < 0 || cost < best) {
        best = cost;
        job.mparts = mp;
        job.nparts = np;
      }
    }
    if (best < 0) {  // too few tiles for the grid: as many parts as there are tiles
      job.mparts = std::min(per_batch, mtiles);
      job.nparts = std::min((per_batch + job.mparts - 1) / job.mparts, ntiles);
    }
  }
  run_job(job, threads);
}

template <typename T>
void extern_gemm(void* const* params, const int64_t* args, const Epilogue& epilogue = {}) {
  const T* a = static_cast<const T*>(params[0]) + args[4];
  const T* b = static_cast<const T*>(params[1]) + args[8];
  gemm<T>(args[0], args[1], args[2], args[3], a, args[5], args[6], args[7], b, args[9], args[10],
          args[11], static_cast<T*>(params[2]), epilogue);
}

template <typename T>
void extern_gemm_epilogue(void* const* params, const int64_t* args) {
  Epilogue e;
  e.fn = reinterpret_cast<kiln_gemm_epilogue_fn>(static_cast<uintptr_t>(args[12]));
  e.ctx = reinterpret_cast<void*>(static_cast<uintptr_t>(args[13]));
  extern_gemm<T>(params, args, e);
}

}  // namespace

bool cpu_has_avx512() {
#if KILN_GEMM_X86
  static const bool yes = [] {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("fma")) return false;
    const char* env = std::getenv("KILN_GEMM_PORTABLE");  // for testing the fallback
    return !(env && *env && std::string(env) != "0");
  }();
  return yes;
#else
  return false;
#endif
}

std::string_view epilogue_variant(std::string_view symbol) {
  if (symbol == "kiln_extern_gemm_f32") return "kiln_extern_gemm_f32_epilogue";
  if (symbol == "kiln_extern_gemm_f64") return "kiln_extern_gemm_f64_epilogue";
  return "";
}

bool gemm_uses_avx512() { return cpu_has_avx512(); }

}  // namespace kiln::kernels

extern "C" {

void kiln_gemm_f32(int64_t batch, int64_t m, int64_t n, int64_t k, const float* a,
                   int64_t a_batch_stride, int64_t a_row_stride, int64_t a_col_stride,
                   const float* b, int64_t b_batch_stride, int64_t b_row_stride,
                   int64_t b_col_stride, float* c) {
  kiln::kernels::gemm<float>(batch, m, n, k, a, a_batch_stride, a_row_stride, a_col_stride, b,
                             b_batch_stride, b_row_stride, b_col_stride, c);
}

void kiln_gemm_f64(int64_t batch, int64_t m, int64_t n, int64_t k, const double* a,
                   int64_t a_batch_stride, int64_t a_row_stride, int64_t a_col_stride,
                   const double* b, int64_t b_batch_stride, int64_t b_row_stride,
                   int64_t b_col_stride, double* c) {
  kiln::kernels::gemm<double>(batch, m, n, k, a, a_batch_stride, a_row_stride, a_col_stride, b,
                              b_batch_stride, b_row_stride, b_col_stride, c);
}

void kiln_extern_gemm_f32(void* const* params, const int64_t* args) {
  kiln::kernels::extern_gemm<float>(params, args);
}

void kiln_extern_gemm_f64(void* const* params, const int64_t* args) {
  kiln::kernels::extern_gemm<double>(params, args);
}

void kiln_extern_gemm_f32_epilogue(void* const* params, const int64_t* args) {
  kiln::kernels::extern_gemm_epilogue<float>(params, args);
}

void kiln_extern_gemm_f64_epilogue(void* const* params, const int64_t* args) {
  kiln::kernels::extern_gemm_epilogue<double>(params, args);
}
}
