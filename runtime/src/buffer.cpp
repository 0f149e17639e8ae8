#include "kiln/runtime/buffer.h"

#include <atomic>
#include <cstring>
#include <new>

#include "kiln/runtime/cuda/allocator.h"
#include "kiln/runtime/cuda/copy_stream.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/host_allocator.h"

namespace kiln::runtime {

namespace {
std::atomic<uint64_t> next_buffer_id{1};
}

Buffer::Buffer(DType dtype, int64_t numel, Device device, bool pinned)
    : dtype_(dtype), numel_(numel), device_(device), id_(next_buffer_id++), pinned_(pinned) {
  if (numel < 0) throw InternalError("Buffer: negative element count");
  size_t bytes = static_cast<size_t>(nbytes());
  if (device.is_cuda()) {
    pinned_ = false;
    data_ = cuda::DeviceAllocator::instance(device.index()).allocate(bytes);
    return;
  }
  data_ = pinned ? cuda::pinned_malloc(bytes) : HostAllocator::instance().allocate(bytes);
  if (data_ == nullptr) {
    throw OutOfMemoryError("[Buffer] out of host memory allocating " + std::to_string(bytes) +
                           " bytes");
  }
}

Buffer::Buffer(DType dtype, int64_t numel, Device device, CopyStreamTag)
    : dtype_(dtype),
      numel_(numel),
      device_(device),
      id_(next_buffer_id++),
      pinned_(false),
      copy_block_(true) {
  if (numel < 0 || !device.is_cuda()) throw InternalError("Buffer: bad copy-stream buffer");
  data_ = cuda::DeviceAllocator::instance(device.index())
              .allocate(static_cast<size_t>(nbytes()), cuda::Stream::Copy);
}

BufferPtr Buffer::for_copy_stream(DType dtype, int64_t numel, Device device) {
  return BufferPtr(new Buffer(dtype, numel, device, CopyStreamTag{}));
}

void Buffer::set_ready(std::shared_ptr<cuda::Event> event) {
  std::lock_guard<std::mutex> lock(ready_mu_);
  ready_ = std::move(event);
  pending_ = ready_ != nullptr;
}

void Buffer::await_copy() const {
  if (!pending_.load()) return;
  std::lock_guard<std::mutex> lock(ready_mu_);
  if (ready_ == nullptr) return;
  ready_->make_compute_wait();
  ready_.reset();
  pending_ = false;
}

Buffer::~Buffer() {
  size_t bytes = static_cast<size_t>(nbytes());
  if (device_.is_cuda()) {
    try {
      await_copy();  // the block's last use is then ordered on the compute stream
    } catch (...) {  // a failing driver (at exit): nothing more can be ordered
    }
    cuda::DeviceAllocator::instance(device_.index())
        .deallocate(data_, bytes, copy_block_ ? cuda::Stream::Copy : cuda::Stream::Compute);
  } else if (pinned_) {
    cuda::pinned_free(data_);
  } else {
    HostAllocator::instance().deallocate(data_, bytes);
  }
}

double read_element(const void* data, DType t, int64_t i) {
  const char* p = static_cast<const char*>(data) + i * itemsize(t);
  switch (t) {
    case DType::Bool: return *reinterpret_cast<const uint8_t*>(p) != 0 ? 1.0 : 0.0;
    case DType::UInt8: return *reinterpret_cast<const uint8_t*>(p);
    case DType::Int32: return *reinterpret_cast<const int32_t*>(p);
    case DType::Int64: return static_cast<double>(*reinterpret_cast<const int64_t*>(p));
    case DType::Float16: return half_bits_to_float(*reinterpret_cast<const uint16_t*>(p));
    case DType::BFloat16: return bfloat16_bits_to_float(*reinterpret_cast<const uint16_t*>(p));
    case DType::Float32: return *reinterpret_cast<const float*>(p);
    case DType::Float64: return *reinterpret_cast<const double*>(p);
  }
  return 0.0;
}

void write_element(void* data, DType t, int64_t i, double v) {
  char* p = static_cast<char*>(data) + i * itemsize(t);
  switch (t) {
    case DType::Bool: *reinterpret_cast<uint8_t*>(p) = v != 0.0 ? 1 : 0; break;
    case DType::UInt8:
      *reinterpret_cast<uint8_t*>(p) = static_cast<uint8_t>(static_cast<int64_t>(v));
      break;
    case DType::Int32:
      *reinterpret_cast<int32_t*>(p) = static_cast<int32_t>(static_cast<int64_t>(v));
      break;
    case DType::Int64: *reinterpret_cast<int64_t*>(p) = static_cast<int64_t>(v); break;
    case DType::Float16:
      *reinterpret_cast<uint16_t*>(p) = float_to_half_bits(static_cast<float>(v));
      break;
    case DType::BFloat16:
      *reinterpret_cast<uint16_t*>(p) = float_to_bfloat16_bits(static_cast<float>(v));
      break;
    case DType::Float32: *reinterpret_cast<float*>(p) = static_cast<float>(v); break;
    case DType::Float64: *reinterpret_cast<double*>(p) = v; break;
  }
}

int64_t read_int_element(const void* data, DType t, int64_t i) {
  const char* p = static_cast<const char*>(data) + i * itemsize(t);
  switch (t) {
    case DType::Int64: return *reinterpret_cast<const int64_t*>(p);
    case DType::Int32: return *reinterpret_cast<const int32_t*>(p);
    case DType::UInt8:
    case DType::Bool: return *reinterpret_cast<const uint8_t*>(p);
    default: return static_cast<int64_t>(read_element(data, t, i));
  }
}

void write_int_element(void* data, DType t, int64_t i, int64_t v) {
  char* p = static_cast<char*>(data) + i * itemsize(t);
  switch (t) {
    case DType::Int64: *reinterpret_cast<int64_t*>(p) = v; break;
    case DType::Int32: *reinterpret_cast<int32_t*>(p) = static_cast<int32_t>(v); break;
    case DType::UInt8: *reinterpret_cast<uint8_t*>(p) = static_cast<uint8_t>(v); break;
    case DType::Bool: *reinterpret_cast<uint8_t*>(p) = v != 0 ? 1 : 0; break;
    default: write_element(data, t, i, static_cast<double>(v)); break;
  }
}

}  // namespace kiln::runtime
