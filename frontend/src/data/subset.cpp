// Subset: a view of some examples of another dataset.
#include <algorithm>
#include <numeric>
#include <string>

#include "kiln/frontend/data/dataset.h"
#include "kiln/runtime/error.h"

namespace kiln::data {

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<size_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  if (!dataset_) throw ValueError("[Subset] the dataset is null");
  for (size_t i : indices_) {
    if (i >= dataset_->size()) {
      throw IndexError("[Subset] index " + std::to_string(i) + " is out of range for " +
                       std::to_string(dataset_->size()) + " examples");
    }
  }
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, size_t count)
    : Subset(dataset, std::vector<size_t>(dataset ? std::min(count, dataset->size()) : 0)) {
  std::iota(indices_.begin(), indices_.end(), size_t{0});
}

size_t Subset::size() const { return indices_.size(); }

Example Subset::get(size_t i) const {
  if (i >= indices_.size()) {
    throw IndexError("[Subset] index " + std::to_string(i) + " is out of range for " +
                     std::to_string(indices_.size()) + " examples");
  }
  return dataset_->get(indices_[i]);
}

}  // namespace kiln::data
