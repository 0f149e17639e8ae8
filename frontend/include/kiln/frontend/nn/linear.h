// Linear, Identity and Flatten, as in libtorch.
#pragma once

#include <cstdint>
#include <ostream>

#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  KILN_OPTION(LinearOptions, int64_t, in_features, 0)
  KILN_OPTION(LinearOptions, int64_t, out_features, 0)
  KILN_OPTION(LinearOptions, bool, bias, true)
};

/// y = x W^T + b; W [out, in] and b [out] start U(-1/sqrt(in), 1/sqrt(in)) as in PyTorch.
class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features)
      : LinearImpl(LinearOptions(in_features, out_features)) {}
  explicit LinearImpl(const LinearOptions& options);
  /// Draws new initial values (PyTorch's reset_parameters).
  void reset_parameters();
  Tensor forward(const Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  LinearOptions options;
  Tensor weight, bias;
};
KILN_MODULE(Linear);

/// Returns its input.
class IdentityImpl : public Module {
 public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor& x) { return x; }
  void pretty_print(std::ostream& stream) const override { stream << "Identity()"; }
};
KILN_MODULE(Identity);

struct FlattenOptions {
  FlattenOptions() = default;
  KILN_OPTION(FlattenOptions, int64_t, start_dim, 1)
  KILN_OPTION(FlattenOptions, int64_t, end_dim, -1)
};

/// Flattens dims start_dim..end_dim (by default all but the batch dim).
class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(const FlattenOptions& options = {}) : Module("Flatten"), options(options) {}
  Tensor forward(const Tensor& x) { return x.flatten(options.start_dim(), options.end_dim()); }
  void pretty_print(std::ostream& stream) const override;

  FlattenOptions options;
};
KILN_MODULE(Flatten);

}  // namespace kiln::nn
