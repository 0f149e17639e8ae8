// kiln's CUDA simulator (runtime/src/cuda/sim): warp shuffles and block barriers give CUDA's
// results, barriers that can never complete fail the launch with a message instead of hanging,
// and the simulated cuBLASLt follows cuBLASLt's layouts. These cases run only on the simulator
// (ctest's "[cudasim]" entries set KILN_CUDA_SIM=1); elsewhere they say so and pass.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "kiln/runtime/cuda/blas.h"
#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace cu = kiln::runtime::cuda;

namespace {

bool on_simulator() {
  if (cu::simulated() && cu::available()) return true;
  WARN("not running on kiln's CUDA simulator (KILN_CUDA_SIM=1): [cudasim] test skipped");
  return false;
}

/// Device memory holding `values`.
template <class T>
void* upload(const std::vector<T>& values) {
  void* p = cu::raw_malloc(values.size() * sizeof(T), 0);
  cu::copy_to_device(p, values.data(), values.size() * sizeof(T), 0);
  return p;
}

template <class T>
std::vector<T> download(const void* p, size_t n) {
  std::vector<T> out(n);
  cu::copy_to_host(out.data(), p, n * sizeof(T), 0);
  return out;
}

/// Runs kernel `name` of `source` over grid x block threads with two pointer arguments.
void run(const std::string& source, const std::string& name, int64_t grid, int block, void* p0,
         void* p1) {
  cu::Module m(cu::simulator_image(source, name), 0);
  void* args[] = {&p0, &p1};
  cu::launch(m.function(name), grid, block, 0, args, 0);
  cu::synchronize(0);
}

// A block sum: a shuffle reduction in each warp, then one value per warp through shared memory.
constexpr const char* kBlockSum = R"(
extern "C" __global__ void __launch_bounds__(128) block_sum(const float* __restrict__ p0, float* __restrict__ p1) {
  __shared__ float partial[4];
  float v = p0[blockIdx.x * 128 + threadIdx.x];
  for (int m = 16; m > 0; m >>= 1) v += __shfl_xor_sync(0xffffffffu, v, m);
  if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = v;
  __syncthreads();
  if (threadIdx.x == 0) p1[blockIdx.x] = partial[0] + partial[1] + partial[2] + partial[3];
}
)";

}  // namespace

TEST_CASE("cuda simulator: shuffles and barriers reduce a block", "[cuda][cudasim]") {
  if (!on_simulator()) return;
  std::vector<float> x(3 * 128);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) - 2.0f;
  void* in = upload(x);
  void* out = cu::raw_malloc(3 * sizeof(float), 0);
  run(kBlockSum, "block_sum", 3, 128, in, out);
  std::vector<float> got = download<float>(out, 3);
  for (size_t b = 0; b < 3; ++b) {
    float want = 0;
    for (size_t t = 0; t < 128; ++t) want += x[b * 128 + t];
    CHECK(got[b] == want);
  }
  cu::raw_free(in, 0);
  cu::raw_free(out, 0);
}

TEST_CASE("cuda simulator: barriers that can never complete fail the launch", "[cuda][cudasim]") {
  if (!on_simulator()) return;
  void* buf = cu::raw_malloc(1024, 0);
  // Half of each warp waits at __syncthreads while the other half waits at a shuffle.
  const std::string divergent = R"(
extern "C" __global__ void __launch_bounds__(64) divergent(float* __restrict__ p0, float* __restrict__ p1) {
  float v = p0[threadIdx.x];
  if ((threadIdx.x & 31) < 16) __syncthreads();
  else v = __shfl_xor_sync(0xffffffffu, v, 1);
  p1[threadIdx.x] = v;
}
)";
  CHECK_THROWS_WITH(run(divergent, "divergent", 1, 64, buf, buf),
                    Catch::Contains("can never complete") && Catch::Contains("divergent"));
  // A full-mask shuffle in a block of 48 threads: the second warp has 16 lanes.
  const std::string partial = R"(
extern "C" __global__ void __launch_bounds__(48) partial_warp(float* __restrict__ p0, float* __restrict__ p1) {
  p1[threadIdx.x] = __shfl_xor_sync(0xffffffffu, p0[threadIdx.x], 1);
}
)";
  CHECK_THROWS_WITH(run(partial, "partial_warp", 1, 48, buf, buf),
                    Catch::Contains("needs all 32 lanes"));
  // The device stays usable.
  std::vector<float> x(128, 1.0f);
  void* in = upload(x);
  run(kBlockSum, "block_sum", 1, 128, in, buf);
  CHECK(download<float>(buf, 1)[0] == 128.0f);
  cu::raw_free(in, 0);
  cu::raw_free(buf, 0);
}

TEST_CASE("cuda simulator: a kernel that does not compile throws CompileError", "[cuda][cudasim]") {
  if (!on_simulator()) return;
  CHECK_THROWS_AS(
      cu::simulator_image(
          "extern \"C\" __global__ void __launch_bounds__(32) bad(float* p0) { undeclared(); }\n",
          "bad"),
      kiln::CompileError);
}

TEST_CASE("cuda simulator: cuBLASLt layouts of transposed and batched products",
          "[cuda][cudasim]") {
  if (!on_simulator()) return;
  // C[b] = A[b] B[b] with A [2, 3, 4] row-major and B [2, 4, 5] stored transposed ([2, 5, 4]).
  const int64_t batch = 2, m = 3, k = 4, n = 5;
  std::vector<float> a(static_cast<size_t>(batch * m * k)), bt(static_cast<size_t>(batch * n * k));
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(i % 5) - 1.5f;
  for (size_t i = 0; i < bt.size(); ++i) bt[i] = static_cast<float>(i % 3) + 0.25f;
  void* da = upload(a);
  void* db = upload(bt);
  void* dc = cu::raw_malloc(static_cast<size_t>(batch * m * n) * sizeof(float), 0);
  cu::GemmArgs g;
  g.batch = batch;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = da;
  g.a_batch_stride = m * k;
  g.a_row_stride = k;
  g.a_col_stride = 1;
  g.b = db;  // B[b][p][j] = bt[b][j][p]
  g.b_batch_stride = n * k;
  g.b_row_stride = 1;
  g.b_col_stride = k;
  g.c = dc;
  REQUIRE(cu::blas_supports(g));
  cu::blas_gemm(g, 0);
  std::vector<float> c = download<float>(dc, static_cast<size_t>(batch * m * n));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double want = 0;
        for (int64_t p = 0; p < k; ++p)
          want += a[static_cast<size_t>(b * m * k + i * k + p)] *
                  bt[static_cast<size_t>(b * n * k + j * k + p)];
        CHECK(c[static_cast<size_t>(b * m * n + i * n + j)] == Approx(want).epsilon(1e-6));
      }
    }
  }
  for (void* p : {da, db, dc}) cu::raw_free(p, 0);
}
