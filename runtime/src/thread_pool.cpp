#include "kiln/runtime/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace kiln::runtime {

namespace {
thread_local bool t_in_parallel = false;

/// Sets t_in_parallel for a scope and restores the previous value.
struct InParallel {
  bool saved = t_in_parallel;
  InParallel() { t_in_parallel = true; }
  ~InParallel() { t_in_parallel = saved; }
};
}  // namespace

ThreadPool& ThreadPool::instance() {
  static ThreadPool pool(threads_from_env());
  return pool;
}

int ThreadPool::threads_from_env() {
  if (const char* env = std::getenv("KILN_NUM_THREADS")) {
    char* end = nullptr;
    long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v > 0) return static_cast<int>(std::min<long>(v, 1024));
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

ThreadPool::ThreadPool(int num_threads) { start(num_threads); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::set_num_threads(int n) {
  std::lock_guard<std::mutex> submit(submit_mu_);
  stop();
  start(n);
}

void ThreadPool::start(int n) {
  num_threads_ = std::max(1, n);
  stopping_ = false;
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lk(mu_);
  seen = generation_;
  for (;;) {
    work_cv_.wait(lk, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    lk.unlock();
    run_chunks();
    lk.lock();
  }
}

void ThreadPool::run_chunks() {
  InParallel guard;
  for (;;) {
    int64_t c = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (next_chunk_ >= chunks_) return;
      c = next_chunk_++;
    }
    // Chunk c covers [c * q + min(c, r), ...): the first r chunks get one extra iteration.
    int64_t q = n_ / chunks_, r = n_ % chunks_;
    int64_t begin = c * q + std::min(c, r);
    int64_t end = begin + q + (c < r ? 1 : 0);
    std::exception_ptr err;
    try {
      body_(ctx_, begin, end);
    } catch (...) {
      err = std::current_exception();
    }
    std::lock_guard<std::mutex> lk(mu_);
    if (err && !error_) error_ = err;
    if (--pending_ == 0) done_cv_.notify_all();
  }
}

void ThreadPool::parallel_for(kiln_parallel_body body, void* ctx, int64_t n, int64_t grain) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  int64_t chunks = std::min<int64_t>(num_threads_, n / grain);
  if (chunks <= 1 || t_in_parallel) {
    InParallel guard;
    body(ctx, 0, n);
    return;
  }
  std::lock_guard<std::mutex> submit(submit_mu_);
  {
    std::lock_guard<std::mutex> lk(mu_);
    body_ = body;
    ctx_ = ctx;
    n_ = n;
    chunks_ = chunks;
    next_chunk_ = 0;
    pending_ = chunks;
    error_ = nullptr;
    ++generation_;
  }
  work_cv_.notify_all();
  run_chunks();
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    err = error_;
    error_ = nullptr;
    body_ = nullptr;
  }
  if (err) std::rethrow_exception(err);
}

void run_tasks(size_t n, const std::function<void(size_t)>& task) {
  size_t workers = std::min<size_t>(n, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::exception_ptr> errors(workers);
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        for (size_t t = w; t < n; t += workers) task(t);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace kiln::runtime

extern "C" void kiln_parallel_for(kiln_parallel_body body, void* ctx, int64_t n, int64_t grain) {
  kiln::runtime::ThreadPool::instance().parallel_for(body, ctx, n, grain);
}
