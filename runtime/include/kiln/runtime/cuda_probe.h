// Finds out whether a CUDA driver and GPU are present, loading libcuda.so.1 with dlopen so that
// one build runs on machines with and without a GPU. (The full driver runtime arrives with the
// CUDA backend.)
#pragma once

namespace kiln::runtime {

/// Number of CUDA devices the driver reports; 0 when there is no driver or it fails to start.
int cuda_device_count();

}  // namespace kiln::runtime
