// Tensor printing: a port of torch/_tensor_str.py with PyTorch's default print options.
//
// A Formatter (PyTorch's _Formatter) scans the values -- only the printed edges when the tensor is
// summarized -- and picks one style for every float: integer ("1."), fixed ("0.4410") or
// scientific ("1.0000e-05"), plus one width that each element is right-aligned to. The nesting
// mirrors _tensor_str_with_formatter and _vector_str, and the suffixes follow _add_suffixes.
#include "kiln/frontend/format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kiln/runtime/error.h"

namespace kiln::detail {
namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

// Python's f"{v:.{precision}f}" / f"{v:.{precision}e}". glibc rounds exactly as Python does, but
// spells a negative NaN "-nan", so non-finite values are spelled here.
std::string non_finite(double v) {
  if (std::isnan(v)) return "nan";
  return v < 0 ? "-inf" : "inf";
}

std::string fixed(double v, int precision) {
  if (!std::isfinite(v)) return non_finite(v);
  char buf[400];  // DBL_MAX prints 309 integer digits
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

std::string scientific(double v) {
  if (!std::isfinite(v)) return non_finite(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", kPrecision, v);
  return buf;
}

// Python's str() of what Tensor.tolist() yields for a non-floating dtype.
std::string integral(int64_t v, DType dtype) {
  if (dtype == DType::Bool) return v != 0 ? "True" : "False";
  return std::to_string(v);
}

// str(torch.float64) is "torch.float64".
std::string dtype_suffix(DType dtype) { return std::string("dtype=torch.") + torch_name(dtype); }

// str(tuple(shape)): "(0, 3)", and "(0,)" for one dimension.
std::string tuple_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// PyTorch's _Formatter: the style and width shared by every element of one tensor.
class Formatter {
 public:
  /// The elements of `t` at `printed` (offsets; every element when null) are those printed.
  Formatter(const PrintData& t, const std::vector<int64_t>* printed)
      : dtype_(t.dtype), floating_(is_floating(t.dtype)) {
    auto for_each_printed = [&](auto fn) {
      if (printed == nullptr) {
        for (size_t i = 0; i < t.values.size(); ++i) fn(i);
      } else {
        for (int64_t o : *printed) fn(static_cast<size_t>(o));
      }
    };
    if (!floating_) {
      for_each_printed(
          [&](size_t i) { max_width_ = std::max(max_width_, integral(t.ints[i], dtype_).size()); });
      return;
    }
    // Zeros, NaNs and infinities take no part in choosing the style or the width.
    std::vector<double> finite;
    for_each_printed([&](size_t i) {
      double v = t.values[i];
      if (std::isfinite(v) && v != 0) finite.push_back(v);
    });
    if (finite.empty()) return;
    double lo = std::numeric_limits<double>::infinity(), hi = 0;
    for (double v : finite) {
      lo = std::min(lo, std::abs(v));
      hi = std::max(hi, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || lo < 1.0e-4;
    for (double v : finite) {
      // In integer mode a float prints a trailing "."; count it.
      size_t w = sci_mode_   ? scientific(v).size()
                 : int_mode_ ? fixed(v, 0).size() + 1
                             : fixed(v, kPrecision).size();
      max_width_ = std::max(max_width_, w);
    }
  }

  size_t width() const { return max_width_; }

  /// Element `i` of `t`, padded to the common width.
  std::string format(const PrintData& t, int64_t i) const {
    std::string s;
    double v = t.values[static_cast<size_t>(i)];
    if (!floating_) {
      s = integral(t.ints[static_cast<size_t>(i)], dtype_);
    } else if (sci_mode_) {
      s = scientific(v);
    } else if (int_mode_) {
      s = fixed(v, 0);
      if (std::isfinite(v)) s += '.';
    } else {
      s = fixed(v, kPrecision);
    }
    // Elements wider than max_width_ (a NaN among "1."s, say) are left as they are.
    return std::string(max_width_ - std::min(max_width_, s.size()), ' ') + s;
  }

 private:
  DType dtype_;
  bool floating_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t max_width_ = 1;
};

/// Prints the nested brackets of a non-empty tensor (PyTorch's _tensor_str).
class Printer {
 public:
  explicit Printer(const PrintData& t)
      : t_(t),
        strides_(contiguous_strides(t.shape)),
        summarize_(numel_of(t.shape) > kThreshold),
        printed_(summarize_ ? summarized_offsets() : std::vector<int64_t>{}),
        formatter_(t, summarize_ ? &printed_ : nullptr) {}

  std::string str(int64_t indent) const { return tensor_str(0, 0, indent); }

 private:
  // Whether dimension size n prints as its first and last kEdgeItems with "..." between.
  bool elides(int64_t n) const { return summarize_ && n > 2 * kEdgeItems; }

  // The indices printed along a dimension of size n.
  std::vector<int64_t> shown(int64_t n) const {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < n; ++i) {
      if (!elides(n) || i < kEdgeItems || i >= n - kEdgeItems) idx.push_back(i);
    }
    return idx;
  }

  // get_summarized_data: the offsets of the elements that will be printed; only they shape the
  // formatter.
  std::vector<int64_t> summarized_offsets() const {
    std::vector<int64_t> out;
    gather(0, 0, out);
    return out;
  }

  void gather(size_t dim, int64_t offset, std::vector<int64_t>& out) const {
    if (dim == t_.shape.size()) {
      out.push_back(offset);
      return;
    }
    for (int64_t i : shown(t_.shape[dim])) gather(dim + 1, offset + i * strides_[dim], out);
  }

  std::string tensor_str(size_t dim, int64_t offset, int64_t indent) const {
    const size_t rank_left = t_.shape.size() - dim;
    if (rank_left == 0) return formatter_.format(t_, offset);
    if (rank_left == 1) return vector_str(dim, offset, indent);
    const int64_t n = t_.shape[dim];
    std::vector<std::string> slices;
    for (int64_t i : shown(n)) {
      if (elides(n) && i == n - kEdgeItems) slices.push_back("...");
      slices.push_back(tensor_str(dim + 1, offset + i * strides_[dim], indent + 1));
    }
    // Sub-blocks are separated by one newline per remaining dimension: a blank line between
    // the matrices of a 3-D tensor, two between the 3-D blocks of a 4-D tensor.
    const std::string sep = "," + std::string(rank_left - 1, '\n') + std::string(indent + 1, ' ');
    std::string s = "[";
    for (size_t i = 0; i < slices.size(); ++i) s += (i ? sep : "") + slices[i];
    return s + "]";
  }

  std::string vector_str(size_t dim, int64_t offset, int64_t indent) const {
    // Each element takes its width plus ", "; the " ..." marker counts as one element.
    const int64_t element_length = static_cast<int64_t>(formatter_.width()) + 2;
    const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / element_length);
    const int64_t n = t_.shape[dim];
    std::vector<std::string> data;
    for (int64_t i : shown(n)) {
      if (elides(n) && i == n - kEdgeItems) data.push_back(" ...");
      data.push_back(formatter_.format(t_, offset + i * strides_[dim]));
    }
    std::string s = "[";
    for (size_t i = 0; i < data.size(); ++i) {
      if (i > 0) s += i % per_line == 0 ? ",\n" + std::string(indent + 1, ' ') : ", ";
      s += data[i];
    }
    return s + "]";
  }

  const PrintData& t_;
  Shape strides_;
  bool summarize_;
  std::vector<int64_t> printed_;  ///< summarized: the offsets printed (members above it first)
  Formatter formatter_;
};

// _add_suffixes: each suffix goes after ", " unless the line would pass the line width, in
// which case it starts a new line at the indent. PyTorch's line length is off by two when the
// text has no newline (rfind returns -1); that is kept, since it decides where lines break.
std::string add_suffixes(std::string s, const std::vector<std::string>& suffixes, int64_t indent) {
  const size_t nl = s.rfind('\n');
  int64_t last_line_len = static_cast<int64_t>(s.size()) -
                          (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t len = static_cast<int64_t>(suffix.size());
    if (last_line_len + len + 2 > kLineWidth) {
      s += ",\n" + std::string(indent, ' ') + suffix;
      last_line_len = indent + len;
    } else {
      s += ", " + suffix;
      last_line_len += len + 2;
    }
  }
  return s + ")";
}

}  // namespace

std::string format_tensor(const PrintData& t) {
  const int64_t numel = numel_of(t.shape);
  KILN_CHECK(static_cast<int64_t>(t.values.size()) == numel,
             "[format_tensor] " + std::to_string(t.values.size()) + " values for shape " +
                 shape_str(t.shape));
  KILN_CHECK(is_floating(t.dtype) || t.ints.size() == t.values.size(),
             "[format_tensor] a non-floating tensor's exact values are missing");
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  // PyTorch names the device unless it is the default one (the CPU).
  if (!t.device.is_cpu()) suffixes.push_back("device='" + t.device.str() + "'");
  std::string body;
  if (numel == 0) {
    // Empty tensors show their size unless it is (0,), and any dtype but the default float32:
    // with no elements there is nothing to tell an int64 tensor apart.
    if (t.shape.size() != 1) suffixes.push_back("size=" + tuple_str(t.shape));
    if (t.dtype != DType::Float32) suffixes.push_back(dtype_suffix(t.dtype));
    body = "[]";
  } else {
    if (t.dtype != DType::Float32 && t.dtype != DType::Int64 && t.dtype != DType::Bool) {
      suffixes.push_back(dtype_suffix(t.dtype));
    }
    body = Printer(t).str(indent);
  }
  if (t.requires_grad) suffixes.push_back("requires_grad=True");
  return add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace kiln::detail
