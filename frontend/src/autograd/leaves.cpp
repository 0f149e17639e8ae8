#include "autograd/leaves.h"

#include <mutex>

#include "kiln/frontend/autograd.h"
#include "kiln/runtime/error.h"

namespace kiln::detail {

namespace {
struct Registry {
  std::mutex mu;
  uint64_t next_id = 1;
  std::unordered_map<uint64_t, std::weak_ptr<TensorImpl>> leaves;
  std::vector<std::weak_ptr<TensorImpl>> retained;
};
Registry& registry() {
  static auto* r = new Registry();  // never destroyed: tensors may die after main()
  return *r;
}

}  // namespace

uint64_t register_leaf(const std::shared_ptr<TensorImpl>& leaf) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto it = r.leaves.begin(); it != r.leaves.end();) {
    it = it->second.expired() ? r.leaves.erase(it) : std::next(it);
  }
  uint64_t id = r.next_id++;
  r.leaves.emplace(id, leaf);
  return id;
}

std::shared_ptr<TensorImpl> find_leaf(uint64_t id) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.leaves.find(id);
  if (it == r.leaves.end()) return nullptr;
  auto leaf = it->second.lock();
  return leaf && leaf->requires_grad && leaf->leaf_id == id ? leaf : nullptr;
}

void register_retained(const std::shared_ptr<TensorImpl>& t) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::erase_if(r.retained, [](const auto& w) { return w.expired(); });
  r.retained.push_back(t);
}

std::vector<std::shared_ptr<TensorImpl>> retained_tensors() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::shared_ptr<TensorImpl>> out;
  for (const auto& w : r.retained) {
    if (auto t = w.lock()) out.push_back(std::move(t));
  }
  return out;
}

void check_inplace(const char* op, const Tensor& t) {
  if (!GradMode::is_enabled() || !t.defined()) return;
  uint64_t base = t.impl()->no_grad_view_of;
  if (base != 0 && find_leaf(base)) {
    throw Error(std::string("[") + op + "] a view of a leaf Variable that requires grad, made " +
                "in no_grad mode, is being modified in-place with grad mode enabled.");
  }
  if (t.impl()->leaf_id == 0) return;
  if (!find_leaf(t.impl()->leaf_id)) return;
  throw Error(std::string("[") + op + "] " +
              (t.impl()->requires_grad ? "a leaf Variable" : "a view of a leaf Variable") +
              " that requires grad is being used in an in-place operation.");
}

}  // namespace kiln::detail
