// kir -> CUDA C++ (DESIGN.md "Kernel IR and codegen"). A kernel becomes one self-contained
// source (kiln's prelude, then one extern "C" __global__ function per launch) and a list of
// steps to run in order: Extern statements at the top level of the body split it into Kernel
// steps (launches of a generated function) and Extern steps (a library call the runtime makes,
// e.g. the GEMM through cuBLASLt).
//
// The GPU mapping: an elementwise Parallel loop (with its inner Vectorizable loop) is flattened
// into one 1-D thread index space of 256-thread blocks, with 128-bit loads and stores where the
// innermost index is contiguous; a Parallel loop whose iterations reduce rows (accumulators at
// its level, accumulated in Vectorizable loops) runs one thread block per row with warp-shuffle
// block reductions, keeping short rows in registers; anything else runs one thread per Parallel
// iteration with its body as sequential C. Float math follows the LLVM backend (f16/bf16 in f32,
// accurate libdevice math, NaN-propagating max/min, wrapping integers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/compiler/kir/kir.h"

namespace kiln::codegen::cuda {

/// One launch or library call, in order.
struct Step {
  enum class Kind : uint8_t { Kernel, Extern } kind = Kind::Kernel;
  std::string entry;            ///< Kernel: the extern "C" __global__ function's name in the source
  int64_t grid = 1;             ///< Kernel: blocks (1-D)
  int block = 1;                ///< Kernel: threads per block (1-D)
  int shared_bytes = 0;         ///< Kernel: dynamic shared memory (static shared is declared)
  std::string symbol;           ///< Extern: the kir extern symbol (e.g. kiln_extern_gemm_f32)
  std::vector<int64_t> params;  ///< Extern: the kernel parameters passed
  std::vector<int64_t> int_args;  ///< Extern: its constant arguments
};

struct CudaKernel {
  std::string source;  ///< prelude + every step's __global__ function
  std::vector<Step> steps;
};

/// Renders `k`. Every __global__ takes all of the kernel's params in order as pointers
/// (T0* p0, T1* p1, ...), so the runtime passes the same argument array to every Kernel step.
/// The source is a pure function of the IR.
CudaKernel render(const kir::Kernel& k);

/// NVRTC's CUBIN for sm_<arch> of a rendered kernel, from the disk cache or compiled (key:
/// source, options, arch, NVRTC version, kiln version). Throws CompileError on failure.
std::string compile_cubin(const CudaKernel& k, const std::string& name, int arch);

/// The archs listed in $KILN_NVRTC_CHECK (e.g. "80,90"); empty when unset.
const std::vector<int>& nvrtc_check_archs();
/// With $KILN_NVRTC_CHECK set: renders every kernel and queues it to be compiled by NVRTC for
/// each listed arch (no launch); queued kernels compile in batches (one NVRTC program per arch)
/// when the queue fills, and a failure throws CompileError naming the kernel. Kernels already
/// checked (disk cache) are skipped. Without the variable it does nothing.
void nvrtc_check(const std::vector<kir::Kernel>& kernels);
/// Compiles the queued kernels now (throws CompileError on failure); called at the end of each
/// test case by the test binaries, and at exit (where a failure is only printed).
void nvrtc_check_flush();

/// One __global__ function's resources as ptxas reports them (--ptxas-options=-v).
struct Resources {
  std::string entry;
  int registers = 0;     ///< per thread
  int shared_bytes = 0;  ///< static shared memory per block
  int stack_bytes = 0;
  int spill_store_bytes = 0;
  int spill_load_bytes = 0;
};
/// The functions' resources parsed from NVRTC's program log (runtime::nvrtc::Compiled::log).
std::vector<Resources> resource_usage(const std::string& log);

/// The source of every step without the prelude (what kiln-dump shows).
std::string source_without_prelude(const CudaKernel& k);

}  // namespace kiln::codegen::cuda
