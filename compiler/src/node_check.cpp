// Shape and dtype inference for every op, and the node verifier built on it.
#include "kiln/compiler/node_check.h"

#include <algorithm>

#include "kiln/runtime/error.h"

namespace kiln::ir {

namespace {

[[noreturn]] void fail(Op op, const std::string& what) {
  throw InternalError(std::string("[ir.") + op_name(op) + "] " + what);
}

// Checks run on every node made, so a message is only built when its check fails: a literal,
// or a callable returning the text.
void require(bool cond, Op op, const char* what) {
  if (!cond) fail(op, what);
}

template <typename Message>
void require(bool cond, Op op, Message&& what) {
  if (!cond) fail(op, std::string(what()));
}

void require_axes(Op op, const std::vector<int64_t>& axes, int64_t rank, bool sorted_unique) {
  for (size_t i = 0; i < axes.size(); ++i) {
    require(axes[i] >= 0 && axes[i] < rank, op,
            [&] { return "axis " + std::to_string(axes[i]) + " out of range"; });
    if (sorted_unique && i > 0)
      require(axes[i] > axes[i - 1], op, "axes must be sorted and unique");
  }
}

/// Checks that a view of `sizes` with strides and offset `ints` (strides..., offset) stays inside
/// a flat base of `base_numel` elements, without overflowing on the way.
void require_view_in_base(Op op, const Shape& sizes, const std::vector<int64_t>& ints,
                          int64_t base_numel) {
  bool empty = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    require(ints[i] >= 0, op, "strides must be non-negative");
    empty = empty || sizes[i] == 0;
  }
  if (empty) return;
  int64_t lo = ints.back(), hi = lo;
  bool overflow = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    int64_t reach = 0;
    overflow = overflow || __builtin_mul_overflow(sizes[i] - 1, ints[i], &reach) ||
               __builtin_add_overflow(hi, reach, &hi);
  }
  require(!overflow && lo >= 0 && hi < base_numel, op, "view reaches outside its base");
}

/// Checks an unfold / fold's attrs: a Window and two sizes, each within a range whose index
/// arithmetic cannot overflow.
void require_window(Op op, const std::vector<int64_t>& ints) {
  require(ints.size() == 10, op, "needs kernel, stride, padding, dilation and two sizes");
  constexpr int64_t kMax = int64_t{1} << 24;
  Window w = Window::of(ints);
  require(w.kh >= 1 && w.kw >= 1 && w.sh >= 1 && w.sw >= 1 && w.dh >= 1 && w.dw >= 1, op,
          "kernel, stride and dilation must be positive");
  require(w.ph >= 0 && w.pw >= 0, op, "padding must be non-negative");
  for (int64_t v : ints) require(v >= 0 && v < kMax, op, "window attribute out of range");
}

}  // namespace

