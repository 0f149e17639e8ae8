// Embedding: a table [num_embeddings, embedding_dim], N(0, 1) at first, indexed by int64 ids.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>

#include "kiln/frontend/nn/module.h"
#include "kiln/frontend/optim/optimizer.h"  // KILN_OPTION

namespace kiln::nn {

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  KILN_OPTION(EmbeddingOptions, int64_t, num_embeddings, 0)
  KILN_OPTION(EmbeddingOptions, int64_t, embedding_dim, 0)
  /// A row kept at zero (its gradient is still computed; PyTorch masks it).
  KILN_OPTION(EmbeddingOptions, std::optional<int64_t>, padding_idx, std::nullopt)
};

class EmbeddingImpl : public Module {
 public:
  EmbeddingImpl(int64_t num_embeddings, int64_t embedding_dim)
      : EmbeddingImpl(EmbeddingOptions(num_embeddings, embedding_dim)) {}
  explicit EmbeddingImpl(const EmbeddingOptions& options);
  void reset_parameters();
  /// weight[ids]: ids of any shape, int64; the result has one more dim.
  Tensor forward(const Tensor& ids);
  void pretty_print(std::ostream& stream) const override;

  EmbeddingOptions options;
  Tensor weight;
};
KILN_MODULE(Embedding);

}  // namespace kiln::nn
