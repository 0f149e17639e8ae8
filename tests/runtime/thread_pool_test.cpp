// The CPU thread pool: chunking, grain, nesting, exceptions, resizing, and the C entry point
// generated kernels call.
#include "kiln/runtime/thread_pool.h"

#include <atomic>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using kiln::runtime::ThreadPool;

namespace {
struct Record {
  std::mutex mu;
  std::vector<std::pair<int64_t, int64_t>> chunks;
  std::vector<int> hits;
};

void record_body(void* ctx, int64_t begin, int64_t end) {
  auto* r = static_cast<Record*>(ctx);
  for (int64_t i = begin; i < end; ++i) ++r->hits[i];
  std::lock_guard<std::mutex> lk(r->mu);
  r->chunks.emplace_back(begin, end);
}

/// Checks every index ran once and returns the chunks sorted.
std::vector<std::pair<int64_t, int64_t>> run(ThreadPool& pool, int64_t n, int64_t grain) {
  Record r;
  r.hits.assign(n, 0);
  pool.parallel_for(record_body, &r, n, grain);
  for (int64_t i = 0; i < n; ++i) REQUIRE(r.hits[i] == 1);
  std::sort(r.chunks.begin(), r.chunks.end());
  int64_t next = 0;
  for (auto [b, e] : r.chunks) {
    REQUIRE(b == next);
    REQUIRE(e > b);
    next = e;
  }
  REQUIRE(next == n);
  return r.chunks;
}
}  // namespace

TEST_CASE("thread pool splits [0, n) into contiguous chunks, one per thread at most",
          "[thread_pool]") {
  ThreadPool pool(4);
  REQUIRE(pool.num_threads() == 4);
  CHECK(run(pool, 1000, 1).size() == 4);
  CHECK(run(pool, 3, 1).size() == 3);
  CHECK(run(pool, 1, 1).size() == 1);
  CHECK(run(pool, 1001, 1).size() == 4);
}

TEST_CASE("thread pool respects the grain: every chunk has at least `grain` iterations",
          "[thread_pool]") {
  ThreadPool pool(4);
  auto chunks = run(pool, 1000, 300);
  CHECK(chunks.size() == 3);
  for (auto [b, e] : chunks) CHECK(e - b >= 300);
  CHECK(run(pool, 1000, 5000).size() == 1);  // tiny loops run inline
  CHECK(run(pool, 1000, 0).size() == 4);     // grain 0 counts as 1
  Record r;
  pool.parallel_for(record_body, &r, 0, 1);  // empty range: body never runs
  CHECK(r.chunks.empty());
}

TEST_CASE("thread pool runs nested calls serially without deadlock", "[thread_pool]") {
  ThreadPool pool(3);
  struct Ctx {
    ThreadPool* pool;
    std::atomic<int64_t> sum{0};
    std::atomic<int> inner_calls{0};
  } ctx{&pool};
  auto outer = [](void* c, int64_t b, int64_t e) {
    auto* x = static_cast<Ctx*>(c);
    for (int64_t i = b; i < e; ++i)
      x->pool->parallel_for(
          +[](void* c2, int64_t b2, int64_t e2) {
            auto* y = static_cast<Ctx*>(c2);
            y->inner_calls++;
            for (int64_t j = b2; j < e2; ++j) y->sum += j;
          },
          c, 100, 1);
  };
  pool.parallel_for(outer, &ctx, 30, 1);
  CHECK(ctx.sum == 30 * 4950);
  CHECK(ctx.inner_calls == 30);  // one serial chunk per nested call
}

TEST_CASE("thread pool rethrows a body's exception and stays usable", "[thread_pool]") {
  ThreadPool pool(2);
  auto thrower = [](void*, int64_t b, int64_t) {
    if (b == 0) throw std::runtime_error("boom");
  };
  CHECK_THROWS_WITH(pool.parallel_for(thrower, nullptr, 100, 1), "boom");
  CHECK(run(pool, 100, 1).size() == 2);
}

TEST_CASE("thread pool resizes and repeats many small jobs", "[thread_pool]") {
  ThreadPool pool(2);
  pool.set_num_threads(3);
  CHECK(pool.num_threads() == 3);
  for (int rep = 0; rep < 2000; ++rep) run(pool, 7, 1);
  pool.set_num_threads(1);
  CHECK(run(pool, 100, 1).size() == 1);
  pool.set_num_threads(0);  // clamped to 1
  CHECK(pool.num_threads() == 1);
}

TEST_CASE("kiln_parallel_for uses the process pool sized by KILN_NUM_THREADS", "[thread_pool]") {
  CHECK(ThreadPool::instance().num_threads() >= 1);
  std::vector<int> hits(5000, 0);
  kiln_parallel_for(
      +[](void* c, int64_t b, int64_t e) {
        auto* h = static_cast<std::vector<int>*>(c);
        for (int64_t i = b; i < e; ++i) ++(*h)[i];
      },
      &hits, 5000, 16);
  CHECK(std::accumulate(hits.begin(), hits.end(), 0) == 5000);
  CHECK(std::set<int>(hits.begin(), hits.end()) == std::set<int>{1});

  const char* saved = std::getenv("KILN_NUM_THREADS");
  std::string saved_value = saved ? saved : "";
  setenv("KILN_NUM_THREADS", "3", 1);
  CHECK(ThreadPool::threads_from_env() == 3);
  setenv("KILN_NUM_THREADS", "zero", 1);
  CHECK(ThreadPool::threads_from_env() >= 1);  // invalid: falls back to the hardware count
  if (saved) {
    setenv("KILN_NUM_THREADS", saved_value.c_str(), 1);
  } else {
    unsetenv("KILN_NUM_THREADS");
  }
}
