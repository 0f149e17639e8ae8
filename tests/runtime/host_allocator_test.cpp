// The caching host allocator: size classes, reuse of freed blocks, statistics, the cache bound,
// alignment, and concurrent use.
#include "kiln/runtime/host_allocator.h"

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/runtime/buffer.h"

using kiln::runtime::HostAllocator;

TEST_CASE("host allocator: size classes", "[allocator]") {
  CHECK(HostAllocator::size_class(0) == 64);
  CHECK(HostAllocator::size_class(1) == 64);
  CHECK(HostAllocator::size_class(64) == 64);
  CHECK(HostAllocator::size_class(65) == 128);
  CHECK(HostAllocator::size_class(4096) == 4096);
  CHECK(HostAllocator::size_class(4097) == 5120);
  CHECK(HostAllocator::size_class(6000) == 6144);
  CHECK(HostAllocator::size_class(8192) == 8192);
  CHECK(HostAllocator::size_class(8193) == 10240);
  CHECK(HostAllocator::size_class((1 << 20) + 1) == (1 << 20) + (1 << 18));
  for (size_t n = 1; n < (size_t{1} << 22); n = n * 3 / 2 + 7) {
    size_t c = HostAllocator::size_class(n);
    INFO(n);
    CHECK(c >= n);
    CHECK(c % 64 == 0);
    if (n > 4096) CHECK(c < n + n / 4 + 1);
    CHECK(HostAllocator::size_class(c) == c);
  }
}

TEST_CASE("host allocator: blocks from 4 MiB on sit on 2 MiB boundaries (huge pages)",
          "[allocator]") {
  HostAllocator a;
  for (size_t bytes : {size_t{4} << 20, (size_t{5} << 20) + 3, size_t{9} << 20}) {
    auto* p = static_cast<unsigned char*>(a.allocate(bytes));
    REQUIRE(p != nullptr);
    INFO(bytes);
#if defined(__linux__)
    CHECK(reinterpret_cast<uintptr_t>(p) % (size_t{2} << 20) == 0);
#endif
    std::memset(p, 0x5a, bytes);  // every byte of the block is usable
    CHECK(p[bytes - 1] == 0x5a);
    a.deallocate(p, bytes);
  }
  // Such a block's size class is its real size, whole 2 MiB pages.
  CHECK(HostAllocator::size_class((size_t{4} << 20) + 1) == size_t{6} << 20);
  CHECK(HostAllocator::size_class(size_t{7} << 20) == size_t{8} << 20);
  // A request no block can hold is refused, not wrapped around.
  CHECK(a.allocate(SIZE_MAX - 100) == nullptr);
  // Smaller blocks keep the ordinary 64-byte alignment.
  void* q = a.allocate(1 << 20);
  CHECK(reinterpret_cast<uintptr_t>(q) % HostAllocator::kAlignment == 0);
  a.deallocate(q, 1 << 20);
}

