// The list of deferred realizations (see deferred.h): weak references, so a module destroyed
// before the next program does not keep its buffers alive; each taken only by a program of the
// thread that deferred it (a data loader's worker realizing a batch must not run, or race with,
// the training loop's pending writes).
#include "deferred.h"

#include <memory>
#include <mutex>
#include <thread>

#include "tensor_impl.h"

namespace kiln::detail {

namespace {

struct Deferred {
  std::weak_ptr<TensorImpl> tensor;
  std::thread::id thread;
};

std::mutex& mu() {
  static std::mutex m;
  return m;
}

std::vector<Deferred>& deferred() {
  static std::vector<Deferred> list;
  return list;
}

}  // namespace

void defer_realize(const Tensor& t) {
  std::lock_guard<std::mutex> lock(mu());
  deferred().push_back({t.impl(), std::this_thread::get_id()});
}

std::vector<Tensor> take_deferred(Device device) {
  std::lock_guard<std::mutex> lock(mu());
  std::vector<Tensor> out;
  auto& list = deferred();
  const std::thread::id self = std::this_thread::get_id();
  size_t kept = 0;
  for (auto& d : list) {
    auto impl = d.tensor.lock();
    if (impl == nullptr) continue;
    Tensor t(impl);
    if (t.device() == device && d.thread == self) {
      out.push_back(std::move(t));
    } else {
      list[kept++] = std::move(d);
    }
  }
  list.resize(kept);
  return out;
}

}  // namespace kiln::detail
