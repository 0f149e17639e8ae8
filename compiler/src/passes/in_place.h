// In-place outputs: a program output written into the buffer of one of the program's inputs,
// so that an optimizer's parameters and state keep their buffers from step to step (no new
// buffer per step, the same addresses for a CUDA graph). plan_program's caller asks only for
// inputs that nothing outside the program reads afterwards (the frontend's donation, see
// frontend/src/donate.h); this pass grants a request when the program's own reads of the old
// value all happen before it is overwritten.
#pragma once

#include <vector>

#include "kiln/compiler/program.h"

namespace kiln::ir {

/// Grants what it can of `requested` (per output: an input index in signature order, or -1)
/// for the planned program `p`: fills p.in_place and rewrites each kernel that writes a
/// granted output to read the old value through the output's parameter. An output is granted
/// when its input has its dtype and size, no launch after the one writing it reads the input,
/// and in that launch's kernel (no library call) every load of the input either lies in an
/// earlier top-level loop nest than the store, or in the store's loop body, at or before the
/// store, at the store's index (each iteration reads its own element, then writes it).
void grant_in_place(Program& p, const std::vector<int64_t>& requested);

}  // namespace kiln::ir
