// Creating tensors: host data, constants, identity, ranges.
#include "kiln/frontend/creation.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

DType Scalar::default_dtype() const {
  switch (kind_) {
    case Kind::Bool: return kBool;
    case Kind::Int: return kInt64;
    case Kind::Float: return kFloat32;
  }
  return kFloat32;
}

namespace detail {

void check_list_dim(Shape& shape, size_t depth, int64_t length) {
  if (shape.size() == depth) {
    shape.push_back(length);
  } else if (shape[depth] != length) {
    throw ShapeError("[tensor] nested lists are ragged: expected a sequence of length " +
                     std::to_string(shape[depth]) + " at dim " + std::to_string(depth) + " (got " +
                     std::to_string(length) + ")");
  }
}

namespace {
void check_count(const char* op, int64_t have, const Shape& shape) {
  for (int64_t d : shape) {
    if (d < 0)
      throw ShapeError(std::string("[") + op + "] negative dimension in shape " + shape_str(shape));
  }
  if (have != numel_of(shape)) {
    throw ShapeError(std::string("[") + op + "] " + std::to_string(have) +
                     " values cannot fill shape " + shape_str(shape) + " (" +
                     std::to_string(numel_of(shape)) + " elements)");
  }
}

template <typename V, typename Set>
Tensor from_host(const char* op, const std::vector<V>& values, const Shape& shape, DType source,
                 const TensorOptions& options, Set set) {
  check_count(op, static_cast<int64_t>(values.size()), shape);
  Device dev = resolve_device(op, options);
  DType dtype = options.dtype_or(source);
  auto buf = std::make_shared<runtime::Buffer>(dtype, numel_of(shape), Device(kCPU));
  for (size_t i = 0; i < values.size(); ++i) set(*buf, static_cast<int64_t>(i), values[i]);
  if (!dev.is_cpu()) buf = runtime::copy_to(*buf, dev);
  // The storage is the flat load itself (a view gives the shape), so the tensor counts as
  // realized: reading it or using it as a runtime scalar runs nothing.
  Tensor t = Tensor::from_node(ir::load(buf, {numel_of(shape)}));
  if (shape.size() != 1) t = t.view(shape);
  if (options.requires_grad_value()) t.requires_grad_();
  return t;
}
}  // namespace

Tensor tensor_from_doubles(const std::vector<double>& values, const Shape& shape, DType source,
                           const TensorOptions& options) {
  return from_host("tensor", values, shape, source, options,
                   [](runtime::Buffer& b, int64_t i, double v) { b.set(i, v); });
}

Tensor tensor_from_ints(const std::vector<int64_t>& values, const Shape& shape, DType source,
                        const TensorOptions& options) {
  return from_host("from_vector", values, shape, source, options,
                   [](runtime::Buffer& b, int64_t i, int64_t v) { b.set_int(i, v); });
}

}  // namespace detail

namespace {
/// Makes a freshly created tensor a leaf that requires grad when the options ask for it
/// (requires_grad_ throws DTypeError for a non-floating dtype, as PyTorch does).
Tensor with_grad(Tensor t, const TensorOptions& options) {
  if (options.requires_grad_value()) t.requires_grad_();
  return t;
}

/// PyTorch's check of a fill value ("value cannot be converted to type uint8_t without
/// overflow"): an integral dtype takes a finite value in its range, or, unsigned, an integer down
/// to -max (which wraps); float32 anything but a finite value past its largest. float16 and
/// bfloat16 take every value (one past their range rounds to an infinity, as in PyTorch).
void check_fill_value(const char* op, Scalar value, DType dtype) {
  if (dtype == kBool || dtype == kFloat64 || dtype == kFloat16 || dtype == kBFloat16) return;
  double v = value.to_double();
  bool fits = true;
  if (dtype == kFloat32) {
    fits = !std::isfinite(v) || std::abs(v) <= std::numeric_limits<float>::max();
  } else if (value.kind() != Scalar::Kind::Int || dtype != kInt64) {
    double lowest = 0, highest = 0;
    detail::integral_range(dtype, &lowest, &highest);
    if (dtype == kUInt8 && value.kind() != Scalar::Kind::Float) lowest = -highest;
    fits = std::isfinite(v) && v >= lowest && v < highest + 1;
  }
  if (!fits) {
    throw ValueError(fmt::format("[{}] value {} cannot be converted to type {} without overflow",
                                 op, v, torch_name(dtype)));
  }
}

Tensor constant_tensor(const char* op, const Shape& shape, Scalar value, DType dtype,
                       const TensorOptions& options) {
  check_fill_value(op, value, dtype);
  for (int64_t d : shape) {
    if (d < 0)
      throw ShapeError(std::string("[") + op + "] negative dimension in shape " + shape_str(shape));
  }
  Device dev = detail::resolve_device(op, options);
  return with_grad(Tensor::from_node(detail::scalar_node(value, dtype, shape, dev)), options);
}

TensorOptions like(const Tensor& t, const TensorOptions& options) {
  TensorOptions o = options;
  if (!o.dtype_opt()) o = o.dtype(t.dtype());
  if (!o.device_opt()) o = o.device(t.device());
  return o;
}
}  // namespace

Tensor scalar_tensor(Scalar value, const TensorOptions& options) {
  return constant_tensor("scalar_tensor", {}, value, options.dtype_or(value.default_dtype()),
                         options);
}

