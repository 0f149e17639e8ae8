// nn::Module: registration, the walks over the module tree, modes, devices and gradients.
// Saving (state_dict/load_state_dict) is in state_dict.cpp, printing in print.cpp.
#include "kiln/frontend/nn/module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "kiln/frontend/autograd.h"
#include "tensor_impl.h"

namespace kiln::nn {

namespace {

/// A user type's name as PyTorch prints it: demangled, without its namespaces.
std::string type_name(const std::type_info& type) {
  int status = 0;
  char* raw = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string name = status == 0 && raw != nullptr ? raw : type.name();
  std::free(raw);  // NOLINT: __cxa_demangle allocates with malloc
  size_t end = name.find('<');
  size_t colon = name.rfind("::", end);
  return colon == std::string::npos ? name : name.substr(colon + 2);
}

void check_name(const char* op, const std::string& name) {
  if (name.empty()) throw Error(std::string("[") + op + "] the name must not be empty");
  if (name.find('.') != std::string::npos)
    throw Error(std::string("[") + op + "] the name '" + name + "' must not contain a dot");
}

/// Replaces the contents of handle `t` by `value` (same view semantics), keeping its identity
/// as a leaf, so every handle to t sees the moved or converted tensor.
void swap_in(Tensor& t, const Tensor& value) {
  auto& im = *t.impl();
  const auto& v = *value.impl();
  im.storage = v.storage;
  im.sizes = v.sizes;
  im.strides = v.strides;
  im.offset = v.offset;
}

}  // namespace

Module::Module() = default;
Module::Module(std::string name) : name_(std::move(name)) {}

const std::string& Module::name() const {
  if (name_.empty()) name_ = type_name(typeid(*this));
  return name_;
}

Tensor& Module::register_parameter(std::string name, Tensor tensor, bool requires_grad) {
  check_name("register_parameter", name);
  if (tensor.defined()) {
    if (!tensor.is_leaf()) tensor = tensor.detach();
    tensor.requires_grad_(requires_grad);
  }
  return parameters_.insert(std::move(name), std::move(tensor));
}

Tensor& Module::register_buffer(std::string name, Tensor tensor) {
  check_name("register_buffer", name);
  return buffers_.insert(std::move(name), std::move(tensor));
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  check_name("register_module", name);
  if (module == nullptr)
    throw Error("[register_module] submodule '" + name + "' is null (an empty holder?)");
  children_.insert(std::move(name), std::move(module));
}

Tensor& Module::own_tensor(const std::string& name) {
  if (Tensor* p = parameters_.find(name)) return *p;
  return buffers_.at(name);
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  return named_parameters(recurse).values();
}

OrderedDict<Tensor> Module::named_tensors(OrderedDict<Tensor> Module::*own, bool recurse) const {
  OrderedDict<Tensor> out;
  for (const auto& [name, t] : this->*own) {
    if (t.defined()) out.insert(name, t);
  }
  if (!recurse) return out;
  for (const auto& [child_name, child] : children_) {
    for (auto& [name, t] : child->named_tensors(own, true)) out.insert(child_name + "." + name, t);
  }
  return out;
}

OrderedDict<Tensor> Module::named_parameters(bool recurse) const {
  return named_tensors(&Module::parameters_, recurse);
}

std::vector<Tensor> Module::buffers(bool recurse) const { return named_buffers(recurse).values(); }

OrderedDict<Tensor> Module::named_buffers(bool recurse) const {
  return named_tensors(&Module::buffers_, recurse);
}

OrderedDict<std::shared_ptr<Module>> Module::named_modules(const std::string& prefix,
                                                           bool include_self) const {
  OrderedDict<std::shared_ptr<Module>> out;
  if (include_self) {
    auto* mutable_this = const_cast<Module*>(this);
    std::shared_ptr<Module> self = mutable_this->weak_from_this().lock();
    // A module not owned by a shared_ptr (one on the stack) is listed without ownership.
    if (self == nullptr) self = std::shared_ptr<Module>(std::shared_ptr<Module>(), mutable_this);
    out.insert(prefix, self);
  }
  for (const auto& [child_name, child] : children_) {
    std::string name = prefix.empty() ? child_name : prefix + "." + child_name;
    for (auto& [n, m] : child->named_modules(name, true)) out.insert(n, m);
  }
  return out;
}

std::vector<std::shared_ptr<Module>> Module::modules(bool include_self) const {
  return named_modules("", include_self).values();
}

std::vector<std::shared_ptr<Module>> Module::children() const { return children_.values(); }

OrderedDict<std::shared_ptr<Module>> Module::named_children() const { return children_; }

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

template <typename Fn>
void Module::apply_to_tensors(const Fn& fn) {
  NoGradGuard no_grad;
  for (auto& [name, p] : parameters_) {
    if (!p.defined()) continue;
    fn(p);
    if (p.grad().defined()) fn(p.mutable_grad());
  }
  for (auto& [name, b] : buffers_) {
    if (b.defined()) fn(b);
  }
  for (auto& [name, child] : children_) child->apply_to_tensors(fn);
}

void Module::to(Device device) {
  apply_to_tensors([&](Tensor& t) {
    if (t.device() != device) swap_in(t, t.detach().to(device));
  });
}

void Module::to(DType dtype) {
  apply_to_tensors([&](Tensor& t) {
    if (t.is_floating_point() && t.dtype() != dtype) swap_in(t, t.detach().to(dtype));
  });
}

void Module::zero_grad(bool set_to_none) {
  for (Tensor& p : parameters()) {
    if (!p.grad().defined()) continue;
    if (set_to_none) {
      p.mutable_grad() = Tensor();
    } else {
      NoGradGuard no_grad;
      p.mutable_grad().zero_();
    }
  }
}

}  // namespace kiln::nn
