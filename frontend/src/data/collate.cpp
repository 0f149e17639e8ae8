// Batch assembly by memcpy into one host buffer per field (see collate.h).
#include "data/collate.h"

#include <cstring>
#include <string>

#include "host_data.h"
#include "kiln/compiler/shape.h"
#include "kiln/frontend/data/transforms.h"
#include "kiln/runtime/error.h"

namespace kiln::data::detail {

namespace {
/// One field (data or target) of a batch being filled.
class Field {
 public:
  Field(const char* name, bool pinned) : name_(name), pinned_(pinned) {}

  void add(const Tensor& t, size_t row, size_t rows, size_t index, size_t first_index) {
    kiln::detail::HostBytes bytes = kiln::detail::host_bytes(t);
    if (row == 0) {
      dtype_ = t.dtype();
      shape_ = t.sizes();
      buffer_ = std::make_shared<runtime::Buffer>(dtype_, static_cast<int64_t>(rows) * t.numel(),
                                                  Device(kCPU), pinned_);
    } else if (t.dtype() != dtype_ || t.sizes() != shape_) {
      throw ShapeError(std::string("[DataLoader] example ") + std::to_string(index) + " has " +
                       name_ + " " + torch_name(t.dtype()) + " " + shape_str(t.sizes()) +
                       " but example " + std::to_string(first_index) + " in the same batch has " +
                       torch_name(dtype_) + " " + shape_str(shape_));
    }
    if (bytes.nbytes > 0) {
      std::memcpy(static_cast<std::byte*>(buffer_->data()) + row * bytes.nbytes, bytes.data,
                  bytes.nbytes);
    }
  }

  runtime::BufferPtr buffer() const { return buffer_; }
  Shape batch_shape(size_t rows) const {
    Shape s{static_cast<int64_t>(rows)};
    s.insert(s.end(), shape_.begin(), shape_.end());
    return s;
  }

 private:
  const char* name_;
  bool pinned_;
  DType dtype_ = kFloat32;
  Shape shape_;
  runtime::BufferPtr buffer_;
};
}  // namespace

HostBatch collate(const Dataset& dataset, std::span<const size_t> indices, uint64_t seed,
                  uint64_t epoch, bool pinned, const std::atomic<bool>& stop) {
  SampleScope scope(seed, epoch);
  Field data("data", pinned), target("target", pinned);
  for (size_t row = 0; row < indices.size(); ++row) {
    if (stop.load(std::memory_order_relaxed)) return {};
    Example ex = dataset.get(indices[row]);
    data.add(ex.data, row, indices.size(), indices[row], indices[0]);
    target.add(ex.target, row, indices.size(), indices[row], indices[0]);
  }
  return {data.buffer(), target.buffer(), data.batch_shape(indices.size()),
          target.batch_shape(indices.size())};
}

}  // namespace kiln::data::detail
