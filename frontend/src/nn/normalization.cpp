// BatchNorm1d/2d and LayerNorm.
#include "kiln/frontend/nn/normalization.h"

#include <ostream>

#include "deferred.h"
#include "kiln/compiler/shape.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/frontend/nn/init.h"
#include "kiln/runtime/error.h"

namespace kiln::nn {

BatchNormImplBase::BatchNormImplBase(const BatchNormOptions& options_, const char* name,
                                     int64_t rank)
    : Module(name), options(options_), rank_(rank) {
  int64_t c = options.num_features();
  if (options.affine()) {
    weight = register_parameter("weight", empty({c}));
    bias = register_parameter("bias", empty({c}));
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({c}));
    running_var = register_buffer("running_var", ones({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  init::zeros_(num_batches_tracked);
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (!options.affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor BatchNormImplBase::forward(const Tensor& x) {
  bool ok = rank_ == 1 ? x.dim() == 2 || x.dim() == 3 : x.dim() == 4;
  if (!ok) {
    throw ShapeError("[" + name() + "] expected " + (rank_ == 1 ? "2D or 3D" : "4D") +
                     " input (got " + std::to_string(x.dim()) + "D input of size " +
                     shape_str(x.sizes()) + ")");
  }
  double momentum = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    kiln::detail::defer_realize(num_batches_tracked);
    // momentum=None: a cumulative moving average, 1 / batches seen (a host-side count).
    if (!options.momentum()) {
      ++batches_seen_;
      momentum = 1.0 / static_cast<double>(batches_seen_);
    }
  }
  return functional::batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum,
                                options.eps());
}

void BatchNormImplBase::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << name() << "(" << options.num_features() << ", eps=" << options.eps()
         << ", momentum=";
  if (options.momentum()) {
    stream << *options.momentum();
  } else {
    stream << "None";
  }
  stream << ", affine=" << options.affine()
         << ", track_running_stats=" << options.track_running_stats() << ")";
}

LayerNormImpl::LayerNormImpl(const LayerNormOptions& options_)
    : Module("LayerNorm"), options(options_) {
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", empty(options.normalized_shape()));
    bias = register_parameter("bias", empty(options.normalized_shape()));
  }
  reset_parameters();
}

void LayerNormImpl::reset_parameters() {
  if (!options.elementwise_affine()) return;
  init::ones_(weight);
  init::zeros_(bias);
}

Tensor LayerNormImpl::forward(const Tensor& x) {
  return functional::layer_norm(x, options.normalized_shape(), weight, bias, options.eps());
}

void LayerNormImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "LayerNorm(" << shape_str(options.normalized_shape())
         << ", eps=" << options.eps() << ", elementwise_affine=" << options.elementwise_affine()
         << ")";
}

}  // namespace kiln::nn
