// Deferred realization: in-place writes whose values nobody reads right away, such as
// BatchNorm's running statistics. Their storages are realized together with the next program
// that runs on their device, so the work they share with it (a batch's mean and variance, in the
// optimizer's step) runs once, and no chain of pending updates grows from step to step.
#pragma once

#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln::detail {

/// Realizes t's storage with the next program on its device (or when t is read).
void defer_realize(const Tensor& t);
/// The deferred tensors on `device` that are still alive, removed from the list.
std::vector<Tensor> take_deferred(Device device);

}  // namespace kiln::detail
