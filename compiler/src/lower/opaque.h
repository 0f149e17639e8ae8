// Kernel bodies for the opaque ops that run as kernels of their own: matmul, argsort,
// scatter, cumsum and set_strided. Their inputs may still be fused expressions (views,
// elementwise prologues), read through the builder; argsort on the CPU, a library call, reads
// its input as a buffer.
#pragma once

#include "kiln/compiler/kir/kir.h"
#include "lower/builder.h"

namespace kiln::lower {

kir::Stmt opaque_body(Builder& b, const ir::Node* root, int64_t out);

}  // namespace kiln::lower
