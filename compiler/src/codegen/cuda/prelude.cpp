#include "codegen/cuda/prelude.h"

namespace kiln::codegen::cuda {

namespace {

// Conversions match the LLVM backend bit for bit: f16 by PTX cvt (round to nearest even), bf16
// by the same integer rounding as codegen/llvm/values.cpp (NaN quieted), float to integer
// through int64 with non-finite values giving 0 (as the evaluator). Philox matches
// runtime/philox.h exactly. Under KILN_CUDA_SIM (runtime/src/cuda/sim: the kernel compiled for
// the CPU simulator) the f16 conversions come from the simulator's header instead of PTX.
constexpr const char* kPrelude = R"PRELUDE(// ---- kiln prelude
typedef unsigned short kiln_f16;
typedef unsigned short kiln_bf16;

#ifdef KILN_CUDA_SIM
__device__ __forceinline__ float kiln_f16_to_f32(kiln_f16 h) { return kiln_sim_f16_to_f32(h); }
__device__ __forceinline__ kiln_f16 kiln_f32_to_f16(float f) { return kiln_sim_f32_to_f16(f); }
#else
__device__ __forceinline__ float kiln_f16_to_f32(kiln_f16 h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}
__device__ __forceinline__ kiln_f16 kiln_f32_to_f16(float f) {
  kiln_f16 h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}
#endif
__device__ __forceinline__ float kiln_bf16_to_f32(kiln_bf16 h) {
  return __uint_as_float(static_cast<unsigned>(h) << 16);
}
__device__ __forceinline__ kiln_bf16 kiln_f32_to_bf16(float f) {
  unsigned x = __float_as_uint(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<kiln_bf16>((x | 0x400000u) >> 16);
  return static_cast<kiln_bf16>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
__device__ __forceinline__ float kiln_round_f16(float f) { return kiln_f16_to_f32(kiln_f32_to_f16(f)); }
__device__ __forceinline__ float kiln_round_bf16(float f) { return kiln_bf16_to_f32(kiln_f32_to_bf16(f)); }

__device__ __forceinline__ long long kiln_ftoi(float x) {
  return isfinite(x) ? static_cast<long long>(x) : 0;
}
__device__ __forceinline__ long long kiln_ftoi(double x) {
  return isfinite(x) ? static_cast<long long>(x) : 0;
}

// Max / min: NaN if either is NaN (llvm.maximum / llvm.minimum).
__device__ __forceinline__ float kiln_max(float a, float b) {
  return (a != a || b != b) ? __int_as_float(0x7fc00000) : fmaxf(a, b);
}
__device__ __forceinline__ float kiln_min(float a, float b) {
  return (a != a || b != b) ? __int_as_float(0x7fc00000) : fminf(a, b);
}
__device__ __forceinline__ double kiln_max(double a, double b) {
  return (a != a || b != b) ? __longlong_as_double(0x7ff8000000000000LL) : fmax(a, b);
}
__device__ __forceinline__ double kiln_min(double a, double b) {
  return (a != a || b != b) ? __longlong_as_double(0x7ff8000000000000LL) : fmin(a, b);
}
template <class T> __device__ __forceinline__ T kiln_max(T a, T b) { return a > b ? a : b; }
template <class T> __device__ __forceinline__ T kiln_min(T a, T b) { return a < b ? a : b; }

// Integer division and remainder truncate; a zero divisor gives a (division) and 0 (remainder).
template <class T> __device__ __forceinline__ T kiln_div(T a, T b) { return b == 0 ? a : static_cast<T>(a / b); }
template <class T> __device__ __forceinline__ T kiln_mod(T a, T b) { return b == 0 ? T(0) : static_cast<T>(a % b); }

// Integer power by squaring, wrapping; a negative exponent gives 1 for base 1, +-1 for base -1,
// else 0. S is the signed type of T's width (the exponent's sign is read as signed).
template <class T, class U, class S> __device__ __forceinline__ T kiln_ipow(T base, T e) {
  if (static_cast<S>(e) < 0) {
    if (base == T(1)) return T(1);
    if (static_cast<S>(base) == S(-1)) return (e & 1) ? base : T(1);
    return T(0);
  }
  U r = 1, sq = static_cast<U>(base), ue = static_cast<U>(e);
  while (ue) {
    if (ue & 1u) r = static_cast<U>(r * sq);
    sq = static_cast<U>(sq * sq);
    ue >>= 1;
  }
  return static_cast<T>(r);
}

// Warp shuffles for every compute type.
template <class T> __device__ __forceinline__ T kiln_shfl_xor(T v, int m) { return __shfl_xor_sync(0xffffffffu, v, m); }
template <> __device__ __forceinline__ bool kiln_shfl_xor<bool>(bool v, int m) {
  return __shfl_xor_sync(0xffffffffu, static_cast<int>(v), m) != 0;
}
template <> __device__ __forceinline__ unsigned char kiln_shfl_xor<unsigned char>(unsigned char v, int m) {
  return static_cast<unsigned char>(__shfl_xor_sync(0xffffffffu, static_cast<int>(v), m));
}

// N consecutive elements (16 bytes at most): one aligned vector load or store.
template <class T, int N> struct alignas(sizeof(T) * N) kiln_vec { T v[N]; };

// Philox 4x32-10 (runtime/philox.h).
struct kiln_u32x4 { unsigned w[4]; };
__device__ __forceinline__ kiln_u32x4 kiln_philox_words(unsigned long long seed,
                                                      unsigned long long offset,
                                                      unsigned long long index) {
  unsigned c0 = static_cast<unsigned>(index), c1 = static_cast<unsigned>(index >> 32);
  unsigned c2 = static_cast<unsigned>(offset), c3 = static_cast<unsigned>(offset >> 32);
  unsigned k0 = static_cast<unsigned>(seed), k1 = static_cast<unsigned>(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    unsigned hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    unsigned hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    unsigned n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  kiln_u32x4 r;
  r.w[0] = c0; r.w[1] = c1; r.w[2] = c2; r.w[3] = c3;
  return r;
}
__device__ __forceinline__ unsigned long long kiln_bits53(unsigned a, unsigned b) {
  return ((static_cast<unsigned long long>(a) << 21) ^ (static_cast<unsigned long long>(b) >> 11)) &
         ((1ull << 53) - 1);
}
// Uniform in [0, 1) with m mantissa bits: floor(u 2^m) 2^-m (exact in float for m <= 24).
__device__ __forceinline__ float kiln_philox_uniform_f(unsigned long long seed, unsigned long long offset,
                                                       unsigned long long index, int m) {
  kiln_u32x4 w = kiln_philox_words(seed, offset, index);
  return static_cast<float>(kiln_bits53(w.w[0], w.w[1]) >> (53 - m)) * ldexpf(1.0f, -m);
}
__device__ __forceinline__ double kiln_philox_uniform_d(unsigned long long seed, unsigned long long offset,
                                                        unsigned long long index) {
  kiln_u32x4 w = kiln_philox_words(seed, offset, index);
  return static_cast<double>(kiln_bits53(w.w[0], w.w[1])) * (1.0 / 9007199254740992.0);
}
// Standard normal by Box-Muller, in double.
__device__ __forceinline__ double kiln_philox_normal(unsigned long long seed, unsigned long long offset,
                                                     unsigned long long index) {
  kiln_u32x4 w = kiln_philox_words(seed, offset, index);
  double u1 = 1.0 - __dmul_rn(static_cast<double>(kiln_bits53(w.w[0], w.w[1])), 1.0 / 9007199254740992.0);
  double u2 = __dmul_rn(static_cast<double>(kiln_bits53(w.w[2], w.w[3])), 1.0 / 9007199254740992.0);
  return __dmul_rn(sqrt(__dmul_rn(-2.0, log(u1))), cos(__dmul_rn(6.283185307179586, u2)));
}
// ---- end of the kiln prelude
)PRELUDE";

}  // namespace

const char* prelude() { return kPrelude; }

}  // namespace kiln::codegen::cuda
