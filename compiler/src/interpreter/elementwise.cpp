// Interpreter kernels for leaves (load, const, iota, random) and elementwise ops.
#include <cmath>

#include "interpreter/array.h"
#include "kiln/runtime/error.h"
#include "kiln/runtime/philox.h"

namespace kiln::ir::interp {

namespace {

double random_value(const Attrs& a, uint64_t offset, DType dtype, int64_t index) {
  return runtime::philox_sample(a.seed, offset, static_cast<uint64_t>(index), a.ints[0],
                                mantissa_bits(dtype));
}

double unary_float(Op op, double x) {
  switch (op) {
    case Op::Neg: return -x;
    case Op::Exp: return std::exp(x);
    case Op::Log: return std::log(x);
    case Op::Log1p: return std::log1p(x);
    case Op::Expm1: return std::expm1(x);
    case Op::Sqrt: return std::sqrt(x);
    case Op::Rsqrt: return 1.0 / std::sqrt(x);
    case Op::Abs: return std::fabs(x);
    case Op::Sign: return static_cast<double>((x > 0) - (x < 0));  // sign(NaN) = 0 (PyTorch)
    case Op::Sin: return std::sin(x);
    case Op::Cos: return std::cos(x);
    case Op::Tanh: return std::tanh(x);
    case Op::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case Op::Erf: return std::erf(x);
    case Op::Floor: return std::floor(x);
    case Op::Ceil: return std::ceil(x);
    case Op::Round: return std::nearbyint(x);  // half to even, as torch.round
    case Op::Reciprocal: return 1.0 / x;
    case Op::Not: return x == 0.0 ? 1.0 : 0.0;
    default: KILN_CHECK(false, std::string("not a float unary op: ") + op_name(op));
  }
}

int64_t unary_int(Op op, int64_t x) {
  switch (op) {
    case Op::Neg: return -x;
    case Op::Abs: return x < 0 ? -x : x;
    case Op::Sign: return (x > 0) - (x < 0);
    case Op::Floor:
    case Op::Ceil:
    case Op::Round: return x;
    case Op::Not: return x == 0 ? 1 : 0;
    default: KILN_CHECK(false, std::string("not an integer unary op: ") + op_name(op));
  }
}

double nan_max(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b);
}
double nan_min(double a, double b) {
  return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b);
}

double binary_float(Op op, double a, double b) {
  switch (op) {
    case Op::Add: return a + b;
    case Op::Sub: return a - b;
    case Op::Mul: return a * b;
    case Op::Div: return a / b;
    case Op::Pow: return std::pow(a, b);
    case Op::Maximum: return nan_max(a, b);
    case Op::Minimum: return nan_min(a, b);
    default: KILN_CHECK(false, std::string("not a float binary op: ") + op_name(op));
  }
}

int64_t ipow(int64_t base, int64_t exp) {
  if (exp < 0) return base == 1 ? 1 : (base == -1 ? (exp % 2 ? -1 : 1) : 0);
  uint64_t result = 1, b = static_cast<uint64_t>(base);
  for (auto e = static_cast<uint64_t>(exp); e; e >>= 1, b *= b) {
    if (e & 1) result *= b;
  }
  return static_cast<int64_t>(result);
}

int64_t binary_int(Op op, int64_t a, int64_t b) {
  // Unsigned arithmetic wraps instead of overflowing; wrap_int then narrows to the dtype.
  auto ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (op) {
    case Op::Add: return static_cast<int64_t>(ua + ub);
    case Op::Sub: return static_cast<int64_t>(ua - ub);
    case Op::Mul: return static_cast<int64_t>(ua * ub);
    case Op::Div:
      if (b == 0) throw Error("[div] integer division by zero");
      return a / b;
    case Op::Pow: return ipow(a, b);
    case Op::Maximum: return a > b ? a : b;
    case Op::Minimum: return a < b ? a : b;
    default: KILN_CHECK(false, std::string("not an integer binary op: ") + op_name(op));
  }
}

template <typename T>
bool compare(Op op, T a, T b) {
  switch (op) {
    case Op::Lt: return a < b;
    case Op::Le: return a <= b;
    case Op::Gt: return a > b;
    case Op::Ge: return a >= b;
    case Op::Eq: return a == b;
    case Op::Ne: return a != b;
    case Op::And: return a != 0 && b != 0;
    case Op::Or: return a != 0 || b != 0;
    default: KILN_CHECK(false, "not a comparison");
  }
}

}  // namespace

