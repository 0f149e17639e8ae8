// kiln's CUDA simulator: with $KILN_CUDA_SIM=1 the Driver API and cuBLASLt tables are filled
// with in-process functions instead of libcuda's and libcublasLt's, so that the [cuda] tests run
// on a machine without a GPU. It checks what a CPU can check of the GPU path: the rendered CUDA
// C++ (compiled for the host by the system C++ compiler against kernel_header()), its thread
// and block decomposition, warp shuffles and barriers (run as fibers, deadlocks reported), the
// order of stream work, CUDA graph capture and replay, the allocator's out-of-memory path, and
// kiln's cuBLASLt layouts. It says nothing about speed, memory coalescing or real hardware.
//
// The device: "kiln CUDA simulator", compute capability 9.0, 132 multiprocessors, device memory
// from the host heap up to $KILN_CUDA_SIM_MEMORY bytes (default 4 GiB). Every stream runs its
// work at once, on the calling thread, in order; during a capture, work is recorded instead and
// runs at each cuGraphLaunch.
#pragma once

#include <cuda.h>

#include <functional>
#include <string>

#include "cuda/blas_table.h"
#include "cuda/driver_table.h"

namespace kiln::runtime::cuda::sim {

/// The CUDA subset rendered kernels use, for a host compiler (prepended to every source).
const char* kernel_header();

/// Fills `t` with the simulator's driver functions.
void fill_driver(DriverTable& t);
/// Fills `t` with the simulator's cuBLASLt functions.
void fill_blas(BlasTable& t);

/// Runs `work` on stream `s` now, or records it when `s` is capturing. Returns the work's
/// result (CUDA_SUCCESS when recorded).
CUresult submit(CUstream s, std::function<CUresult()> work);

/// A loaded module image's launch entry: runs the kernel over `grid` x `block` threads with the
/// pointer arguments `args`, fibers on `stacks` (fiber_stacks(), `stack_bytes` each above a
/// guard page); a failure returns nonzero and writes its reason into `message`.
using Entry = int (*)(unsigned grid, unsigned block, void* const* args, char* stacks,
                      unsigned long stack_bytes, char* message, unsigned long size);
/// Bytes of stack per fiber.
constexpr size_t kFiberStack = 64 * 1024;
/// This thread's fiber stacks for a block of up to 1024 threads (nullptr if they cannot be
/// mapped): kFiberStack bytes each, above a guard page.
char* fiber_stacks();

/// The simulator's image of a rendered source: a shared object built by the host compiler
/// (cached on disk), framed so that cuModuleLoadData can find its length.
std::string build_image(const std::string& source, const std::string& name);
/// Loads an image made by build_image; returns an opaque module (nullptr and `why` on failure).
void* load_image(const void* image, std::string* why);
void unload_image(void* module);
/// The launch entry of `name` in a loaded module and its parameter count; nullptr if missing.
Entry find_entry(void* module, const char* name, int* params);

}  // namespace kiln::runtime::cuda::sim
