// Datasets: indexable collections of examples (a data tensor and a target tensor each).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln::data {

/// One example, or a batch of them stacked along a new first dimension.
struct Example {
  Tensor data;
  Tensor target;
};

/// An indexable collection of examples. get() is called from the data loader's worker threads,
/// concurrently, so it must not change shared state.
class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Number of examples.
  virtual size_t size() const = 0;
  /// Example i, 0 <= i < size(); throws IndexError otherwise.
  virtual Example get(size_t i) const = 0;
};

/// Examples as rows of two tensors: get(i) is {images[i], labels[i]}, views that share storage.
class TensorDataset : public Dataset {
 public:
  /// Both tensors are realized now (once); their first dimensions must match (ShapeError).
  TensorDataset(Tensor images, Tensor labels);
  size_t size() const override;
  Example get(size_t i) const override;

 private:
  Tensor images_, labels_;
};

/// Some examples of another dataset: get(i) is dataset->get(indices[i]).
class Subset : public Dataset {
 public:
  /// The examples at `indices` (each must be < dataset->size(); IndexError otherwise).
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<size_t> indices);
  /// The first min(count, dataset->size()) examples.
  Subset(std::shared_ptr<const Dataset> dataset, size_t count);
  size_t size() const override;
  Example get(size_t i) const override;

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<size_t> indices_;
};

}  // namespace kiln::data
