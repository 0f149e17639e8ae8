// Typed node constructors. Each infers what it can (node_check.cpp), canonicalises trivial
// cases (a reshape to the same shape is its input, reshapes of reshapes collapse), and interns.
#include <cmath>
#include <numeric>

#include "kiln/compiler/node.h"
#include "kiln/compiler/node_check.h"
#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {
NodeRef make_inferred(Op op, std::vector<NodeRef> inputs, Attrs attrs) {
  Inferred r = infer(op, inputs, attrs);
  Device dev = inputs.at(0)->device();
  return make(op, std::move(inputs), r.dtype.value(), r.shape.value(), std::move(attrs), dev);
}

/// A reduce node; `first` is 1 for reduce_first, 0 otherwise (node.h's attribute layout).
NodeRef make_reduce(Op op, NodeRef x, std::vector<int64_t> axes, double first) {
  if (axes.empty()) return x;
  Attrs a;
  a.ints = std::move(axes);
  a.scalar = first;
  return make_inferred(op, {std::move(x)}, std::move(a));
}
}  // namespace

NodeRef load(runtime::BufferPtr buffer, Shape shape) {
  KILN_CHECK(buffer != nullptr, "load of a null buffer");
  KILN_CHECK(numel_of(shape) == buffer->numel(), "load shape does not match buffer size");
  DType dt = buffer->dtype();
  Device dev = buffer->device();
  return make(Op::Load, {}, dt, std::move(shape), {}, dev, std::move(buffer));
}

NodeRef constant(double value, DType dtype, Shape shape, Device device) {
  if (is_integral(dtype, true) && std::isfinite(value) && std::abs(value) < 9.2e18) {
    return constant_int(static_cast<int64_t>(value), dtype, std::move(shape), device);
  }
  Attrs a;
  a.scalar = round_to_dtype(value, dtype);
  return make(Op::Const, {}, dtype, std::move(shape), std::move(a), device);
}

NodeRef constant_int(int64_t value, DType dtype, Shape shape, Device device) {
  if (is_floating(dtype))
    return constant(static_cast<double>(value), dtype, std::move(shape), device);
  Attrs a;
  // Wrap to the dtype as a store would (int32 and uint8 wrap, bool is 0 or 1).
  switch (dtype) {
    case DType::Bool: value = value != 0; break;
    case DType::UInt8: value = static_cast<uint8_t>(value); break;
    case DType::Int32: value = static_cast<int32_t>(value); break;
    default: break;
  }
  a.scalar = static_cast<double>(value);
  // Only a value the double cannot hold exactly carries its exact copy.
  if (static_cast<double>(value) >= 9.2e18 || static_cast<int64_t>(a.scalar) != value)
    a.ints = {value};
  return make(Op::Const, {}, dtype, std::move(shape), std::move(a), device);
}

NodeRef iota(int64_t axis, DType dtype, Shape shape, Device device) {
  KILN_CHECK(axis >= 0 && axis < static_cast<int64_t>(shape.size()), "iota axis out of range");
  Attrs a;
  a.ints = {axis};
  return make(Op::Iota, {}, dtype, std::move(shape), std::move(a), device);
}

NodeRef class_iota(int64_t axis, Shape shape, Device device, ClassCheck check,
                   int64_t ignore_index) {
  KILN_CHECK(axis >= 0 && axis < static_cast<int64_t>(shape.size()), "iota axis out of range");
  Attrs a;
  a.ints = {axis, static_cast<int64_t>(check), ignore_index};
  return make(Op::Iota, {}, DType::Int64, std::move(shape), std::move(a), device);
}

NodeRef random(RandomDist dist, uint64_t seed, uint64_t offset, DType dtype, Shape shape,
               Device device, NodeRef stream) {
  KILN_CHECK(is_floating(dtype), "random values must be floating");
  Attrs a;
  a.ints = {static_cast<int64_t>(dist)};
  a.seed = seed;
  a.offset = offset;
  std::vector<NodeRef> inputs;
  if (stream) inputs.push_back(std::move(stream));
  return make(Op::Random, std::move(inputs), dtype, std::move(shape), std::move(a), device);
}

