// Embedding.
#include "kiln/frontend/nn/embedding.h"

#include <ostream>

#include "kiln/compiler/shape.h"
#include "kiln/frontend/autograd.h"
#include "kiln/frontend/creation.h"
#include "kiln/frontend/nn/init.h"
#include "kiln/frontend/ops.h"
#include "kiln/runtime/error.h"

namespace kiln::nn {

EmbeddingImpl::EmbeddingImpl(const EmbeddingOptions& options_)
    : Module("Embedding"), options(options_) {
  if (auto p = options.padding_idx()) {
    int64_t n = options.num_embeddings();
    if (*p < -n || *p >= n)
      throw IndexError("[Embedding] padding_idx must be within num_embeddings (" +
                       std::to_string(n) + "), got " + std::to_string(*p));
    if (*p < 0) options.padding_idx(*p + n);
  }
  weight = register_parameter("weight", empty({options.num_embeddings(), options.embedding_dim()}));
  reset_parameters();
}

void EmbeddingImpl::reset_parameters() {
  init::normal_(weight);
  if (auto p = options.padding_idx()) {
    NoGradGuard no_grad;
    weight.select(0, *p).zero_();
  }
}

Tensor EmbeddingImpl::forward(const Tensor& ids) {
  if (ids.dtype() != kInt64 && ids.dtype() != kInt32) {
    throw DTypeError(std::string("[Embedding] expected int64 or int32 indices, got ") +
                     torch_name(ids.dtype()));
  }
  Tensor w = weight;
  if (auto p = options.padding_idx()) {
    // The padding row gets no gradient, as in PyTorch.
    Tensor rows = arange(options.num_embeddings(), TensorOptions(kInt64).device(w.device()));
    w = where((rows == *p).unsqueeze(1), w.detach(), w);
  }
  Shape out = ids.sizes();
  out.push_back(options.embedding_dim());
  return w.index_select(0, ids.flatten().to(kInt64)).view(out);
}

void EmbeddingImpl::pretty_print(std::ostream& stream) const {
  stream << "Embedding(num_embeddings=" << options.num_embeddings()
         << ", embedding_dim=" << options.embedding_dim();
  if (auto p = options.padding_idx()) stream << ", padding_idx=" << *p;
  stream << ")";
}

}  // namespace kiln::nn