Inferred infer(Op op, const std::vector<NodeRef>& in, const Attrs& a) {
  require(takes_inputs(op, in.size()), op, [&] {
    return "expects " + std::to_string(op_arity(op)) + " inputs, got " + std::to_string(in.size());
  });
  for (const auto& n : in) require(n != nullptr, op, "null input");
  for (size_t i = 1; i < in.size(); ++i) {
    require(in[i]->device() == in[0]->device(), op, "inputs on different devices");
  }
  Inferred r;
  switch (op) {
    case Op::Load:
    case Op::Const: return r;
    case Op::Iota:
    case Op::Random:
      require(a.ints.size() == 1 ||
                  (op == Op::Iota && a.ints.size() == 3 && a.ints[1] >= 1 && a.ints[1] <= 2),
              op, "expects one integer attribute (an iota of classes: three)");
      require(in.empty() || (in[0]->dtype() == DType::Int64 && in[0]->shape().empty()), op,
              "its stream input must be an int64 scalar");
      return r;
    case Op::Neg:
    case Op::Exp:
    case Op::Log:
    case Op::Log1p:
    case Op::Expm1:
    case Op::Sqrt:
    case Op::Rsqrt:
    case Op::Abs:
    case Op::Sign:
    case Op::Sin:
    case Op::Cos:
    case Op::Tanh:
    case Op::Sigmoid:
    case Op::Erf:
    case Op::Floor:
    case Op::Ceil:
    case Op::Round:
    case Op::Reciprocal:
    case Op::Not:
      r.shape = in[0]->shape();
      r.dtype = in[0]->dtype();
      return r;
    case Op::Cast: r.shape = in[0]->shape(); return r;
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Pow:
    case Op::Maximum:
    case Op::Minimum:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::Eq:
    case Op::Ne:
    case Op::And:
    case Op::Or:
      require(in[0]->shape() == in[1]->shape(), op, [&] {
        return "input shapes differ: " + shape_str(in[0]->shape()) + " vs " +
               shape_str(in[1]->shape());
      });
      require(in[0]->dtype() == in[1]->dtype(), op, "input dtypes differ");
      r.shape = in[0]->shape();
      r.dtype = is_comparison(op) ? DType::Bool : in[0]->dtype();
      return r;
    case Op::Where:
      require(in[0]->dtype() == DType::Bool, op, "condition must be bool");
      require(in[0]->shape() == in[1]->shape() && in[1]->shape() == in[2]->shape(), op,
              "input shapes differ");
      require(in[1]->dtype() == in[2]->dtype(), op, "value dtypes differ");
      r.shape = in[1]->shape();
      r.dtype = in[1]->dtype();
      return r;
    case Op::Sum:
    case Op::Max:
    case Op::Min:
    case Op::Prod: {
      require_axes(op, a.ints, in[0]->rank(), true);
      require(a.scalar == 0.0 || ((op == Op::Max || op == Op::Min) && a.scalar == 1.0), op,
              "scalar must be 0, or 1 for max and min (the gradient goes to the first extreme)");
      Shape s = in[0]->shape();
      for (int64_t ax : a.ints) s[ax] = 1;
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::Reshape:
    case Op::Expand: r.dtype = in[0]->dtype(); return r;
    case Op::Permute: {
      int64_t rank = in[0]->rank();
      require(static_cast<int64_t>(a.ints.size()) == rank, op, "permutation has wrong length");
      std::vector<int64_t> sorted = a.ints;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t i = 0; i < rank; ++i) require(sorted[i] == i, op, "not a permutation");
      Shape s(rank);
      for (int64_t i = 0; i < rank; ++i) s[i] = in[0]->shape()[a.ints[i]];
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::Pad: {
      int64_t rank = in[0]->rank();
      require(static_cast<int64_t>(a.ints.size()) == 2 * rank, op, "needs two pads per dim");
      Shape s = in[0]->shape();
      for (int64_t i = 0; i < rank; ++i) {
        require(a.ints[2 * i] >= 0 && a.ints[2 * i + 1] >= 0, op, "pads must be non-negative");
        require(!__builtin_add_overflow(s[i], a.ints[2 * i], &s[i]) &&
                    !__builtin_add_overflow(s[i], a.ints[2 * i + 1], &s[i]),
                op, [&] { return "padded size overflows in dim " + std::to_string(i); });
      }
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::Slice: {
      int64_t rank = in[0]->rank();
      require(static_cast<int64_t>(a.ints.size()) == 3 * rank, op,
              "needs start, stop, step per dim");
      Shape s(rank);
      for (int64_t i = 0; i < rank; ++i) {
        int64_t start = a.ints[3 * i], stop = a.ints[3 * i + 1], step = a.ints[3 * i + 2];
        require(step > 0 && 0 <= start && start <= stop && stop <= in[0]->shape()[i], op,
                [&] { return "slice bounds out of range in dim " + std::to_string(i); });
        s[i] = stop == start ? 0 : (stop - start - 1) / step + 1;  // no overflow for a huge step
      }
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::Flip:
      require_axes(op, a.ints, in[0]->rank(), true);
      r.shape = in[0]->shape();
      r.dtype = in[0]->dtype();
      return r;
    case Op::AsStrided:
      require(in[0]->rank() == 1, op, "input must be flat");
      r.dtype = in[0]->dtype();
      return r;
    case Op::Unfold: {
      require_window(op, a.ints);
      require(in[0]->rank() >= 2, op, "input needs at least 2 dims");
      Shape s(in[0]->shape().begin(), in[0]->shape().end() - 2);
      s.insert(s.end(), {a.ints[0], a.ints[1], a.ints[8], a.ints[9]});
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::Fold: {
      require_window(op, a.ints);
      const Shape& x = in[0]->shape();
      require(x.size() >= 4 && x[x.size() - 4] == a.ints[0] && x[x.size() - 3] == a.ints[1], op,
              "input must be [..., KH, KW, OH, OW]");
      Shape s(x.begin(), x.end() - 4);
      s.insert(s.end(), {a.ints[8], a.ints[9]});
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::SetStrided:
      require(in[0]->rank() == 1, op, "base must be flat");
      require(in[0]->dtype() == in[1]->dtype(), op, "source dtype differs from base");
      require(static_cast<int64_t>(a.ints.size()) == in[1]->rank() + 1, op,
              "needs one stride per source dim and an offset");
      r.shape = in[0]->shape();
      r.dtype = in[0]->dtype();
      return r;
    case Op::MatMul: {
      const Shape& x = in[0]->shape();
      const Shape& y = in[1]->shape();
      require(x.size() >= 2 && x.size() == y.size(), op, "operands need equal rank >= 2");
      require(std::equal(x.begin(), x.end() - 2, y.begin()), op, "batch dims differ");
      require(x[x.size() - 1] == y[y.size() - 2], op, "inner dims differ");
      require(in[0]->dtype() == in[1]->dtype(), op, "dtypes differ");
      Shape s = x;
      s.back() = y.back();
      r.shape = s;
      r.dtype = in[0]->dtype();
      return r;
    }
    case Op::ArgSort:
      require(a.ints.size() == 2, op, "needs axis and descending");
      require_axes(op, {a.ints[0]}, in[0]->rank(), false);
      r.shape = in[0]->shape();
      r.dtype = DType::Int64;
      return r;
    case Op::Gather:
      require(a.ints.size() == 1 || (a.ints.size() == 2 && a.ints[1] >= 1 && a.ints[1] <= 2), op,
              "needs an axis (and a check kind)");
      require_axes(op, {a.ints[0]}, in[0]->rank(), false);
      require(in[1]->dtype() == DType::Int64, op, "index must be int64");
      require(in[1]->rank() == in[0]->rank(), op, "index rank differs from input rank");
      r.shape = in[1]->shape();
      r.dtype = in[0]->dtype();
      return r;
    case Op::Scatter:
      require(a.ints.size() == 1, op, "needs an axis");
      require_axes(op, a.ints, in[0]->rank(), false);
      require(in[1]->dtype() == DType::Int64, op, "index must be int64");
      require(in[1]->shape() == in[2]->shape(), op, "index and source shapes differ");
      require(in[1]->rank() == in[0]->rank(), op, "index rank differs from input rank");
      require(in[0]->dtype() == in[2]->dtype(), op, "source dtype differs");
      r.shape = in[0]->shape();
      r.dtype = in[0]->dtype();
      return r;
    case Op::Cumsum:
      require(a.ints.size() == 1, op, "needs an axis");
      require_axes(op, a.ints, in[0]->rank(), false);
      r.shape = in[0]->shape();
      r.dtype = in[0]->dtype();
      return r;
  }
  fail(op, "unknown op");
}

void check_node(Op op, const std::vector<NodeRef>& inputs, DType dtype, const Shape& shape,
                const Attrs& attrs, Device device) {
  for (int64_t d : shape)
    require(d >= 0, op, [&] { return "negative dimension in " + shape_str(shape); });
  Inferred r = infer(op, inputs, attrs);
  if (!inputs.empty()) require(inputs[0]->device() == device, op, "device differs from inputs");
  if (r.shape) {
    require(*r.shape == shape, op, [&] {
      return "shape " + shape_str(shape) + " but inputs imply " + shape_str(*r.shape);
    });
  }
  if (r.dtype) require(*r.dtype == dtype, op, "dtype does not match inputs");
  switch (op) {
    case Op::Reshape:
      require(numel_of(shape) == inputs[0]->numel(), op, "element count changes");
      break;
    case Op::Expand: {
      const Shape& s = inputs[0]->shape();
      require(s.size() == shape.size(), op, "expand keeps the rank");
      for (size_t i = 0; i < s.size(); ++i) {
        require(s[i] == shape[i] || s[i] == 1, op, "can only expand size-1 dims");
      }
      break;
    }
    case Op::AsStrided: {
      require(static_cast<int64_t>(attrs.ints.size()) == static_cast<int64_t>(shape.size()) + 1, op,
              "needs one stride per dim and an offset");
      require_view_in_base(op, shape, attrs.ints, inputs[0]->numel());
      break;
    }
    case Op::SetStrided:
      require_view_in_base(op, inputs[1]->shape(), attrs.ints, inputs[0]->numel());
      break;
    case Op::Iota:
      require(attrs.ints[0] >= 0 && attrs.ints[0] < static_cast<int64_t>(shape.size()), op, [&] {
        return "axis " + std::to_string(attrs.ints[0]) + " out of range for " + shape_str(shape);
      });
      break;
    case Op::Random:
      require(attrs.ints[0] == static_cast<int64_t>(RandomDist::Uniform) ||
                  attrs.ints[0] == static_cast<int64_t>(RandomDist::Normal),
              op, [&] { return "unknown distribution " + std::to_string(attrs.ints[0]); });
      require(is_floating(dtype), op, "random values must be floating");
      break;
    case Op::ArgSort:
      require(attrs.ints[1] == 0 || attrs.ints[1] == 1, op, "descending must be 0 or 1");
      break;
    default: break;
  }
}

}  // namespace kiln::ir
