// Free functions over tensors, as in libtorch's torch:: namespace, and the arithmetic operators.
// Every op records graph nodes and checks shapes and dtypes at once; nothing runs here.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "kiln/frontend/tensor.h"

namespace kiln {

// ---- elementwise ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& exponent);
Tensor pow(const Tensor& a, Scalar exponent);
Tensor pow(Scalar base, const Tensor& exponent);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x, const std::string& approximate = "none");
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor erf(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor clamp(const Tensor& x, std::optional<Scalar> min, std::optional<Scalar> max = std::nullopt);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, Scalar b);
Tensor where(const Tensor& cond, Scalar a, const Tensor& b);
Tensor where(const Tensor& cond, Scalar a, Scalar b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, Scalar b);
Tensor le(const Tensor& a, Scalar b);
Tensor gt(const Tensor& a, Scalar b);
Tensor ge(const Tensor& a, Scalar b);
Tensor eq(const Tensor& a, Scalar b);
Tensor ne(const Tensor& a, Scalar b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
Tensor isnan(const Tensor& x);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, Scalar b);
Tensor operator<=(const Tensor& a, Scalar b);
Tensor operator>(const Tensor& a, Scalar b);
Tensor operator>=(const Tensor& a, Scalar b);
Tensor operator==(const Tensor& a, Scalar b);
Tensor operator!=(const Tensor& a, Scalar b);
Tensor operator<(Scalar a, const Tensor& b);
Tensor operator<=(Scalar a, const Tensor& b);
Tensor operator>(Scalar a, const Tensor& b);
Tensor operator>=(Scalar a, const Tensor& b);
Tensor operator==(Scalar a, const Tensor& b);
Tensor operator!=(Scalar a, const Tensor& b);

// ---- reductions: over all elements, one dim, or a list of dims, as the Tensor methods ----
Tensor sum(const Tensor& x);
Tensor sum(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
// A braced list is a list of dims ({} is all of them), never one dim (but for max and min, whose
// one-dim form returns (values, indices) as libtorch's).
inline Tensor sum(const Tensor& x, std::initializer_list<int64_t> dims, bool keepdim = false) {
  return sum(x, std::vector<int64_t>(dims), keepdim);
}
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor mean(const Tensor& x, std::initializer_list<int64_t> dims, bool keepdim = false) {
  return mean(x, std::vector<int64_t>(dims), keepdim);
}
Tensor prod(const Tensor& x);
Tensor prod(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor prod(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor prod(const Tensor& x, std::initializer_list<int64_t> dims, bool keepdim = false) {
  return prod(x, std::vector<int64_t>(dims), keepdim);
}
Tensor max(const Tensor& x);
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
/// Values only, as amax: indices exist for one dim alone.
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor min(const Tensor& x);
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
/// Values only, as amin.
Tensor min(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
Tensor argmax(const Tensor& x);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& x);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2.0);
Tensor norm(const Tensor& x, double p, int64_t dim, bool keepdim = false);
Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor norm(const Tensor& x, double p, std::initializer_list<int64_t> dims,
                   bool keepdim = false) {
  return norm(x, p, std::vector<int64_t>(dims), keepdim);
}
// var/std over all elements take exactly a bool (kiln::var(x, 1) is the dim form), as the
// methods do; libtorch's argument order: (x, dim, unbiased, keepdim).
Tensor var(const Tensor& x);
Tensor var(const Tensor& x, int64_t dim, bool unbiased = true, bool keepdim = false);
Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased = true,
           bool keepdim = false);
inline Tensor var(const Tensor& x, std::initializer_list<int64_t> dims, bool unbiased = true,
                  bool keepdim = false) {
  return var(x, std::vector<int64_t>(dims), unbiased, keepdim);
}
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor var(const Tensor& x, B unbiased) {
  return var(x, std::vector<int64_t>{}, unbiased);
}
Tensor std(const Tensor& x);
Tensor std(const Tensor& x, int64_t dim, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased = true,
           bool keepdim = false);
inline Tensor std(const Tensor& x, std::initializer_list<int64_t> dims, bool unbiased = true,
                  bool keepdim = false) {
  return std(x, std::vector<int64_t>(dims), unbiased, keepdim);
}
template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
Tensor std(const Tensor& x, B unbiased) {
  return std(x, std::vector<int64_t>{}, unbiased);
}
Tensor logsumexp(const Tensor& x);
Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor logsumexp(const Tensor& x, std::initializer_list<int64_t> dims,
                        bool keepdim = false) {
  return logsumexp(x, std::vector<int64_t>(dims), keepdim);
}
Tensor logsumexp(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& x);
Tensor all(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor all(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor all(const Tensor& x, std::initializer_list<int64_t> dims, bool keepdim = false) {
  return all(x, std::vector<int64_t>(dims), keepdim);
}
Tensor any(const Tensor& x);
Tensor any(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim = false);
inline Tensor any(const Tensor& x, std::initializer_list<int64_t> dims, bool keepdim = false) {
  return any(x, std::vector<int64_t>(dims), keepdim);
}
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor cumsum(const Tensor& x, int64_t dim);
std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false);
/// The indices of sort (stable: equal values keep their order; NaN sorts as the largest).
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);
/// The k largest (or smallest) values along dim and their indices, sorted (ties in index
/// order); k in [0, size(dim)].
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                                bool sorted = true);

// ---- shapes, joins and gathers ----
Tensor reshape(const Tensor& x, std::vector<int64_t> shape);
template <typename I, detail::IfSizeInt<I> = 0>
Tensor reshape(const Tensor& x, I size) {
  return reshape(x, std::vector<int64_t>{static_cast<int64_t>(size)});
}
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& x);
Tensor squeeze(const Tensor& x);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);
template <typename I, detail::IfSizeInt<I> = 0>
Tensor flip(const Tensor& x, I size) {
  return flip(x, std::vector<int64_t>{static_cast<int64_t>(size)});
}
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
/// Constant padding with PyTorch's F.pad layout: pairs from the last dim backwards.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, double value = 0.0);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor one_hot(const Tensor& x, int64_t num_classes = -1);

// ---- linear algebra ----
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);

}  // namespace kiln
