// Module holders, as libtorch's: `nn::Linear` is a shared pointer to an `nn::LinearImpl` with
// value syntax. `nn::Linear lin(3, 2)` constructs the module, `lin->weight` reaches it,
// `lin(x)` calls its forward, and `nn::Linear fc{nullptr}` is an empty holder to assign later.
// KILN_MODULE(Name) declares the holder `Name` of a module class `NameImpl`.
#pragma once

#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "kiln/runtime/error.h"

namespace kiln::nn {

class Module;

namespace detail {
struct HolderBase {};

/// The module type a holder holds (LinearImpl for Linear), or T itself.
template <typename T>
struct ImplOf {
  using type = T;
};
template <typename T>
requires std::is_base_of_v<HolderBase, T>
struct ImplOf<T> {
  using type = typename T::ContainedType;
};
template <typename T>
using ImplOfT = typename ImplOf<T>::type;
}  // namespace detail

template <typename Impl>
class ModuleHolder : public detail::HolderBase {
 public:
  using ContainedType = Impl;

  /// Default-constructs the module (when Impl has a default constructor), as libtorch does.
  ModuleHolder() requires std::is_default_constructible_v<Impl> : impl_(std::make_shared<Impl>()) {}
  /// An empty holder (`nn::Linear fc{nullptr}`), to be assigned later.
  ModuleHolder(std::nullptr_t) {}  // NOLINT: implicit like libtorch
  ModuleHolder(std::shared_ptr<Impl> module) : impl_(std::move(module)) {}  // NOLINT
  /// Constructs the module from its constructor's arguments: `nn::Linear lin(3, 2)`.
  template <typename Head, typename... Tail>
  requires(!std::is_base_of_v<ModuleHolder, std::decay_t<Head>> &&
           !std::is_same_v<std::decay_t<Head>, std::nullptr_t> &&
           !std::is_same_v<std::decay_t<Head>, std::shared_ptr<Impl>> &&
           std::is_constructible_v<Impl, Head, Tail...>) explicit ModuleHolder(Head&& head,
                                                                               Tail&&... tail)
      : impl_(std::make_shared<Impl>(std::forward<Head>(head), std::forward<Tail>(tail)...)) {}

  Impl* operator->() { return get(); }
  const Impl* operator->() const { return get(); }
  Impl& operator*() { return *get(); }
  const Impl& operator*() const { return *get(); }
  Impl* get() {
    check();
    return impl_.get();
  }
  const Impl* get() const {
    check();
    return impl_.get();
  }
  const std::shared_ptr<Impl>& ptr() const {
    check();
    return impl_;
  }
  bool is_empty() const { return impl_ == nullptr; }
  explicit operator bool() const { return !is_empty(); }

  /// Indexes the module (Sequential, ModuleList): `seq[0]`.
  template <typename Arg>
  decltype(auto) operator[](Arg&& arg) {
    return (*get())[std::forward<Arg>(arg)];
  }

  /// Calls the module's forward.
  template <typename... Args>
  decltype(auto) operator()(Args&&... args) {
    return get()->forward(std::forward<Args>(args)...);
  }

 private:
  void check() const {
    if (impl_ == nullptr) {
      throw Error(
          "[ModuleHolder] accessing an empty module holder (constructed with nullptr); "
          "assign a module to it first");
    }
  }

  std::shared_ptr<Impl> impl_;
};

}  // namespace kiln::nn

/// Declares `Name`, the module holder of `NameImpl`, as libtorch's TORCH_MODULE does.
#define KILN_MODULE(Name)                                     \
  class Name : public ::kiln::nn::ModuleHolder<Name##Impl> {  \
   public:                                                    \
    using ::kiln::nn::ModuleHolder<Name##Impl>::ModuleHolder; \
  }
