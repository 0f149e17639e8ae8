// Random tensors from the counter-based generator: each call takes the next offset of the
// current seed, and element i of the result depends only on (seed, offset, i).
#include <cmath>
#include <mutex>

#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

namespace {
struct Generator {
  std::mutex mu;
  uint64_t seed = 67280421310721ull;  // PyTorch's default seed
  uint64_t offset = 0;
};
Generator& generator() {
  static Generator g;
  return g;
}
/// Reserves the next stream of the generator: (seed, offset).
std::pair<uint64_t, uint64_t> next_stream() {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mu);
  return {g.seed, g.offset++};
}

Tensor random_tensor(const char* op, ir::RandomDist dist, const Shape& shape,
                     const TensorOptions& options) {
  DType dtype = options.dtype_or(kFloat32);
  detail::check_floating(op, dtype);
  for (int64_t d : shape) {
    if (d < 0)
      throw ShapeError(std::string("[") + op + "] negative dimension in shape " + shape_str(shape));
  }
  Device dev = detail::resolve_device(op, options);
  auto [seed, offset] = next_stream();
  Tensor t = Tensor::from_node(ir::random(dist, seed, offset, dtype, shape, dev));
  if (options.requires_grad_value()) t.requires_grad_();
  return t;
}
}  // namespace

void manual_seed(uint64_t seed) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mu);
  g.seed = seed;
  g.offset = 0;
}

Tensor rand(const std::vector<int64_t>& shape, const TensorOptions& options) {
  return random_tensor("rand", ir::RandomDist::Uniform, shape, options);
}

Tensor randn(const std::vector<int64_t>& shape, const TensorOptions& options) {
  return random_tensor("randn", ir::RandomDist::Normal, shape, options);
}

Tensor randint(int64_t low, int64_t high, const std::vector<int64_t>& shape,
               const TensorOptions& options) {
  if (high <= low) {
    throw Error("[randint] random_ expects 'from' to be less than 'to', but got from=" +
                std::to_string(low) + " >= to=" + std::to_string(high));
  }
  DType dtype = options.dtype_or(kInt64);
  Tensor u = random_tensor("randint", ir::RandomDist::Uniform, shape, options.dtype(kFloat64));
  Tensor v = floor(u * static_cast<double>(high - low)) + static_cast<double>(low);
  return v.to(dtype);
}

Tensor randint(int64_t high, const std::vector<int64_t>& shape, const TensorOptions& options) {
  return randint(0, high, shape, options);
}

Tensor randperm(int64_t n, const TensorOptions& options) {
  if (n < 0) throw Error("[randperm] n must be non-negative, got " + std::to_string(n));
  // Sorting n uniform keys gives a uniformly random permutation.
  Tensor keys =
      rand({n}, TensorOptions(kFloat64).device(options.device_opt().value_or(Device(kCPU))));
  return std::get<1>(sort(keys, 0)).to(options.dtype_or(kInt64));
}

}  // namespace kiln
