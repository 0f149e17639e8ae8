// Module::state_dict and load_state_dict: every parameter and buffer by dotted name, in
// PyTorch's order (a module's parameters, its buffers, then each child's), and loading back in
// place with PyTorch's messages for missing, unexpected and mis-shaped keys.
#include <string>
#include <vector>

#include "kiln/compiler/shape.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/nn/module.h"

namespace kiln::nn {

namespace {

std::string quoted_list(const std::vector<std::string>& keys) {
  std::string s;
  for (size_t i = 0; i < keys.size(); ++i) s += (i != 0 ? ", \"" : "\"") + keys[i] + "\"";
  return s;
}

}  // namespace

StateDict Module::state_dict() const {
  StateDict out;
  for (const auto& [name, p] : named_parameters(false)) out.insert(name, p);
  for (const auto& [name, b] : named_buffers(false)) out.insert(name, b);
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, t] : child->state_dict()) out.insert(child_name + "." + name, t);
  }
  return out;
}

LoadResult Module::load_state_dict(const StateDict& dict, bool strict) {
  StateDict own = state_dict();
  LoadResult result;
  for (const auto& [name, t] : own) {
    if (!dict.contains(name)) result.missing_keys.push_back(name);
  }
  for (const auto& [name, t] : dict) {
    if (!own.contains(name)) result.unexpected_keys.push_back(name);
  }
  std::vector<std::string> mismatched;
  for (const auto& [name, t] : own) {
    const Tensor* src = dict.find(name);
    if (src == nullptr) continue;
    if (!src->defined() || src->sizes() != t.sizes()) {
      mismatched.push_back("size mismatch for " + name + ": copying a param with shape " +
                           (src->defined() ? shape_str(src->sizes()) : "(undefined)") +
                           " from checkpoint, the shape in current model is " +
                           shape_str(t.sizes()) + ".");
    }
  }
  bool report_keys = strict && (!result.missing_keys.empty() || !result.unexpected_keys.empty());
  if (!mismatched.empty() || report_keys) {
    std::string msg = "[load_state_dict] Error(s) in loading state_dict for " + name() + ":";
    if (strict && !result.missing_keys.empty())
      msg += "\n\tMissing key(s) in state_dict: " + quoted_list(result.missing_keys) + ".";
    if (strict && !result.unexpected_keys.empty())
      msg += "\n\tUnexpected key(s) in state_dict: " + quoted_list(result.unexpected_keys) + ".";
    for (const auto& m : mismatched) msg += "\n\t" + m;
    if (!mismatched.empty()) throw ShapeError(msg);
    throw Error(msg);
  }
  NoGradGuard no_grad;
  for (auto& [name, t] : own) {
    const Tensor* src = dict.find(name);
    if (src == nullptr) continue;
    Tensor target = t;
    target.copy_(src->to(t.device()));
  }
  return result;
}

}  // namespace kiln::nn
