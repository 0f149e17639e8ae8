// BatchNorm1d, BatchNorm2d and LayerNorm, as in libtorch. BatchNorm keeps running_mean (zeros),
// running_var (ones) and num_batches_tracked (int64 0-d) as buffers; in training mode it
// normalizes with the batch's statistics and updates the running ones (momentum 0.1, unbiased
// variance), in eval mode it uses the running ones.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
  KILN_OPTION(BatchNormOptions, int64_t, num_features, 0)
  KILN_OPTION(BatchNormOptions, double, eps, 1e-5)
  /// The running statistics' update weight; nullopt averages over all batches seen (PyTorch's
  /// momentum=None: 1 / num_batches_tracked).
  KILN_OPTION(BatchNormOptions, std::optional<double>, momentum, 0.1)
  KILN_OPTION(BatchNormOptions, bool, affine, true)
  KILN_OPTION(BatchNormOptions, bool, track_running_stats, true)
};
/// libtorch's names for the same options.
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;

/// What BatchNorm1d and BatchNorm2d share; `rank` is the number of spatial dims (1 or 2).
class BatchNormImplBase : public Module {
 public:
  BatchNormImplBase(const BatchNormOptions& options, const char* name, int64_t rank);
  void reset_running_stats();
  void reset_parameters();
  Tensor forward(const Tensor& x);
  /// As libtorch: BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true)
  void pretty_print(std::ostream& stream) const override;

  BatchNormOptions options;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  int64_t rank_;
  int64_t batches_seen_ = 0;  ///< for momentum=None, counted on the host
};

/// Over [N, C] or [N, C, L].
class BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(const BatchNormOptions& options)
      : BatchNormImplBase(options, "BatchNorm1d", 1) {}
};
KILN_MODULE(BatchNorm1d);

/// Over [N, C, H, W].
class BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(const BatchNormOptions& options)
      : BatchNormImplBase(options, "BatchNorm2d", 2) {}
};
KILN_MODULE(BatchNorm2d);

struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT: implicit like libtorch
      : normalized_shape_(std::move(normalized_shape)) {}
  KILN_OPTION(LayerNormOptions, std::vector<int64_t>, normalized_shape, {})
  KILN_OPTION(LayerNormOptions, double, eps, 1e-5)
  KILN_OPTION(LayerNormOptions, bool, elementwise_affine, true)
};

class LayerNormImpl : public Module {
 public:
  explicit LayerNormImpl(const LayerNormOptions& options);
  void reset_parameters();
  Tensor forward(const Tensor& x);
  /// As libtorch: LayerNorm([10], eps=1e-05, elementwise_affine=true)
  void pretty_print(std::ostream& stream) const override;

  LayerNormOptions options;
  Tensor weight, bias;
};
KILN_MODULE(LayerNorm);

}  // namespace kiln::nn
