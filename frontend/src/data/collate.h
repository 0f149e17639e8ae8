// Assembling one batch in plain host memory: each example's bytes are copied into one buffer
// per field, so a batch costs two allocations however many examples it holds.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "kiln/frontend/data/dataset.h"
#include "kiln/runtime/buffer.h"

namespace kiln::data::detail {

/// A batch in host memory: data [B, ...] and target [B, ...].
struct HostBatch {
  runtime::BufferPtr data, target;
  Shape data_shape, target_shape;
};

/// Reads `indices` from the dataset under SampleScope(seed, epoch) and stacks them. Buffers are
/// pinned when `pinned`. Returns early with an empty batch once `stop` is set. Throws
/// ShapeError when examples differ in shape or dtype.
HostBatch collate(const Dataset& dataset, std::span<const size_t> indices, uint64_t seed,
                  uint64_t epoch, bool pinned, const std::atomic<bool>& stop);

}  // namespace kiln::data::detail
