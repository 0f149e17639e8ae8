// Sequential and ModuleList.
#include "kiln/frontend/nn/container.h"

#include <cstddef>
#include <string>

namespace kiln::nn {

SequentialImpl::SequentialImpl(std::initializer_list<NamedAnyModule> named_modules)
    : Module("Sequential") {
  for (const auto& item : named_modules) push_back(item.name, item.module);
}

void SequentialImpl::push_back(AnyModule module) {
  push_back(std::to_string(modules_.size()), std::move(module));
}

void SequentialImpl::push_back(std::string name, AnyModule module) {
  register_module(std::move(name), module.ptr());
  modules_.push_back(std::move(module));
}

Tensor SequentialImpl::forward(const Tensor& x) {
  if (modules_.empty()) throw Error("[Sequential] cannot call forward() on an empty Sequential");
  Tensor y = x;
  for (const auto& m : modules_) y = m.forward(y);
  return y;
}

std::shared_ptr<Module> SequentialImpl::ptr(size_t i) const {
  detail::check_index("Sequential", i, modules_.size());
  return modules_[i].ptr();
}

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleListImpl::insert(size_t index, std::shared_ptr<Module> module) {
  if (index > modules_.size()) {
    throw IndexError("[ModuleList] cannot insert at index " + std::to_string(index) +
                     " of a list of " + std::to_string(modules_.size()) + " modules");
  }
  if (module == nullptr) throw Error("[ModuleList] cannot add a null module");
  modules_.insert(modules_.begin() + static_cast<std::ptrdiff_t>(index), std::move(module));
  // Children are named by position: those from `index` on now hold the next module, and the
  // last module gets a new name.
  for (size_t i = index; i + 1 < modules_.size(); ++i) {
    replace_module(std::to_string(i), modules_[i]);
  }
  register_module(std::to_string(modules_.size() - 1), modules_.back());
}

const std::shared_ptr<Module>& ModuleListImpl::ptr(size_t i) const {
  detail::check_index("ModuleList", i, modules_.size());
  return modules_[i];
}

namespace detail {

void check_index(const char* container, size_t i, size_t size) {
  if (i >= size) {
    throw IndexError(std::string("[") + container + "] index " + std::to_string(i) +
                     " is out of range for " + std::to_string(size) + " modules");
  }
}

void wrong_type(const char* container, size_t i, const Module& module) {
  throw Error(std::string("[") + container + "] module " + std::to_string(i) + " (" +
              module.name() + ") is not of the type asked for");
}

}  // namespace detail

}  // namespace kiln::nn
