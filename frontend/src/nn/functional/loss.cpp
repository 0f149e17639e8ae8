// Losses with PyTorch's definitions and reductions. Class targets pick their log-probability by
// comparing against the class index along dim 1 (a masked row sum), so cross_entropy is
// log_softmax, a compare-select and a row sum: one fused row kernel, no gather.
#include <string>
#include <vector>

#include "kiln/compiler/node.h"
#include "kiln/compiler/shape.h"
#include "kiln/frontend/nn/functional.h"
#include "kiln/runtime/error.h"

namespace kiln::nn::functional {

namespace {

void check_reduction(const char* op, const std::string& reduction) {
  if (reduction != "mean" && reduction != "sum" && reduction != "none") {
    throw ValueError(std::string("[") + op + "] reduction must be 'mean', 'sum' or 'none', got '" +
                     reduction + "'");
  }
}

Tensor reduce(const Tensor& loss, const std::string& reduction) {
  if (reduction == "none") return loss;
  return reduction == "sum" ? loss.sum() : loss.mean();
}

/// The input's class dim (1, or 0 for an unbatched [C] input) checked against an int64 target
/// shaped like the input without it.
int64_t check_class_target(const char* op, const Tensor& input, const Tensor& target) {
  if (target.dtype() != kInt64) {
    throw DTypeError(std::string("[") + op + "] expected target of dtype int64 (class indices), " +
                     "got " + torch_name(target.dtype()));
  }
  int64_t class_dim = input.dim() == 1 ? 0 : 1;
  Shape expected = input.sizes();
  if (!expected.empty()) expected.erase(expected.begin() + class_dim);
  if (input.dim() == 0 || target.sizes() != expected) {
    throw ShapeError(std::string("[") + op + "] input " + shape_str(input.sizes()) +
                     " needs a target of shape " + shape_str(expected) + ", got " +
                     shape_str(target.sizes()));
  }
  return class_dim;
}

/// Whether each class position along class_dim equals the target: bool, the input's shape.
/// A realized target is checked before the program runs: each entry a class or ignore_index
/// (ir::class_iota).
Tensor class_hits(const Tensor& input, const Tensor& target, int64_t class_dim,
                  int64_t ignore_index) {
  Tensor classes = Tensor::from_node(ir::class_iota(class_dim, input.sizes(), input.device(),
                                                    ir::ClassCheck::NllLoss, ignore_index));
  return eq(classes, target.unsqueeze(class_dim));
}

/// A per-class weight [C] broadcast along the class dim of an input of rank `rank`.
Tensor class_view(const Tensor& weight, int64_t class_dim, int64_t rank) {
  Shape s(static_cast<size_t>(rank), 1);
  s[static_cast<size_t>(class_dim)] = weight.numel();
  return weight.view(s);
}

}  // namespace

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, const std::string& reduction) {
  check_reduction("nll_loss", reduction);
  int64_t cd = check_class_target("nll_loss", input, target);
  int64_t classes = input.size(cd);
  if (weight.defined() && (weight.dim() != 1 || weight.size(0) != classes)) {
    throw ShapeError("[nll_loss] weight tensor should be defined either for all " +
                     std::to_string(classes) +
                     " classes or no classes but got weight tensor of "
                     "shape: " +
                     shape_str(weight.sizes()));
  }
  Tensor hit = class_hits(input, target, cd, ignore_index);
  Tensor picked = where(hit, input, 0.0).sum(cd);
  Tensor keep = (target != ignore_index).to(input.dtype());
  Tensor w =
      weight.defined() ? where(hit, class_view(weight, cd, input.dim()), 0.0).sum(cd) * keep : keep;
  Tensor loss = -picked * w;
  if (reduction == "none") return loss;
  if (reduction == "sum") return loss.sum();
  return loss.sum() / w.sum();
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight,
                     int64_t ignore_index, const std::string& reduction, double label_smoothing) {
  check_reduction("cross_entropy", reduction);
  if (label_smoothing < 0.0 || label_smoothing > 1.0) {
    throw ValueError("[cross_entropy] label_smoothing must be between 0.0 and 1.0, got " +
                     std::to_string(label_smoothing));
  }
  if (input.dim() == 0) throw ShapeError("[cross_entropy] input must have at least 1 dim");
  int64_t cd = input.dim() == 1 ? 0 : 1;
  Tensor logp = log_softmax(input, cd);
  int64_t classes = input.size(cd);
  Tensor wv = weight.defined() ? class_view(weight, cd, input.dim()) : Tensor();
  if (target.is_floating_point() && target.sizes() == input.sizes()) {
    // Class probabilities: -sum_c w_c p_c log q_c, smoothed toward uniform, mean over the batch.
    Tensor p = label_smoothing > 0.0 ? target * (1.0 - label_smoothing) +
                                           label_smoothing / static_cast<double>(classes)
                                     : target;
    Tensor terms = p * logp;
    if (wv.defined()) terms = terms * wv;
    return reduce(-terms.sum(cd), reduction);
  }
  Tensor nll = nll_loss(logp, target, weight, ignore_index, reduction);
  if (label_smoothing == 0.0) return nll;
  Tensor keep = (target != ignore_index).to(input.dtype());
  Tensor smooth = -(wv.defined() ? logp * wv : logp).sum(cd) * keep;
  if (reduction == "sum") {
    smooth = smooth.sum();
  } else if (reduction == "mean") {
    Tensor hit = class_hits(input, target, cd, ignore_index);
    Tensor w = wv.defined() ? where(hit, wv, 0.0).sum(cd) * keep : keep;
    smooth = smooth.sum() / w.sum();
  }
  return nll * (1.0 - label_smoothing) + smooth * (label_smoothing / static_cast<double>(classes));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, const std::string& reduction) {
  check_reduction("mse_loss", reduction);
  Tensor d = input - target;
  return reduce(d * d, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const Tensor& weight, const std::string& reduction,
                                        const Tensor& pos_weight) {
  check_reduction("binary_cross_entropy_with_logits", reduction);
  if (target.sizes() != input.sizes()) {
    throw ShapeError("[binary_cross_entropy_with_logits] Target size (" +
                     shape_str(target.sizes()) + ") must be the same as input size (" +
                     shape_str(input.sizes()) + ")");
  }
  // log(1 + exp(-x)) computed stably as log1p(exp(-|x|)) + max(-x, 0).
  Tensor softplus_neg = log1p(exp(-abs(input))) + relu(-input);
  Tensor positive = pos_weight.defined() ? (pos_weight - 1.0) * target + 1.0 : Tensor();
  Tensor loss =
      (1.0 - target) * input + (positive.defined() ? positive * softplus_neg : softplus_neg);
  if (weight.defined()) loss = loss * weight;
  return reduce(loss, reduction);
}

}  // namespace kiln::nn::functional