Array eval_leaf(const Node& n, const Array* stream) {
  Array out = make_array(n.dtype(), n.shape());
  int64_t count = n.numel();
  switch (n.op()) {
    case Op::Load: {
      const auto& buf = n.buffer();
      if (!buf)
        throw Error("[interpret] load of buffer " + std::to_string(n.attrs().buffer_id) +
                    " has no data");
      for (int64_t k = 0; k < count; ++k) {
        if (out.is_int()) {
          out.i[k] = buf->get_int(k);
        } else {
          out.f[k] = buf->get(k);
        }
      }
      return out;
    }
    case Op::Const:
      for (int64_t k = 0; k < count; ++k) {
        if (out.is_int()) {
          out.i[k] =
              n.attrs().ints.empty() ? static_cast<int64_t>(n.attrs().scalar) : n.attrs().ints[0];
        } else {
          out.f[k] = n.attrs().scalar;
        }
      }
      return out;
    case Op::Iota: {
      int64_t axis = n.attrs().ints[0];
      std::vector<int64_t> idx(n.shape().size(), 0);
      for (int64_t k = 0; k < count; ++k, next_index(idx, n.shape())) {
        if (out.is_int()) {
          out.i[k] = idx[axis];
        } else {
          out.f[k] = static_cast<double>(idx[axis]);
        }
      }
      return out;
    }
    case Op::Random: {
      uint64_t offset = n.attrs().offset;
      if (stream != nullptr) offset += static_cast<uint64_t>(stream->i.at(0));
      for (int64_t k = 0; k < count; ++k) out.f[k] = random_value(n.attrs(), offset, n.dtype(), k);
      return out;
    }
    default: KILN_CHECK(false, "not a leaf");
  }
}

Array eval_elementwise(const Node& n, const std::vector<const Array*>& in) {
  Op op = n.op();
  Array out = make_array(n.dtype(), n.shape());
  auto count = static_cast<int64_t>(n.numel());
  const Array& a = *in[0];
  if (op == Op::Cast) {
    for (int64_t k = 0; k < count; ++k) {
      if (out.is_int()) {
        double v = a.is_int() ? 0.0 : a.f[k];
        out.i[k] = a.is_int()
                       ? wrap_int(a.i[k], out.dtype)
                       : (n.dtype() == DType::Bool ? (v != 0.0)
                                                   : wrap_int(static_cast<int64_t>(v), out.dtype));
      } else if (a.is_int() && out.dtype != DType::Float64) {
        // An integer rounds once to f32 (and on to a 16-bit float from there, as kernels and
        // PyTorch convert it): through a double an int64 past 2^53 could round twice
        // (2^60 + 2^36 + 1 became 2^60, not 2^60 + 2^37).
        out.f[k] = round_to_dtype(static_cast<double>(static_cast<float>(a.i[k])), out.dtype);
      } else {
        out.f[k] = round_to_dtype(a.get(k), out.dtype);
      }
    }
    return out;
  }
  if (op == Op::Where) {
    const Array& x = *in[1];
    const Array& y = *in[2];
    for (int64_t k = 0; k < count; ++k) copy_elem(a.i[k] ? x : y, k, out, k);
    return out;
  }
  if (is_unary(op)) {
    for (int64_t k = 0; k < count; ++k) {
      if (out.is_int()) {
        out.i[k] = wrap_int(unary_int(op, a.i[k]), out.dtype);
      } else {
        out.f[k] = unary_float(op, a.f[k]);
      }
    }
    return out;
  }
  const Array& b = *in[1];
  for (int64_t k = 0; k < count; ++k) {
    if (is_comparison(op)) {
      out.i[k] = a.is_int() ? compare(op, a.i[k], b.i[k]) : compare(op, a.f[k], b.f[k]);
    } else if (out.is_int()) {
      out.i[k] = wrap_int(binary_int(op, a.i[k], b.i[k]), out.dtype);
    } else {
      out.f[k] = binary_float(op, a.f[k], b.f[k]);
    }
  }
  return out;
}

}  // namespace kiln::ir::interp
