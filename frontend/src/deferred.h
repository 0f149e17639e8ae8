// Deferred realization: values nobody reads right away, such as BatchNorm's running statistics
// (in-place writes) and the outputs backward() differentiated (a loss, read after the step).
// Their storages are realized together with the next program that runs on their device, so the
// work they share with it (a batch's mean and variance, the forward pass, in the optimizer's
// step) runs once, no chain of pending updates grows from step to step, and no pending graph
// keeps the step from writing the parameters in place (donate.h).
#pragma once

#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln::detail {

/// Realizes t's storage with the next program on its device that this thread runs (or when t
/// is read).
void defer_realize(const Tensor& t);
/// The deferred tensors on `device` that are still alive and were deferred by the calling
/// thread, removed from the list.
std::vector<Tensor> take_deferred(Device device);

}  // namespace kiln::detail
