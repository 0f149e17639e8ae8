// The copy stream ([cuda]): host-to-device copies queued beside the compute stream, buffers that
// make the compute stream wait for them, and the allocator's copy pool, whose blocks are reused
// only once the compute stream is done with them. Without a GPU each case says so and passes.
#include "kiln/runtime/cuda/copy_stream.h"

#include <cstring>
#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/runtime/buffer.h"
#include "kiln/runtime/cuda/allocator.h"
#include "kiln/runtime/cuda/driver.h"

namespace rt = kiln::runtime;
namespace cuda = kiln::runtime::cuda;

namespace {

bool have_gpu() {
  if (cuda::available()) return true;
  WARN("no CUDA device on this machine: [cuda] test skipped");
  return false;
}

const kiln::Device kGpu(kiln::DeviceType::CUDA, 0);
const kiln::Device kCpu(kiln::DeviceType::CPU);

rt::BufferPtr pinned_iota(int64_t n, float start) {
  auto b = std::make_shared<rt::Buffer>(kiln::DType::Float32, n, kCpu, /*pinned=*/true);
  for (int64_t i = 0; i < n; ++i) b->set(i, start + static_cast<double>(i));
  return b;
}

std::vector<float> host_values(const rt::Buffer& b) {
  rt::BufferPtr h = rt::copy_to(b, kCpu);
  std::vector<float> v(static_cast<size_t>(h->numel()));
  std::memcpy(v.data(), h->data(), v.size() * sizeof(float));
  return v;
}

}  // namespace

TEST_CASE("copy stream: one per device, apart from the compute stream", "[cuda]") {
  if (!have_gpu()) return;
  void* copy = cuda::copy_stream(0);
  CHECK(copy != nullptr);
  CHECK(copy != cuda::stream(0));
  CHECK(cuda::copy_stream(0) == copy);
}

TEST_CASE("copy stream: copy_to_async fills a buffer that waits for its copy", "[cuda]") {
  if (!have_gpu()) return;
  rt::BufferPtr src = pinned_iota(1 << 20, 1.0f);
  std::shared_ptr<cuda::Event> done;
  rt::BufferPtr dst = rt::copy_to_async(*src, kGpu, &done);
  REQUIRE(done != nullptr);
  CHECK(host_values(*dst) == host_values(*src));  // copy_into awaits the copy first
  done->synchronize();
  CHECK(done->done());
  // Pageable memory takes copy_to's path: done at return, no event.
  rt::Buffer pageable(kiln::DType::Float32, 4, kCpu);
  for (int64_t i = 0; i < 4; ++i) pageable.set(i, 7.0);
  rt::BufferPtr plain = rt::copy_to_async(pageable, kGpu, &done);
  CHECK(done == nullptr);
  CHECK(host_values(*plain) == std::vector<float>(4, 7.0f));
}

TEST_CASE("copy stream: a freed copy block is reused only after the compute stream", "[cuda]") {
  if (!have_gpu()) return;
  cuda::DeviceAllocator& a = cuda::DeviceAllocator::instance(0);
  constexpr size_t kBytes = size_t{7} << 20;  // an 8 MiB class, which no other test uses
  void* p = a.allocate(kBytes, cuda::Stream::Copy);
  // Keep the compute stream busy, then free: the block is fenced behind that work.
  void* busy = a.allocate(size_t{256} << 20);
  cuda::memset_zero(busy, size_t{256} << 20, 0);
  a.deallocate(p, kBytes, cuda::Stream::Copy);
  void* q = a.allocate(kBytes, cuda::Stream::Compute);
  CHECK(q != p);  // compute blocks never come from the copy pool
  cuda::synchronize(0);
  int64_t hits = a.stats().cache_hits;
  void* r = a.allocate(kBytes, cuda::Stream::Copy);
  CHECK(r == p);  // fence done: reused
  CHECK(a.stats().cache_hits == hits + 1);
  a.deallocate(r, kBytes, cuda::Stream::Copy);
  a.deallocate(q, kBytes);
  a.deallocate(busy, size_t{256} << 20);
}

TEST_CASE("copy stream: recycled blocks carry the right data through many copies", "[cuda]") {
  if (!have_gpu()) return;
  // Each round's buffer is freed (fenced on the compute stream) while the next copies run;
  // every value read back must be its own round's.
  std::vector<rt::BufferPtr> sources;
  for (int round = 0; round < 16; ++round) sources.push_back(pinned_iota(1 << 18, 1000.0f * round));
  for (int round = 0; round < 16; ++round) {
    std::shared_ptr<cuda::Event> done;
    rt::BufferPtr dst = rt::copy_to_async(*sources[static_cast<size_t>(round)], kGpu, &done);
    rt::BufferPtr copy = rt::copy_to(*dst, kGpu);  // compute-stream work on it
    dst.reset();
    CHECK(host_values(*copy) == host_values(*sources[static_cast<size_t>(round)]));
  }
}