NodeRef unary(Op op, NodeRef x) {
  KILN_CHECK(is_unary(op) && op != Op::Cast, "unary() takes a unary op other than cast");
  return make_inferred(op, {std::move(x)}, {});
}

NodeRef cast(NodeRef x, DType dtype) {
  if (x->dtype() == dtype) return x;
  Shape s = x->shape();
  Device dev = x->device();
  return make(Op::Cast, {std::move(x)}, dtype, std::move(s), {}, dev);
}

NodeRef binary(Op op, NodeRef a, NodeRef b) {
  KILN_CHECK(is_binary(op), "binary() takes a binary op");
  return make_inferred(op, {std::move(a), std::move(b)}, {});
}

NodeRef where(NodeRef cond, NodeRef a, NodeRef b) {
  return make_inferred(Op::Where, {std::move(cond), std::move(a), std::move(b)}, {});
}

NodeRef reduce(Op op, NodeRef x, std::vector<int64_t> axes) {
  KILN_CHECK(is_reduce(op), "reduce() takes a reduce op");
  return make_reduce(op, std::move(x), std::move(axes), 0.0);
}

NodeRef reduce_first(Op op, NodeRef x, std::vector<int64_t> axes) {
  KILN_CHECK(op == Op::Max || op == Op::Min, "reduce_first() takes max or min");
  return make_reduce(op, std::move(x), std::move(axes), 1.0);
}

bool is_reduce_first(const Node& n) {
  return (n.op() == Op::Max || n.op() == Op::Min) && n.attrs().scalar == 1.0;
}

NodeRef reshape(NodeRef x, Shape shape) {
  if (x->shape() == shape) return x;
  if (x->op() == Op::Reshape) return reshape(x->input(0), std::move(shape));
  DType dt = x->dtype();
  Device dev = x->device();
  return make(Op::Reshape, {std::move(x)}, dt, std::move(shape), {}, dev);
}

NodeRef permute(NodeRef x, std::vector<int64_t> perm) {
  std::vector<int64_t> ident(perm.size());
  std::iota(ident.begin(), ident.end(), 0);
  if (perm.size() == x->shape().size() && perm == ident) return x;
  Attrs a;
  a.ints = std::move(perm);
  return make_inferred(Op::Permute, {std::move(x)}, std::move(a));
}

NodeRef expand(NodeRef x, Shape shape) {
  if (x->shape() == shape) return x;
  DType dt = x->dtype();
  Device dev = x->device();
  return make(Op::Expand, {std::move(x)}, dt, std::move(shape), {}, dev);
}

NodeRef pad(NodeRef x, std::vector<int64_t> pads, double value) {
  bool any = false;
  for (int64_t p : pads) any = any || p != 0;
  if (!any && pads.size() == 2 * x->shape().size()) return x;
  Attrs a;
  a.ints = std::move(pads);
  a.scalar = round_to_dtype(value, x->dtype());
  return make_inferred(Op::Pad, {std::move(x)}, std::move(a));
}

NodeRef slice(NodeRef x, std::vector<int64_t> start_stop_step) {
  bool whole = start_stop_step.size() == 3 * x->shape().size();
  for (size_t i = 0; whole && i < x->shape().size(); ++i) {
    whole = start_stop_step[3 * i] == 0 && start_stop_step[3 * i + 1] == x->shape()[i] &&
            start_stop_step[3 * i + 2] == 1;
  }
  if (whole) return x;
  Attrs a;
  a.ints = std::move(start_stop_step);
  return make_inferred(Op::Slice, {std::move(x)}, std::move(a));
}

NodeRef flip(NodeRef x, std::vector<int64_t> axes) {
  if (axes.empty()) return x;
  Attrs a;
  a.ints = std::move(axes);
  return make_inferred(Op::Flip, {std::move(x)}, std::move(a));
}

