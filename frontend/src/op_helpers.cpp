#include "op_helpers.h"

#include <algorithm>

#include "kiln/runtime/cuda/driver.h"
#include "kiln/runtime/error.h"

namespace kiln::detail {

Operand operand(const Tensor& t) {
  return {t.dtype(), t.dim() == 0 ? Operand::Kind::Zero : Operand::Kind::Dim};
}
Operand operand(Scalar s) { return {s.default_dtype(), Operand::Kind::Wrapped}; }

namespace {
int category(DType t) { return t == kBool ? 0 : (is_floating(t) ? 2 : 1); }

/// Combines the result of a higher-priority group with a lower one (PyTorch's
/// combine_categories): the lower group only matters when its category is higher.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (category(*lower) > category(*higher)) return promote_types(*higher, *lower);
  return higher;
}
}  // namespace

DType result_type(const std::vector<Operand>& operands) {
  std::optional<DType> groups[3];
  for (const auto& o : operands) {
    auto& g = groups[static_cast<int>(o.kind)];
    g = g ? promote_types(*g, o.dtype) : o.dtype;
  }
  return combine(groups[0], combine(groups[1], groups[2])).value_or(kFloat32);
}

Device resolve_device(const char* op, const TensorOptions& options) {
  Device d = options.device_opt().value_or(Device(kCPU));
  if (d.is_cuda() && d.index() >= runtime::cuda::device_count()) {
    throw DeviceError(
        std::string("[") + op + "] device " + d.str() + " is not available (" +
        std::to_string(runtime::cuda::device_count()) + " CUDA devices on this machine" +
        (runtime::cuda::available() ? "" : ": no driver or GPU, or no CUDA build") + ")");
  }
  return d;
}

void check_same_device(const char* op, const std::vector<const Tensor*>& tensors) {
  for (const Tensor* t : tensors) {
    if (t->device() != tensors[0]->device()) {
      throw DeviceError(std::string("[") + op +
                        "] expected all tensors to be on the same device, but found " +
                        tensors[0]->device().str() + " and " + t->device().str());
    }
  }
}

void integral_range(DType dtype, double* lowest, double* highest) {
  *lowest = dtype == kUInt8 ? 0.0 : dtype == kInt32 ? -0x1p31 : -0x1p63;
  *highest = dtype == kUInt8 ? 255.0 : dtype == kInt32 ? 0x1p31 - 1 : 0x1p63;
}

void check_floating(const char* op, DType dtype) {
  if (!is_floating(dtype)) {
    throw DTypeError(std::string("[") + op + "] expected a floating point dtype, got " +
                     torch_name(dtype));
  }
}

ir::NodeRef broadcast_node(const ir::NodeRef& x, const Shape& shape) {
  Shape padded(shape.size() - x->shape().size(), 1);
  padded.insert(padded.end(), x->shape().begin(), x->shape().end());
  return ir::expand(ir::reshape(x, padded), shape);
}

ir::NodeRef prepare(const Tensor& x, DType dtype, const Shape& shape) {
  return broadcast_node(ir::cast(x.node(), dtype), shape);
}

ir::NodeRef scalar_node(Scalar s, DType dtype, const Shape& shape, Device device) {
  if (dtype == kBool) return ir::constant_int(s.to_double() != 0 ? 1 : 0, dtype, shape, device);
  if (s.kind() != Scalar::Kind::Float && !is_floating(dtype))
    return ir::constant_int(s.to_int(), dtype, shape, device);
  return ir::constant(s.to_double(), dtype, shape, device);
}

std::vector<int64_t> reduce_axes(const char* op, const std::vector<int64_t>& dims, int64_t rank) {
  std::vector<int64_t> axes;
  if (dims.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    return axes;
  }
  for (int64_t d : dims) {
    int64_t w = wrap_dim(op, d, rank);
    if (rank == 0) continue;  // a 0-d tensor reduces over nothing
    if (std::find(axes.begin(), axes.end(), w) != axes.end()) {
      throw IndexError(std::string("[") + op + "] dim " + std::to_string(w) +
                       " appears multiple times in the list of dims");
    }
    axes.push_back(w);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

Shape drop_axes(const Shape& shape, const std::vector<int64_t>& axes) {
  Shape out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(i)))
      out.push_back(shape[i]);
  }
  return out;
}

}  // namespace kiln::detail
