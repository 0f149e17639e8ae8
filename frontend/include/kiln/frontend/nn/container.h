// Containers, as in libtorch: Sequential chains modules with a Tensor -> Tensor forward, named
// "0", "1", ... or by the names given; ModuleList holds modules for the owner's own forward.
// AnyModule erases a module's type, keeping its forward.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kiln/frontend/nn/module.h"

namespace kiln::nn {

/// A module whose forward takes and returns one Tensor, of any module type.
class AnyModule {
 public:
  AnyModule() = default;
  template <typename M>
  requires std::is_base_of_v<Module, M> AnyModule(
      std::shared_ptr<M> module)  // NOLINT: implicit like libtorch
      : module_(module), forward_([m = module.get()](const Tensor& x) { return m->forward(x); }) {}
  template <typename M>
  AnyModule(const ModuleHolder<M>& holder) : AnyModule(holder.ptr()) {}  // NOLINT

  Tensor forward(const Tensor& x) const { return forward_(x); }
  const std::shared_ptr<Module>& ptr() const { return module_; }
  /// The module as its own type, or null when it is another type.
  template <typename M>
  M* as() const {
    return dynamic_cast<M*>(module_.get());
  }

 private:
  std::shared_ptr<Module> module_;
  std::function<Tensor(const Tensor&)> forward_;
};

/// A name and a module: the elements of Sequential({{"layer1", ...}, {"layer2", ...}}).
struct NamedAnyModule {
  template <typename M>
  NamedAnyModule(std::string name, M&& module)
      : name(std::move(name)), module(AnyModule(std::forward<M>(module))) {}
  std::string name;
  AnyModule module;
};

class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  template <typename... Ms>
  requires(sizeof...(Ms) > 0) explicit SequentialImpl(Ms&&... modules) : Module("Sequential") {
    (push_back(AnyModule(std::forward<Ms>(modules))), ...);
  }
  explicit SequentialImpl(std::initializer_list<NamedAnyModule> named_modules);

  /// Appends a module named by its position ("0", "1", ...).
  void push_back(AnyModule module);
  void push_back(std::string name, AnyModule module);
  /// Calls each module's forward on the previous one's result.
  Tensor forward(const Tensor& x);

  size_t size() const { return modules_.size(); }
  bool is_empty() const { return modules_.empty(); }
  const AnyModule& operator[](size_t i) const { return modules_.at(i); }
  std::shared_ptr<Module> ptr(size_t i) const { return modules_.at(i).ptr(); }
  std::vector<AnyModule>::const_iterator begin() const { return modules_.begin(); }
  std::vector<AnyModule>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<AnyModule> modules_;
};

class Sequential : public ModuleHolder<SequentialImpl> {
 public:
  using ModuleHolder<SequentialImpl>::ModuleHolder;
  Sequential(std::initializer_list<NamedAnyModule> named_modules)
      : ModuleHolder(std::make_shared<SequentialImpl>(named_modules)) {}
};

class ModuleListImpl : public Module {
 public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename... Ms>
  requires(sizeof...(Ms) > 0) explicit ModuleListImpl(Ms&&... modules) : Module("ModuleList") {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  /// Appends a module named by its position ("0", "1", ...).
  template <typename M>
  void push_back(const ModuleHolder<M>& holder) {
    push_back(std::static_pointer_cast<Module>(holder.ptr()));
  }
  void push_back(std::shared_ptr<Module> module);

  size_t size() const { return modules_.size(); }
  bool is_empty() const { return modules_.empty(); }
  const std::shared_ptr<Module>& operator[](size_t i) const { return modules_.at(i); }
  const std::shared_ptr<Module>& ptr(size_t i) const { return modules_.at(i); }
  /// The i-th module as its own type; throws Error when it is another type.
  template <typename M>
  M& at(size_t i) const {
    auto* m = dynamic_cast<M*>(modules_.at(i).get());
    if (m == nullptr)
      throw Error("[ModuleList] module " + std::to_string(i) + " is not of the type asked for");
    return *m;
  }
  std::vector<std::shared_ptr<Module>>::const_iterator begin() const { return modules_.begin(); }
  std::vector<std::shared_ptr<Module>>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
KILN_MODULE(ModuleList);

}  // namespace kiln::nn
