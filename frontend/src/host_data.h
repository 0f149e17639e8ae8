// Bridges between tensors and plain host memory, for the I/O code (saving, datasets, data
// loaders): a realized tensor's bytes without a compiled copy when its layout allows, and a
// tensor wrapping a host buffer that counts as realized.
#pragma once

#include <cstddef>

#include "kiln/frontend/tensor.h"
#include "kiln/runtime/buffer.h"

namespace kiln::detail {

/// A tensor's elements, row-major, in host memory: `data` points into `owner`.
struct HostBytes {
  runtime::BufferPtr owner;
  const std::byte* data = nullptr;
  size_t nbytes = 0;
};

/// The row-major bytes of `t` on the host. A realized contiguous CPU tensor (a view of a loaded
/// buffer, as a dataset's rows are) costs nothing; otherwise it is made contiguous, realized,
/// and its elements (not the rest of the buffer it views) are copied from its device.
HostBytes host_bytes(const Tensor& t);

/// A tensor of `shape` reading all of `buffer` (a flat load, so it counts as realized). The
/// buffer may be on any device.
Tensor tensor_from_buffer(runtime::BufferPtr buffer, const Shape& shape);

}  // namespace kiln::detail
