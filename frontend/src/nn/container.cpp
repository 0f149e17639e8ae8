// Sequential and ModuleList.
#include "kiln/frontend/nn/container.h"

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

void ModuleListImpl::push_back(std::shared_ptr<Module> module) {
  register_module(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

}  // namespace kiln::nn
