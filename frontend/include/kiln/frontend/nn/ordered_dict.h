// OrderedDict: named values in insertion order, as modules name their parameters, buffers and
// children. It iterates as std::pair<std::string, T>, so structured bindings work:
// `for (auto& [name, p] : model->named_parameters())`. StateDict (name -> Tensor) is the one
// kiln::save writes and kiln::load returns.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kiln/frontend/tensor.h"
#include "kiln/runtime/error.h"

namespace kiln {

template <typename T>
class OrderedDict {
 public:
  using Item = std::pair<std::string, T>;
  using iterator = typename std::vector<Item>::iterator;
  using const_iterator = typename std::vector<Item>::const_iterator;

  OrderedDict() = default;
  OrderedDict(std::initializer_list<Item> items) {
    for (const auto& item : items) insert(item.first, item.second);
  }

  /// Appends key -> value; throws Error if the key is present already.
  T& insert(std::string key, T value) {
    if (contains(key)) throw Error("[OrderedDict] key '" + key + "' already defined");
    index_.emplace(key, items_.size());
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().second;
  }
  /// Sets key -> value, appending the key when it is new.
  T& insert_or_assign(const std::string& key, T value) {
    if (T* found = find(key)) return *found = std::move(value);
    return insert(key, std::move(value));
  }

  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  /// The value of key; throws Error naming it when absent.
  T& at(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) throw Error("[OrderedDict] key '" + key + "' not found");
    return items_[it->second].second;
  }
  const T& at(const std::string& key) const { return const_cast<OrderedDict*>(this)->at(key); }
  T& operator[](const std::string& key) { return at(key); }
  const T& operator[](const std::string& key) const { return at(key); }
  /// The value of key, or null when absent.
  T* find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  const T* find(const std::string& key) const { return const_cast<OrderedDict*>(this)->find(key); }

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.first);
    return out;
  }
  std::vector<T> values() const {
    std::vector<T> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.second);
    return out;
  }
  const std::vector<Item>& items() const { return items_; }

 private:
  std::vector<Item> items_;
  std::unordered_map<std::string, size_t> index_;
};

/// Tensors by name, in registration order (what Module::state_dict returns and kiln::save takes).
using StateDict = OrderedDict<Tensor>;

}  // namespace kiln
