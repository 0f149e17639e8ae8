// Programs on CUDA devices: every kernel rendered as CUDA C++ (codegen/cuda), compiled by NVRTC
// for the device's exact architecture (disk-cached, kernels of a program in parallel), loaded
// through the Driver API, and launched on the device's stream. GEMM Extern steps run through
// cuBLASLt; the fused epilogue that follows runs as the kernel's next step.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/program.h"
#include "kiln/runtime/cuda/driver.h"

namespace kiln::ir {

/// The program's launches captured as CUDA graphs, each for the buffer addresses it was
/// captured with. A loop that realizes the same step again gets the same few sets of addresses
/// from the caching allocator (one set, or two alternating when the step's outputs replace its
/// inputs in new buffers; one set again when it writes them in place, as an optimizer's step
/// does): a run at a set of addresses seen among the last few runs is captured once, and every
/// later run at those addresses replays its graph with one launch. KILN_CUDA_GRAPHS=0 turns this
/// off.
struct CudaGraphCache {
  static constexpr size_t kRecent = 4;  ///< address sets remembered, and graphs kept
  std::mutex mu;
  std::vector<std::vector<void*>> recent;  ///< addresses of the last runs, newest last
  std::vector<std::pair<std::vector<void*>, std::unique_ptr<runtime::cuda::Graph>>> graphs;
  bool capture_failed = false;
};

struct CudaProgram {
  int device = 0;
  int arch = 0;
  std::vector<codegen::cuda::CudaKernel> kernels;  ///< one per program kernel
  std::vector<std::unique_ptr<runtime::cuda::Module>> modules;
  std::vector<std::vector<void*>> functions;  ///< per kernel, per step (null for Extern steps)
  mutable CudaGraphCache graphs;
};

/// Renders, compiles and loads `program`'s kernels for its CUDA device (fills program.cuda).
void compile_program_cuda(Program& program);
/// run_program for a program on a CUDA device.
std::vector<runtime::BufferPtr> run_program_cuda(const Program& program,
                                                 const std::vector<runtime::BufferPtr>& inputs);

}  // namespace kiln::ir
