// The process's random generator (kiln::manual_seed): a seed and the next free stream offset.
// Random ops read their stream's offset at run time from a 0-d int64 tensor, so the graphs of
// successive steps are equal and a replayed kiln::compile call draws new streams.
#pragma once

#include <cstdint>
#include <utility>

#include "kiln/frontend/tensor.h"

namespace kiln::detail {

/// Reserves `count` consecutive streams: returns (seed, first offset).
std::pair<uint64_t, uint64_t> reserve_streams(uint64_t count);
/// The seed streams are drawn with now.
uint64_t current_seed();
/// A 0-d int64 tensor on `device` holding `offset` (a load: nothing to run).
Tensor stream_tensor(uint64_t offset, Device device);

}  // namespace kiln::detail
