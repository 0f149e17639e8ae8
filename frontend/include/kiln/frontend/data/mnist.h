// MNIST and Fashion-MNIST from their IDX files: data float32 [1, 28, 28] in [0, 1] (after the
// optional transform), target int64 (0-d).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/frontend/data/dataset.h"
#include "kiln/frontend/data/transforms.h"

namespace kiln::data {

enum class Split { Train, Test };

/// MNIST: reads <root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte, each raw or ".gz" (also
/// under <root>/MNIST/raw/, torchvision's layout). Throws Error saying how to get the files when
/// they are missing, FormatError when they are malformed or disagree or a label is outside 0..9.
class MNIST : public Dataset {
 public:
  MNIST(const std::string& root, Split split, transforms::AnyTransform transform = {});
  size_t size() const override;
  Example get(size_t i) const override;
  /// The label of example i, without building tensors.
  int64_t label(size_t i) const;

 protected:
  /// `name` ("MNIST", "FashionMNIST") appears in messages and torchvision's folder layout;
  /// `how_to_get` ends the message for a missing dataset.
  MNIST(const std::string& root, Split split, transforms::AnyTransform transform,
        const std::string& name, const std::string& how_to_get);

 private:
  std::string name_;
  int64_t rows_ = 0, cols_ = 0;
  std::vector<uint8_t> images_;
  std::vector<uint8_t> labels_;
  transforms::AnyTransform transform_;
};

/// Fashion-MNIST, the same files as MNIST. On Debian, `apt-get install dataset-fashion-mnist`
/// puts them in default_root().
class FashionMNIST : public MNIST {
 public:
  FashionMNIST(const std::string& root, Split split, transforms::AnyTransform transform = {});
  /// /usr/share/datasets/fashion-mnist, or $KILN_FASHION_MNIST when set.
  static std::string default_root();
};

}  // namespace kiln::data