TEST_CASE("host allocator: a freed block is reused for its size class", "[allocator]") {
  HostAllocator a;
  void* p = a.allocate(1000);
  REQUIRE(p != nullptr);
  REQUIRE(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  std::memset(p, 1, 1000);
  auto s = a.stats();
  CHECK(s.bytes_in_use == 1024);
  CHECK(s.bytes_cached == 0);
  CHECK(s.allocations == 1);
  CHECK(s.cache_hits == 0);

  a.deallocate(p, 1000);
  s = a.stats();
  CHECK(s.bytes_in_use == 0);
  CHECK(s.bytes_cached == 1024);
  CHECK(s.peak_bytes_in_use == 1024);

  void* q = a.allocate(1020);  // same class (1024)
  CHECK(q == p);
  s = a.stats();
  CHECK(s.cache_hits == 1);
  CHECK(s.bytes_in_use == 1024);
  CHECK(s.bytes_cached == 0);

  void* r = a.allocate(100000);  // another class: a new block
  CHECK(r != p);
  s = a.stats();
  CHECK(s.cache_hits == 1);
  CHECK(s.bytes_in_use == 1024 + static_cast<int64_t>(HostAllocator::size_class(100000)));
  CHECK(s.peak_bytes_in_use == s.bytes_in_use);
  a.deallocate(q, 1020);
  a.deallocate(r, 100000);
  s = a.stats();
  CHECK(s.bytes_in_use == 0);
  CHECK(s.bytes_cached == 1024 + static_cast<int64_t>(HostAllocator::size_class(100000)));

  a.empty_cache();
  s = a.stats();
  CHECK(s.bytes_cached == 0);
  CHECK(s.blocks_released == 2);
  a.reset_peak();
  CHECK(a.stats().peak_bytes_in_use == 0);
}

TEST_CASE("host allocator: the cache is bounded, largest blocks released first", "[allocator]") {
  HostAllocator a(3 * 65536);
  std::vector<void*> small, large;
  for (int i = 0; i < 2; ++i) small.push_back(a.allocate(65536));
  for (int i = 0; i < 2; ++i) large.push_back(a.allocate(131072));
  for (void* p : small) a.deallocate(p, 65536);
  CHECK(a.stats().bytes_cached == 2 * 65536);
  a.deallocate(large[0], 131072);  // 4 x 64 KiB cached: over the bound, the 128 KiB block goes
  auto s = a.stats();
  CHECK(s.bytes_cached == 2 * 65536);
  CHECK(s.blocks_released == 1);
  // A block larger than the whole bound is never cached.
  HostAllocator tiny(1000);
  void* p = tiny.allocate(5000);
  tiny.deallocate(p, 5000);
  CHECK(tiny.stats().bytes_cached == 0);
  a.deallocate(large[1], 131072);
  a.set_cache_limit(65536);
  CHECK(a.stats().bytes_cached <= 65536);
  // Small blocks stay cached and are still handed out again.
  void* again = a.allocate(65536);
  CHECK((again == small[0] || again == small[1]));
  a.deallocate(again, 65536);
}

TEST_CASE("host allocator: threads allocate and free concurrently", "[allocator]") {
  HostAllocator a;
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> errors(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::pair<unsigned char*, size_t>> live;
      for (int i = 0; i < 2000; ++i) {
        size_t n = static_cast<size_t>(64 + (i * 7919 + t * 104729) % 20000);
        auto* p = static_cast<unsigned char*>(a.allocate(n));
        if (p == nullptr || reinterpret_cast<uintptr_t>(p) % 64 != 0) ++errors[t];
        std::memset(p, t + 1, n);
        live.emplace_back(p, n);
        if (live.size() > 8) {
          auto [q, m] = live.front();
          for (size_t j = 0; j < m; j += 97) {
            if (q[j] != t + 1) ++errors[t];  // another thread got a live block
          }
          a.deallocate(q, m);
          live.erase(live.begin());
        }
      }
      for (auto [q, m] : live) a.deallocate(q, m);
    });
  }
  for (auto& th : threads) th.join();
  for (int e : errors) CHECK(e == 0);
  auto s = a.stats();
  CHECK(s.bytes_in_use == 0);
  CHECK(s.allocations == kThreads * 2000);
  CHECK(s.cache_hits > 0);
}

TEST_CASE("host allocator: buffers reuse freed memory", "[allocator]") {
  auto& a = HostAllocator::instance();
  void* first = nullptr;
  {
    kiln::runtime::Buffer b(kiln::DType::Float32, 12345);
    first = b.data();
    REQUIRE(reinterpret_cast<uintptr_t>(first) % 64 == 0);
  }
  int64_t hits = a.stats().cache_hits;
  kiln::runtime::Buffer again(kiln::DType::Float32, 12345);
  CHECK(again.data() == first);
  CHECK(a.stats().cache_hits == hits + 1);
  CHECK(kiln::runtime::host_allocator_stats().bytes_in_use >= again.nbytes());
}
