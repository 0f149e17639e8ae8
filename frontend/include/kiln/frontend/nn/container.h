// Containers, as in libtorch: Sequential chains modules with a Tensor -> Tensor forward, named
// "0", "1", ... or by the names given; ModuleList holds modules for the owner's own forward,
// named by position. Both index as libtorch's do: `c[i]` and `c->ptr(i)` are the
// std::shared_ptr<Module>, `c->ptr<T>(i)` and `c->at<T>(i)` the module as its own type (T an
// Impl type or its holder), throwing Error for another type and IndexError past the end.
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

namespace detail {
/// Throws IndexError "[<container>] index <i> is out of range for <size> modules" unless i < size.
void check_index(const char* container, size_t i, size_t size);
/// Throws Error "[<container>] module <i> (<name>) is not of the type asked for".
[[noreturn]] void wrong_type(const char* container, size_t i, const Module& module);

/// Module i of a container as T (an Impl type or its holder); throws as the two above.
template <typename T>
std::shared_ptr<ImplOfT<T>> module_as(const char* container, size_t i,
                                      const std::shared_ptr<Module>& module) {
  static_assert(std::is_base_of_v<Module, ImplOfT<T>>, "T must be an nn::Module or its holder");
  auto typed = std::dynamic_pointer_cast<ImplOfT<T>>(module);
  if (typed == nullptr) wrong_type(container, i, *module);
  return typed;
}
}  // namespace detail

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
  /// Module i (libtorch's `seq[i]`).
  std::shared_ptr<Module> operator[](size_t i) const { return ptr(i); }
  std::shared_ptr<Module> ptr(size_t i) const;
  /// Module i as T: `seq->ptr<nn::Linear>(0)` is a std::shared_ptr<LinearImpl>.
  template <typename T>
  std::shared_ptr<detail::ImplOfT<T>> ptr(size_t i) const {
    return detail::module_as<T>("Sequential", i, ptr(i));
  }
  /// Module i as T: `seq->at<nn::LinearImpl>(0).weight`.
  template <typename T>
  detail::ImplOfT<T>& at(size_t i) const {
    return *ptr<T>(i);
  }
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
  template <typename M>
  static std::shared_ptr<Module> module_ptr(const std::shared_ptr<M>& module) {
    return module;
  }
  template <typename M>
  static std::shared_ptr<Module> module_ptr(const ModuleHolder<M>& holder) {
    return holder.ptr();
  }
  static std::shared_ptr<Module> module_ptr(const AnyModule& module) { return module.ptr(); }

 public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename... Ms>
  requires(sizeof...(Ms) > 0) explicit ModuleListImpl(Ms&&... modules) : Module("ModuleList") {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  /// Appends a module named by its position ("0", "1", ...).
  template <typename M>
  void push_back(const ModuleHolder<M>& holder) {
    push_back(module_ptr(holder));
  }
  void push_back(std::shared_ptr<Module> module);
  /// Appends every module of `container`: another ModuleList (this one included), a Sequential,
  /// a std::vector of modules or holders.
  template <typename Container>
  requires(!std::is_base_of_v<detail::HolderBase, Container>) void extend(
      const Container& container) {
    std::vector<std::shared_ptr<Module>> modules;  // first, in case container is this list
    for (const auto& m : container) modules.push_back(module_ptr(m));
    for (auto& m : modules) push_back(std::move(m));
  }
  template <typename M>
  void extend(const ModuleHolder<M>& holder) {
    extend(*holder);
  }
  /// Inserts a module before position `index` (0 <= index <= size(), IndexError otherwise); the
  /// modules from there on move up one position and are renamed after it, as in libtorch.
  void insert(size_t index, std::shared_ptr<Module> module);
  template <typename M>
  void insert(size_t index, const ModuleHolder<M>& holder) {
    insert(index, module_ptr(holder));
  }

  size_t size() const { return modules_.size(); }
  bool is_empty() const { return modules_.empty(); }
  /// Module i (libtorch's `list[i]`).
  const std::shared_ptr<Module>& operator[](size_t i) const { return ptr(i); }
  const std::shared_ptr<Module>& ptr(size_t i) const;
  /// Module i as T: `list->ptr<nn::Linear>(0)` is a std::shared_ptr<LinearImpl>.
  template <typename T>
  std::shared_ptr<detail::ImplOfT<T>> ptr(size_t i) const {
    return detail::module_as<T>("ModuleList", i, ptr(i));
  }
  /// Module i as T: `list->at<nn::LinearImpl>(0).weight`.
  template <typename T>
  detail::ImplOfT<T>& at(size_t i) const {
    return *ptr<T>(i);
  }
  std::vector<std::shared_ptr<Module>>::const_iterator begin() const { return modules_.begin(); }
  std::vector<std::shared_ptr<Module>>::const_iterator end() const { return modules_.end(); }

 private:
  std::vector<std::shared_ptr<Module>> modules_;
};
KILN_MODULE(ModuleList);

}  // namespace kiln::nn
