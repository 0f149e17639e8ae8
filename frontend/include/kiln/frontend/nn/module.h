// nn::Module, as in libtorch: a node of a tree of modules that owns named parameters (leaves
// that require grad), buffers (state that is saved but not trained, such as BatchNorm's running
// statistics) and children. Everything a training loop needs walks that tree in registration
// order: parameters() for an optimizer, state_dict()/load_state_dict() for saving, train()/eval()
// for the layers that behave differently, to(device), and printing as PyTorch prints.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kiln/frontend/nn/holder.h"
#include "kiln/frontend/nn/ordered_dict.h"
#include "kiln/frontend/tensor.h"

namespace kiln::nn {

/// What load_state_dict(dict, strict=false) reports: keys the module has that the dict lacks,
/// and keys of the dict that the module does not have.
struct LoadResult {
  std::vector<std::string> missing_keys;
  std::vector<std::string> unexpected_keys;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  /// A module whose printed name is its (demangled) C++ type name.
  Module();
  /// A module printed as `name`.
  explicit Module(std::string name);
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The name printed for this module: "Linear", "Sequential", or a user type's name.
  const std::string& name() const;
  /// This module as T (a module type or its holder: `m->as<nn::Linear>()` is a LinearImpl*), or
  /// null when it is of another type, as libtorch's Module::as.
  template <typename T>
  detail::ImplOfT<T>* as() {
    return dynamic_cast<detail::ImplOfT<T>*>(this);
  }
  template <typename T>
  const detail::ImplOfT<T>* as() const {
    return dynamic_cast<const detail::ImplOfT<T>*>(this);
  }

  // ---- registration (returns what is now owned by this module) ----
  /// Adds a parameter: a leaf that requires grad (unless requires_grad is false).
  Tensor& register_parameter(std::string name, Tensor tensor, bool requires_grad = true);
  /// Adds a buffer: saved in state_dict, moved by to(), never trained. May be undefined.
  Tensor& register_buffer(std::string name, Tensor tensor);
  template <typename M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    static_assert(std::is_base_of_v<Module, M>, "register_module needs an nn::Module");
    add_child(std::move(name), module);
    return module;
  }
  /// `fc1 = register_module("fc1", nn::Linear(2, 20))` (the holder converts back).
  template <typename M>
  std::shared_ptr<M> register_module(std::string name, const ModuleHolder<M>& holder) {
    return register_module(std::move(name), holder.ptr());
  }
  /// Replaces a registered child (same name) and returns the new one.
  template <typename M>
  std::shared_ptr<M> replace_module(const std::string& name, std::shared_ptr<M> module) {
    children_.at(name) = module;
    return module;
  }

  // ---- the tree, in registration order ----
  std::vector<Tensor> parameters(bool recurse = true) const;
  OrderedDict<Tensor> named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  OrderedDict<Tensor> named_buffers(bool recurse = true) const;
  /// This module ("") and every descendant, depth-first: "layer1", "layer1.0", ...
  /// Const, as libtorch's: the handles it returns may modify the modules.
  OrderedDict<std::shared_ptr<Module>> named_modules(const std::string& prefix = "",
                                                     bool include_self = true) const;
  std::vector<std::shared_ptr<Module>> modules(bool include_self = true) const;
  std::vector<std::shared_ptr<Module>> children() const;
  OrderedDict<std::shared_ptr<Module>> named_children() const;

  // ---- saving ----
  /// Every parameter and buffer by dotted name: a module's own parameters, then its buffers,
  /// then each child's, as PyTorch orders them. Undefined buffers are left out.
  StateDict state_dict() const;
  /// Copies the dict's tensors into this module's parameters and buffers (in place, so handles
  /// to them stay valid). A shape mismatch throws ShapeError naming the key and both shapes;
  /// with strict, missing or unexpected keys throw Error naming them.
  LoadResult load_state_dict(const StateDict& dict, bool strict = true);

  // ---- modes, devices, gradients ----
  /// Sets training mode here and in every descendant.
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  /// Moves every parameter and buffer (and gradient) to `device`, in place.
  virtual void to(Device device);
  /// Converts every floating parameter and buffer to `dtype`, in place.
  virtual void to(DType dtype);
  /// Clears every parameter's gradient: undefined with set_to_none (PyTorch's default), zeros
  /// otherwise.
  void zero_grad(bool set_to_none = true);

  // ---- printing ----
  /// Prints this module's own line, as `Linear(in_features=3, out_features=2, bias=true)`;
  /// operator<< adds the children, one per line and indented.
  virtual void pretty_print(std::ostream& stream) const;
  void pretty_print_recursive(std::ostream& stream, const std::string& indentation) const;

 protected:
  /// The registered tensor `name` of this module itself (a parameter or buffer).
  Tensor& own_tensor(const std::string& name);

 private:
  void add_child(std::string name, std::shared_ptr<Module> module);
  /// The defined tensors of `own` (parameters_ or buffers_) here and, with recurse, below.
  OrderedDict<Tensor> named_tensors(OrderedDict<Tensor> Module::*own, bool recurse) const;
  /// Applies fn to every parameter, buffer and gradient of the tree.
  template <typename Fn>
  void apply_to_tensors(const Fn& fn);

  mutable std::string name_;
  bool training_ = true;
  OrderedDict<Tensor> parameters_;
  OrderedDict<Tensor> buffers_;
  OrderedDict<std::shared_ptr<Module>> children_;
};

std::ostream& operator<<(std::ostream& stream, const Module& module);

template <typename M>
std::ostream& operator<<(std::ostream& stream, const ModuleHolder<M>& holder) {
  return stream << static_cast<const Module&>(*holder);
}

/// `std::cout << net` for a std::shared_ptr<Net> prints the module, as in libtorch.
template <typename M>
requires std::is_base_of_v<Module, M> std::ostream& operator<<(std::ostream& stream,
                                                               const std::shared_ptr<M>& module) {
  return stream << static_cast<const Module&>(*module);
}

}  // namespace kiln::nn
