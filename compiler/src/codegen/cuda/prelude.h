// The device-side prelude every generated CUDA source starts with: kiln's own 16-bit float
// storage types and conversions, integer helpers with the kernel IR's semantics, NaN-propagating
// max/min, block reductions and the Philox generator. It includes nothing, so NVRTC needs no
// toolkit headers at run time.
#pragma once

namespace kiln::codegen::cuda {

/// The prelude's text (CUDA C++).
const char* prelude();

}  // namespace kiln::codegen::cuda
