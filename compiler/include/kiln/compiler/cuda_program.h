// Programs on CUDA devices: every kernel rendered as CUDA C++ (codegen/cuda), compiled by NVRTC
// for the device's exact architecture (disk-cached, kernels of a program in parallel), loaded
// through the Driver API, and launched on the device's stream. GEMM Extern steps run through
// cuBLASLt; the fused epilogue that follows runs as the kernel's next step.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/compiler/codegen/cuda/cuda_codegen.h"
#include "kiln/compiler/program.h"
#include "kiln/runtime/cuda/driver.h"

namespace kiln::ir {

struct CudaProgram {
  int device = 0;
  int arch = 0;
  std::vector<codegen::cuda::CudaKernel> kernels;  ///< one per program kernel
  std::vector<std::unique_ptr<runtime::cuda::Module>> modules;
  std::vector<std::vector<void*>> functions;  ///< per kernel, per step (null for Extern steps)
};

/// Renders, compiles and loads `program`'s kernels for its CUDA device (fills program.cuda).
void compile_program_cuda(Program& program);
/// run_program for a program on a CUDA device.
std::vector<runtime::BufferPtr> run_program_cuda(const Program& program,
                                                 const std::vector<runtime::BufferPtr>& inputs);

}  // namespace kiln::ir
