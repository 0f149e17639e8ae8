// TensorDataset: rows of two realized tensors.
#include <string>

#include "kiln/frontend/data/dataset.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "tensor_impl.h"

namespace kiln::data {

TensorDataset::TensorDataset(Tensor images, Tensor labels) {
  detail::check_defined("TensorDataset", images);
  detail::check_defined("TensorDataset", labels);
  if (images.dim() == 0 || labels.dim() == 0 || images.size(0) != labels.size(0)) {
    throw ShapeError("[TensorDataset] images " + shape_str(images.sizes()) + " and labels " +
                     shape_str(labels.sizes()) + " differ in their first dimension");
  }
  images_ = images.contiguous();
  labels_ = labels.contiguous();
  eval({images_, labels_});
}

size_t TensorDataset::size() const { return static_cast<size_t>(images_.size(0)); }

Example TensorDataset::get(size_t i) const {
  if (i >= size()) {
    throw IndexError("[TensorDataset] index " + std::to_string(i) + " is out of range for " +
                     std::to_string(size()) + " examples");
  }
  auto row = static_cast<int64_t>(i);
  return {images_.select(0, row), labels_.select(0, row)};
}

}  // namespace kiln::data
