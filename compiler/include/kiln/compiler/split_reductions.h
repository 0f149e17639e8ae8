// Splitting long full reductions for GPUs: a reduction of a whole tensor runs as one row, and a
// CUDA row kernel is one thread block, so on its own it would use one SM of a hundred. Split in
// two, it is C rows of L elements (C blocks, the producer fused into them) and then one row of
// the C partial results.
#pragma once

#include <vector>

#include "kiln/compiler/node.h"

namespace kiln::ir {

/// The graph of `outputs` with every sum / max / min / prod over all of at least 2^20 elements
/// rewritten as that reduction over C x L (L >= 1024, C a divisor of the count, up to 4096)
/// followed by the same reduction of the C partials. 16-bit floats keep their partials in f32.
/// A count with no such divisor stays one reduction. Same shapes and dtypes per output.
std::vector<NodeRef> split_long_reductions(const std::vector<NodeRef>& outputs);

}  // namespace kiln::ir
