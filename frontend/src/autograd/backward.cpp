// autograd::grad, backward and the Tensor methods around .grad(). Both differentiate the
// outputs' graph with ir::grad with respect to (a) every mark of each leaf (a leaf realized or
// written under NoGradGuard between uses appears under several marks with one id, and its
// gradient is their sum, viewed through the leaf's strides) and (b) the current node of each
// non-leaf asked for.
#include <unordered_set>

#include "autograd/leaves.h"
#include "deferred.h"
#include "kiln/compiler/autograd.h"
#include "kiln/compiler/debug.h"
#include "kiln/compiler/graph.h"
#include "kiln/compiler/text.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln {

namespace {

/// backward()'s outputs up to this many elements are realized with the next program.
constexpr int64_t kDeferredOutputMax = 4096;

/// The gradients of `outputs` (with `grad_outputs`, filled in for one-element outputs) with
/// respect to each tensor of `targets`, as nodes.
std::vector<ir::NodeRef> gradients(const char* op, const std::vector<Tensor>& outputs,
                                   const std::vector<Tensor>& grad_outputs,
                                   const std::vector<Tensor>& targets, bool create_graph) {
  if (!grad_outputs.empty() && grad_outputs.size() != outputs.size()) {
    throw Error(std::string("[") + op + "] got " + std::to_string(grad_outputs.size()) +
                " gradients for " + std::to_string(outputs.size()) + " outputs");
  }
  std::vector<ir::NodeRef> outs, gouts;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& o = outputs[i];
    detail::check_defined(op, o);
    if (!o.requires_grad()) {
      throw Error(std::string("[") + op + "] element " + std::to_string(i) +
                  " of tensors does not require grad and does not have a grad_fn");
    }
    outs.push_back(o.node());
    if (i < grad_outputs.size() && grad_outputs[i].defined()) {
      const Tensor& g = grad_outputs[i];
      if (g.sizes() != o.sizes()) {
        throw ShapeError(std::string("[") + op + "] mismatch in shape: grad_output[" +
                         std::to_string(i) + "] has a shape of " + shape_str(g.sizes()) +
                         " and output[" + std::to_string(i) + "] has a shape of " +
                         shape_str(o.sizes()));
      }
      gouts.push_back(ir::cast(g.node(), o.dtype()));
    } else {
      if (o.numel() != 1) {
        throw Error(std::string("[") + op +
                    "] grad can be implicitly created only for scalar outputs");
      }
      gouts.push_back(ir::constant(1.0, o.dtype(), o.sizes(), o.device()));
    }
  }
  detail::NodeMap expanded_loads;
  outs = detail::expand_realized(outs, &expanded_loads);
  auto marks = detail::leaf_marks(outs);
  std::vector<ir::NodeRef> wrt;
  std::vector<std::pair<size_t, size_t>> span;  // per target: first wrt, count
  for (const Tensor& t : targets) {
    const auto& im = *t.impl();
    size_t first = wrt.size();
    if (im.requires_grad) {
      auto it = marks.find(im.leaf_id);
      if (it != marks.end()) wrt.insert(wrt.end(), it->second.begin(), it->second.end());
    } else {
      wrt.push_back(detail::expand_realized({t.node()})[0]);
    }
    span.emplace_back(first, wrt.size() - first);
  }
  std::vector<ir::NodeRef> g = ir::grad(outs, wrt, gouts);
  if (ir::debug_level() >= 5) ir::debug_line("autograd: the gradients\n" + ir::print_graph(g));
  // Without create_graph nothing differentiates the result again: forward values it reads
  // come from the realized buffers instead of being computed a second time.
  if (!create_graph) g = detail::replace_nodes(g, expanded_loads);
  std::vector<ir::NodeRef> result;
  for (size_t k = 0; k < targets.size(); ++k) {
    const auto& im = *targets[k].impl();
    auto [first, count] = span[k];
    if (!im.requires_grad) {
      result.push_back(g[first]);
      continue;
    }
    ir::NodeRef flat;
    for (size_t j = first; j < first + count; ++j) {
      flat = flat ? ir::binary(ir::Op::Add, flat, g[j]) : g[j];
    }
    if (!flat) {
      result.push_back(ir::constant(0.0, targets[k].dtype(), im.sizes, targets[k].device()));
    } else {
      result.push_back(ir::as_strided(flat, im.sizes, im.strides, im.offset));
    }
  }
  return result;
}

