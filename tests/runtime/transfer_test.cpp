// Copies between buffers (transfer.cpp): copy_range_to moves only the elements asked for, on the
// host and ([cuda]) from a device to the host, and refuses a range outside its source.
#include <cstring>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/runtime/buffer.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace rt = kiln::runtime;

namespace {

const kiln::Device kCpu(kiln::DeviceType::CPU);

rt::BufferPtr iota(int64_t n) {
  auto b = std::make_shared<rt::Buffer>(kiln::DType::Int32, n, kCpu);
  for (int64_t i = 0; i < n; ++i) b->set_int(i, i);
  return b;
}

std::vector<int32_t> values(const rt::Buffer& b) {
  std::vector<int32_t> v(static_cast<size_t>(b.numel()));
  if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * sizeof(int32_t));
  return v;
}

}  // namespace

TEST_CASE("transfer: copy_range_to copies only the range", "[transfer]") {
  rt::BufferPtr src = iota(10);
  rt::BufferPtr part = rt::copy_range_to(*src, 3, 4, kCpu);
  CHECK(part->numel() == 4);
  CHECK(part->dtype() == kiln::DType::Int32);
  CHECK(values(*part) == std::vector<int32_t>{3, 4, 5, 6});
  CHECK(rt::copy_range_to(*src, 10, 0, kCpu)->numel() == 0);
  CHECK(values(*rt::copy_to(*src, kCpu)) == values(*src));
  CHECK_THROWS_WITH(rt::copy_range_to(*src, 8, 3, kCpu),
                    "copy_range_to: elements [8, 11) are outside a buffer of 10");
  CHECK_THROWS_AS(rt::copy_range_to(*src, -1, 1, kCpu), kiln::InternalError);
}

TEST_CASE("transfer: copy_range_to from a device brings only the range", "[cuda][transfer]") {
  if (!rt::cuda::available()) {
    WARN("no CUDA device on this machine: [cuda] test skipped");
    return;
  }
  const kiln::Device gpu(kiln::DeviceType::CUDA, 0);
  rt::BufferPtr on_gpu = rt::copy_to(*iota(1000), gpu);
  rt::BufferPtr part = rt::copy_range_to(*on_gpu, 990, 10, kCpu);
  CHECK(part->numel() == 10);
  CHECK(values(*part) == std::vector<int32_t>{990, 991, 992, 993, 994, 995, 996, 997, 998, 999});
  rt::BufferPtr moved = rt::copy_range_to(*on_gpu, 500, 2, gpu);
  CHECK(values(*rt::copy_to(*moved, kCpu)) == std::vector<int32_t>{500, 501});
}