Tensor zeros(const std::vector<int64_t>& shape, const TensorOptions& options) {
  return constant_tensor("zeros", shape, 0, options.dtype_or(kFloat32), options);
}
Tensor ones(const std::vector<int64_t>& shape, const TensorOptions& options) {
  return constant_tensor("ones", shape, 1, options.dtype_or(kFloat32), options);
}
Tensor full(const std::vector<int64_t>& shape, Scalar value, const TensorOptions& options) {
  return constant_tensor("full", shape, value, options.dtype_or(value.default_dtype()), options);
}
Tensor empty(const std::vector<int64_t>& shape, const TensorOptions& options) {
  return constant_tensor("empty", shape, 0, options.dtype_or(kFloat32), options);
}
Tensor zeros_like(const Tensor& t, const TensorOptions& options) {
  return zeros(t.sizes(), like(t, options));
}
Tensor ones_like(const Tensor& t, const TensorOptions& options) {
  return ones(t.sizes(), like(t, options));
}
Tensor full_like(const Tensor& t, Scalar value, const TensorOptions& options) {
  return full(t.sizes(), value, like(t, options));
}
Tensor rand_like(const Tensor& t, const TensorOptions& options) {
  return rand(t.sizes(), like(t, options));
}
Tensor randn_like(const Tensor& t, const TensorOptions& options) {
  return randn(t.sizes(), like(t, options));
}

Tensor eye(int64_t n, const TensorOptions& options) { return eye(n, n, options); }
Tensor eye(int64_t n, int64_t m, const TensorOptions& options) {
  if (n < 0 || m < 0) {
    throw ShapeError("[eye] n and m must be non-negative, got " + std::to_string(n) + " and " +
                     std::to_string(m));
  }
  Device dev = detail::resolve_device("eye", options);
  Shape s{n, m};
  auto rows = ir::iota(0, kInt64, s, dev);
  auto cols = ir::iota(1, kInt64, s, dev);
  auto diag = ir::cast(ir::binary(ir::Op::Eq, rows, cols), options.dtype_or(kFloat32));
  return with_grad(Tensor::from_node(diag), options);
}

Tensor arange(Scalar end, const TensorOptions& options) { return arange(0, end, 1, options); }
Tensor arange(Scalar start, Scalar end, const TensorOptions& options) {
  return arange(start, end, 1, options);
}
Tensor arange(Scalar start, Scalar end, Scalar step, const TensorOptions& options) {
  bool all_int = start.kind() != Scalar::Kind::Float && end.kind() != Scalar::Kind::Float &&
                 step.kind() != Scalar::Kind::Float;
  DType dtype = options.dtype_or(all_int ? kInt64 : kFloat32);
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  if (st == 0) throw Error("[arange] step must be nonzero");
  auto inconsistent = [] {
    return Error("[arange] upper bound and larger bound inconsistent with step sign");
  };
  Device dev = detail::resolve_device("arange", options);
  if (all_int && !is_floating(dtype)) {
    // Exact in int64, the checks and the length too, as PyTorch computes them (a double loses
    // integers past 2^53).
    __int128 span = static_cast<__int128>(end.to_int()) - start.to_int(), by = step.to_int();
    if ((by > 0 && span < 0) || (by < 0 && span > 0)) throw inconsistent();
    __int128 count = (span + (by > 0 ? by - 1 : by + 1)) / by;
    if (count > std::numeric_limits<int64_t>::max())
      throw Error("[arange] invalid size, possible overflow");
    auto n = static_cast<int64_t>(count);
    auto i = ir::iota(0, kInt64, {n}, dev);
    auto v = ir::binary(ir::Op::Add,
                        ir::binary(ir::Op::Mul, i, detail::scalar_node(step, kInt64, {n}, dev)),
                        detail::scalar_node(start, kInt64, {n}, dev));
    return with_grad(Tensor::from_node(ir::cast(v, dtype)), options);
  }
  if ((st > 0 && e < s) || (st < 0 && e > s)) throw inconsistent();
  double count = std::ceil((e - s) / st);
  if (!(count < 0x1p63)) throw Error("[arange] invalid size, possible overflow");
  auto n = static_cast<int64_t>(count);
  auto idx = ir::iota(0, kFloat64, {n}, dev);
  auto vals =
      ir::binary(ir::Op::Add, ir::binary(ir::Op::Mul, idx, ir::constant(st, kFloat64, {n}, dev)),
                 ir::constant(s, kFloat64, {n}, dev));
  return with_grad(Tensor::from_node(ir::cast(vals, dtype)), options);
}

Tensor linspace(double start, double end, int64_t steps, const TensorOptions& options) {
  if (steps < 0)
    throw Error("[linspace] number of steps must be non-negative, got " + std::to_string(steps));
  DType dtype = options.dtype_or(kFloat32);
  Device dev = detail::resolve_device("linspace", options);
  if (steps == 1) return full({1}, start, options.dtype(dtype));  // full honours requires_grad
  // PyTorch's form: the first half counts up from start, the second half down from end, so
  // both ends are exact.
  double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  Shape s{steps};
  auto i = ir::iota(0, kFloat64, s, dev);
  auto c = [&](double v) { return ir::constant(v, kFloat64, s, dev); };
  auto up = ir::binary(ir::Op::Add, c(start), ir::binary(ir::Op::Mul, i, c(step)));
  auto down = ir::binary(
      ir::Op::Sub, c(end),
      ir::binary(ir::Op::Mul, ir::binary(ir::Op::Sub, c(static_cast<double>(steps - 1)), i),
                 c(step)));
  auto first_half = ir::binary(ir::Op::Lt, i, c(static_cast<double>(steps / 2)));
  return with_grad(Tensor::from_node(ir::cast(ir::where(first_half, up, down), dtype)), options);
}

}  // namespace kiln
