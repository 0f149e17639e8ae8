#include "cpu/sort.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>
#include <vector>

#include "kiln/runtime/dtype.h"
#include "kiln/runtime/thread_pool.h"

namespace kiln::kernels {

namespace {

/// Unsigned keys whose integer order is the sort's ascending order.
uint32_t key_of(float v) {
  if (std::isnan(v)) return 0xffffffffu;  // every NaN above +inf
  if (v == 0.0f) v = 0.0f;                // -0.0 ties with +0.0
  auto u = std::bit_cast<uint32_t>(v);
  return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}
uint64_t key_of(double v) {
  if (std::isnan(v)) return ~uint64_t{0};
  if (v == 0.0) v = 0.0;
  auto u = std::bit_cast<uint64_t>(v);
  return (u >> 63) ? ~u : u | (uint64_t{1} << 63);
}
uint32_t key_of(uint8_t v) { return v; }
uint32_t key_of(int32_t v) { return static_cast<uint32_t>(v) ^ 0x80000000u; }
uint64_t key_of(int64_t v) { return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63); }
uint32_t half_key(uint16_t bits) { return key_of(half_bits_to_float(bits)); }
uint32_t bfloat16_key(uint16_t bits) { return key_of(bfloat16_bits_to_float(bits)); }

/// Sorts words by their high 32 bits, stably (LSD radix sort, four passes of 8 bits; a pass
/// whose digit is the same in every word is skipped). `scratch` is resized to match.
void radix_sort_high_words(std::vector<uint64_t>& words, std::vector<uint64_t>& scratch) {
  const size_t n = words.size();
  scratch.resize(n);
  uint32_t counts[4][256] = {};
  for (uint64_t w : words) {
    ++counts[0][(w >> 32) & 0xff];
    ++counts[1][(w >> 40) & 0xff];
    ++counts[2][(w >> 48) & 0xff];
    ++counts[3][w >> 56];
  }
  if (n == 0) return;
  uint64_t* src = words.data();
  uint64_t* dst = scratch.data();
  for (int p = 0; p < 4; ++p) {
    const int shift = 32 + 8 * p;
    if (counts[p][(src[0] >> shift) & 0xff] == n) continue;
    uint32_t next[256];
    uint32_t at = 0;
    for (int d = 0; d < 256; ++d) {
      next[d] = at;
      at += counts[p][d];
    }
    for (size_t i = 0; i < n; ++i) dst[next[(src[i] >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  if (src != words.data()) std::copy(src, src + n, words.data());
}

/// The rows kiln_extern_argsort sorts (argument layout: sort.h).
struct Rows {
  const void* x = nullptr;
  int64_t* out = nullptr;
  bool descending = false;
  int64_t axis = 0, rank = 0, x_offset = 0;
  const int64_t* shape = nullptr;
  const int64_t* strides = nullptr;
  void (*sort)(const Rows&, int64_t, int64_t) = nullptr;  // rows [r0, r1) for x's dtype

  int64_t length() const { return rank == 0 ? 1 : shape[axis]; }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d = 0; d < rank; ++d) n *= d == axis ? 1 : shape[d];
    return n;
  }
  /// Where row `r` starts in x and in out, and the steps along the axis in each.
  void locate(int64_t r, int64_t& x_at, int64_t& x_step, int64_t& out_at, int64_t& out_step) const {
    x_at = x_offset;
    x_step = 0;
    out_at = 0;
    out_step = 1;
    int64_t contiguous = 1;
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (d == axis) {
        x_step = strides[d];
        out_step = contiguous;
      } else {
        int64_t i = r % shape[d];
        r /= shape[d];
        x_at += i * strides[d];
        out_at += i * contiguous;
      }
      contiguous *= shape[d];
    }
  }
};

/// Frees a thread's scratch after a long row (16 bytes an element, per pool thread) rather than
/// keeping it for the life of the process.
template <typename T>
void release_if_large(std::vector<T>& v) {
  if (v.capacity() * sizeof(T) > (size_t{8} << 20)) std::vector<T>().swap(v);
}

/// Rows from this length on sort their 32-bit keys by radix.
constexpr int64_t kRadixFrom = 256;

/// Sorts rows [r0, r1) of x, stored as S, keyed by KeyOf.
template <typename S, auto KeyOf>
void sort_rows(const Rows& rows, int64_t r0, int64_t r1) {
  using Key = decltype(KeyOf(S{}));
  const S* x = static_cast<const S*>(rows.x);
  const int64_t n = rows.length();
  const Key flip = rows.descending ? ~Key{0} : Key{0};  // reverses the key order, not the ties'
  int64_t x_at = 0, x_step = 0, out_at = 0, out_step = 0;
  if constexpr (sizeof(Key) == 4) {
    // (key, index) packed into one word: its integer order is the stable order.
    if (n <= int64_t{std::numeric_limits<uint32_t>::max()}) {
      thread_local std::vector<uint64_t> packed, scratch;
      packed.resize(static_cast<size_t>(n));
      for (int64_t r = r0; r < r1; ++r) {
        rows.locate(r, x_at, x_step, out_at, out_step);
        for (int64_t j = 0; j < n; ++j)
          packed[j] = uint64_t{static_cast<Key>(KeyOf(x[x_at + j * x_step]) ^ flip)} << 32 |
                      static_cast<uint64_t>(j);
        // Radix passes are linear; a short row sorts faster by comparisons. The words are made
        // in index order and the radix sort is stable, so only the keys need sorting.
        if (n >= kRadixFrom) {
          radix_sort_high_words(packed, scratch);
        } else {
          std::sort(packed.begin(), packed.end());
        }
        for (int64_t j = 0; j < n; ++j)
          rows.out[out_at + j * out_step] = static_cast<int64_t>(packed[j] & 0xffffffffu);
      }
      release_if_large(packed);
      release_if_large(scratch);
      return;
    }
  }
  thread_local std::vector<std::pair<uint64_t, int64_t>> pairs;
  pairs.resize(static_cast<size_t>(n));
  for (int64_t r = r0; r < r1; ++r) {
    rows.locate(r, x_at, x_step, out_at, out_step);
    for (int64_t j = 0; j < n; ++j) pairs[j] = {KeyOf(x[x_at + j * x_step]) ^ flip, j};
    std::sort(pairs.begin(), pairs.end());
    for (int64_t j = 0; j < n; ++j) rows.out[out_at + j * out_step] = pairs[j].second;
  }
  release_if_large(pairs);
}

using SortFn = void (*)(const Rows&, int64_t, int64_t);

SortFn sort_for(DType dt) {
  switch (dt) {
    case DType::Bool:
    case DType::UInt8: return &sort_rows<uint8_t, static_cast<uint32_t (*)(uint8_t)>(key_of)>;
    case DType::Int32: return &sort_rows<int32_t, static_cast<uint32_t (*)(int32_t)>(key_of)>;
    case DType::Int64: return &sort_rows<int64_t, static_cast<uint64_t (*)(int64_t)>(key_of)>;
    case DType::Float16: return &sort_rows<uint16_t, half_key>;
    case DType::BFloat16: return &sort_rows<uint16_t, bfloat16_key>;
    case DType::Float32: return &sort_rows<float, static_cast<uint32_t (*)(float)>(key_of)>;
    case DType::Float64: return &sort_rows<double, static_cast<uint64_t (*)(double)>(key_of)>;
  }
  return nullptr;
}

void run_rows(void* ctx, int64_t r0, int64_t r1) {
  const Rows& rows = *static_cast<const Rows*>(ctx);
  rows.sort(rows, r0, r1);
}

}  // namespace

}  // namespace kiln::kernels

extern "C" void kiln_extern_argsort(void* const* params, const int64_t* args) {
  using kiln::kernels::Rows;
  Rows rows;
  rows.x = params[0];
  rows.out = static_cast<int64_t*>(params[1]);
  rows.sort = kiln::kernels::sort_for(static_cast<kiln::DType>(args[0]));
  rows.descending = args[1] != 0;
  rows.axis = args[2];
  rows.rank = args[3];
  rows.x_offset = args[4];
  rows.shape = args + 5;
  rows.strides = args + 5 + rows.rank;
  int64_t count = rows.count(), n = rows.length();
  if (rows.sort == nullptr) {  // the lowering passes kiln's dtypes only
    std::fprintf(stderr, "kiln_extern_argsort: unknown dtype %lld\n",
                 static_cast<long long>(args[0]));
    std::abort();
  }
  if (count == 0 || n == 0) return;
  // Chunks of at least ~64k elements: a row of n costs about n log n compares.
  int64_t grain = std::max<int64_t>(1, (int64_t{1} << 16) / n);
  kiln_parallel_for(&kiln::kernels::run_rows, &rows, count, grain);
}
