// The driver functions kiln calls, resolved once from libcuda.so.1. cuda.h maps API names to
// their current versioned symbols (cuMemAlloc -> cuMemAlloc_v2); the table's members take the
// mapped names too, so `driver().cuMemAlloc(...)` calls the symbol the header declares.
#pragma once

#include <cuda.h>

#include <string>

namespace kiln::runtime::cuda {

// clang-format off
#define KILN_CUDA_DRIVER_FUNCTIONS(X)                                                         \
  X(cuInit) X(cuGetErrorName) X(cuGetErrorString) X(cuDeviceGetCount) X(cuDeviceGet)         \
  X(cuDeviceGetName) X(cuDeviceGetAttribute) X(cuDeviceTotalMem) X(cuDevicePrimaryCtxRetain) \
  X(cuCtxSetCurrent) X(cuStreamCreate)                                                    \
  X(cuStreamSynchronize) X(cuMemAlloc) X(cuMemFree) X(cuMemGetInfo) X(cuMemHostAlloc)         \
  X(cuMemFreeHost) X(cuMemcpyHtoDAsync) X(cuMemcpyDtoHAsync) X(cuMemcpyDtoDAsync)            \
  X(cuMemsetD8Async) X(cuModuleLoadData) X(cuModuleUnload) X(cuModuleGetFunction)            \
  X(cuFuncSetAttribute) X(cuLaunchKernel) X(cuEventCreate) X(cuEventDestroy) X(cuEventRecord) \
  X(cuEventSynchronize) X(cuEventElapsedTime) X(cuStreamBeginCapture) X(cuStreamEndCapture)  \
  X(cuGraphInstantiate) X(cuGraphLaunch) X(cuGraphExecDestroy) X(cuGraphDestroy)             \
  X(cuEventQuery) X(cuStreamWaitEvent)
// clang-format on

struct DriverTable {
#define KILN_CUDA_MEMBER(fn) decltype(&::fn) fn = nullptr;
  KILN_CUDA_DRIVER_FUNCTIONS(KILN_CUDA_MEMBER)
#undef KILN_CUDA_MEMBER
};

/// The loaded table; throws DeviceError when there is no usable driver.
const DriverTable& driver();
/// Throws DeviceError ("[cuda] what: NAME: description") unless r is CUDA_SUCCESS.
void check(CUresult r, const char* what);

}  // namespace kiln::runtime::cuda
