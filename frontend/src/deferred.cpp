// The list of deferred realizations (see deferred.h): weak references, so a module destroyed
// before the next program does not keep its buffers alive.
#include "deferred.h"

#include <memory>
#include <mutex>

#include "tensor_impl.h"

namespace kiln::detail {

namespace {

std::mutex& mu() {
  static std::mutex m;
  return m;
}

std::vector<std::weak_ptr<TensorImpl>>& deferred() {
  static std::vector<std::weak_ptr<TensorImpl>> list;
  return list;
}

}  // namespace

void defer_realize(const Tensor& t) {
  std::lock_guard<std::mutex> lock(mu());
  deferred().push_back(t.impl());
}

std::vector<Tensor> take_deferred(Device device) {
  std::lock_guard<std::mutex> lock(mu());
  std::vector<Tensor> out;
  auto& list = deferred();
  size_t kept = 0;
  for (auto& weak : list) {
    auto impl = weak.lock();
    if (impl == nullptr) continue;
    Tensor t(impl);
    if (t.device() == device) {
      out.push_back(std::move(t));
    } else {
      list[kept++] = weak;
    }
  }
  list.resize(kept);
  return out;
}

}  // namespace kiln::detail