/// Adds g into t's .grad(): in place without create_graph (so handles to .grad() see it),
/// out of place with it (so the sum stays differentiable).
void accumulate(detail::TensorImpl& t, const ir::NodeRef& g, bool create_graph) {
  AutoGradMode mode(create_graph);
  Tensor gt = Tensor::from_node(g);
  if (!t.grad.defined()) {
    t.grad = gt;
  } else if (create_graph) {
    t.grad = t.grad + gt;
  } else {
    t.grad.add_(gt);
  }
}

}  // namespace

namespace autograd {

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool create_graph) {
  for (const Tensor& in : inputs) {
    detail::check_defined("grad", in);
    if (!in.requires_grad())
      throw Error("[grad] One of the differentiated Tensors does not require grad");
  }
  std::vector<ir::NodeRef> g = gradients("grad", outputs, grad_outputs, inputs, create_graph);
  AutoGradMode mode(create_graph);
  std::vector<Tensor> out;
  {
    detail::RealizeDeepTogether together;
    for (const auto& n : g) out.push_back(Tensor::from_node(n));
  }
  return out;
}

void backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              bool create_graph) {
  std::vector<ir::NodeRef> outs;
  for (const Tensor& t : tensors) {
    detail::check_defined("backward", t);
    outs.push_back(t.node());
  }
  outs = detail::expand_realized(outs);
  // Targets: every leaf the outputs reach, and every retained tensor whose node is in the graph.
  std::vector<Tensor> targets;
  for (const auto& [id, nodes] : detail::leaf_marks(outs)) {
    if (auto leaf = detail::find_leaf(id)) targets.emplace_back(leaf);
  }
  std::vector<const ir::Node*> order = ir::topo_order(outs);
  std::unordered_set<const ir::Node*> in_graph(order.begin(), order.end());
  for (auto& t : detail::retained_tensors()) {
    Tensor h(t);
    if (!t->requires_grad && in_graph.count(detail::expand_realized({h.node()})[0].get()))
      targets.push_back(h);
  }
  std::vector<ir::NodeRef> g = gradients("backward", tensors, grad_tensors, targets, create_graph);
  {
    detail::RealizeDeepTogether together;
    for (size_t k = 0; k < targets.size(); ++k) accumulate(*targets[k].impl(), g[k], create_graph);
  }
  // A small output (a loss) is read after the step, if at all: computed with the step's program,
  // it costs one more store, and it no longer keeps the step from updating in place.
  for (const Tensor& t : tensors) {
    const ir::NodeRef& n = t.impl()->storage->node;
    if (n->op() != ir::Op::Load && n->numel() <= kDeferredOutputMax) detail::defer_realize(t);
  }
}

}  // namespace autograd

void Tensor::backward(const Tensor& gradient, bool create_graph) const {
  autograd::backward({*this},
                     gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     create_graph);
}

Tensor Tensor::grad() const {
  detail::check_defined("grad", *this);
  return impl_->grad;
}

Tensor& Tensor::mutable_grad() {
  detail::check_defined("mutable_grad", *this);
  return impl_->grad;
}

bool Tensor::is_leaf() const { return !requires_grad() || impl_->requires_grad; }

void Tensor::retain_grad() {
  detail::check_defined("retain_grad", *this);
  if (!requires_grad()) {
    throw Error("[retain_grad] can't retain_grad on Tensor that has requires_grad=False");
  }
  if (impl_->requires_grad || impl_->retains_grad) return;  // a leaf keeps its grad anyway
  impl_->retains_grad = true;
  detail::register_retained(impl_);
}

bool Tensor::retains_grad() const { return defined() && impl_->retains_grad; }

}  // namespace kiln
