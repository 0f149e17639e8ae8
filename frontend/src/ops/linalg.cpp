// Linear algebra: matmul (batched, broadcasting, 1-D promotion as in PyTorch), mm, bmm, einsum.
#include <algorithm>
#include <map>

#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"
#include "op_helpers.h"

namespace kiln {

namespace {

void check_matmul_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype()) {
    throw DTypeError(std::string("[") + op +
                     "] expected both operands to have the same dtype, but got " +
                     torch_name(a.dtype()) + " and " + torch_name(b.dtype()));
  }
  if (a.dtype() == kBool)
    throw DTypeError(std::string("[") + op + "] is not implemented for bool tensors");
}

[[noreturn]] void cannot_multiply(const char* op, const Tensor& a, const Tensor& b, int64_t k1,
                                  int64_t k2) {
  throw ShapeError(std::string("[") + op + "] shapes " + shape_str(a.sizes()) + " and " +
                   shape_str(b.sizes()) + " cannot be multiplied (" + std::to_string(k1) +
                   " != " + std::to_string(k2) + ")");
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined("matmul", a);
  detail::check_defined("matmul", b);
  if (a.dim() == 0 || b.dim() == 0) {
    throw ShapeError("[matmul] both arguments need at least 1 dimension, got " +
                     std::to_string(a.dim()) + "D and " + std::to_string(b.dim()) + "D");
  }
  check_matmul_dtypes("matmul", a, b);
  detail::check_same_device("matmul", {&a, &b});
  // 1-D operands become a row (left) or a column (right), removed again at the end.
  Shape as = a.sizes(), bs = b.sizes();
  if (a.dim() == 1) as.insert(as.begin(), 1);
  if (b.dim() == 1) bs.push_back(1);
  int64_t k1 = as.back(), k2 = bs[bs.size() - 2];
  if (k1 != k2) cannot_multiply("matmul", a, b, k1, k2);
  Shape batch =
      broadcast_shapes("matmul", Shape(as.begin(), as.end() - 2), Shape(bs.begin(), bs.end() - 2));
  Shape ae = batch, be = batch;
  ae.insert(ae.end(), as.end() - 2, as.end());
  be.insert(be.end(), bs.end() - 2, bs.end());
  auto an = detail::broadcast_node(ir::reshape(a.node(), as), ae);
  auto bn = detail::broadcast_node(ir::reshape(b.node(), bs), be);
  auto r = ir::matmul(an, bn);
  Shape out = batch;
  if (a.dim() > 1) out.push_back(as[as.size() - 2]);
  if (b.dim() > 1) out.push_back(bs.back());
  return Tensor::from_node(ir::reshape(r, out));
}

Tensor mm(const Tensor& a, const Tensor& b) {
  detail::check_defined("mm", a);
  detail::check_defined("mm", b);
  if (a.dim() != 2 || b.dim() != 2) {
    throw ShapeError("[mm] expected 2-D tensors, got " + std::to_string(a.dim()) + "D and " +
                     std::to_string(b.dim()) + "D");
  }
  if (a.size(1) != b.size(0)) cannot_multiply("mm", a, b, a.size(1), b.size(0));
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  detail::check_defined("bmm", a);
  detail::check_defined("bmm", b);
  if (a.dim() != 3 || b.dim() != 3) {
    throw ShapeError("[bmm] expected 3-D tensors, got " + std::to_string(a.dim()) + "D and " +
                     std::to_string(b.dim()) + "D");
  }
  if (a.size(0) != b.size(0)) {
    throw ShapeError("[bmm] batch sizes differ: " + shape_str(a.sizes()) + " and " +
                     shape_str(b.sizes()));
  }
  if (a.size(2) != b.size(1)) cannot_multiply("bmm", a, b, a.size(2), b.size(1));
  return matmul(a, b);
}

Tensor Tensor::matmul(const Tensor& other) const { return kiln::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return kiln::mm(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return kiln::bmm(*this, other); }

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  // Parse "ij,jk->ik" (spaces ignored); without "->" the output is the letters that appear
  // once, in alphabetical order, as in NumPy and PyTorch.
  std::string eq;
  for (char c : equation) {
    if (c != ' ') eq += c;
  }
  if (eq.find("...") != std::string::npos)
    throw Error("[einsum] ellipsis ('...') is not supported yet");
  auto arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> inputs;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    inputs.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (inputs.size() != operands.size()) {
    throw Error("[einsum] the equation names " + std::to_string(inputs.size()) + " operands but " +
                std::to_string(operands.size()) + " were given");
  }
  std::map<char, int64_t> size_of, count;
  for (size_t i = 0; i < inputs.size(); ++i) {
    detail::check_defined("einsum", operands[i]);
    const std::string& term = inputs[i];
    if (static_cast<int64_t>(term.size()) != operands[i].dim()) {
      throw ShapeError("[einsum] the subscript '" + term + "' for operand " + std::to_string(i) +
                       " has " + std::to_string(term.size()) + " letters but the operand has " +
                       std::to_string(operands[i].dim()) + " dims");
    }
    for (size_t k = 0; k < term.size(); ++k) {
      char c = term[k];
      if (!std::isalpha(static_cast<unsigned char>(c)))
        throw Error(std::string("[einsum] invalid subscript '") + c + "'");
      if (std::count(term.begin(), term.end(), c) > 1) {
        throw Error(std::string("[einsum] repeated subscript '") + c +
                    "' in one operand (diagonals) is not supported yet");
      }
      int64_t s = operands[i].size(static_cast<int64_t>(k));
      auto it = size_of.find(c);
      if (it != size_of.end() && it->second != s && it->second != 1 && s != 1) {
        throw ShapeError(std::string("[einsum] subscript '") + c + "' has size " +
                         std::to_string(it->second) + " in one operand and " + std::to_string(s) +
                         " in another");
      }
      size_of[c] = it == size_of.end() ? s : std::max(it->second, s);
      ++count[c];
    }
  }
  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
    for (char c : out) {
      if (!size_of.count(c))
        throw Error(std::string("[einsum] output subscript '") + c +
                    "' does not appear in the inputs");
    }
  } else {
    for (auto& [c, n] : count) {
      if (n == 1) out += c;
    }
  }
  // Every letter gets one axis: output letters first, then the contracted ones. Each operand is
  // permuted into that order with size-1 axes for letters it lacks; the product is summed over
  // the contracted axes.
  std::string all = out;
  for (auto& [c, n] : size_of) {
    if (out.find(c) == std::string::npos) all += c;
  }
  Tensor product;
  for (size_t i = 0; i < operands.size(); ++i) {
    const std::string& term = inputs[i];
    std::vector<int64_t> perm;
    Shape shape;
    for (char c : all) {
      auto pos = term.find(c);
      if (pos != std::string::npos) perm.push_back(static_cast<int64_t>(pos));
    }
    Tensor p = operands[i].permute(perm);
    for (char c : all)
      shape.push_back(term.find(c) != std::string::npos
                          ? operands[i].size(static_cast<int64_t>(term.find(c)))
                          : 1);
    p = p.reshape(shape);
    product = product.defined() ? product * p : p;
  }
  std::vector<int64_t> contracted;
  for (size_t k = out.size(); k < all.size(); ++k) contracted.push_back(static_cast<int64_t>(k));
  if (contracted.empty()) {
    Shape full;
    for (char c : out) full.push_back(size_of[c]);
    return product.expand(full).contiguous();
  }
  return sum(product, contracted, false);
}

}  // namespace kiln