NodeRef as_strided(NodeRef flat, Shape sizes, Shape strides, int64_t offset) {
  if (offset == 0 && numel_of(sizes) == flat->numel() && strides == contiguous_strides(sizes)) {
    return reshape(std::move(flat), std::move(sizes));
  }
  Attrs a;
  a.ints = std::move(strides);
  a.ints.push_back(offset);
  DType dt = flat->dtype();
  Device dev = flat->device();
  return make(Op::AsStrided, {std::move(flat)}, dt, std::move(sizes), std::move(a), dev);
}

Window Window::of(const std::vector<int64_t>& ints) {
  KILN_CHECK(ints.size() >= 8, "a window needs 8 attributes");
  return {ints[0], ints[1], ints[2], ints[3], ints[4], ints[5], ints[6], ints[7]};
}

NodeRef unfold(NodeRef x, const Window& w, int64_t oh, int64_t ow, double fill) {
  Attrs a;
  a.ints = w.ints();
  a.ints.insert(a.ints.end(), {oh, ow});
  a.scalar = round_to_dtype(fill, x->dtype());
  return make_inferred(Op::Unfold, {std::move(x)}, std::move(a));
}

NodeRef set_strided(NodeRef flat_base, NodeRef src, Shape strides, int64_t offset) {
  Attrs a;
  a.ints = std::move(strides);
  a.ints.push_back(offset);
  return make_inferred(Op::SetStrided, {std::move(flat_base), std::move(src)}, std::move(a));
}

NodeRef matmul(NodeRef a, NodeRef b) {
  return make_inferred(Op::MatMul, {std::move(a), std::move(b)}, {});
}

NodeRef argsort(NodeRef x, int64_t axis, bool descending) {
  Attrs a;
  a.ints = {axis, descending ? 1 : 0};
  return make_inferred(Op::ArgSort, {std::move(x)}, std::move(a));
}

NodeRef gather(NodeRef x, NodeRef index, int64_t axis, GatherCheck check) {
  Attrs a;
  a.ints = {axis};
  if (check != GatherCheck::Wrap) a.ints.push_back(static_cast<int64_t>(check));
  return make_inferred(Op::Gather, {std::move(x), std::move(index)}, std::move(a));
}

namespace {
GatherCheck check_of(const Node& n) {
  const std::vector<int64_t>& ints = n.attrs().ints;
  return n.op() == Op::Gather && ints.size() == 2 ? static_cast<GatherCheck>(ints[1])
                                                  : GatherCheck::Wrap;
}
}  // namespace

const char* index_op_name(const Node& n) {
  switch (check_of(n)) {
    case GatherCheck::Gather: return "gather";
    case GatherCheck::IndexSelect: return "index_select";
    case GatherCheck::Wrap: break;
  }
  return n.op() == Op::Gather ? "index" : op_name(n.op());
}

int64_t least_index(const Node& n) {
  return check_of(n) == GatherCheck::Wrap
             ? -n.input(0)->shape()[static_cast<size_t>(n.attrs().ints[0])]
             : 0;
}

NodeRef scatter(NodeRef x, NodeRef index, NodeRef src, int64_t axis) {
  Attrs a;
  a.ints = {axis};
  return make_inferred(Op::Scatter, {std::move(x), std::move(index), std::move(src)}, std::move(a));
}

NodeRef cumsum(NodeRef x, int64_t axis) {
  Attrs a;
  a.ints = {axis};
  return make_inferred(Op::Cumsum, {std::move(x)}, std::move(a));
}

NodeRef fold(NodeRef g, const Window& w, int64_t h, int64_t w_size) {
  Attrs a;
  a.ints = w.ints();
  a.ints.insert(a.ints.end(), {h, w_size});
  return make_inferred(Op::Fold, {std::move(g)}, std::move(a));
}

}  // namespace kiln::ir
