// The CPU thread pool that runs the Parallel loops of compiled kernels. One persistent pool per
// process; its size comes from KILN_NUM_THREADS (default: all hardware threads). Generated code
// calls the C entry point kiln_parallel_for, which splits [0, n) into contiguous chunks, runs
// them on the pool's workers and the calling thread, and returns when every chunk is done.
// A call made from inside a running body (a nested parallel loop) runs serially on the caller,
// so nesting never deadlocks. Idle workers sleep on a condition variable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

extern "C" {
/// The loop body of a parallel loop: runs iterations [begin, end) with the captured context.
typedef void (*kiln_parallel_body)(void* ctx, int64_t begin, int64_t end);
/// Runs body over [0, n) in at most one chunk per thread, each of at least `grain` iterations.
void kiln_parallel_for(kiln_parallel_body body, void* ctx, int64_t n, int64_t grain);
}

namespace kiln::runtime {

class ThreadPool {
 public:
  /// The process-wide pool, created on first use with threads_from_env() threads.
  static ThreadPool& instance();
  /// KILN_NUM_THREADS when set to a positive integer, else std::thread::hardware_concurrency().
  static int threads_from_env();

  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Threads that run chunks, the caller included.
  int num_threads() const { return num_threads_; }
  /// Stops the workers and starts `n` (>= 1) threads in all. Not to be called concurrently
  /// with parallel_for.
  void set_num_threads(int n);
  /// See kiln_parallel_for. Rethrows the first exception a body threw.
  void parallel_for(kiln_parallel_body body, void* ctx, int64_t n, int64_t grain);

 private:
  void start(int n);
  void stop();
  void worker_loop();
  void run_chunks();

  int num_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_;  // one parallel_for at a time
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  // The job being run (valid while pending_ > 0).
  kiln_parallel_body body_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, chunks_ = 0, next_chunk_ = 0, pending_ = 0;
  std::exception_ptr error_;
};

/// Runs task(0) .. task(n - 1) on up to hardware_concurrency() fresh threads (for long, blocking
/// work such as compiling kernels, which must not occupy the loop pool), and rethrows the first
/// exception a task threw once all have finished.
void run_tasks(size_t n, const std::function<void(size_t)>& task);

}  // namespace kiln::runtime
