// Random tensors from the counter-based generator: each call takes the next offset of the
// current seed, and element i of the result depends only on (seed, offset, i). The offset
// reaches the graph as a run-time input (a 0-d int64 tensor), so a graph that draws random
// numbers is the same graph at every step and compiles once; inside kiln::compile the random
// ops of a trace share one such input and add their position in the trace to it, so that a
// replay draws the streams the trace would have drawn (generator.h).
#include <cmath>
#include <mutex>

#include "generator.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"
#include "trace.h"

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
}  // namespace

namespace detail {

std::pair<uint64_t, uint64_t> reserve_streams(uint64_t count) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mu);
  uint64_t first = g.offset;
  g.offset += count;
  return {g.seed, first};
}

uint64_t current_seed() {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mu);
  return g.seed;
}

Tensor stream_tensor(uint64_t offset, Device device) {
  NoGradGuard no_grad;
  return from_vector(std::vector<int64_t>{static_cast<int64_t>(offset)}, std::vector<int64_t>{},
                     TensorOptions(kInt64).device(device));
}

}  // namespace detail

namespace {

/// The run-time stream input of a random op drawing stream `offset`, and the op's own offset
/// to add to it: a new input of its own outside kiln::compile, else the trace's shared one.
std::pair<Tensor, uint64_t> stream_input(uint64_t seed, uint64_t offset, Device dev) {
  detail::Trace* trace = detail::current_trace();
  if (trace == nullptr) return {detail::stream_tensor(offset, dev), 0};
  detail::Trace::RandomRun* run = nullptr;
  for (auto& r : trace->random) {
    if (r.device == dev && r.seed == seed && r.first + r.count == offset) run = &r;
  }
  if (run == nullptr) {
    trace->random.push_back({dev, seed, offset, 0, detail::stream_tensor(offset, dev)});
    run = &trace->random.back();
  }
  uint64_t within = offset - run->first;
  run->count = within + 1;
  return {run->stream, within};
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
  auto [seed, offset] = detail::reserve_streams(1);
  auto [stream, within] = stream_input(seed, offset, dev);
  Tensor t = Tensor::from_node(ir::random(dist, seed, within, dtype, shape, dev, stream.node()));
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
  if (options.requires_grad_value() && !is_floating(dtype)) {
    throw DTypeError(
        std::string("[randint] only floating point tensors can require gradients, got ") +
        torch_name(dtype));
  }
  // The float draw is an intermediate: only the result becomes a leaf.
  Tensor u = random_tensor("randint", ir::RandomDist::Uniform, shape,
                           options.dtype(kFloat64).requires_grad(false));
  Tensor v = (floor(u * static_cast<double>(high - low)) + static_cast<double>(low)).to(dtype);
  if (options.requires_grad_value()) v.requires_grad_();
  return v;
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
